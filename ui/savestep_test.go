package ui

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/secretstore/keyringtest"
	"github.com/m365connect/m365connect/wizard"
)

// TestSaveCancel: Save while the keyring waits for its unlock prompt shows progress and
// Cancel; Escape cancels it (Escape = Cancel while an action runs). The settings stay
// unlocked, no config is written, and once the keyring's call returns the secret it
// stored is taken out again. Save then works with a keyring that answers.
func TestSaveCancel(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepSave)
	kr := keyringtest.New(keyringtest.HoldSet, "", nil)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.do(func() { h.z.opts.Secrets = secretstore.NewWithKeyring("m365connect-uitest", "", kr) })
	h.tap(sv.save)
	waitChan(t, kr.Entered, 10*time.Second, "Save to reach the keyring")
	h.shot("6-save-saving")
	h.do(func() {
		if !sv.work.box.Visible() || !sv.work.cancel.Visible() || !strings.HasPrefix(sv.work.text.Text, "Saving") {
			t.Fatalf("no progress with Cancel while saving: %q", sv.work.text.Text)
		}
		// Laid out in its place below the buttons, not over the text at the top (the
		// tab's box must be laid out again when the row shows).
		if b := sv.work.box; b.Position().Y < 1 || b.Size().Height < 1 {
			t.Errorf("the progress row lies at y %.0f, %.0f high", b.Position().Y, b.Size().Height)
		}
		if !sv.save.Disabled() || !sv.reset.Disabled() {
			t.Error("Save or Reset can be pressed while saving")
		}
		h.w.Canvas().Unfocus()
		h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	})
	h.do(func() {
		if h.z.Current() != wizard.StepSave {
			t.Fatalf("Escape went Back to %s instead of cancelling the save", h.z.Current())
		}
		if h.z.state.Locked || sv.save.Disabled() || sv.work.box.Visible() || !strings.HasPrefix(sv.status.Text, "Save cancelled") {
			t.Fatalf("after Cancel: locked %v, Save off %v, progress shown %v, status %q", h.z.state.Locked, sv.save.Disabled(), sv.work.box.Visible(), sv.status.Text)
		}
	})
	h.shot("6-save-cancelled")
	var path string // the open profile's config (Save made the profile)
	h.do(func() { path = h.z.ConfigPath() })
	close(kr.Release) // the unlock prompt answered after Cancel
	deadline := time.Now().Add(10 * time.Second)
	for len(kr.Values()) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(kr.Values()); n != 0 {
		t.Fatalf("the keyring holds %d secret(s) of the cancelled save", n)
	}
	// The profile Save made for this connection holds an unlocked draft at most: no
	// locked connection whose secrets are not in the keyring.
	if c, err := wizard.Load(path); err == nil && c.Locked {
		t.Fatal("the cancelled save left a locked config")
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	h.do(func() { h.z.opts.Secrets = h.store })
	h.tap(sv.save)
	h.waitFor("the second save", func() bool { return strings.HasPrefix(sv.status.Text, "Saved to ") })
	if c, err := wizard.Load(path); err != nil || !c.Locked {
		t.Fatalf("the second save: %v (locked %v)", err, err == nil && c.Locked)
	}
}

// TestEscapeCancelsVerify: Escape while the checks run cancels them and stays on
// Verify; Escape with nothing running goes Back.
func TestEscapeCancelsVerify(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	escape := func() {
		h.w.Canvas().Unfocus()
		h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	}
	h.do(func() {
		test.Tap(vs.run)
		escape()
		if h.z.Current() != wizard.StepVerify {
			t.Fatalf("Escape during the checks went to %s", h.z.Current())
		}
	})
	h.waitFor("the cancelled run", func() bool { return h.z.state.Verification != nil && !vs.cancel.Visible() })
	h.do(func() {
		if h.z.state.Verification.Passed || !strings.HasPrefix(vs.status.Text, "Cancelled") {
			t.Fatalf("after Escape: passed %v, status %q", h.z.state.Verification.Passed, vs.status.Text)
		}
		escape()
		if h.z.Current() != wizard.StepMailboxes {
			t.Fatalf("Escape with nothing running: at %s, want Back to mailboxes", h.z.Current())
		}
	})
}

// TestDisconnectCancel: Disconnect while the keyring waits shows progress and Cancel;
// Cancel keeps the connection saved and locked, and the secret whose removal was under
// way is put back once the keyring answers. Disconnect then works.
func TestDisconnectCancel(t *testing.T) {
	h := newHarness(t)
	sv := h.saveWith(h.mailbox(wizard.KindUser))
	kr := keyringtest.New(keyringtest.HoldDelete, "", nil)
	var key string
	h.do(func() {
		key = h.z.secretKey(h.z.saveConfig(), wizard.SecretClientSecret)
		_ = kr.Set("", key, h.z.state.ClientSecret)
		h.z.opts.Secrets = secretstore.NewWithKeyring("m365connect-uitest", "", kr)
		sv.doDisconnect()
	})
	waitChan(t, kr.Entered, 10*time.Second, "Disconnect to reach the keyring")
	h.do(func() {
		if !sv.work.box.Visible() || !strings.HasPrefix(sv.work.text.Text, "Disconnecting") || !sv.disconnect.Disabled() {
			t.Fatalf("no progress while disconnecting: %q (Disconnect off %v)", sv.work.text.Text, sv.disconnect.Disabled())
		}
		test.Tap(sv.work.cancel)
		if !h.z.state.Locked || !strings.HasPrefix(sv.status.Text, "Disconnect cancelled") || sv.disconnect.Disabled() {
			t.Fatalf("after Cancel: locked %v, status %q", h.z.state.Locked, sv.status.Text)
		}
	})
	close(kr.Release)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if kr.Values()[key] != "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if kr.Values()[key] == "" {
		t.Fatal("the secret was not put back after Cancel")
	}
	h.do(func() { h.z.opts.Secrets = h.store; sv.doDisconnect() })
	h.waitFor("the disconnect", func() bool { return strings.HasPrefix(sv.status.Text, "Disconnected") })
	h.do(func() {
		if h.z.state.Locked {
			t.Fatal("still locked after Disconnect")
		}
		// The saved config is unlocked too: the next start does not reopen a connection
		// whose secrets are gone.
		if c, err := wizard.Load(h.z.ConfigPath()); err != nil || c.Locked {
			t.Fatalf("saved config after Disconnect: %v (locked %v)", err, err == nil && c.Locked)
		}
		if note, warn := h.z.resumeSaved(); note != "" || warn != "" {
			t.Fatalf("a restart after Disconnect reopens it: %q %q", note, warn)
		}
	})
}

// TestSaveWaitsForALockedKeyring: a keyring that waits for its password is not "no
// keyring": the Save step says to unlock it and offers no file; Save waits for it past
// the store's own timeout and the secrets go to the keyring once it answers.
func TestSaveWaitsForALockedKeyring(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepSave)
	kr := keyringtest.New(keyringtest.HoldAll, "", nil)
	h.do(func() {
		h.z.opts.Secrets = secretstore.NewWithKeyring("m365connect-uitest", h.store.FallbackPath(), kr).WithTimeout(100 * time.Millisecond)
		h.z.Back() // entering Save again asks the keyring again
	})
	h.next(wizard.StepSave)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring's answer", func() bool { return strings.Contains(sv.keyring.Text, "did not answer yet") })
	h.do(func() {
		if sv.useFile.Visible() {
			t.Error("a keyring waiting for its password is offered the file instead")
		}
	})
	h.tap(sv.save)
	time.Sleep(500 * time.Millisecond) // past the store's 100 ms: Save still waits
	close(kr.Release)                  // the person typed the keyring's password
	h.waitFor("the save", func() bool { return sv.status.Text != "" })
	h.do(func() {
		if !strings.HasPrefix(sv.status.Text, "Saved to ") || !strings.Contains(sv.status.Text, "the OS keyring") {
			t.Fatalf("status %q", sv.status.Text)
		}
	})
	if v := kr.Values(); len(v) == 0 {
		t.Fatal("the keyring holds no secret after Save")
	}
}

// TestResumeWithALockedKeyring: reopening a saved connection while the keyring does not
// answer says to unlock it and open the connection again, instead of asking for the
// secrets as if they were gone.
func TestResumeWithALockedKeyring(t *testing.T) {
	h := newHarness(t)
	h.saveWith(h.mailbox(wizard.KindUser))
	kr := keyringtest.New(keyringtest.HoldAll, "", nil)
	defer close(kr.Release)
	h.do(func() {
		h.z.opts.Secrets = secretstore.NewWithKeyring("m365connect-uitest", "", kr).WithTimeout(100 * time.Millisecond)
		note, warn := h.z.resumeSaved()
		if note != "" || !strings.Contains(warn, "did not answer") || !strings.Contains(warn, "unlock it") {
			t.Fatalf("resume with a locked keyring: note %q, warn %q", note, warn)
		}
	})
}

// TestReopenKeepsTheRunningPracticeTenant: opening a saved practice connection while the
// practice tenant runs reopens it with that tenant (before: a second one started and the
// first was left running, sharing its state file).
func TestReopenKeepsTheRunningPracticeTenant(t *testing.T) {
	h := newHarness(t)
	h.saveWith(h.mailbox(wizard.KindUser))
	h.do(func() {
		before := h.z.practice
		note, warn := h.z.resumeSaved()
		if warn != "" || !strings.HasPrefix(note, "Reopened") {
			t.Fatalf("reopen: note %q, warn %q", note, warn)
		}
		if h.z.practice != before {
			t.Fatal("reopening started a second practice tenant")
		}
		if h.z.state.Practice == nil || *h.z.state.Practice != *before.Hosts() {
			t.Errorf("hosts %+v, want the running tenant's %+v", h.z.state.Practice, before.Hosts())
		}
	})
}
