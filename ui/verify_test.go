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
