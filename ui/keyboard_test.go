package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/m365connect/m365connect/wizard"
)

// keyboard drives the window as the desktop driver does with key events only: a key
// goes to the focused widget, else to the canvas (Enter = Next, Escape = Back); Tab
// moves the focus to the next focusable widget; typed characters go to the focused one.
type keyboard struct {
	h *harness
	c fyne.Canvas
}

func (k keyboard) press(name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := k.c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := k.c.OnTypedKey(); h != nil {
		h(ev)
	}
}

func (k keyboard) typeText(s string) {
	for _, r := range s {
		k.c.Focused().TypedRune(r)
	}
}

// tabTo presses Tab until target has the focus; the focus order must reach it.
func (k keyboard) tabTo(target fyne.Focusable, what string) {
	k.h.t.Helper()
	for i := 0; i < 300; i++ {
		if k.c.Focused() == target {
			return
		}
		k.c.FocusNext()
	}
	k.h.t.Fatalf("Tab never reaches %s", what)
}

// TestKeyboardWalksThePracticeWizard: the whole practice-tenant wizard in secret mode
// with key events only — Enter for Next where no field has the focus, Tab to reach a
// field or button, characters typed into the mailbox field, Enter to add it, Space on
// buttons (Run every check, Next, Save), Escape for Back.
func TestKeyboardWalksThePracticeWizard(t *testing.T) {
	h := newHarness(t)
	k := keyboard{h: h, c: h.w.Canvas()}
	step := func(want wizard.StepID) {
		t.Helper()
		h.do(func() {
			if got := h.z.Current(); got != want {
				t.Fatalf("at %s, want %s (%s)", got, want, h.z.problem.Text)
			}
		})
	}
	enterNext := func(want wizard.StepID) {
		t.Helper()
		h.do(func() { k.c.Unfocus(); k.press(fyne.KeyReturn) })
		step(want)
	}
	step(wizard.StepEnvironment)
	enterNext(wizard.StepPrerequisites)
	h.do(func() {
		if h.z.state.Mode != wizard.ModeSecret {
			t.Fatalf("mode %q preselected", h.z.state.Mode)
		}
	})
	enterNext(wizard.StepAppRegistration)
	enterNext(wizard.StepConsent)
	enterNext(wizard.StepMailboxes)

	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	addr := h.mailbox(wizard.KindUser)
	h.do(func() {
		k.tabTo(mb.address, "the mailbox field")
		k.typeText(addr)
		k.press(fyne.KeyReturn) // the field's Enter adds the mailbox
	})
	h.waitFor("the reachability badge", func() bool { _, ok := mb.badge(addr); return ok != nil && *ok })
	h.do(func() { k.tabTo(h.z.next, "Next"); k.press(fyne.KeySpace) })
	step(wizard.StepVerify)

	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.do(func() { k.tabTo(vs.run, "Run every check"); k.press(fyne.KeySpace) })
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil && h.z.NextEnabled() })
	h.do(func() {
		if !h.z.state.Verification.Passed {
			t.Fatalf("verification failed: %s", vs.status.Text)
		}
	})
	enterNext(wizard.StepSave)

	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring probe", func() bool { return !strings.Contains(sv.keyring.Text, "Looking") })
	h.do(func() { k.tabTo(sv.save, "Save the connection"); k.press(fyne.KeySpace) })
	h.waitFor("saving", func() bool { return h.z.state.Locked && strings.HasPrefix(sv.status.Text, "Saved") })

	// Escape = Back, step by step, to the first screen.
	for _, want := range []wizard.StepID{wizard.StepVerify, wizard.StepMailboxes, wizard.StepConsent, wizard.StepAppRegistration, wizard.StepPrerequisites, wizard.StepEnvironment} {
		h.do(func() { k.c.Unfocus(); k.press(fyne.KeyEscape) })
		step(want)
	}
}
