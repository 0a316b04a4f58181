package outbox_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/outbox"
)

// staticToken is a TokenCredential holding one access token (for the child process).
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Child-process environment for the kill test.
const (
	envChild  = "OUTBOX_E2E_CHILD"
	envDB     = "OUTBOX_E2E_DB"
	envBase   = "OUTBOX_E2E_GRAPH"
	envCA     = "OUTBOX_E2E_CA"
	envToken  = "OUTBOX_E2E_TOKEN"
	envKillAt = "OUTBOX_E2E_KILL_AT"
	envPolicy = "OUTBOX_E2E_SENDER"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// childUnconfirmed is the child's UnconfirmedAfter: a draft still unsent this long
// after a recorded send request (a kill between the record and the call) is sent.
const childUnconfirmed = time.Second

// child runs one engine pass against the emulator and SIGKILLs itself at envKillAt.
func child() int {
	ctx := context.Background()
	pem, err := os.ReadFile(os.Getenv(envCA))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, err := graph.NewOutboxClient(graph.OutboxClientOptions{GraphBaseURL: os.Getenv(envBase), HTTPClient: hc, Credential: staticToken(os.Getenv(envToken))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ob, err := outbox.Open(ctx, os.Getenv(envDB), outbox.Options{Policy: outbox.Policy{AllowedSenders: []string{os.Getenv(envPolicy)}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	killAt := os.Getenv(envKillAt)
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: connection.OutboxGraph(c), LeaseTTL: 300 * time.Millisecond, UnconfirmedAfter: childUnconfirmed,
		Hook: func(step string) {
			if step == killAt {
				// Die at once, no deferred cleanup: SIGKILL on Unix, TerminateProcess on Windows.
				if self, err := os.FindProcess(os.Getpid()); err == nil {
					self.Kill()
				}
				select {}
			}
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	for {
		_, err := e.RunOnce(ctx)
		if errors.Is(err, outbox.ErrBusy) { // the killed run's lease: wait for it to expire
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 4
		}
		return 0
	}
}

type tenant struct {
	srv      *emulator.Server
	cred     azcore.TokenCredential
	from, to string
	domain   string
}

func newTenant(t *testing.T) *tenant {
	t.Helper()
	srv, err := emulator.New(emulator.Options{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 3, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	id := srv.Identity()
	app := id.App(emulator.AppSecretName)
	cred, err := azidentity.NewClientSecretCredential(id.TenantID(), app.ClientID, app.ClientSecret(), &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
			Transport: srv.Client(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var users []graphmail.Mailbox
	for _, mb := range srv.Mail().Mailboxes() {
		if mb.Kind == graphmail.KindUser {
			users = append(users, mb)
		}
	}
	return &tenant{srv: srv, cred: cred, from: users[0].Address, to: users[1].Address, domain: id.TenantDomain()}
}

func (tn *tenant) client(t *testing.T) outbox.Graph {
	c, err := graph.NewOutboxClient(graph.OutboxClientOptions{GraphBaseURL: tn.srv.GraphBaseURL(), HTTPClient: tn.srv.Client(), Credential: tn.cred})
	if err != nil {
		t.Fatal(err)
	}
	return connection.OutboxGraph(c)
}

func (tn *tenant) sends(imid string) int {
	n := 0
	for _, r := range tn.srv.Mail().Sent() {
		if r.InternetMessageID == imid {
			n++
		}
	}
	return n
}

func (tn *tenant) policy() outbox.Policy {
	return outbox.Policy{AllowedSenders: []string{tn.from}}
}

// forMode returns the tenant as seen by a per-mode practice app: its credential (client
// secret, or a delegated sign-in of the first user asking for exactly the mode's
// permissions), and the mailbox it sends from (the user's own, or the shared one the
// user has Full Access and Send As on).
func (tn *tenant) forMode(t *testing.T, m emulator.ModeApp) *tenant {
	t.Helper()
	id := tn.srv.Identity()
	app := id.App(m.Name)
	cl, err := graph.PracticeCloud(tn.srv.AuthorityHost(), tn.srv.BrowserAuthorityHost(), tn.srv.GraphBaseURL(), tn.srv.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	out := *tn
	if !m.Delegated {
		if out.cred, err = graph.NewSecretCredential(cl, id.TenantID(), app.ClientID, app.ClientSecret()); err != nil {
			t.Fatal(err)
		}
		return &out
	}
	id.SetAutoSignIn(tn.from)
	f := graph.Features{Read: m.Incoming, Send: m.Outgoing, ListUsers: true, Shared: m.Shared}
	out.cred, err = graph.SignIn(context.Background(), graph.SignInOptions{Cloud: cl, TenantID: id.TenantID(), ClientID: app.ClientID,
		Permissions: graph.RequestedPermissions(graph.ModeDelegated, f), Timeout: 20 * time.Second,
		OpenBrowser: func(u string) error {
			if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u); err == nil {
				resp.Body.Close()
			}
			return nil
		}})
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if m.Shared {
		for _, mb := range tn.srv.Mail().Mailboxes() {
			if mb.Kind == graphmail.KindShared {
				out.from = mb.Address
			}
		}
	}
	return &out
}

// Every outgoing mode, with exactly its practice app's permissions, sends each message
// exactly once through a kill at every step and a resume.
func TestKillAtEveryStepDeliversExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	base := newTenant(t)
	for _, mode := range emulator.ModeApps() {
		if !mode.Outgoing {
			continue
		}
		t.Run(mode.Name, func(t *testing.T) { killAtEveryStep(t, base.forMode(t, mode)) })
	}
}

func killAtEveryStep(t *testing.T, tn *tenant) {
	tok, err := tn.cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, tn.srv.CACertPEM(), 0o600)
	exe, _ := os.Executable()
	for _, step := range outbox.Steps() {
		t.Run(step, func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "outbox.db")
			ob, err := outbox.Open(ctx, db, outbox.Options{Policy: tn.policy()})
			if err != nil {
				t.Fatal(err)
			}
			m, err := ob.Enqueue(ctx, outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: "kill at " + step, Text: "exactly once"})
			ob.Close()
			if err != nil || m.State != outbox.StateApproved {
				t.Fatalf("enqueue: %v %s", err, m.State)
			}
			run := func(killAt string) *exec.Cmd {
				cmd := exec.Command(exe, "-test.run=^$")
				cmd.Env = append(os.Environ(), envChild+"=1", envDB+"="+db, envBase+"="+tn.srv.GraphBaseURL(), envCA+"="+caFile,
					envToken+"="+tok.Token, envKillAt+"="+killAt, envPolicy+"="+tn.from)
				var errb strings.Builder
				cmd.Stderr = &errb
				err := cmd.Run()
				if killAt != "" {
					var ee *exec.ExitError
					if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
						t.Fatalf("child was not killed at %s: %v %s", killAt, err, errb.String())
					}
				} else if err != nil {
					t.Fatalf("resumed child: %v %s", err, errb.String())
				}
				return cmd
			}
			run(step)
			run("")
			ob, err = outbox.Open(ctx, db, outbox.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer ob.Close()
			got, _ := ob.Get(ctx, m.ID)
			if step == outbox.StepSendRequested && got.State == outbox.StateSending {
				// Killed between recording the request and the call: the resumed run does
				// not send at once (a 202 may have been given), only after the wait.
				if n := tn.srv.Mail().DeliveryCount(m.InternetMessageID, tn.to); n != 0 {
					t.Fatalf("recipient got %d copies before the wait", n)
				}
				time.Sleep(childUnconfirmed + 100*time.Millisecond)
				run("")
				got, _ = ob.Get(ctx, m.ID)
			}
			if got.State != outbox.StateSent {
				t.Errorf("state %s: %s %s", got.State, got.Reason, got.ErrorMessage)
			}
			if n := tn.srv.Mail().DeliveryCount(m.InternetMessageID, tn.to); n != 1 {
				t.Errorf("recipient got %d copies", n)
			}
			if n := tn.sends(m.InternetMessageID); n != 1 {
				t.Errorf("%d sends recorded", n)
			}
			drafts, _ := tn.srv.Mail().Messages(tn.from, "drafts")
			for _, d := range drafts {
				if d.InternetMessageID == m.InternetMessageID {
					t.Errorf("a draft with our id is left in Drafts")
				}
			}
		})
	}
}

// recSleep records backoff waits without sleeping.
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

func TestEndToEndPolicyApprovalAndFailures(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	p := tn.policy()
	p.RequireApproval = true
	ob, err := outbox.Open(ctx, filepath.Join(t.TempDir(), "outbox.db"), outbox.Options{Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	sl := &recSleep{}
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: tn.client(t), Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	enq := func(n outbox.NewMessage) outbox.Message {
		m, err := ob.Enqueue(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	approved := enq(outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: "approved", HTML: "<p>hi</p>"})
	unapproved := enq(outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: "never approved", Text: "x"})
	external := enq(outbox.NewMessage{From: tn.from, To: []string{"someone@example.org"}, Subject: "external", Text: "x"})
	wrongSender := enq(outbox.NewMessage{From: tn.to, To: []string{tn.from}, Subject: "sender", Text: "x"})
	bounce := enq(outbox.NewMessage{From: tn.from, To: []string{"nobody@" + tn.domain}, Subject: "bounce", Text: "x"})
	denied := enq(outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: "denied", Text: "x"})
	for _, m := range []outbox.Message{approved, bounce, denied} {
		if err := ob.Approve(ctx, m.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	// Throttle the first two send calls, deny drafts for one message's create (by path
	// we cannot target one message, so deny happens in a second pass below).
	tn.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultThrottle, PathContains: "/send", Count: 2, RetryAfter: 3 * time.Second})
	if err := ob.Reject(ctx, denied.ID, "held back for the next pass"); err != nil {
		t.Fatal(err)
	}
	res, err := e.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 {
		t.Errorf("pass: %+v", res)
	}
	if tn.srv.Mail().DeliveryCount(approved.InternetMessageID, tn.to) != 1 || tn.sends(approved.InternetMessageID) != 1 {
		t.Error("approved message not delivered exactly once")
	}
	if len(sl.d) != 2 || sl.d[0] < 3*time.Second || sl.d[1] < 3*time.Second {
		t.Errorf("throttling waits %v, want 2 honouring Retry-After 3s", sl.d)
	}
	for _, m := range []outbox.Message{unapproved, external, wrongSender} {
		if n := tn.sends(m.InternetMessageID); n != 0 {
			t.Errorf("%s left the outbox", m.Subject)
		}
	}
	for _, m := range []outbox.Message{external, wrongSender} {
		if got, _ := ob.Get(ctx, m.ID); got.State != outbox.StateRejected || got.Reason == "" {
			t.Errorf("%s: %s %q", m.Subject, got.State, got.Reason)
		}
	}
	// The bounce comes back as an NDR in the sender's Inbox; the next pass fails it.
	if _, err := e.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := ob.Get(ctx, bounce.ID)
	if got.State != outbox.StateFailed || got.ErrorCode != "NonDeliveryReport" || !strings.Contains(got.Reason, "Undeliverable") {
		t.Errorf("bounce: %s %q", got.State, got.Reason)
	}
	if got, _ := ob.Get(ctx, approved.ID); got.State != outbox.StateSent || !got.SentConfirmed {
		t.Errorf("approved: %s confirmed=%v", got.State, got.SentConfirmed)
	}

	// Permanent Graph errors end the message as failed with Graph's code on record.
	for _, tc := range []struct {
		kind graphmail.FaultKind
		code string
	}{
		{graphmail.FaultAccessDenied, "ErrorAccessDenied"},
		{graphmail.FaultMailboxNotFound, "ErrorInvalidUser"},
		{graphmail.FaultRESTDisabled, "MailboxNotEnabledForRESTAPI"},
	} {
		m := enq(outbox.NewMessage{From: tn.from, To: []string{tn.to}, Subject: string(tc.kind), Text: "x"})
		ob.Approve(ctx, m.ID, "test")
		// Target the draft lookup: sent messages still watched for bounces call Graph too.
		tn.srv.Mail().InjectFault(graphmail.Fault{Kind: tc.kind, Mailbox: tn.from, PathContains: "/mailFolders/drafts/", Count: 1})
		if _, err := e.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := ob.Get(ctx, m.ID)
		if got.State != outbox.StateFailed || got.ErrorCode != tc.code || got.Reason == "" {
			t.Errorf("%s: %s code=%q reason=%q", tc.kind, got.State, got.ErrorCode, got.Reason)
		}
		if tn.sends(m.InternetMessageID) != 0 {
			t.Errorf("%s: sent anyway", tc.kind)
		}
	}
	// Every message not sent has a reason on record.
	all, _ := ob.List(ctx)
	for _, m := range all {
		if (m.State == outbox.StateFailed || m.State == outbox.StateRejected) && m.Reason == "" {
			t.Errorf("%s %s without reason", m.Subject, m.State)
		}
	}
}
