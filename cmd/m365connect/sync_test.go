package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// practiceForSync starts a practice tenant with its info file and keeps the command's
// files (keyring fallback, data folder) in the test's folders.
func practiceForSync(t *testing.T, users int) (*emulator.Server, string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	srv, err := emulator.New(emulator.Options{Users: users, SharedMailboxes: 1, MessagesPerMailbox: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	info := filepath.Join(t.TempDir(), "sandbox.json")
	if err := srv.WriteInfo(info); err != nil {
		t.Fatal(err)
	}
	return srv, info
}

func userMailboxes(srv *emulator.Server) []string {
	var out []string
	for _, m := range srv.Info().Mailboxes {
		if m.Kind == wizard.KindUser {
			out = append(out, m.Address)
		}
	}
	return out
}

// TestSyncCommandSendsApprovedMail: `m365connect sync` runs connection.Run, as the
// window's Sync tab does (TestSaveStepOutbox drives the same through the window), so an
// approved message leaves once while the sync runs, and a message waiting for approval
// does not.
func TestSyncCommandSendsApprovedMail(t *testing.T) {
	srv, info := practiceForSync(t, 2)
	mbs := userMailboxes(srv)
	from, to := mbs[0], mbs[1]
	ctx := context.Background()
	c := practiceConfigFile(srv.Info())
	dataDir, err := connection.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	db, _ := connection.OutboxFiles(c, dataDir)
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: connection.OutboxPolicy(c)})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	approved, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: "Approved by the CLI test", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Approve(ctx, approved.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waiting, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: "Not approved", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr syncBuffer
	if _, err := execute(ctx, []string{"sync", "--sandbox-info", info, "--once", "--mailboxes", from}, &stdout, &stderr); err != nil {
		t.Fatalf("sync: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	srv.Mail().Wait()
	if m, _ := ob.Get(ctx, approved.ID); m.State != outbox.StateSent {
		t.Fatalf("approved message is %s after the sync; stderr:\n%s", m.State, stderr.String())
	}
	if m, _ := ob.Get(ctx, waiting.ID); m.State != outbox.StatePendingApproval {
		t.Fatalf("unapproved message is %s", m.State)
	}
	if n := srv.Mail().DeliveryCount(approved.InternetMessageID, to); n != 1 {
		t.Fatalf("delivered %d times, want 1", n)
	}
	if !strings.Contains(stderr.String(), "Outgoing mail: 1 sent") {
		t.Errorf("the command does not say what the sender did:\n%s", stderr.String())
	}
}

// adviceWords is the advice catalogue's paragraph for key, as the window's Sync tab and
// the command line both show it (before any "Try again in" part).
func adviceWords(t *testing.T, key string) string {
	t.Helper()
	a, ok := graph.LookupAdvice(key)
	if !ok {
		t.Fatalf("no advice %s", key)
	}
	return connection.AdviceText(a)
}

// TestSyncCommandAdvice: a 403, a 429 and a 401 from the practice tenant reach the
// command's progress lines as the advice catalogue's words, from the failure's fields.
// TestSyncTabAdvice (package ui) drives the same three through the window and expects
// the same words.
func TestSyncCommandAdvice(t *testing.T) {
	srv, info := practiceForSync(t, 3)
	mbs := userMailboxes(srv)
	denied, throttled, revoked := mbs[0], mbs[1], mbs[2]
	srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultAccessDenied, Mailbox: denied, PathContains: "/delta"})
	srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultThrottle, Mailbox: throttled, PathContains: "/delta", RetryAfter: time.Second})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := execute(ctx, []string{"sync", "--sandbox-info", info, "--poll", "300ms", "--folders", "inbox",
			"--mailboxes", strings.Join(mbs, ",")}, &stdout, &stderr)
		done <- err
	}()
	line := func(mailbox, state, want string) func() bool {
		return func() bool {
			for _, l := range strings.Split(stdout.String(), "\n") {
				if strings.HasPrefix(l, mailbox+" inbox: "+state+",") && strings.Contains(l, want) {
					return true
				}
			}
			return false
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("sync ended early: %v\n%s\n%s", err, stdout.String(), stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no line with %s:\n%s", what, stdout.String())
			}
		}
	}
	wait("the 403 advice", line(denied, "error", "(last error: "+adviceWords(t, "ErrorAccessDenied")+")"))
	wait("the 429 advice", line(throttled, "throttled", "(last error: "+adviceWords(t, "TooManyRequests")+" Try again in 1s.)"))
	wait("the synced mailbox", line(revoked, "done", ""))
	srv.Identity().RevokeTokens(practiceConfigFile(srv.Info()).ClientID)
	wait("the 401 advice", line(revoked, "error", "(last error: "+adviceWords(t, "InvalidAuthenticationToken")+")"))
	cancel()
	select {
	case err := <-done:
		// The mailboxes that stopped on an error are the command's error (exit 1).
		if err == nil || !strings.Contains(err.Error(), denied) {
			t.Errorf("sync after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sync did not stop after cancel")
	}
	if strings.Contains(stdout.String(), "ErrorAccessDenied:") || strings.Contains(stdout.String(), "giving up") {
		t.Errorf("a line shows the error's text rather than its advice:\n%s", stdout.String())
	}
}
