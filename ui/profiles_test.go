package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/emulator"

	connpkg "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

func profileConfigFor(tenant string, locked bool, exp time.Time) *wizard.Config {
	c := &wizard.Config{Schema: wizard.SchemaVersion, Cloud: wizard.CloudGlobal, TenantID: tenant, ClientID: "00000000-1111-2222-3333-444444444444",
		AccessMode: wizard.ModeSecret, Features: wizard.Features{Read: true}, Permissions: []string{"Mail.Read", "User.Read.All"},
		Credential: wizard.Credential{ExpiresAt: &exp}, Locked: locked,
		Mailboxes:    []wizard.Mailbox{{Address: "anna@" + tenant, Kind: wizard.KindUser}},
		Verification: &wizard.Verification{At: time.Now().Add(-time.Hour), Passed: true}}
	for _, id := range c.RequiredChecks() {
		c.Verification.Checks = append(c.Verification.Checks, wizard.Check{ID: id, Name: id, Status: wizard.StatusPass, At: c.Verification.At})
	}
	return c
}

// TestProfilesOnFirstScreen: the saved connections are listed on the first screen
// (tenant, mode, mailboxes, last verified, expiry with its warning); Open loads one
// (a locked one back at Save & sync with its own secret), Rename, Duplicate, Delete and
// Export work on the selected row; Save of a new connection adds a profile.
func TestProfilesOnFirstScreen(t *testing.T) { profilesOnFirstScreen(t, nil) }

// profilesOnFirstScreen is TestProfilesOnFirstScreen, dressed as look says (nil: the
// test theme); TestScreens takes its picture.
func profilesOnFirstScreen(t *testing.T, look *screenLook) {
	keyring.MockInit()
	a := test.NewTempApp(t)
	dir := t.TempDir()
	store := secretstore.New("m365connect-uitest-profiles", "")
	ps := &connpkg.Profiles{Dir: dir, Secrets: store}
	for _, c := range []struct {
		name, tenant string
		locked       bool
		exp          time.Time
	}{{"Contoso", "contoso.com", true, time.Now().AddDate(0, 0, 10)}, {"Fabrikam", "fabrikam.com", false, time.Now().AddDate(1, 0, 0)}} {
		e, err := ps.Add(c.name, profileConfigFor(c.tenant, c.locked, c.exp))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SetSecret(e, wizard.SecretClientSecret, "secret~of."+c.name+"-0123456789abcdef"); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, loop: newUILoop(t), dir: dir, store: store, shots: captureDir(t), look: look}
	h.w = test.NewWindow(nil)
	h.w.Resize(fyne.NewSize(1000, 720))
	if look != nil {
		h.shots = look.dir
		a.Settings().SetTheme(look.theme())
		h.w.Resize(screenSize())
	}
	opts := Options{AppVersion: "test", ConfigDir: dir, Secrets: store, DataDir: filepath.Join(dir, "data"), Do: h.loop.Do,
		StartPractice: func() (*emulator.Server, error) {
			srv, err := emulator.New(emulator.Options{Seed: 7, MessagesPerMailbox: 2})
			h.srv = srv
			return srv, err
		}}
	h.do(func() { h.z = CreateWithOptions(fyne.CurrentApp(), h.w, opts) })
	t.Cleanup(func() { h.do(func() { h.z.Close(); h.w.Close() }) })
	h.do(func() {
		profilesScenario(t, h.z, ps, h.shotNow)
	})
	// New started the practice tenant: wait for it, so nothing outlives the test.
	h.waitFor("the practice tenant", func() bool { return h.z.state.Practice != nil })
}

// profilesScenario runs on the UI loop.
func profilesScenario(t *testing.T, z *Wizard, ps *connpkg.Profiles, shot func(string)) {
	// The default profile (Contoso, locked) was reopened at Save & sync with its secret.
	if z.Current() != wizard.StepSave || z.state.TenantID != "contoso.com" || z.state.ClientSecret != "secret~of.Contoso-0123456789abcdef" {
		t.Fatalf("start: step %s tenant %s", z.Current(), z.state.TenantID)
	}
	_ = z.GoTo(wizard.StepEnvironment)
	p := z.screens[wizard.StepEnvironment].(*profileScreen).panel
	if !p.root.Visible() || len(p.rows) != 2 {
		t.Fatalf("panel visible %v rows %d", p.root.Visible(), len(p.rows))
	}
	shot("0-environment-saved-connections")
	l0, l1 := profileLine(p.rows[0], z.profiles().open.ID), profileLine(p.rows[1], z.profiles().open.ID)
	for _, want := range []string{"▶ Contoso (default)", "contoso.com", "secret", "1 mailbox(es)", "verified", "⚠ expires"} {
		if !strings.Contains(l0, want) {
			t.Errorf("row %q lacks %q", l0, want)
		}
	}
	if strings.Contains(l1, "⚠") || strings.Contains(l1, "▶") {
		t.Errorf("row %q", l1)
	}
	// Buttons need a selection.
	if !p.open.Disabled() {
		t.Fatal("Open enabled without a selection")
	}
	p.list.Select(1)
	test.Tap(p.open)
	if z.state.TenantID != "fabrikam.com" || z.profiles().open.Name != "Fabrikam" || z.Current() != wizard.StepEnvironment || z.state.Locked {
		t.Fatalf("after Open: %s %+v %s", z.state.TenantID, z.profiles().open, z.Current())
	}
	if z.state.ClientSecret != "secret~of.Fabrikam-0123456789abcdef" {
		t.Fatalf("Fabrikam's own secret not loaded")
	}
	p.rename(p.rows[1], "Fabrikam Ltd")
	if p.rows[1].Name != "Fabrikam Ltd" || z.profiles().open.Name != "Fabrikam Ltd" {
		t.Fatalf("rename: %+v", p.rows[1])
	}
	p.duplicate(p.rows[1], "Tailspin")
	if len(p.rows) != 3 || p.rows[2].Name != "Tailspin" || p.rows[2].Locked {
		t.Fatalf("duplicate: %+v", p.rows)
	}
	out := filepath.Join(t.TempDir(), "tailspin.json")
	p.export(p.rows[2], out)
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "fabrikam.com") || strings.Contains(string(b), "secret~of") {
		t.Fatalf("export: %v %s", err, b)
	}
	p.delete(p.rows[2])
	if len(p.rows) != 2 || !strings.HasPrefix(p.status.Text, "Deleted") {
		t.Fatalf("delete: %d %q", len(p.rows), p.status.Text)
	}

	// New: an empty wizard; the profile is added on Save (ensureProfile), named after
	// the tenant, its secret under its own key.
	test.Tap(p.root.Objects[2].(*fyne.Container).Objects[0].(*widget.Button))
	if z.profiles().open.ID != "" || z.state.TenantID != "" {
		t.Fatalf("after New: %+v %q", z.profiles().open, z.state.TenantID)
	}
	c := profileConfigFor("northwind.com", true, time.Now().AddDate(1, 0, 0))
	if err := z.ensureProfile(c); err != nil {
		t.Fatal(err)
	}
	if e := z.profiles().open; e.Name != "northwind.com" || z.ConfigPath() != ps.ConfigPath(e.ID) || z.secretKey(c, wizard.SecretClientSecret) != connpkg.ProfileSecretKey(e, wizard.SecretClientSecret) {
		t.Fatalf("new profile %+v path %s", e, z.ConfigPath())
	}
}
