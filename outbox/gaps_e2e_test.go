package outbox_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/outbox"
)

// The three exactly-once gaps found in review, each end to end against the practice
// tenant with the outgoing mode's exact permissions, counting what the recipient got.

func bothMode(t *testing.T) emulator.ModeApp {
	for _, m := range emulator.ModeApps() {
		if m.Name == emulator.AppBothSecret {
			return m
		}
	}
	t.Fatal("no mode app")
	return emulator.ModeApp{}
}

func enqueue(t *testing.T, tn *tenant, db, subject string) outbox.Message {
	t.Helper()
	ob, err := outbox.Open(context.Background(), db, outbox.Options{Policy: tn.policy()})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	m, err := ob.Enqueue(context.Background(), outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: subject, Text: "exactly once"})
	if err != nil || m.State != outbox.StateApproved {
		t.Fatalf("enqueue: %v %s", err, m.State)
	}
	return m
}

func draftsWith(tn *tenant, imid string) int {
	drafts, _ := tn.srv.Mail().Messages(tn.from, "drafts")
	n := 0
	for _, d := range drafts {
		if d.InternetMessageID == imid {
			n++
		}
	}
	return n
}

// lostCreate creates the draft on the first call but loses the answer (as a dropped
// connection would): the engine sees a transient error.
type lostCreate struct {
	outbox.Graph
	creates atomic.Int32
}

func (l *lostCreate) CreateDraft(ctx context.Context, d outbox.Draft) (outbox.Remote, error) {
	r, err := l.Graph.CreateDraft(ctx, d)
	if l.creates.Add(1) == 1 && err == nil {
		return outbox.Remote{}, errors.New("read tcp: connection reset by peer")
	}
	return r, err
}

// Gap 1: a retried draft creation must first look for the draft by its marker.
func TestGapRetriedDraftCreationLooksForTheDraftFirst(t *testing.T) {
	tn := newTenant(t).forMode(t, bothMode(t))
	db := filepath.Join(t.TempDir(), "outbox.db")
	m := enqueue(t, tn, db, "lost create answer")
	ob, err := outbox.Open(context.Background(), db, outbox.Options{Policy: tn.policy()})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	g := &lostCreate{Graph: tn.client(t)}
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: g, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	tn.srv.Mail().Wait()
	if n := tn.srv.Mail().DeliveryCount(m.InternetMessageID, tn.to); n != 1 {
		t.Errorf("recipient got %d copies", n)
	}
	if n := draftsWith(tn, m.InternetMessageID); n != 0 {
		t.Errorf("%d duplicate drafts left in Drafts (one of them may still be sent by hand)", n)
	}
	if n := g.creates.Load(); n != 1 {
		t.Errorf("%d drafts created for one message", n)
	}
}

// Gap 2: after a 202, Exchange may still show the draft as isDraft; a resumed run must
// not send it again.
func TestGapSendAfter202WhileDraftStillReadsIsDraft(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	tn := newTenant(t).forMode(t, bothMode(t))
	tn.srv.Mail().SetSubmissionDelay(time.Second)
	tok, err := tn.cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, tn.srv.CACertPEM(), 0o600)
	db := filepath.Join(t.TempDir(), "outbox.db")
	m := enqueue(t, tn, db, "killed after 202")
	exe, _ := os.Executable()
	run := func(killAt string) {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"=1", envDB+"="+db, envBase+"="+tn.srv.GraphBaseURL(), envCA+"="+caFile,
			envToken+"="+tok.Token, envKillAt+"="+killAt, envPolicy+"="+tn.from)
		var errb strings.Builder
		cmd.Stderr = &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if killAt != "" && (!errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL) {
			t.Fatalf("child was not killed at %s: %v %s", killAt, err, errb.String())
		} else if killAt == "" && err != nil {
			t.Fatalf("resumed child: %v %s", err, errb.String())
		}
	}
	run(outbox.StepSendAccepted)
	run("") // at once: the draft still reads isDraft
	tn.srv.Mail().Wait()
	run("") // after Exchange submitted it
	tn.srv.Mail().Wait()
	if n := tn.srv.Mail().DeliveryCount(m.InternetMessageID, tn.to); n != 1 {
		t.Errorf("recipient got %d copies", n)
	}
	ob, _ := outbox.Open(context.Background(), db, outbox.Options{})
	defer ob.Close()
	if got, _ := ob.Get(context.Background(), m.ID); got.State != outbox.StateSent {
		t.Errorf("state %s: %s", got.State, got.Reason)
	}
}

// twoEngines opens the same outbox twice (two processes' worth) with a short lease.
func twoEngines(t *testing.T, tn *tenant, db string, hookA, hookB func(string)) (a, b *outbox.Engine) {
	t.Helper()
	mk := func(owner string, hook func(string)) *outbox.Engine {
		ob, err := outbox.Open(context.Background(), db, outbox.Options{Policy: tn.policy()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ob.Close() })
		e, err := ob.NewEngine(outbox.EngineOptions{Graph: tn.client(t), LeaseTTL: 500 * time.Millisecond, Owner: owner, Hook: hook,
			Sleep: func(ctx context.Context, d time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	return mk("engine-a", hookA), mk("engine-b", hookB)
}

// runUntilNotBusy runs passes until one is not refused by the other engine's lease and
// returns how many were refused.
func runUntilNotBusy(t *testing.T, e *outbox.Engine, until time.Duration) (busy int) {
	deadline := time.Now().Add(until)
	for {
		_, err := e.RunOnce(context.Background())
		if errors.Is(err, outbox.ErrBusy) && time.Now().Before(deadline) {
			busy++
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil && !errors.Is(err, outbox.ErrBusy) {
			t.Errorf("pass: %v", err)
		}
		return busy
	}
}

// Gap 3a: a send slower than the lease; the lease must be renewed while it runs, so a
// second engine does not take over and send the same draft.
func TestGapLeaseRenewedDuringSlowSend(t *testing.T) {
	tn := newTenant(t).forMode(t, bothMode(t))
	mail := tn.srv.Mail()
	mail.SetSubmissionDelay(2 * time.Second)
	mail.InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, PathContains: "/send", Delay: 1500 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "outbox.db")
	m := enqueue(t, tn, db, "slow send")
	a, b := twoEngines(t, tn, db, nil, nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); runUntilNotBusy(t, a, 0) }()
	time.Sleep(700 * time.Millisecond) // A's send is in flight, longer than the lease
	if busy := runUntilNotBusy(t, b, 5*time.Second); busy == 0 {
		t.Error("the second engine took the lease while the first one's send was in flight")
	}
	wg.Wait()
	mail.Wait()
	if n := mail.DeliveryCount(m.InternetMessageID, tn.to); n != 1 {
		t.Errorf("recipient got %d copies", n)
	}
}

// Gap 3b: an engine that lost its lease while stopped (suspended between steps) must
// see that right before the send call and not send.
func TestGapLeaseCheckedRightBeforeSend(t *testing.T) {
	tn := newTenant(t).forMode(t, bothMode(t))
	mail := tn.srv.Mail()
	mail.SetSubmissionDelay(time.Second)
	db := filepath.Join(t.TempDir(), "outbox.db")
	m := enqueue(t, tn, db, "suspended engine")
	resumeA, aDone := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hookA := func(step string) {
		if step == outbox.StepSendingRecorded {
			<-resumeA // A is suspended here; its lease runs out
		}
	}
	hookB := func(step string) {
		if step == outbox.StepSendAccepted {
			once.Do(func() { close(resumeA) })
			select { // let A run to its send before B records anything
			case <-aDone:
			case <-time.After(5 * time.Second):
			}
		}
	}
	a, b := twoEngines(t, tn, db, hookA, hookB)
	go func() { defer close(aDone); runUntilNotBusy(t, a, 0) }()
	time.Sleep(600 * time.Millisecond)
	runUntilNotBusy(t, b, 5*time.Second)
	once.Do(func() { close(resumeA) })
	<-aDone
	mail.Wait()
	if n := mail.DeliveryCount(m.InternetMessageID, tn.to); n != 1 {
		t.Errorf("recipient got %d copies", n)
	}
}

// countingRT counts Graph requests by method and path shape.
type countingRT struct {
	rt http.RoundTripper
	mu sync.Mutex
	n  map[string]int
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	p := r.URL.Path
	for _, k := range []string{"/send", "/createReply", "/messages"} {
		if i := strings.LastIndex(p, k); i >= 0 {
			p = p[i:]
			break
		}
	}
	if strings.HasPrefix(p, "/messages/") {
		p = "/messages/{id}"
	}
	c.n[r.Method+" "+p+" "+r.URL.Query().Get("$filter")[:min(len(r.URL.Query().Get("$filter")), 14)]]++
	c.mu.Unlock()
	return c.rt.RoundTrip(r)
}

// The cost of the draft path per message, measured: requests in the pass that sends
// and in the pass that confirms (the figures in docs/ARCHITECTURE.md).
func TestMeasureRequestsPerMessage(t *testing.T) {
	tn := newTenant(t).forMode(t, bothMode(t))
	db := filepath.Join(t.TempDir(), "outbox.db")
	const msgs = 5
	for i := range msgs {
		enqueue(t, tn, db, "measure "+strconv.Itoa(i))
	}
	ct := &countingRT{rt: tn.srv.Client().Transport, n: map[string]int{}}
	c, err := graph.NewOutboxClient(graph.OutboxClientOptions{GraphBaseURL: tn.srv.GraphBaseURL(), HTTPClient: &http.Client{Transport: ct}, Credential: tn.cred})
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := outbox.Open(context.Background(), db, outbox.Options{Policy: tn.policy()})
	defer ob.Close()
	e, _ := ob.NewEngine(outbox.EngineOptions{Graph: connection.OutboxGraph(c)})
	total := func() int {
		ct.mu.Lock()
		defer ct.mu.Unlock()
		n := 0
		for _, v := range ct.n {
			n += v
		}
		return n
	}
	if res, err := e.RunOnce(context.Background()); err != nil || res.Sent != msgs {
		t.Fatalf("%+v %v", res, err)
	}
	sendPass := total()
	tn.srv.Mail().Wait()
	if _, err := e.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	confirmPass := total() - sendPass
	t.Logf("per message: %.1f requests to send, %.1f to confirm; by kind: %v", float64(sendPass)/msgs, float64(confirmPass)/msgs, ct.n)
	if sendPass != 4*msgs || confirmPass != 2*msgs {
		t.Errorf("draft path: %d send + %d confirm requests for %d messages; the documented figures are 4 + 2 per message", sendPass, confirmPass, msgs)
	}
}
