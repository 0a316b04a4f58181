package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

// A saved connection is locked: going Back shows its values read-only (fields,
// choices and action buttons disabled; Copy buttons and the saved-connections list stay
// usable) until Reset on the last step unlocks it.

// lockState remembers what applyLock disabled, so unlocking re-enables exactly those and
// leaves alone what a screen disabled for its own reasons.
type lockState struct {
	disabled map[fyne.Disableable]bool
}

// applyLock makes the step's controls read-only while the connection is locked, and
// gives back what it took when unlocked. Verify (no settings; checks may run again) and
// Save (Reset lives there) keep their buttons.
func (z *Wizard) applyLock(id wizard.StepID, sc screen) {
	if z.lock == nil {
		z.lock = &lockState{disabled: map[fyne.Disableable]bool{}}
	}
	if !z.state.Locked {
		for d := range z.lock.disabled {
			d.Enable()
		}
		clear(z.lock.disabled)
		return
	}
	if id == wizard.StepSave || id == wizard.StepVerify { // no settings there; Reset is on Save
		return
	}
	obj := sc.object()
	if ps, ok := sc.(*profileScreen); ok {
		obj = ps.inner.object() // switching saved connections stays possible
	}
	walkControls(obj, func(d fyne.Disableable) {
		if !d.Disabled() {
			d.Disable()
			z.lock.disabled[d] = true
		}
	})
}

// walkControls calls f for every control under o: entries, choices and buttons other
// than Copy buttons. It descends into containers and scrolls, not into widgets.
func walkControls(o fyne.CanvasObject, f func(fyne.Disableable)) {
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			walkControls(c, f)
		}
	case *container.Scroll:
		walkControls(v.Content, f)
	case *widget.Button:
		if !strings.HasPrefix(v.Text, "Copy") {
			f(v)
		}
	case fyne.Disableable:
		f(v)
	}
}
