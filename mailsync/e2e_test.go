package mailsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// countingTransport counts Graph requests (token requests excluded).
type countingTransport struct {
	rt    http.RoundTripper
	graph atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/v1.0" {
		t.graph.Add(1)
	}
	return t.rt.RoundTrip(r)
}

type tenant struct {
	srv     *emulator.Server
	info    emulator.Info
	cloud   graph.Cloud
	cred    *graph.MailSourceClient
	counter *countingTransport
	appID   string
}

func newTenant(t testing.TB, opts emulator.Options) *tenant {
	t.Helper()
	srv, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return connect(t, srv.Info(), srv.CACertPEM(), srv)
}

// connect builds the engine's Graph client from the info-file data, as a real run does.
func connect(t testing.TB, info emulator.Info, ca []byte, srv *emulator.Server) *tenant {
	t.Helper()
	cl, err := graph.PracticeCloud(info.AuthorityHost, info.BrowserAuthorityHost, info.GraphBaseURL, ca)
	if err != nil {
		t.Fatal(err)
	}
	var app emulator.InfoApp
	for _, a := range info.Apps {
		if a.Name == emulator.AppSecretName {
			app = a
		}
	}
	cred, err := graph.NewSecretCredential(cl, info.TenantID, app.ClientID, app.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	ct := &countingTransport{rt: cl.HTTPClient().Transport}
	hc := &http.Client{Transport: ct}
	return &tenant{srv: srv, info: info, cloud: cl, counter: ct, appID: app.ClientID,
		cred: graph.NewMailSourceClient(info.GraphBaseURL, hc, cred, cl.DefaultScope())}
}

func (tn *tenant) source() mailsync.Source { return tn.cred }

func (tn *tenant) mailboxes(n int) []mailsync.Mailbox {
	var out []mailsync.Mailbox
	for _, m := range tn.info.Mailboxes {
		if len(out) < n {
			out = append(out, mailsync.Mailbox{ID: m.ID, Address: m.Address})
		}
	}
	return out
}

func fmtRecipients(rs []graphmail.Recipient) []string {
	var out []string
	for _, r := range rs {
		out = append(out, graph.MailSourceFormatAddress(r.Name, r.Address))
	}
	return out
}

// diffStore fails unless the store holds exactly the emulator's messages of the synced
// folders received at or after window, field by field.
func diffStore(t testing.TB, st *mailsync.SQLiteStore, mail *graphmail.Store, mb string, folders []string, window time.Time) int {
	t.Helper()
	want := map[string]graphmail.Message{}
	for _, f := range folders {
		msgs, err := mail.Messages(mb, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if !m.Received.Before(window) {
				want[m.ImmutableID] = m
			}
		}
	}
	got, err := st.Messages(context.Background(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("mailbox %s: store has %d messages, practice tenant %d", mb, len(got), len(want))
	}
	for _, g := range got {
		w, ok := want[g.ID]
		if !ok {
			t.Fatalf("mailbox %s: store has %s (%q), the tenant does not", mb, g.ID, g.Subject)
		}
		flag := w.FlagStatus
		wantTo := fmtRecipients(w.To)
		if g.Subject != w.Subject || g.IsRead != w.IsRead || !g.ReceivedDateTime.Equal(w.Received) ||
			g.InternetMessageID != w.InternetMessageID || g.ConversationID != w.ConversationID ||
			g.FromAddress != w.From.Address || g.FromName != w.From.Name || g.FlagStatus != flag ||
			fmt.Sprint(g.To) != fmt.Sprint(wantTo) || fmt.Sprint(g.Cc) != fmt.Sprint(fmtRecipients(w.Cc)) ||
			g.Folder != w.Folder || g.BodyPreview == "" {
			t.Fatalf("mailbox %s message %s differs:\nstore  %+v (folder %s)\ntenant %+v", mb, g.ID, g.Message, g.Folder, w)
		}
	}
	return len(got)
}

func fixedNow() func() time.Time {
	now := time.Now()
	return func() time.Time { return now }
}

func TestE2EMirrorsPracticeTenantAndFollowsChanges(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 300, Seed: 7})
	now := fixedNow()
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	mbs := tn.mailboxes(4)
	opts := mailsync.Options{Mailboxes: mbs, Once: true, PageSize: 25, Now: now, EstimateTotal: true}
	var events atomic.Int64
	rec := &firstPage{Source: tn.source(), mailbox: mbs[0].ID}
	e, err := mailsync.NewEngine(store, rec, opts, func(mailsync.Progress) { events.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	window := now().Add(-30 * 24 * time.Hour)
	folders := []string{"inbox", "sentitems"}
	total := 0
	for _, mb := range mbs {
		total += diffStore(t, store, tn.srv.Mail(), mb.ID, folders, window)
	}
	// Newest first: the first inbox page holds the newest 25 messages of the window.
	newest, _ := tn.srv.Mail().Messages(mbs[0].ID, "inbox")
	for i, m := range rec.page {
		if m.ID != newest[i].ImmutableID {
			t.Fatalf("first page item %d is %s (%s), want the %d-th newest %s (%s)", i, m.ID, m.ReceivedDateTime, i, newest[i].ImmutableID, newest[i].Received)
		}
	}
	if len(rec.page) != 25 {
		t.Fatalf("first page has %d messages", len(rec.page))
	}
	if total < 100 {
		t.Fatalf("only %d messages in the window: the test proves little", total)
	}
	for _, ms := range e.Status().Mailboxes {
		if ms.State != mailsync.StateDone {
			t.Fatalf("mailbox %s: %s %s", ms.ID, ms.State, ms.LastError)
		}
		for _, fs := range ms.Folders {
			if fs.Phase != mailsync.PhaseIncremental || fs.Total < fs.Messages || fs.Total == 0 {
				t.Fatalf("mailbox %s folder %+v", ms.ID, fs)
			}
		}
	}

	// Changes in the tenant: new mail, read, delete, move out of sync, move between
	// synced folders.
	mail := tn.srv.Mail()
	a := mbs[0].ID
	inbox, _ := mail.Messages(a, "inbox")
	if _, err := mail.DeliverMessage(a, graphmail.Message{Subject: "fresh news", Body: "hello", BodyContentType: "text",
		From: graphmail.Recipient{Name: "Zed", Address: "zed@fabrikam.com"}, To: []graphmail.Recipient{{Address: mbs[0].Address}}}); err != nil {
		t.Fatal(err)
	}
	mustOK(t, mail.MarkRead(a, inbox[0].ImmutableID, !inbox[0].IsRead))
	mustOK(t, mail.DeleteMessage(a, inbox[1].ImmutableID))
	if _, err := mail.MoveMessage(a, inbox[2].ImmutableID, "archive"); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.MoveMessage(a, inbox[3].ImmutableID, "sentitems"); err != nil {
		t.Fatal(err)
	}
	before := tn.counter.graph.Load()
	e2, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, mb := range mbs {
		diffStore(t, store, mail, mb.ID, folders, window)
	}
	// One incremental page per folder, plus one folder lookup per folder for totals.
	if n := tn.counter.graph.Load() - before; n != int64(len(mbs)*len(folders)*2) {
		t.Fatalf("incremental sync made %d Graph requests, want %d", n, len(mbs)*len(folders)*2)
	}
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sleepRecorder is an injected sleeper: it records waits and sleeps only a millisecond.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Millisecond):
		return nil
	}
}

func TestE2EFaults(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 3, SharedMailboxes: 0, MessagesPerMailbox: 120, Seed: 3})
	mail := tn.srv.Mail()
	mbs := tn.mailboxes(3)
	now := fixedNow()
	window := now().Add(-30 * 24 * time.Hour)
	folders := []string{"inbox", "sentitems"}
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sl := &sleepRecorder{}
	opts := mailsync.Options{Mailboxes: mbs, Once: true, PageSize: 10, Now: time.Now, Sleep: sl.Sleep}

	// 429 with Retry-After (twice) and 503 on the first mailbox: obeyed, then complete.
	mail.InjectFault(graphmail.Fault{Kind: graphmail.FaultThrottle, Mailbox: mbs[0].ID, PathContains: "/delta", Count: 2, RetryAfter: 9 * time.Second})
	mail.InjectFault(graphmail.Fault{Kind: graphmail.FaultUnavailable, Mailbox: mbs[0].ID, PathContains: "/delta", Count: 1, RetryAfter: 4 * time.Second})
	// 403 on the third: that mailbox stops with an error, the others go on.
	mail.SetAccessPolicy(tn.appID, graphmail.AccessPolicy{Mode: graphmail.DenyAccess, MailboxIDs: []string{mbs[2].ID}})
	e, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	err = e.Run(ctx)
	if err == nil {
		t.Fatal("want an error for the denied mailbox")
	}
	st := e.Status()
	if st.Mailboxes[0].State != mailsync.StateDone || st.Mailboxes[1].State != mailsync.StateDone || st.Mailboxes[2].State != mailsync.StateError {
		t.Fatalf("states %s %s %s (%s)", st.Mailboxes[0].State, st.Mailboxes[1].State, st.Mailboxes[2].State, st.Mailboxes[2].LastError)
	}
	t.Logf("denied mailbox: %s", st.Mailboxes[2].LastError)
	diffStore(t, store, mail, mbs[0].ID, folders, window)
	diffStore(t, store, mail, mbs[1].ID, folders, window)
	sl.mu.Lock()
	waits := append([]time.Duration(nil), sl.waits...)
	sl.mu.Unlock()
	sort.Slice(waits, func(i, j int) bool { return waits[i] > waits[j] })
	if len(waits) < 3 || waits[0] < 9*time.Second || waits[2] < 4*time.Second {
		t.Fatalf("waits %v: Retry-After not obeyed", waits)
	}
	mail.SetAccessPolicy(tn.appID, graphmail.AccessPolicy{})

	// Expired delta tokens: bounded resync, no duplicates, deletions made meanwhile seen.
	a := mbs[0].ID
	inbox, _ := mail.Messages(a, "inbox")
	mustOK(t, mail.DeleteMessage(a, inbox[0].ImmutableID))
	mustOK(t, mail.ExpireDeltaTokens(a, "inbox"))
	opts.Mailboxes = mbs[:2]
	e2, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	diffStore(t, store, mail, a, folders, window)
	var resyncs int
	store.DB().QueryRow(`SELECT COUNT(*) FROM sync_log WHERE event='resync' AND mailbox_id=?`, a).Scan(&resyncs)
	if resyncs != 1 {
		t.Fatalf("%d resyncs logged", resyncs)
	}

	// Revoked tokens: 401, a fresh token is refused too → reconnect needed, nothing lost.
	tn.srv.Identity().RevokeTokens(tn.appID)
	mustOK(t, mail.MarkRead(a, inbox[1].ImmutableID, !inbox[1].IsRead))
	e3, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	err = e3.Run(ctx)
	if !errors.Is(err, mailsync.ErrReconnectNeeded) {
		t.Fatalf("after revocation: %v", err)
	}
	for _, ms := range e3.Status().Mailboxes {
		if ms.State != mailsync.StateReconnectNeeded {
			t.Fatalf("mailbox %s state %s", ms.ID, ms.State)
		}
	}
	if s := err.Error(); len(s) > 0 {
		for _, app := range tn.info.Apps {
			if app.ClientSecret != "" && strings.Contains(s, app.ClientSecret) {
				t.Fatal("error leaks the client secret")
			}
		}
	}
	// Reconnecting (a new credential → new token) resumes from the stored delta links.
	tn2 := connect(t, tn.info, tn.srv.CACertPEM(), tn.srv)
	e4, _ := mailsync.NewEngine(store, tn2.source(), opts, nil)
	if err := e4.Run(ctx); err != nil {
		t.Fatal(err)
	}
	diffStore(t, store, mail, a, folders, window)
}

// writeJSON is a test helper for the child process' parameters.
func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// firstPage keeps the first inbox page of one mailbox.
type firstPage struct {
	mailsync.Source
	mailbox string
	mu      sync.Mutex
	page    []mailsync.Message
	done    bool
}

func (f *firstPage) DeltaPage(ctx context.Context, r mailsync.PageRequest) (mailsync.Page, error) {
	p, err := f.Source.DeltaPage(ctx, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && !f.done && r.Mailbox == f.mailbox && r.Folder == "inbox" && r.Link == "" {
		f.page, f.done = p.Messages, true
	}
	return p, err
}

func (f *firstPage) FolderTotal(ctx context.Context, mailbox, folder string, since time.Time) (int64, error) {
	return f.Source.(mailsync.FolderCounter).FolderTotal(ctx, mailbox, folder, since)
}
