package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/wizard"
)

// capture writes the window as a PNG into dir (a temp dir, or $M365_UI_CAPTURE_DIR to
// keep them) so a person can look at each step.
func capture(t *testing.T, w fyne.Window, dir, name string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func captureDir(t *testing.T) string {
	if d := os.Getenv("M365_UI_CAPTURE_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestWizardWalk(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(fyne.NewSize(900, 600))
	z := Create(a, w)
	dir := captureDir(t)

	steps := wizard.Steps()
	if z.Current() != steps[0].ID {
		t.Fatalf("starts at %s", z.Current())
	}
	if z.NextEnabled() {
		t.Fatal("Next must be disabled until an environment is chosen")
	}
	z.Next() // ignored while disabled
	if z.Current() != wizard.StepEnvironment {
		t.Fatal("Next moved past an incomplete step")
	}
	capture(t, w, dir, "0-environment-empty")

	env := z.screens[wizard.StepEnvironment].(*environmentScreen)
	env.radio.SetSelected("Practice tenant (built in, works offline)")
	if !z.NextEnabled() {
		t.Fatal("Next must be enabled once an environment is chosen")
	}
	capture(t, w, dir, "0-environment")
	test.Tap(z.next)
	if z.Current() != wizard.StepPrerequisites {
		t.Fatalf("after Next: %s", z.Current())
	}
	capture(t, w, dir, "1-prerequisites")
	test.Tap(z.next)
	if z.Current() != wizard.StepAppRegistration || z.NextEnabled() {
		t.Fatalf("app registration: at %s, next enabled %v", z.Current(), z.NextEnabled())
	}

	reg := z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	test.Type(reg.tenant, "contoso")
	test.Type(reg.client, "not-a-guid")
	if z.NextEnabled() {
		t.Fatal("Next enabled with invalid values")
	}
	if z.problem.Text == "" {
		t.Fatal("no explanation shown for the disabled Next")
	}
	capture(t, w, dir, "2-app-registration-invalid")
	reg.tenant.SetText("contoso.onmicrosoft.com")
	reg.client.SetText("00000000-1111-2222-3333-444444444444")
	test.Type(reg.secret, "Abc8Q~xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzx")
	if !z.NextEnabled() {
		t.Fatalf("Next disabled with valid values: %s", z.problem.Text)
	}
	capture(t, w, dir, "2-app-registration")

	// Back keeps what was typed.
	test.Tap(z.back)
	test.Tap(z.next)
	if reg.tenant.Text != "contoso.onmicrosoft.com" || z.Current() != wizard.StepAppRegistration {
		t.Fatal("going back lost the tenant")
	}
	for i := 3; i < len(steps); i++ {
		test.Tap(z.next)
		if z.Current() != steps[i].ID {
			t.Fatalf("step %d: at %s, want %s", i, z.Current(), steps[i].ID)
		}
		capture(t, w, dir, string(rune('0'+i))+"-"+string(steps[i].ID))
	}
	if z.NextEnabled() {
		t.Fatal("Next enabled on the last step")
	}
	for i := len(steps) - 2; i >= 0; i-- {
		test.Tap(z.back)
		if z.Current() != steps[i].ID {
			t.Fatalf("back to %d: at %s", i, z.Current())
		}
	}
	if !z.back.Disabled() {
		t.Fatal("Back enabled on the first step")
	}
}
