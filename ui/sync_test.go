package ui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// users are the practice tenant's first n user mailboxes.
func (h *harness) users(n int) []string {
	var out []string
	for _, m := range h.srv.Info().Mailboxes {
		if m.Kind == wizard.KindUser && len(out) < n {
			out = append(out, m.Address)
		}
	}
	if len(out) < n {
		h.t.Fatalf("practice tenant has %d user mailboxes, want %d", len(out), n)
	}
	return out
}

// saveWith walks to the Save step with the given mailboxes, saves, and returns the
// Save screen.
func (h *harness) saveWith(mailboxes ...string) *saveScreen {
	t := h.t
	h.walkTo(wizard.StepMailboxes)
	h.addMailboxes(mailboxes...)
	h.next(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if !h.z.state.Verification.Passed {
			t.Fatal("verification failed")
		}
	})
	h.next(wizard.StepSave)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring probe", func() bool { return !strings.Contains(sv.keyring.Text, "Looking") })
	h.do(func() {
		if !sv.sync.button.Disabled() {
			t.Fatal("Start sync enabled before the connection was saved")
		}
	})
	h.tap(sv.save)
	h.waitFor("saving", func() bool { return h.z.state.Locked && strings.HasPrefix(sv.status.Text, "Saved") })
	return sv
}

// dataDir is the open connection's data folder (its mail store and outbox).
func (h *harness) dataDir() string {
	var d string
	var err error
	h.do(func() { d, err = h.z.dataDir() })
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// windowCount is how many messages of a folder fall in a backfill window that started
// between from and to: the engine takes its window start when the round begins.
func windowCount(t *testing.T, srv *emulator.Server, mailbox, folder string, days int, from, to time.Time) (lo, hi int) {
	t.Helper()
	msgs, err := srv.Mail().Messages(mailbox, folder)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Duration(days) * 24 * time.Hour
	for _, m := range msgs {
		if !m.Received.Before(to.Add(-d)) {
			lo++
		}
		if !m.Received.Before(from.Add(-d)) {
			hi++
		}
	}
	return lo, hi
}

// TestSaveStepSync: Start sync runs the engine for the saved config, one row per
// mailbox and folder; the store ends with exactly the practice tenant's mail of the
// backfill window; a second sync on the same store is refused in plain words; a wrong
// secret ends in advice; Stop and Disconnect stop the engine and keep the mail.
func TestSaveStepSync(t *testing.T) {
	newHarnessWith(t, syncTenant()).saveStepSync()
}

// syncTenant is the practice tenant of TestSaveStepSync: enough mail that a sync takes
// a while.
func syncTenant() emulator.Options { return emulator.Options{Seed: 7, MessagesPerMailbox: 300} }

// saveStepSync is TestSaveStepSync's walk (TestScreens takes its pictures).
func (h *harness) saveStepSync() {
	t := h.t
	h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
	mbs := h.users(2)
	sv := h.saveWith(mbs...)
	p := sv.sync
	h.do(func() {
		sv.tabs.Select(sv.syncTab)
		if p.button.Disabled() || p.button.Text != "Start sync" {
			t.Fatalf("after Save: button %q disabled %v", p.button.Text, p.button.Disabled())
		}
	})
	// Hold the second mailbox's delta pages so the picture shows a sync in progress.
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, Mailbox: mbs[1], PathContains: "/delta", Delay: 2 * time.Second})
	started := time.Now()
	h.tap(p.button)
	h.do(func() {
		if !p.running || p.button.Text != "Stop sync" {
			t.Fatalf("after Start: running %v, button %q", p.running, p.button.Text)
		}
	})
	row := func(mb, folder string) *syncRow {
		for _, r := range p.byKey {
			if r.mailbox == mb && r.name.Text == folder {
				return r
			}
		}
		return nil
	}
	h.waitFor("the first mailbox to finish while the second syncs", func() bool {
		a, b := row(mbs[0], "Inbox"), row(mbs[1], "Inbox")
		return a != nil && b != nil && strings.HasPrefix(a.detail.Text, "Up to date") && strings.HasPrefix(b.detail.Text, "Syncing")
	})
	h.do(func() {
		if len(p.byKey) != 4 {
			t.Fatalf("%d rows, want 2 mailboxes × 2 folders", len(p.byKey))
		}
		b := row(mbs[1], "Inbox")
		if !strings.Contains(b.detail.Text, "of about") || !b.bar.Visible() {
			t.Fatalf("syncing row: %q (bar visible %v)", b.detail.Text, b.bar.Visible())
		}
	})
	h.shot("6-sync-progress")
	h.srv.Mail().ClearFaults()
	h.waitFor("every folder up to date", func() bool { return strings.HasPrefix(p.status.Text, "Up to date") })
	synced := time.Now()
	// The engine reports every page; the window gets at most one snapshot per syncRefresh.
	if n, most := p.published.Load(), int64(synced.Sub(started)/syncRefresh)+2; n > most {
		t.Errorf("%d progress snapshots in %s, want at most %d", n, synced.Sub(started), most)
	}
	h.do(func() {
		for _, r := range p.byKey {
			if !strings.HasPrefix(r.detail.Text, "Up to date") || r.bar.Value != r.bar.Max {
				t.Errorf("%s %s: %q, bar %v/%v", r.mailbox, r.name.Text, r.detail.Text, r.bar.Value, r.bar.Max)
			}
		}
	})
	h.shot("6-sync")

	// A second sync of the same store (another window, or `m365connect sync`) is refused.
	p2 := newSyncPanel(h.z)
	h.do(func() { p2.start(h.z.saveConfig()) })
	h.waitFor("the second sync to give up", func() bool { return !p2.running })
	h.do(func() {
		if !strings.Contains(p2.status.Text, "another m365connect sync is running") {
			t.Fatalf("second sync: %q", p2.status.Text)
		}
	})

	h.tap(p.button)
	h.waitFor("the sync to stop", func() bool { return !p.running })
	var cfg *wizard.Config
	h.do(func() {
		cfg = h.z.saveConfig()
		if !strings.HasPrefix(p.status.Text, "Sync stopped.") || p.button.Text != "Start sync" || p.button.Disabled() {
			t.Fatalf("after Stop: %q, button %q", p.status.Text, p.button.Text)
		}
	})
	storePath := conn.SyncOptions(cfg, h.dataDir()).StorePath
	if !strings.HasPrefix(storePath, filepath.Join(h.dir, "data", "profiles")+string(filepath.Separator)) {
		t.Fatalf("the Sync tab's store %s is not the saved connection's own (data/profiles/<id>/)", storePath)
	}
	st, err := mailsync.OpenSQLite(context.Background(), storePath)
	if err != nil {
		t.Fatalf("the store is still held after Stop: %v", err)
	}
	for _, m := range conn.Mailboxes(cfg) {
		for _, f := range []string{"inbox", "sentitems"} {
			got, err := st.CountMessages(context.Background(), m.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := windowCount(t, h.srv, m.Address, f, wizard.DefaultBackfillDays, started, synced)
			if got < int64(lo) || got > int64(hi) || got == 0 {
				t.Errorf("%s %s: %d messages stored, the practice tenant holds %d-%d in the window", m.Address, f, got, lo, hi)
			}
		}
	}
	st.Close()

	// A wrong secret ends at once with the advice, not a hang.
	var key string
	h.do(func() { key = h.z.secretKey(cfg, wizard.SecretClientSecret) })
	good, err := h.store.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Set(key, "wrong-secret-value-1234567890"); err != nil {
		t.Fatal(err)
	}
	h.tap(p.button)
	h.waitFor("the refused sign-in", func() bool { return !p.running })
	h.do(func() {
		if !strings.HasPrefix(p.status.Text, "Could not connect:") || !strings.Contains(p.status.Text, "secret") {
			t.Fatalf("wrong secret: %q", p.status.Text)
		}
	})
	h.shot("6-sync-wrong-secret")
	if _, err := h.store.Set(key, good); err != nil {
		t.Fatal(err)
	}

	// Disconnect stops a running sync first; the synced mail stays.
	h.tap(p.button)
	h.waitFor("the restarted sync", func() bool { return strings.HasPrefix(p.status.Text, "Up to date") })
	h.do(func() { sv.doDisconnect() })
	h.waitFor("the disconnect", func() bool { return strings.HasPrefix(sv.status.Text, "Disconnected") })
	h.do(func() {
		if p.running || !p.button.Disabled() {
			t.Fatalf("after Disconnect: running %v, button disabled %v", p.running, p.button.Disabled())
		}
	})
	if _, err := h.store.Get(key); err == nil {
		t.Fatal("Disconnect left the secret")
	}
	st, err = mailsync.OpenSQLite(context.Background(), storePath)
	if err != nil {
		t.Fatalf("store after Disconnect: %v", err)
	}
	defer st.Close()
	if n, _ := st.CountMessages(context.Background(), conn.Mailboxes(cfg)[0].ID, "inbox"); n == 0 {
		t.Fatal("Disconnect lost the synced mail")
	}
}

// overlayButton finds a button by its text in the top dialog.
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button in the dialog", text)
	return nil
}

// TestSaveStepOutbox: the policy edited on the Outgoing mail tab lands in config.json;
// messages the policy holds (queued through the Go API and the drop folder) are listed;
// Approve and Reject change their state in the outbox database, with the approver and
// the reason on record.
func TestSaveStepOutbox(t *testing.T) { newHarness(t).saveStepOutbox() }

// saveStepOutbox is TestSaveStepOutbox's walk (TestScreens takes its pictures).
func (h *harness) saveStepOutbox() {
	t := h.t
	mbs := h.users(2)
	from, to := mbs[0], mbs[1]
	sv := h.saveWith(from)
	p := sv.outbox
	h.do(func() {
		if !h.z.state.Outgoing {
			t.Fatal("the walk did not choose send")
		}
		sv.tabs.Select(sv.outTab)
		if len(p.senders.Objects) != 1 || !p.approval.Checked || p.external.Checked {
			t.Fatalf("default policy: %d senders, approval %v, external %v", len(p.senders.Objects), p.approval.Checked, p.external.Checked)
		}
		test.Tap(p.senders.Objects[0].(*widget.Check))
	})
	h.waitFor("the empty list", func() bool { return p.empty.Visible() && p.refreshB != nil && !p.refreshB.Disabled() })
	var savedPath string
	h.do(func() { savedPath = h.z.ConfigPath() })
	saved, err := wizard.Load(savedPath)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Outbox == nil || len(saved.Outbox.Policy.AllowedSenders) != 1 || saved.Outbox.Policy.AllowedSenders[0] != from || !saved.Outbox.Policy.RequireApproval {
		t.Fatalf("policy not saved in config.json: %+v", saved.Outbox)
	}

	db, folder := conn.OutboxFiles(saved, h.dataDir())
	ctx := context.Background()
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: conn.OutboxPolicy(saved)})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	approveMe, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: "Quarterly numbers", Text: "Attached below."})
	if err != nil || approveMe.State != outbox.StatePendingApproval {
		t.Fatalf("enqueue: %v %s", err, approveMe.State)
	}
	rejectMe, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Cc: []string{from}, Subject: "Draft contract v2", Text: "See the changes."})
	if err != nil {
		t.Fatal(err)
	}
	// A third one through the drop folder, as a script would queue it.
	if err := os.MkdirAll(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(outbox.NewMessage{From: from, To: []string{to}, Subject: "Welcome aboard", Text: "Glad to have you."})
	if err := os.WriteFile(filepath.Join(folder, ".welcome.tmp"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(folder, ".welcome.tmp"), filepath.Join(folder, "welcome.json")); err != nil {
		t.Fatal(err)
	}

	h.tap(p.refreshB)
	h.waitFor("three pending messages", func() bool { return len(p.rows) == 3 })
	h.do(func() {
		if p.empty.Visible() {
			t.Fatal("the empty line shows beside the list")
		}
		r := p.rows[approveMe.ID]
		if r == nil || r.msg.Subject != "Quarterly numbers" {
			t.Fatal("the enqueued message is not listed")
		}
		if !strings.Contains(p.howto.Text, "m365connect send --config") || !strings.Contains(p.howto.Text, folder) {
			t.Fatalf("how to queue: %q", p.howto.Text)
		}
	})
	h.shot("6-outbox")

	h.do(func() { test.Tap(p.rows[approveMe.ID].approve) })
	h.waitFor("the approval", func() bool { return len(p.rows) == 2 && p.rows[approveMe.ID] == nil })
	m, err := ob.Get(ctx, approveMe.ID)
	if err != nil || m.State != outbox.StateApproved || m.ApprovedBy != outbox.DefaultApprover() {
		t.Fatalf("after Approve: %v state %s by %q (want %q)", err, m.State, m.ApprovedBy, outbox.DefaultApprover())
	}

	h.do(func() { test.Tap(p.rows[rejectMe.ID].reject) })
	h.do(func() {
		if p.reason == nil {
			t.Fatal("Reject asked for no reason")
		}
		if !overlayButton(t, h.w, "Reject").Disabled() {
			t.Fatal("Reject without a reason is possible")
		}
		test.Type(p.reason, "wrong recipient")
	})
	h.shot("6-outbox-reject")
	h.do(func() { test.Tap(overlayButton(t, h.w, "Reject")) })
	h.waitFor("the rejection", func() bool { return len(p.rows) == 1 && p.rows[rejectMe.ID] == nil })
	m, err = ob.Get(ctx, rejectMe.ID)
	if err != nil || m.State != outbox.StateRejected || m.Reason != "wrong recipient" {
		t.Fatalf("after Reject: %v state %s reason %q", err, m.State, m.Reason)
	}

	var last string
	h.do(func() {
		for id, r := range p.rows {
			last = id
			test.Tap(r.approve)
		}
	})
	h.waitFor("the empty list", func() bool { return len(p.rows) == 0 && p.empty.Visible() })
	if m, err := ob.Get(ctx, last); err != nil || m.Subject != "Welcome aboard" || m.State != outbox.StateApproved {
		t.Fatalf("drop-folder message: %v %q %s", err, m.Subject, m.State)
	}

	// Start sync: approved mail leaves through the same connection, once each; the
	// rejected message never does.
	h.do(func() { h.z.opts.SendInterval = 200 * time.Millisecond })
	welcome, _ := ob.Get(ctx, last)
	h.do(func() { sv.tabs.Select(sv.syncTab) })
	h.tap(sv.sync.button)
	h.waitFor("both approved messages sent", func() bool {
		a, _ := ob.Get(ctx, approveMe.ID)
		w, _ := ob.Get(ctx, last)
		return a.State == outbox.StateSent && w.State == outbox.StateSent
	})
	h.do(func() {
		if !sv.sync.sending.Visible() || !strings.Contains(sv.sync.sending.Text, "Outgoing mail") {
			t.Fatalf("the sync tab does not say what the sender does: %q", sv.sync.sending.Text)
		}
	})
	time.Sleep(600 * time.Millisecond) // more passes: nothing is sent twice
	h.tap(sv.sync.button)
	h.waitFor("the sync to stop", func() bool { return !sv.sync.running })
	h.srv.Mail().Wait()
	for _, m := range []outbox.Message{approveMe, welcome} {
		if n := h.srv.Mail().DeliveryCount(m.InternetMessageID, to); n != 1 {
			t.Errorf("%q reached %s %d times, want 1", m.Subject, to, n)
		}
	}
	if n := h.srv.Mail().DeliveryCount(rejectMe.InternetMessageID, to); n != 0 {
		t.Errorf("the rejected message was delivered %d times", n)
	}
}
