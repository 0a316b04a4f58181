package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

// TestLockedAfterSave: after Save, going Back shows every step read-only (fields,
// choices and action buttons disabled, Copy buttons and Back/Next usable) until Reset,
// which unlocks exactly what the lock disabled.
func TestLockedAfterSave(t *testing.T) {
	h := newHarness(t)
	h.walk(wizard.ModeSecret, false)
	enabledControls := func(id wizard.StepID) (n int, names []string) {
		sc := h.z.screens[id]
		obj := sc.object()
		if ps, ok := sc.(*profileScreen); ok {
			obj = ps.inner.object()
		}
		walkControls(obj, func(d fyne.Disableable) {
			if !d.Disabled() {
				n++
				if b, ok := d.(*widget.Button); ok {
					names = append(names, b.Text)
				}
			}
		})
		return n, names
	}
	steps := []wizard.StepID{wizard.StepEnvironment, wizard.StepPrerequisites, wizard.StepAppRegistration, wizard.StepConsent, wizard.StepMailboxes}
	h.do(func() {
		if !h.z.state.Locked {
			t.Fatal("not locked after Save")
		}
		for _, id := range steps {
			if err := h.z.GoTo(id); err != nil {
				t.Fatal(err)
			}
			if n, names := enabledControls(id); n != 0 {
				t.Errorf("%s: %d controls editable while locked %v", id, n, names)
			}
		}
		if h.z.next.Disabled() || h.z.back.Disabled() {
			t.Error("Back/Next disabled while locked")
		}
		reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
		_ = h.z.GoTo(wizard.StepSave)
		h.z.screens[wizard.StepSave].(*saveScreen).doReset()
		if h.z.state.Locked || h.z.Current() != wizard.StepAppRegistration || reg.client.Disabled() {
			t.Fatalf("after Reset: locked %v at %s, client disabled %v", h.z.state.Locked, h.z.Current(), reg.client.Disabled())
		}
		_ = h.z.GoTo(wizard.StepEnvironment)
		if n, _ := enabledControls(wizard.StepEnvironment); n == 0 {
			t.Error("Environment still read-only after Reset")
		}
	})
}
