package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/wizard"
)

// TestDelegatedSharedTurnsOnByItself: in delegated mode, picking a shared mailbox on
// the Mailboxes step turns on the .Shared permissions and says so; after signing in
// again (which grants them), verify passes instead of failing with "choose shared
// mailboxes and sign in again".
func TestDelegatedSharedTurnsOnByItself(t *testing.T) { newHarness(t).delegatedShared() }

// delegatedShared is TestDelegatedSharedTurnsOnByItself's walk (TestScreens takes its
// picture).
func (h *harness) delegatedShared() {
	t := h.t
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeDelegated {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
		if h.z.state.Shared {
			t.Fatal("Shared on before any mailbox was chosen")
		}
	})
	h.next(wizard.StepAppRegistration)
	h.next(wizard.StepConsent)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.tap(cs.start)
	h.waitFor("the sign-in", func() bool { return h.z.state.SignedIn || cs.outcome.Text != "" })
	h.next(wizard.StepMailboxes)
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	shared := h.mailbox(wizard.KindShared)
	h.do(func() {
		mb.address.SetText(shared)
		mb.kind.SetSelectedIndex(1)
		mb.addTyped()
		st := h.z.state
		if !st.Shared || !slices.Contains(st.Permissions, "Mail.Read.Shared") && !slices.Contains(st.Permissions, "Mail.ReadWrite.Shared") {
			t.Fatalf("shared mailbox chosen: Shared %v, permissions %v", st.Shared, st.Permissions)
		}
		if !mb.sharedBox.Visible() || !strings.Contains(mb.shared.Text, "Shared mailboxes turned on") || !strings.Contains(mb.shared.Text, ".Shared") {
			t.Fatalf("the step does not say so: visible %v, %q", mb.sharedBox.Visible(), mb.shared.Text)
		}
		if text, _ := mb.badge(shared); !strings.Contains(text, "signed in again") {
			t.Fatalf("the badge before the new sign-in says %q", text)
		}
		if h.z.NextEnabled() || !strings.Contains(h.z.problem.Text, "sign in again") {
			t.Fatalf("Next before signing in again: %v %q", h.z.NextEnabled(), h.z.problem.Text)
		}
	})
	h.shot("4-mailboxes-shared-turned-on")
	h.do(func() { test.Tap(mb.again) })
	h.waitFor("the second sign-in", func() bool { return h.z.state.SignedIn || cs.outcome.Text != "" })
	h.do(func() {
		if !h.z.state.SignedIn {
			t.Fatalf("second sign-in: %q %q", cs.outcome.Text, cs.advice.Text)
		}
	})
	h.next(wizard.StepMailboxes)
	h.waitFor("the shared mailbox's badge", func() bool { _, ok := mb.badge(shared); return ok != nil && *ok })
	h.do(func() {
		if mb.sharedBox.Visible() {
			t.Fatal("the sign-in-again note stayed after signing in again")
		}
	})
	h.next(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		v := h.z.state.Verification
		for _, c := range v.Checks {
			if c.Status == wizard.StatusFail {
				t.Errorf("%s failed: %s %s", c.Name, c.Seen, c.Advice)
			}
		}
		if !v.Passed {
			t.Fatalf("verify with the shared mailbox: %q", vs.status.Text)
		}
	})
}
