package connection_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// secrets answers the client secret and counts the questions.
type secrets struct {
	secret string
	asked  atomic.Int32
}

func (s *secrets) Get(key string) (string, error) {
	s.asked.Add(1)
	if strings.HasSuffix(key, "/"+wizard.SecretClientSecret) {
		return s.secret, nil
	}
	return "", errors.New("no such secret")
}

// practice starts a practice tenant and returns a saved config for its secret app that
// sends from its user mailboxes, and the app's secret.
func practice(t *testing.T) (*emulator.Server, *wizard.Config, string) {
	t.Helper()
	srv, err := emulator.New(emulator.Options{Users: 2, SharedMailboxes: 1, MessagesPerMailbox: 15, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.WriteInfo(filepath.Join(t.TempDir(), "sandbox.json")); err != nil {
		t.Fatal(err)
	}
	inf := srv.Info()
	features := wizard.Features{Read: true, Send: true}
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: "test", SavedAt: time.Now().UTC(),
		Cloud: wizard.CloudPractice, TenantID: inf.TenantID, AccessMode: wizard.ModeSecret, Features: features,
		Permissions: graph.RequestedPermissions(graph.ModeSecret, connection.GraphFeatures(features)),
		Practice: &wizard.PracticeHosts{AuthorityHost: inf.AuthorityHost, BrowserAuthorityHost: inf.BrowserAuthorityHost,
			GraphBaseURL: inf.GraphBaseURL, CACertFile: inf.CACertFile},
		Outbox: &wizard.OutboxSettings{Policy: wizard.OutboxPolicy{InternalDomains: []string{inf.TenantDomain}, RequireApproval: true}}}
	var secret string
	for _, a := range inf.Apps {
		if a.Name == emulator.AppSecretName {
			c.ClientID, secret = a.ClientID, a.ClientSecret
		}
	}
	for _, m := range inf.Mailboxes {
		if m.Kind == wizard.KindUser {
			c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: m.Address, ID: m.ID, DisplayName: m.DisplayName, Kind: m.Kind})
			c.Outbox.Policy.AllowedSenders = append(c.Outbox.Policy.AllowedSenders, m.Address)
		}
	}
	return srv, c, secret
}

// TestRunSyncsAndSends: one run in once mode syncs every folder, sends the approved
// message (once) and not the one still waiting for approval, and reports in order:
// started first, folder news, the sender's news, snapshots no more often than Refresh.
func TestRunSyncsAndSends(t *testing.T) {
	srv, c, secret := practice(t)
	dir := t.TempDir()
	ctx := context.Background()
	db, _ := connection.OutboxFiles(c, dir)
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: connection.OutboxPolicy(c)})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	from, to := c.Mailboxes[0].Address, c.Mailboxes[1].Address
	approved, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: "Approved", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Approve(ctx, approved.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waiting, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: "Waiting", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}

	opts := connection.SyncOptions(c, dir)
	opts.Once = true
	var mu sync.Mutex
	var events []connection.Event
	started := time.Now()
	res, err := connection.Run(ctx, connection.RunOptions{Config: c, Secrets: &secrets{secret: secret}, Sync: opts, DataDir: dir,
		Refresh: 100 * time.Millisecond,
		OnEvent: func(ev connection.Event) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		}})
	took := time.Since(started)
	if err != nil {
		t.Fatal(err)
	}
	if res.StorePath != opts.StorePath || len(res.Status.Mailboxes) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, mb := range res.Status.Mailboxes {
		if mb.State != mailsync.StateDone {
			t.Errorf("%s: %s %s", mb.Address, mb.State, mb.LastError)
		}
	}
	srv.Mail().Wait()
	if m, _ := ob.Get(ctx, approved.ID); m.State != outbox.StateSent {
		t.Errorf("approved message: %s", m.State)
	}
	if m, _ := ob.Get(ctx, waiting.ID); m.State != outbox.StatePendingApproval {
		t.Errorf("waiting message: %s", m.State)
	}
	if n := srv.Mail().DeliveryCount(approved.InternetMessageID, to); n != 1 {
		t.Errorf("delivered %d times", n)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || events[0].Kind != connection.EventStarted || events[0].StorePath != opts.StorePath {
		t.Fatalf("first event %+v", events[0])
	}
	count := map[connection.EventKind]int{}
	sentNews := false
	for _, ev := range events {
		count[ev.Kind]++
		if ev.Kind == connection.EventSending && strings.Contains(ev.Text, "1 sent") {
			sentNews = true
		}
	}
	if count[connection.EventFolder] == 0 || !sentNews {
		t.Errorf("events %v, sender news %v", count, sentNews)
	}
	if most := int(took/(100*time.Millisecond)) + 1; count[connection.EventStatus] > most {
		t.Errorf("%d snapshots in %s, want at most %d", count[connection.EventStatus], took, most)
	}
}

// TestRunFailsBeforeSignIn: a store held by another sync fails at once, before any
// secret is read; a wrong secret is a *ConnectError whose advice names the secret.
func TestRunFailsBeforeSignIn(t *testing.T) {
	_, c, secret := practice(t)
	dir := t.TempDir()
	ctx := context.Background()
	opts := connection.SyncOptions(c, dir)
	held, err := mailsync.OpenSQLite(ctx, opts.StorePath)
	if err != nil {
		t.Fatal(err)
	}
	src := &secrets{secret: secret}
	_, err = connection.Run(ctx, connection.RunOptions{Config: c, Secrets: src, Sync: opts, DataDir: dir})
	if !errors.Is(err, mailsync.ErrStoreLocked) || src.asked.Load() != 0 {
		t.Fatalf("held store: %v, %d secrets read", err, src.asked.Load())
	}
	held.Close()

	_, err = connection.Run(ctx, connection.RunOptions{Config: c, Secrets: &secrets{secret: "wrong-secret-value-1234567890"}, Sync: opts, DataDir: dir})
	var ce *connection.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("wrong secret: %T %v", err, err)
	}
	if a := graph.AdviceFor(err); a.Code != "AADSTS7000215" {
		t.Fatalf("wrong secret advice %s (%v)", a.Code, err)
	}
}
