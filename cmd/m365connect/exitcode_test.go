package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// `outbox run --once` ends with a summary line and exits 1 when a message failed: a
// sender the policy allows but the tenant does not have cannot send.
func TestOutboxRunOnceFailedMessageExit1(t *testing.T) {
	srv, infoPath, cfgPath := practiceConfig(t)
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	from := c.Mailboxes[0].Address
	ghost := "nobody-here@" + srv.Info().TenantDomain
	dir := t.TempDir()
	c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: ghost, Kind: wizard.KindUser})
	c.Outbox = &wizard.OutboxSettings{Database: filepath.Join(dir, "outbox.db"), Folder: filepath.Join(dir, "drop"),
		Policy: wizard.OutboxPolicy{AllowedSenders: []string{from, ghost}}}
	if err := c.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	for _, sender := range []string{from, ghost} {
		if out, errs, code := runCmd(t, "send", "--config", cfgPath, "--from", sender, "--to", from, "--subject", "Exit codes", "--text", "x"); code != 0 {
			t.Fatalf("send from %s: exit %d\n%s\n%s", sender, code, out, errs)
		}
	}
	out, errs, code := runCmd(t, "outbox", "run", "--once", "--config", cfgPath, "--sandbox-info", infoPath)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitFail || !strings.HasPrefix(lines[len(lines)-1], "Outbox: 1 sent, 1 failed") || !strings.Contains(errs, "1 message(s) failed") {
		t.Fatalf("exit %d (want 1)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// Nothing left to send: the next pass succeeds.
	out, errs, code = runCmd(t, "outbox", "run", "--once", "--config", cfgPath, "--sandbox-info", infoPath)
	if code != exitOK || !strings.Contains(out, "Outbox: 0 sent, 0 failed") {
		t.Fatalf("second pass: exit %d\n%s\n%s", code, out, errs)
	}
}

// `sync --once` ends with a summary line naming the mailbox that failed and exits 1; the
// run function is called directly with its options, as the command does.
func TestSyncOnceFailedMailboxExit1(t *testing.T) {
	srv, infoPath, _ := practiceConfig(t)
	good := srv.Info().Mailboxes[0].Address
	ghost := "nobody-here@" + srv.Info().TenantDomain
	var out, errb bytes.Buffer
	opts := &syncOptions{streams: streams{Out: &out, Err: &errb}, SandboxInfo: infoPath, Once: true, Days: 30,
		Folders: "inbox", Body: "preview", PageSize: 50, Mailboxes: good + "," + ghost,
		Store: filepath.Join(t.TempDir(), "mail.db"), set: map[string]bool{"store": true}}
	err := runSync(context.Background(), opts)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if err == nil || !strings.HasPrefix(last, "Sync: 1 of 2 mailbox(es) synced, 1 failed: "+ghost) {
		t.Fatalf("err %v; last line %q\n%s", err, last, out.String())
	}
	// Through the command line: exit 1; with only the good mailbox: exit 0.
	store := filepath.Join(t.TempDir(), "cli.db")
	if o, e, code := runCmd(t, "sync", "--sandbox-info", infoPath, "--once", "--store", store, "--mailboxes", good+","+ghost); code != exitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, o, e)
	}
	o, e, code := runCmd(t, "sync", "--sandbox-info", infoPath, "--once", "--store", store, "--mailboxes", good)
	if code != exitOK || !strings.Contains(o, "Sync: 1 of 1 mailbox(es) synced.") {
		t.Fatalf("exit %d\n%s\n%s", code, o, e)
	}
}

// `verify` ends with a summary line; a failed check exits 1 (TestVerifyAgainstSandbox
// covers the JSON form and the advice).
func TestVerifySummaryLine(t *testing.T) {
	_, infoPath, cfgPath := practiceConfig(t)
	out, errs, code := runCmd(t, "verify", "--config", cfgPath, "--sandbox-info", infoPath)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The practice config picks every mailbox, so scoping cannot be tested (a warning):
	// passed for the mode, but not "All N checks passed", which needs every check passed.
	if code != exitOK || !strings.HasPrefix(lines[len(lines)-1], "Verify: passed for the configured mode (") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	t.Setenv("M365CONNECT_CLIENT_SECRET", "Wr0ng~secret-value-that-is-long-enough")
	out, errs, code = runCmd(t, "verify", "--config", cfgPath, "--sandbox-info", infoPath)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != exitFail || !strings.HasPrefix(lines[len(lines)-1], "Verify: ") || !strings.Contains(lines[len(lines)-1], "checks failed") {
		t.Fatalf("wrong secret: exit %d\n%s\n%s", code, out, errs)
	}
}
