package ui

import (
	"strings"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// TestConsentCancel: Cancel while the browser is open ends the wait and says
// "Cancelled" (decided from the button, not from the worker's context); Next stays off
// for a delegated sign-in; a new start then signs in.
func TestConsentCancel(t *testing.T) {
	h := newHarness(t)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.next(wizard.StepPrerequisites)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeDelegated {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
	})
	h.next(wizard.StepAppRegistration)
	h.next(wizard.StepConsent)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.browser.mu.Lock()
	h.browser.idle = true
	h.browser.mu.Unlock()
	h.tap(cs.start)
	h.waitFor("the wait for the browser", func() bool { return cs.cancel.Visible() && strings.HasPrefix(cs.waiting.Text, "Waiting") })
	h.tap(cs.cancel)
	h.waitFor("the cancelled sign-in", func() bool { return cs.outcome.Text != "" })
	h.do(func() {
		if !strings.HasPrefix(cs.outcome.Text, "Cancelled") || h.z.NextEnabled() || cs.start.Disabled() || cs.cancel.Visible() {
			t.Fatalf("after Cancel: outcome %q, Next %v, start disabled %v, Cancel shown %v", cs.outcome.Text, h.z.NextEnabled(), cs.start.Disabled(), cs.cancel.Visible())
		}
	})
	h.browser.mu.Lock()
	h.browser.idle = false
	h.browser.mu.Unlock()
	h.tap(cs.start)
	h.waitFor("the sign-in", func() bool { return h.z.NextEnabled() })
	h.do(func() {
		if !strings.HasPrefix(cs.outcome.Text, "Signed in as ") {
			t.Fatalf("after the sign-in: %q", cs.outcome.Text)
		}
	})
}
