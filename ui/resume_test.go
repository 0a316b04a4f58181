package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// savedConfig writes a locked, verified config for a global-cloud tenant into dir.
func savedConfig(t *testing.T, dir string) *wizard.Config {
	t.Helper()
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: "test", SavedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Cloud: wizard.CloudGlobal, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ClientID: "00000000-1111-2222-3333-444444444444",
		AccessMode: wizard.ModeSecret, Features: wizard.Features{Read: true}, Permissions: []string{"Mail.Read"},
		Mailboxes: []wizard.Mailbox{{Address: "anna@contoso.com", Kind: wizard.KindUser}}, Locked: true,
		Sync: &wizard.SyncSettings{BackfillDays: 60}}
	// A verification counts only when every required check passed (it is recomputed).
	c.Verification = &wizard.Verification{At: time.Now(), Passed: true}
	for _, id := range c.RequiredChecks() {
		c.Verification.Checks = append(c.Verification.Checks, wizard.Check{ID: id, Name: id, Status: wizard.StatusPass})
	}
	if err := c.Save(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	return c
}

// openWizard opens the wizard on dir, its background updates on a UI loop as in the
// real window. The practice tenant "fails" to start at once: these tests need none.
// The cleanup waits for the background work to settle so none outlives the test.
func openWizard(t *testing.T, dir string, store *secretstore.Store) (*Wizard, fyne.Window, *uiLoop) {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 720))
	loop := newUILoop(t)
	var started atomic.Bool
	var z *Wizard
	loop.do(t, func() {
		z = CreateWithOptions(a, w, Options{AppVersion: "test", ConfigDir: dir, DataDir: filepath.Join(dir, "data"), Secrets: store,
			StartPractice: func() (*emulator.Server, error) { started.Store(true); return nil, errors.New("not in this test") },
			Do:            loop.Do})
	})
	t.Cleanup(func() {
		env := z.screens[wizard.StepEnvironment].(*profileScreen).inner.(*environmentScreen)
		sv := z.screens[wizard.StepSave].(*saveScreen)
		loop.waitFor(t, "the background work to settle", func() bool {
			return (!started.Load() || strings.Contains(env.status.Text, "could not start")) &&
				(z.Current() != wizard.StepSave || !strings.HasPrefix(sv.keyring.Text, "Looking for the OS keyring"))
		})
		loop.DoAndWait(func() { z.Close(); w.Close() })
	})
	return z, w, loop
}

// dialogText is the text of the dialog on top of w, if any.
func dialogText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	return b.String()
}

// A restart reopens the saved connection on Save & sync, locked, with its secret from
// the keyring and its sync settings kept; nothing of the practice tenant starts.
func TestRestartReopensSavedConnection(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	c := savedConfig(t, dir)
	store := secretstore.New("m365connect-uitest", filepath.Join(dir, "secrets.json"))
	const secret = "Abc8Q~reopened-secret-value-0123456789xyz"
	if _, err := store.Set(c.SecretKey(wizard.SecretClientSecret), secret); err != nil {
		t.Fatal(err)
	}
	z, w, loop := openWizard(t, dir, store)
	loop.do(t, func() { reopenedLocked(t, z, w, c, secret) })
}

func reopenedLocked(t *testing.T, z *Wizard, w fyne.Window, c *wizard.Config, secret string) {
	if dialogText(w) != "" {
		t.Fatalf("a dialog shows: %q", dialogText(w))
	}
	if z.Current() != wizard.StepSave || !z.state.Locked || z.state.ClientSecret != secret || z.state.TenantID != c.TenantID {
		t.Fatalf("reopened at %s, locked %v, secret loaded %v", z.Current(), z.state.Locked, z.state.ClientSecret == secret)
	}
	s := z.screens[wizard.StepSave].(*saveScreen)
	if !strings.Contains(s.status.Text, "Reopened the connection") || s.syncConf == nil || s.syncConf.BackfillDays != 60 {
		t.Fatalf("status %q, sync settings %+v", s.status.Text, s.syncConf)
	}
	if s.save.Disabled() == false || s.reset.Disabled() {
		t.Fatal("a reopened connection is not locked (Save enabled or Reset disabled)")
	}
}

// Without its secret in the keyring the connection reopens where the secret is asked
// for, unlocked, saying why; a damaged file leaves the wizard at its start with the
// file's problem shown.
func TestRestartWithoutSecretOrWithDamagedConfig(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	savedConfig(t, dir)
	z, w, loop := openWizard(t, dir, secretstore.New("m365connect-uitest", filepath.Join(dir, "secrets.json")))
	loop.do(t, func() {
		if z.Current() != wizard.StepAppRegistration || z.state.Locked || !strings.Contains(z.problem.Text, "Client secret") ||
			!strings.Contains(dialogText(w), "was reopened, but") {
			t.Fatalf("at %s, locked %v, problem %q, dialog %q", z.Current(), z.state.Locked, z.problem.Text, dialogText(w))
		}
	})

	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "config.json"), []byte("{\n  \"schema\": 2,,\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	z2, w2, loop2 := openWizard(t, dir2, secretstore.New("m365connect-uitest", filepath.Join(dir2, "secrets.json")))
	loop2.do(t, func() {
		if z2.Current() != wizard.StepEnvironment || !strings.Contains(dialogText(w2), "line 2") {
			t.Fatalf("damaged config: at %s, dialog %q", z2.Current(), dialogText(w2))
		}
	})
}
