package ui

import (
	"strings"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// TestMailboxesNextNeedsReachable: with only unreachable mailboxes Next stays off and
// says why; after the secret changes on App registration the rows are checked again (a
// wrong secret turns them red, the right one green again) and Next follows.
func TestMailboxesNextNeedsReachable(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepMailboxes)
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	nobody := "nobody@" + h.srv.Info().TenantDomain
	good := h.mailbox(wizard.KindUser)
	h.do(func() {
		mb.address.SetText(nobody)
		mb.addTyped()
		if h.z.NextEnabled() {
			t.Fatal("Next enabled while the only mailbox is being checked")
		}
	})
	h.waitFor("the unreachable badge", func() bool { _, ok := mb.badge(nobody); return ok != nil })
	h.do(func() {
		if h.z.NextEnabled() || !strings.Contains(h.z.problem.Text, "none of the chosen mailboxes") {
			t.Fatalf("only an unreachable mailbox: Next %v, problem %q", h.z.NextEnabled(), h.z.problem.Text)
		}
	})
	h.addMailboxes(good)
	h.do(func() {
		if !h.z.NextEnabled() {
			t.Fatalf("one reachable mailbox, Next disabled: %q", h.z.problem.Text)
		}
	})

	// A wrong secret typed on App registration: back on Mailboxes, the rows are red.
	var secret string
	h.do(func() {
		if err := h.z.GoTo(wizard.StepAppRegistration); err != nil {
			t.Fatal(err)
		}
		secret = reg.secret.Text
		reg.secret.SetText("Wrong8Q~" + strings.Repeat("x", 32))
	})
	h.next(wizard.StepConsent)
	h.next(wizard.StepMailboxes)
	h.waitFor("the rows checked with the wrong secret", func() bool {
		_, ok := mb.badge(good)
		return ok != nil && !*ok
	})
	h.do(func() {
		if text, _ := mb.badge(good); !strings.Contains(text, "secret") {
			t.Fatalf("wrong secret badge: %q", text)
		}
		if h.z.NextEnabled() {
			t.Fatal("Next enabled with every mailbox unreachable")
		}
	})
	h.shot("4-mailboxes-wrong-secret")

	// The secret fixed: the rows turn green again without being added anew.
	h.do(func() {
		if err := h.z.GoTo(wizard.StepAppRegistration); err != nil {
			t.Fatal(err)
		}
		reg.secret.SetText(secret)
	})
	h.next(wizard.StepConsent)
	h.next(wizard.StepMailboxes)
	h.waitFor("the rows checked with the right secret", func() bool {
		_, ok := mb.badge(good)
		return ok != nil && *ok && h.z.NextEnabled()
	})
}
