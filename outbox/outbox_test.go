package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCanTransition(t *testing.T) {
	for _, tc := range []struct {
		from, to State
		ok       bool
	}{
		{StateQueued, StateApproved, true},
		{StateQueued, StatePendingApproval, true},
		{StatePendingApproval, StateApproved, true},
		{StatePendingApproval, StateRejected, true},
		{StatePendingApproval, StateDrafting, false}, // unapproved never drafts
		{StateApproved, StateDrafting, true},
		{StateApproved, StateSending, false},
		{StateDrafting, StateDrafted, true},
		{StateDrafting, StateSending, false}, // no send without a recorded draft
		{StateDrafted, StateSending, true},
		{StateSending, StateSent, true},
		{StateSending, StateDrafting, false}, // once a send may have happened, never redraft
		{StateSending, StateRejected, false},
		{StateSent, StateFailed, true}, // bounce
		{StateSent, StateSending, false},
		{StateFailed, StateApproved, false},
		{StateRejected, StateApproved, false},
	} {
		if got := CanTransition(tc.from, tc.to); got != tc.ok {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
	for _, s := range States() {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
}

func TestPolicyCheck(t *testing.T) {
	base := Policy{AllowedSenders: []string{"Support@Contoso.com"}, InternalDomains: []string{"contoso.com", "@fabrikam.com"}}
	for _, tc := range []struct {
		name     string
		p        Policy
		from     string
		to       []string
		allowed  bool
		approval bool
		reason   string
	}{
		{"internal ok", base, "support@contoso.com", []string{"a@contoso.com"}, true, false, ""},
		{"second internal domain", base, "support@contoso.com", []string{"a@FABRIKAM.com"}, true, false, ""},
		{"sender not allowed", base, "ceo@contoso.com", []string{"a@contoso.com"}, false, false, "not in the outbox policy's allowed senders"},
		{"no senders configured", Policy{}, "support@contoso.com", []string{"a@contoso.com"}, false, false, "lists no allowed senders"},
		{"external refused", base, "support@contoso.com", []string{"a@contoso.com", "x@gmail.com"}, false, false, "x@gmail.com"},
		{"subdomain is external", base, "support@contoso.com", []string{"a@eu.contoso.com"}, false, false, "a@eu.contoso.com"},
		{"external allowed", Policy{AllowedSenders: base.AllowedSenders, AllowExternal: true}, "support@contoso.com", []string{"x@gmail.com"}, true, false, ""},
		{"default internal is sender's domain", Policy{AllowedSenders: base.AllowedSenders}, "support@contoso.com", []string{"b@contoso.com"}, true, false, ""},
		{"default internal refuses others", Policy{AllowedSenders: base.AllowedSenders}, "support@contoso.com", []string{"b@fabrikam.com"}, false, false, "external"},
		{"approval", Policy{AllowedSenders: base.AllowedSenders, RequireApproval: true}, "support@contoso.com", []string{"b@contoso.com"}, true, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.p.Check(tc.from, tc.to)
			if d.Allowed != tc.allowed || d.NeedsApproval != tc.approval || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("Check = %+v, want allowed=%v approval=%v reason~%q", d, tc.allowed, tc.approval, tc.reason)
			}
			if !d.Allowed && d.Reason == "" {
				t.Error("refusal without a reason")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt    int
		retryAfter time.Duration
		jitter     float64
		want       time.Duration
	}{
		{1, 0, 0, 500 * time.Millisecond},
		{1, 0, 0.999999, time.Second},
		{3, 0, 0, 2 * time.Second},
		{20, 0, 0, 30 * time.Second}, // capped at max/2..max
		{1, 5 * time.Second, 0, 5 * time.Second},
		{1, 5 * time.Second, 0.5, 5250 * time.Millisecond},
		{2, 100 * time.Second, 0, 100 * time.Second}, // Retry-After beyond max is honoured
	} {
		got := Backoff(tc.attempt, tc.retryAfter, time.Second, time.Minute, tc.jitter)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("Backoff(%d, %s, j=%v) = %s, want %s", tc.attempt, tc.retryAfter, tc.jitter, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind ErrorKind
		ra   time.Duration
	}{
		{&fakeErr{status: 429, code: "ApplicationThrottled", retry: 3 * time.Second}, KindThrottled, 3 * time.Second},
		{&fakeErr{status: 503, code: "serviceNotAvailable"}, KindThrottled, 0},
		{&fakeErr{status: 401, code: "InvalidAuthenticationToken"}, KindUnauthorized, 0},
		{&fakeErr{status: 403, code: "ErrorSendAsDenied"}, KindPermanent, 0},
		{&fakeErr{status: 403, code: "ErrorAccessDenied"}, KindPermanent, 0},
		{&fakeErr{status: 404, code: "ErrorInvalidUser"}, KindPermanent, 0},
		{&fakeErr{status: 404, code: "MailboxNotEnabledForRESTAPI"}, KindPermanent, 0},
		{&fakeErr{status: 404, code: "ErrorItemNotFound"}, KindNotFound, 0},
		{&fakeErr{status: 500, code: "InternalServerError"}, KindTransient, 0},
		{errors.New("connection reset"), KindTransient, 0},
		{context.Canceled, KindCanceled, 0},
	} {
		kind, ra, _ := Classify(tc.err)
		if kind != tc.kind || ra != tc.ra {
			t.Errorf("Classify(%v) = %v, %s; want %v, %s", tc.err, kind, ra, tc.kind, tc.ra)
		}
	}
}

var testPolicy = Policy{AllowedSenders: []string{"support@contoso.com"}, InternalDomains: []string{"contoso.com"}}

func openTest(t *testing.T, p Policy) *Outbox {
	t.Helper()
	o, err := Open(context.Background(), filepath.Join(t.TempDir(), "outbox.db"), Options{Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func TestEnqueueValidation(t *testing.T) {
	o := openTest(t, testPolicy)
	ok := NewMessage{From: "support@contoso.com", To: []string{"a@contoso.com"}, Subject: "s", Text: "t"}
	for _, tc := range []struct {
		name string
		edit func(*NewMessage)
		want string
	}{
		{"no from", func(n *NewMessage) { n.From = "" }, "from"},
		{"bad from", func(n *NewMessage) { n.From = "support" }, "from"},
		{"no to", func(n *NewMessage) { n.To = nil }, "'to'"},
		{"bad to", func(n *NewMessage) { n.To = []string{"a@"} }, "recipient"},
		{"both bodies", func(n *NewMessage) { n.HTML = "<p>x</p>" }, "not both"},
		{"no body", func(n *NewMessage) { n.Text = "" }, "no body"},
		{"no subject", func(n *NewMessage) { n.Subject = "" }, "no subject"},
		{"header injection", func(n *NewMessage) { n.Subject = "a\r\nBcc: x@y.z" }, "line break"},
	} {
		n := ok
		n.To = append([]string(nil), ok.To...)
		tc.edit(&n)
		_, err := o.Enqueue(context.Background(), n)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalid mentioning %q", tc.name, err, tc.want)
		}
	}
	if all, _ := o.List(context.Background()); len(all) != 0 {
		t.Errorf("invalid messages were stored: %d", len(all))
	}
	m, err := o.Enqueue(context.Background(), NewMessage{From: "Support <support@contoso.com>", To: []string{"A <a@contoso.com>"}, Subject: "s", HTML: "<p>x</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "support@contoso.com" || m.To[0] != "a@contoso.com" || m.BodyType != "html" || m.State != StateApproved {
		t.Errorf("stored %+v", m)
	}
	if !strings.HasPrefix(m.InternetMessageID, "<") || !strings.HasSuffix(m.InternetMessageID, "@contoso.com>") || len(m.InternetMessageID) != 50 {
		t.Errorf("internetMessageId %q, want <uuid@contoso.com>", m.InternetMessageID)
	}
}

func TestEnqueuePolicyAndKey(t *testing.T) {
	ctx := context.Background()
	o := openTest(t, testPolicy)
	ext, err := o.Enqueue(ctx, NewMessage{From: "support@contoso.com", To: []string{"x@gmail.com"}, Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if ext.State != StateRejected || !strings.Contains(ext.Reason, "x@gmail.com") {
		t.Errorf("external: %s %q", ext.State, ext.Reason)
	}
	h, _ := o.History(ctx, ext.ID)
	if len(h) != 2 || h[1].To != StateRejected || h[1].Detail == "" {
		t.Errorf("history %+v", h)
	}
	a, _ := o.Enqueue(ctx, NewMessage{Key: "k1", From: "support@contoso.com", To: []string{"a@contoso.com"}, Subject: "s", Text: "t"})
	b, _ := o.Enqueue(ctx, NewMessage{Key: "k1", From: "support@contoso.com", To: []string{"a@contoso.com"}, Subject: "s", Text: "t"})
	if a.ID == "" || a.ID != b.ID {
		t.Errorf("same key gave %s and %s", a.ID, b.ID)
	}
	if all, _ := o.List(ctx); len(all) != 2 {
		t.Errorf("stored %d messages, want 2", len(all))
	}
}

// recSleep records sleeps without waiting.
type recSleep struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recSleep) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.d = append(r.d, d)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type crash struct{ step string }

// rig is an outbox + fake Graph + engine factory that can "crash" at a step (the hook
// panics; the database keeps what was committed, the fake keeps what Graph did).
type rig struct {
	t   *testing.T
	o   *Outbox
	g   *fakeGraph
	clk *clock
	sl  *recSleep
}

func newRig(t *testing.T, p Policy) *rig {
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	o, err := Open(context.Background(), filepath.Join(t.TempDir(), "outbox.db"), Options{Policy: p, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return &rig{t: t, o: o, g: newFakeGraph(), clk: clk, sl: &recSleep{}}
}

func (r *rig) run(crashAt string) (res PassResult, err error, crashed bool) {
	e, err := r.o.NewEngine(EngineOptions{Graph: r.g, Sleep: r.sl.sleep, Jitter: func() float64 { return 0.5 }, Owner: "test",
		Hook: func(s string) {
			if s == crashAt {
				panic(crash{s})
			}
		}})
	if err != nil {
		r.t.Fatal(err)
	}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(crash); !ok {
				panic(v)
			}
			crashed = true
		}
	}()
	res, err = e.RunOnce(context.Background())
	return res, err, false
}

func (r *rig) enqueue() Message {
	m, err := r.o.Enqueue(context.Background(), NewMessage{From: "support@contoso.com", To: []string{"a@contoso.com"}, Subject: "hello", Text: "body"})
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *rig) get(id string) Message {
	m, err := r.o.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func TestCrashAtEveryStepSendsOnce(t *testing.T) {
	for _, step := range Steps() {
		t.Run(step, func(t *testing.T) {
			r := newRig(t, testPolicy)
			m := r.enqueue()
			if _, _, crashed := r.run(step); !crashed {
				t.Fatalf("did not reach %s", step)
			}
			if _, err, crashed := r.run(""); err != nil || crashed {
				t.Fatalf("resume: %v", err)
			}
			got := r.get(m.ID)
			if step == StepSendRequested && got.State == StateSending {
				// Crashed between recording the request and the call: not sent at once
				// (a 202 may have been given), only after UnconfirmedAfter.
				if n := r.g.sendCount(m.InternetMessageID); n != 0 {
					t.Fatalf("sent %d times before the wait", n)
				}
				r.clk.add(16 * time.Minute)
				if _, err, _ := r.run(""); err != nil {
					t.Fatal(err)
				}
				got = r.get(m.ID)
			}
			if got.State != StateSent {
				t.Fatalf("state %s (%s %s)", got.State, got.Reason, got.ErrorMessage)
			}
			if n := r.g.sendCount(m.InternetMessageID); n != 1 {
				t.Errorf("sent %d times", n)
			}
			drafts := 0
			for _, c := range r.g.calls {
				if c == "CreateDraft" {
					drafts++
				}
			}
			if drafts != 1 {
				t.Errorf("created %d drafts", drafts)
			}
		})
	}
}

func TestApprovalGate(t *testing.T) {
	ctx := context.Background()
	p := testPolicy
	p.RequireApproval = true
	r := newRig(t, p)
	a, b := r.enqueue(), r.enqueue()
	if a.State != StatePendingApproval {
		t.Fatalf("state %s", a.State)
	}
	r.run("")
	if len(r.g.calls) != 0 {
		t.Fatalf("unapproved messages reached Graph: %v", r.g.calls)
	}
	if err := r.o.Approve(ctx, a.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := r.o.Reject(ctx, b.ID, "wrong customer"); err != nil {
		t.Fatal(err)
	}
	res, err, _ := r.run("")
	if err != nil || res.Sent != 1 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if r.g.sendCount(a.InternetMessageID) != 1 || r.g.sendCount(b.InternetMessageID) != 0 {
		t.Error("wrong sends")
	}
	if got := r.get(a.ID); got.ApprovedBy != "alice" {
		t.Errorf("approved by %q", got.ApprovedBy)
	}
	if got := r.get(b.ID); got.State != StateRejected || got.Reason != "wrong customer" {
		t.Errorf("rejected: %s %q", got.State, got.Reason)
	}
	var te *TransitionError
	if err := r.o.Reject(ctx, a.ID, "too late"); !errors.As(err, &te) || te.Have != StateSent {
		t.Errorf("reject after send: %v", err)
	}
	if err := r.o.Approve(ctx, "nope", "x"); !errors.As(err, &te) || !te.NotFound {
		t.Errorf("approve unknown: %v", err)
	}
}

func TestPolicyChangedBeforeSend(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.o.SetPolicy(Policy{})
	r.run("")
	got := r.get(m.ID)
	if got.State != StateRejected || !strings.Contains(got.Reason, "policy changed") || len(r.g.calls) != 0 {
		t.Errorf("%s %q calls %v", got.State, got.Reason, r.g.calls)
	}
}

func TestThrottledThenSent(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	thr := &fakeErr{status: http.StatusTooManyRequests, code: "ApplicationThrottled", retry: 7 * time.Second}
	r.g.fail("CreateDraft", thr, thr)
	r.g.fail("SendDraft", &fakeErr{status: 503, code: "serviceNotAvailable", retry: 2 * time.Second})
	res, err, _ := r.run("")
	if err != nil || res.Sent != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if r.g.sendCount(m.InternetMessageID) != 1 {
		t.Error("not sent exactly once")
	}
	if len(r.sl.d) != 3 || r.sl.d[0] < 7*time.Second || r.sl.d[1] < 7*time.Second || r.sl.d[2] < 2*time.Second {
		t.Errorf("sleeps %v, want 3 honouring Retry-After", r.sl.d)
	}
}

func TestThrottledBeyondAttemptsWaits(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	for range 5 {
		r.g.fail("CreateDraft", &fakeErr{status: 429, code: "ApplicationThrottled", retry: time.Second})
	}
	res, err, _ := r.run("")
	if err != nil || res.Waiting != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	got := r.get(m.ID)
	if got.State != StateDrafting || got.ErrorCode != "ApplicationThrottled" || got.Attempts != 1 {
		t.Errorf("%+v", got)
	}
	r.run("")
	if got := r.get(m.ID); got.State != StateSent || r.g.sendCount(m.InternetMessageID) != 1 {
		t.Errorf("second pass: %s", got.State)
	}
}

func TestPermanentFailuresRecorded(t *testing.T) {
	for _, tc := range []struct {
		method string
		err    *fakeErr
	}{
		{"SendDraft", &fakeErr{status: 403, code: "ErrorSendAsDenied"}},
		{"CreateDraft", &fakeErr{status: 403, code: "ErrorAccessDenied"}},
		{"Find:drafts", &fakeErr{status: 404, code: "ErrorInvalidUser"}},
		{"CreateDraft", &fakeErr{status: 404, code: "MailboxNotEnabledForRESTAPI"}},
	} {
		t.Run(tc.err.code, func(t *testing.T) {
			r := newRig(t, testPolicy)
			m := r.enqueue()
			r.g.fail(tc.method, tc.err)
			res, err, _ := r.run("")
			if err != nil || res.Failed != 1 {
				t.Fatalf("%+v %v", res, err)
			}
			got := r.get(m.ID)
			if got.State != StateFailed || got.ErrorCode != tc.err.code || !strings.Contains(got.Reason, tc.err.code) || got.ErrorMessage == "" {
				t.Errorf("%+v", got)
			}
			if r.g.sendCount(m.InternetMessageID) != 0 {
				t.Error("sent anyway")
			}
		})
	}
}

func TestUnauthorizedStopsPass(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.g.fail("Find:drafts", &fakeErr{status: 401, code: "InvalidAuthenticationToken"})
	if _, err, _ := r.run(""); err == nil {
		t.Fatal("no error")
	}
	if got := r.get(m.ID); got.State != StateDrafting || got.ErrorCode != "InvalidAuthenticationToken" {
		t.Errorf("%+v", got)
	}
}

func TestAmbiguousSendNotRepeated(t *testing.T) {
	r := newRig(t, testPolicy)
	r.g.sendAcceptedButLost = true
	m := r.enqueue()
	r.run("")
	if got := r.get(m.ID); got.State != StateSent || !got.SentConfirmed {
		t.Errorf("state %s confirmed %v", got.State, got.SentConfirmed)
	}
	if n := r.g.sendCount(m.InternetMessageID); n != 1 {
		t.Errorf("sent %d times", n)
	}
}

func TestVanishedDraftNeverResent(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.run(StepSendingRecorded)
	r.g.delete(r.get(m.ID).DraftID)
	r.run("")
	if got := r.get(m.ID); got.State != StateSending || got.ErrorMessage == "" {
		t.Fatalf("%+v", got)
	}
	r.clk.add(16 * time.Minute)
	r.run("")
	got := r.get(m.ID)
	if got.State != StateFailed || !strings.Contains(got.Reason, "not sending again") {
		t.Errorf("%s %q", got.State, got.Reason)
	}
	if r.g.sendCount(m.InternetMessageID) != 0 {
		t.Error("resent")
	}
}

func TestDraftVanishedBeforeSendIsRecreated(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.run(StepDraftedRecorded)
	r.g.delete(r.get(m.ID).DraftID)
	r.run("")
	// sending finds neither draft nor sent copy: it waits; it never recreates after
	// "sending" was recorded. Before that (drafted), the engine has not asked to send.
	if got := r.get(m.ID); got.State != StateSending || r.g.sendCount(m.InternetMessageID) != 0 {
		t.Errorf("state %s", got.State)
	}
}

func TestBounceFailsSentMessage(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.run("")
	r.g.bounce(m.InternetMessageID)
	res, _, _ := r.run("")
	got := r.get(m.ID)
	if res.Failed != 1 || got.State != StateFailed || got.ErrorCode != "NonDeliveryReport" || !strings.Contains(got.Reason, "5.1.10") {
		t.Errorf("%+v %+v", res, got)
	}
	// Outside the bounce window, sent messages are no longer looked at.
	m2 := r.enqueue()
	r.run("")
	r.clk.add(16 * time.Minute)
	r.run("")
	calls := len(r.g.calls)
	r.run("")
	if len(r.g.calls) != calls || r.get(m2.ID).State != StateSent {
		t.Errorf("sent message still polled after the window")
	}
}

func TestLeaseExcludesSecondEngine(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, testPolicy)
	e1, _ := r.o.NewEngine(EngineOptions{Graph: r.g, Owner: "one", LeaseTTL: time.Minute})
	e2, _ := r.o.NewEngine(EngineOptions{Graph: r.g, Owner: "two", LeaseTTL: time.Minute})
	if _, err := e1.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.RunOnce(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("second engine: %v", err)
	}
	r.clk.add(2 * time.Minute)
	if _, err := e2.RunOnce(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if err := e2.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e1.RunOnce(ctx); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestDropFolder(t *testing.T) {
	ctx := context.Background()
	o := openTest(t, testPolicy)
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("good.json", `{"from":"support@contoso.com","to":["a@contoso.com"],"subject":"hi","text":"x"}`)
	write("broken.json", `{"from":`)
	// Cut off and unchanged for a while: taken and rejected (a fresh one waits, see
	// TestDropFolderTakesOnlyCompleteFiles).
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(dir, "broken.json"), old, old)
	write("unknown.json", `{"from":"support@contoso.com","to":["a@contoso.com"],"subject":"hi","text":"x","bcc":["y@z.com"]}`)
	write("external.json", `{"from":"support@contoso.com","to":["a@gmail.com"],"subject":"hi","text":"x"}`)
	write("invalid.json", `{"from":"support@contoso.com","to":[],"subject":"hi","text":"x"}`)
	write(".inflight.json", `{`)
	write("notes.txt", `ignored`)
	// A crash left a claimed file in processing/ whose message was already enqueued.
	os.MkdirAll(filepath.Join(dir, "processing"), 0o700)
	crashed := `{"from":"support@contoso.com","to":["b@contoso.com"],"subject":"again","text":"x"}`
	os.WriteFile(filepath.Join(dir, "processing", "crashed.json"), []byte(crashed), 0o600)
	sum := sha256.Sum256([]byte(crashed))
	var pre NewMessage
	json.Unmarshal([]byte(crashed), &pre)
	pre.Key = "file:crashed.json:" + hex.EncodeToString(sum[:12])
	if _, err := o.Enqueue(ctx, pre); err != nil { // enqueued before the crash
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "crashed.json"), []byte(crashed), 0o600) // the same file dropped again: a new message
	if _, err := o.ScanDropFolder(ctx, filepath.Join(t.TempDir(), "other")); err != nil {
		t.Fatal(err)
	}
	res, err := o.ScanDropFolder(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Rejected != 4 {
		t.Errorf("result %+v", res)
	}
	for _, name := range []string{"broken.json", "unknown.json", "external.json", "invalid.json"} {
		reason, err := os.ReadFile(filepath.Join(dir, "rejected", name+".reason.txt"))
		if err != nil || len(strings.TrimSpace(string(reason))) == 0 {
			t.Errorf("%s: no reason: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "rejected", name)); err != nil {
			t.Errorf("%s not kept: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rejected", "external.json.reason.txt")); !strings.Contains(string(b), "a@gmail.com") {
		t.Errorf("external reason %q", b)
	}
	for _, name := range []string{"good.json", "crashed.json", "crashed-2.json"} {
		if _, err := os.Stat(filepath.Join(dir, "accepted", name)); err != nil {
			t.Errorf("%s not accepted: %v", name, err)
		}
	}
	for _, name := range []string{".inflight.json", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was touched: %v", name, err)
		}
	}
	all, _ := o.List(ctx)
	// good, crashed (once: its key was already used), crashed-2 (a second drop), external
	// (rejected, on record)
	again := 0
	for _, m := range all {
		if m.Subject == "again" {
			again++
		}
	}
	if len(all) != 4 || again != 2 {
		t.Errorf("stored %d messages (%d 'again'), want 4 (2)", len(all), again)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "processing"))
	if len(ents) != 0 {
		t.Errorf("processing/ not empty: %d", len(ents))
	}
}

func TestSchemaReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := Open(ctx, path, Options{Policy: testPolicy})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := o.Enqueue(ctx, NewMessage{From: "support@contoso.com", To: []string{"a@contoso.com"}, Subject: "s", Text: "t"})
	o.Close()
	o2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	var v int
	o2.db.QueryRow("SELECT MAX(version) FROM schema_migrations").Scan(&v)
	if v != SchemaVersion() {
		t.Errorf("version %d", v)
	}
	if got, err := o2.Get(ctx, m.ID); err != nil || got.InternetMessageID != m.InternetMessageID {
		t.Errorf("reopen: %v", err)
	}
	var mode string
	o2.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %s", mode)
	}
}

// A send whose answer never came (reset, timeout) may have been accepted: the draft is
// not sent again while Exchange may still be submitting it, and only once it has sat
// unsent in Drafts for UnconfirmedAfter.
func TestSendWithoutAnswerIsNotRepeatedAtOnce(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	r.g.fail("SendDraft", errors.New("read tcp: connection reset by peer"))
	r.run("")
	got := r.get(m.ID)
	if got.State != StateSending || got.SendRequestedAt.IsZero() || r.g.sendCount(m.InternetMessageID) != 0 {
		t.Fatalf("after a send without answer: %s requested=%v sends=%d", got.State, got.SendRequestedAt, r.g.sendCount(m.InternetMessageID))
	}
	sendCalls := func() int {
		n := 0
		for _, c := range r.g.calls {
			if strings.HasPrefix(c, "SendDraft") {
				n++
			}
		}
		return n
	}
	before := sendCalls()
	r.run("")
	if sendCalls() != before {
		t.Fatal("sent again while the first send may still be submitted")
	}
	r.clk.add(16 * time.Minute)
	r.run("")
	if got := r.get(m.ID); got.State != StateSent || r.g.sendCount(m.InternetMessageID) != 1 {
		t.Fatalf("after the wait: %s sends=%d", got.State, r.g.sendCount(m.InternetMessageID))
	}
}

// An engine stopped between steps past its lease (suspended) while another engine took
// the lease must not call send when it wakes: the lease is checked, together with the
// send request record, right before the call.
func TestLeaseCheckedRightBeforeSend(t *testing.T) {
	r := newRig(t, testPolicy)
	m := r.enqueue()
	e, err := r.o.NewEngine(EngineOptions{Graph: r.g, Sleep: r.sl.sleep, Owner: "suspended", Hook: func(s string) {
		if s == StepSendingRecorded {
			r.clk.add(2 * time.Minute) // suspended past the 60 s lease
			if ok, err := r.o.acquireLease(context.Background(), "sender", "other", time.Minute); err != nil || !ok {
				t.Fatalf("the other engine could not take the expired lease: %v", err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunOnce(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("pass after losing the lease: %v", err)
	}
	if n := r.g.sendCount(m.InternetMessageID); n != 0 {
		t.Fatalf("sent %d times without the lease", n)
	}
	if got := r.get(m.ID); got.State != StateSending || !got.SendRequestedAt.IsZero() {
		t.Fatalf("state %s, send requested %v", got.State, got.SendRequestedAt)
	}
}
