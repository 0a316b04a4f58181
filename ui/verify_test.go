package ui

import (
	"strings"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// TestVerifyCancelAndRerun: "Cancelled" shows only after the Cancel button, the run then
// does not pass and Next stays off; the next run, left alone, passes and enables Next.
func TestVerifyCancelAndRerun(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.do(func() {
		if h.z.Current() != wizard.StepVerify {
			t.Fatalf("at %s", h.z.Current())
		}
	})
	h.tap(vs.run)
	h.tap(vs.cancel) // the tap runs after the run started, as a second click would
	h.waitFor("the cancelled run", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if h.z.state.Verification.Passed || h.z.NextEnabled() || !strings.HasPrefix(vs.status.Text, "Cancelled") {
			t.Fatalf("after Cancel: passed %v, Next %v, status %q", h.z.state.Verification.Passed, h.z.NextEnabled(), vs.status.Text)
		}
		if vs.run.Disabled() || vs.cancel.Visible() {
			t.Fatal("after Cancel the run button is off or Cancel still shows")
		}
	})
	h.tap(vs.run)
	h.waitFor("the second run", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if !h.z.state.Verification.Passed || !h.z.NextEnabled() || !strings.HasPrefix(vs.status.Text, "Every check passed") {
			t.Fatalf("second run: passed %v, Next %v, status %q", h.z.state.Verification.Passed, h.z.NextEnabled(), vs.status.Text)
		}
	})
}

// TestVerifyStaleAfterValuesChange: a passed run of the secret app does not carry over
// to the certificate app: back on Verify the result is gone, the screen says why and
// Next waits for a new run, which passes.
func TestVerifyStaleAfterValuesChange(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepSave)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.do(func() {
		if err := h.z.GoTo(wizard.StepPrerequisites); err != nil {
			t.Fatal(err)
		}
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeCertificate {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
	})
	h.next(wizard.StepAppRegistration)
	h.next(wizard.StepConsent)
	h.next(wizard.StepMailboxes)
	h.waitFor("the mailbox checked again", func() bool { return h.z.NextEnabled() })
	h.next(wizard.StepVerify)
	h.do(func() {
		if h.z.state.Verification != nil || h.z.NextEnabled() || !strings.Contains(vs.status.Text, "values changed") {
			t.Fatalf("after a mode change: verification %v, Next %v, status %q", h.z.state.Verification != nil, h.z.NextEnabled(), vs.status.Text)
		}
	})
	h.tap(vs.run)
	h.waitFor("the new run", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if !h.z.state.Verification.Passed || !h.z.NextEnabled() {
			t.Fatalf("certificate run: passed %v, status %q", h.z.state.Verification.Passed, vs.status.Text)
		}
	})
}
