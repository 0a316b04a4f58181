package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

func runCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// An exported config syncs headless (issue 6's "done when"): every mailbox of the
// practice tenant, users and shared, mirrored exactly — the store holds the same message
// ids per mailbox as the tenant's Inbox and Sent Items, no more, no fewer. The config's
// sync section picks the store; a wrong secret fails with Microsoft's code and the fix.
func TestSyncExportedConfigMirrorsTenant(t *testing.T) {
	srv, infoPath, cfgPath := practiceConfig(t)
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	c.Mailboxes = nil
	for _, m := range srv.Info().Mailboxes {
		c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: m.Address, ID: m.ID, Kind: m.Kind})
	}
	if len(c.Mailboxes) < 3 {
		t.Fatalf("practice tenant has only %d mailboxes", len(c.Mailboxes))
	}
	store := filepath.Join(t.TempDir(), "from-config.db")
	c.Sync = &wizard.SyncSettings{BackfillDays: wizard.MaxBackfillDays, Store: store}
	if err := c.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(t.TempDir(), "exported.json")
	if out, errs, code := runCmd(t, "export", "--config", cfgPath, "--out", exported); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code := runCmd(t, "sync", "--config", exported, "--sandbox-info", infoPath, "--once")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, store) {
		t.Errorf("output does not name the config's store %s:\n%s", store, out)
	}
	st, err := mailsync.OpenSQLite(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	total := 0
	for _, mb := range c.Mailboxes {
		want := map[string]bool{}
		for _, f := range []string{"inbox", "sentitems"} {
			msgs, err := srv.Mail().Messages(mb.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				want[m.ImmutableID] = true
			}
		}
		got, err := st.Messages(context.Background(), mb.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if !want[m.ID] || seen[m.ID] {
				t.Errorf("%s: stored %s (%q) is not in the tenant, or twice", mb.Address, m.ID, m.Subject)
			}
			seen[m.ID] = true
		}
		if len(seen) != len(want) {
			t.Errorf("%s: store holds %d messages, the tenant %d", mb.Address, len(seen), len(want))
		}
		total += len(seen)
	}
	if total == 0 {
		t.Fatal("nothing synced")
	}

	// A wrong secret: no sync, Microsoft's code and the fix, and never the secret.
	const wrong = "Wr0ng~secret-value-that-is-long-enough"
	t.Setenv("M365CONNECT_CLIENT_SECRET", wrong)
	out, errs, code = runCmd(t, "sync", "--config", exported, "--sandbox-info", infoPath, "--once", "--store", filepath.Join(t.TempDir(), "x.db"))
	if code == 0 || !strings.Contains(errs, "AADSTS7000215") || strings.Contains(out+errs, wrong) {
		t.Fatalf("wrong secret: exit %d\n%s\n%s", code, out, errs)
	}
}

// send and outbox run work from the wizard's config: the policy holds the message for
// approval, approve releases it, and it reaches the recipient once, even when run twice.
func TestSendAndOutboxRunFromConfig(t *testing.T) {
	srv, infoPath, cfgPath := practiceConfig(t)
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	from := c.Mailboxes[0].Address
	c.Outbox = &wizard.OutboxSettings{Database: filepath.Join(dir, "outbox.db"), Folder: filepath.Join(dir, "drop"),
		Policy: wizard.OutboxPolicy{AllowedSenders: []string{from}, RequireApproval: true}}
	if err := c.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCmd(t, "send", "--config", cfgPath, "--from", from, "--to", from, "--subject", "Quarterly figures", "--text", "Attached.")
	if code != 0 || !strings.Contains(out, "waits for approval") {
		t.Fatalf("send: exit %d\n%s\n%s", code, out, errs)
	}
	// Not allowed: a sender outside the policy is refused at once.
	_, errs, code = runCmd(t, "send", "--config", cfgPath, "--from", "someone@contoso.com", "--to", from, "--subject", "x", "--text", "x")
	if code == 0 || !strings.Contains(errs, "not queued") {
		t.Fatalf("sender outside the policy: exit %d, %s", code, errs)
	}
	out, _, _ = runCmd(t, "outbox", "list", "--config", cfgPath, "--json")
	var msgs []outbox.Message
	if err := json.Unmarshal([]byte(out), &msgs); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	var id, imid string
	for _, m := range msgs {
		if m.State == outbox.StatePendingApproval {
			id, imid = m.ID, m.InternetMessageID
		}
	}
	if id == "" {
		t.Fatalf("no pending message: %s", out)
	}
	// Nothing leaves before approval.
	if out, errs, code := runCmd(t, "outbox", "run", "--once", "--config", cfgPath, "--sandbox-info", infoPath); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if n := srv.Mail().DeliveryCount(imid, from); n != 0 {
		t.Fatalf("unapproved message delivered %d times", n)
	}
	if out, errs, code := runCmd(t, "outbox", "approve", id, "--config", cfgPath); code != 0 {
		t.Fatalf("approve: exit %d\n%s\n%s", code, out, errs)
	}
	for range 2 {
		if out, errs, code := runCmd(t, "outbox", "run", "--once", "--config", cfgPath, "--sandbox-info", infoPath); code != 0 {
			t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
		}
	}
	srv.Mail().Wait()
	if n := srv.Mail().DeliveryCount(imid, from); n != 1 {
		t.Fatalf("approved message delivered %d times, want 1", n)
	}
}

// `sandbox --config` writes a config that the headless commands take as it is: verify
// passes every check against that practice tenant.
func TestSandboxConfigVerifies(t *testing.T) {
	keyring.MockInit()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	infoPath, cfgPath := filepath.Join(dir, "sandbox.json"), filepath.Join(dir, "config.json")
	sb := startSandbox(t, cfgPath, "--info", infoPath, "--config", cfgPath, "--users", "2", "--messages", "5")
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Mailboxes) != 3 || c.Outbox == nil || !c.Outbox.Policy.RequireApproval {
		t.Fatalf("config: %d mailboxes, outbox %+v", len(c.Mailboxes), c.Outbox)
	}
	out, errs, code := runCmd(t, "verify", "--config", cfgPath, "--sandbox-info", infoPath)
	if code != 0 || !strings.Contains(out, "Verify: passed for the configured mode") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errs)
	}
	sb.cancel()
	if err := <-sb.done; err != nil {
		t.Fatal(err)
	}
}

// `sync --sandbox-info` alone syncs the practice tenant through the config `sandbox
// --config` would write: the same path as a saved config.
func TestSyncSandboxInfoAlone(t *testing.T) {
	_, infoPath, _ := practiceConfig(t)
	store := filepath.Join(t.TempDir(), "alone.db")
	out, errs, code := runCmd(t, "sync", "--sandbox-info", infoPath, "--once", "--store", store, "--days", "3650")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	st, err := mailsync.OpenSQLite(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("store holds %d messages (%v)", n, err)
	}
	if !strings.Contains(out, "Syncing 6 mailbox(es)") {
		t.Fatalf("not every practice mailbox: %s", out)
	}
	if _, _, code := runCmd(t, "sync", "--once"); code != 2 {
		t.Fatalf("sync without --config or --sandbox-info: exit %d, want 2", code)
	}
}
