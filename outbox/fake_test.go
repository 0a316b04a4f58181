package outbox

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// fakeErr is a Graph error as graph.OutboxError exposes it.
type fakeErr struct {
	status int
	code   string
	retry  time.Duration
}

func (e *fakeErr) Error() string        { return fmt.Sprintf("graph answered %d %s", e.status, e.code) }
func (e *fakeErr) HTTPStatus() int      { return e.status }
func (e *fakeErr) GraphCode() string    { return e.code }
func (e *fakeErr) GraphMessage() string { return "message for " + e.code }
func (e *fakeErr) RetryAfter() (time.Duration, bool) {
	return e.retry, e.retry > 0
}

type fakeMsg struct {
	Remote
	mailbox string
	folder  string
}

// fakeGraph is an in-memory mailbox with Exchange's draft/send behaviour as documented:
// the draft keeps its immutable id when it moves to Sent Items.
type fakeGraph struct {
	mu       sync.Mutex
	n        int
	msgs     map[string]*fakeMsg // id → message
	sends    map[string]int      // internetMessageId → accepted sends
	calls    []string
	failNext map[string][]error // method → errors to return first
	// sendAcceptedButLost makes SendDraft move the draft but answer 503 (ambiguous).
	sendAcceptedButLost bool
}

func newFakeGraph() *fakeGraph {
	return &fakeGraph{msgs: map[string]*fakeMsg{}, sends: map[string]int{}, failNext: map[string][]error{}}
}

func (f *fakeGraph) fail(method string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[method] = append(f.failNext[method], errs...)
}

func (f *fakeGraph) take(method string) error {
	f.calls = append(f.calls, method)
	if q := f.failNext[method]; len(q) > 0 {
		f.failNext[method] = q[1:]
		return q[0]
	}
	return nil
}

func notFound() error { return &fakeErr{status: http.StatusNotFound, code: "ErrorItemNotFound"} }

func (f *fakeGraph) CreateDraft(_ context.Context, d Draft) (Remote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take("CreateDraft"); err != nil {
		return Remote{}, err
	}
	f.n++
	id := fmt.Sprintf("imm-%d", f.n)
	m := &fakeMsg{Remote: Remote{ID: id, InternetMessageID: d.InternetMessageID, ConversationID: "conv-" + id,
		IsDraft: true, Subject: d.Subject, FromAddress: d.Mailbox}, mailbox: d.Mailbox, folder: "drafts"}
	f.msgs[id] = m
	return m.Remote, nil
}

func (f *fakeGraph) SendDraft(_ context.Context, mailbox, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take("SendDraft"); err != nil {
		return err
	}
	m := f.msgs[id]
	if m == nil || m.mailbox != mailbox || !m.IsDraft {
		return notFound()
	}
	m.IsDraft, m.folder, m.SentDateTime = false, "sentitems", time.Now()
	f.sends[m.InternetMessageID]++
	if f.sendAcceptedButLost {
		return &fakeErr{status: http.StatusServiceUnavailable, code: "serviceNotAvailable"}
	}
	return nil
}

func (f *fakeGraph) GetMessage(_ context.Context, mailbox, id string) (Remote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take("GetMessage"); err != nil {
		return Remote{}, err
	}
	m := f.msgs[id]
	if m == nil || m.mailbox != mailbox {
		return Remote{}, notFound()
	}
	return m.Remote, nil
}

func (f *fakeGraph) FindByInternetMessageID(_ context.Context, mailbox, folder, imid string) ([]Remote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take("Find:" + folder); err != nil {
		return nil, err
	}
	var out []Remote
	for _, m := range f.msgs {
		if m.mailbox == mailbox && m.folder == folder && m.InternetMessageID == imid {
			out = append(out, m.Remote)
		}
	}
	return out, nil
}

func (f *fakeGraph) ListConversation(_ context.Context, mailbox, folder, conv string) ([]Remote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.take("ListConversation"); err != nil {
		return nil, err
	}
	var out []Remote
	for _, m := range f.msgs {
		if m.mailbox == mailbox && m.folder == folder && m.ConversationID == conv {
			out = append(out, m.Remote)
		}
	}
	return out, nil
}

// bounce puts an NDR for imid into the sender's inbox.
func (f *fakeGraph) bounce(imid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.msgs {
		if m.InternetMessageID == imid {
			f.n++
			id := fmt.Sprintf("ndr-%d", f.n)
			f.msgs[id] = &fakeMsg{Remote: Remote{ID: id, ConversationID: m.ConversationID, Subject: "Undeliverable: " + m.Subject,
				FromAddress: "postmaster@contoso.com", BodyPreview: "550 5.1.10 RESOLVER.ADR.RecipientNotFound"}, mailbox: m.mailbox, folder: "inbox"}
			return
		}
	}
}

func (f *fakeGraph) sendCount(imid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[imid]
}

// deleteDraft removes a message as a user would.
func (f *fakeGraph) delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.msgs, id)
}
