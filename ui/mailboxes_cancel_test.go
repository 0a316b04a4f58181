package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/wizard"
)

// slowFor is how long the practice tenant holds the request each Cancel test cancels;
// lateBy is how long the test then waits for an answer that must not reach the screen.
const slowFor, lateBy = 3 * time.Second, 3500 * time.Millisecond

// TestMailboxLookupCancel: an object id typed on the Mailboxes step is looked up with
// progress and Cancel; Cancel (the practice tenant holding the lookup) says Cancelled,
// and the answer arriving later adds nothing.
func TestMailboxLookupCancel(t *testing.T) {
	h := newHarness(t)
	h.do(func() { h.z.state.ListUsers = true }) // an object id is looked up in the directory (the picker's permission)
	h.walkTo(wizard.StepMailboxes)
	var id string
	for _, m := range h.srv.Mail().Mailboxes() {
		if m.Kind == wizard.KindUser && id == "" {
			id = m.ID
		}
	}
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, PathContains: id, Delay: slowFor})
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	h.do(func() {
		mb.address.SetText(id)
		mb.addTyped()
		if !mb.lookup.box.Visible() || !mb.lookup.cancel.Visible() || !strings.Contains(mb.lookup.text.Text, "Looking up "+id) {
			t.Fatalf("the lookup shows no progress or Cancel: %v %q", mb.lookup.box.Visible(), mb.lookup.text.Text)
		}
	})
	cancelled := time.Now()
	h.tap(mb.lookup.cancel)
	h.do(func() {
		if !strings.HasPrefix(mb.addErr.Text, "Cancelled") || mb.lookup.box.Visible() {
			t.Fatalf("after Cancel: %q, progress shown %v", mb.addErr.Text, mb.lookup.box.Visible())
		}
	})
	time.Sleep(lateBy - time.Since(cancelled))
	h.do(func() {
		if len(h.z.state.Mailboxes) != 0 || !strings.HasPrefix(mb.addErr.Text, "Cancelled") {
			t.Fatalf("a late answer reached the screen: %d mailbox(es), %q", len(h.z.state.Mailboxes), mb.addErr.Text)
		}
	})
	// Without the hold the same lookup adds the mailbox.
	h.srv.Mail().ClearFaults()
	h.do(func() { mb.address.SetText(id); mb.addTyped() })
	h.waitFor("the lookup", func() bool { return len(h.z.state.Mailboxes) == 1 })
}

// TestMailboxSearchCancel: the directory search shows progress and Cancel; Cancel says
// Cancelled and a late answer lists nothing.
func TestMailboxSearchCancel(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepMailboxes)
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, PathContains: "/users", Delay: slowFor})
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	h.do(func() {
		mb.search()
		if !mb.lookup.box.Visible() || !strings.Contains(mb.lookup.text.Text, "Searching") {
			t.Fatalf("the search shows no progress: %q", mb.lookup.text.Text)
		}
	})
	cancelled := time.Now()
	h.tap(mb.lookup.cancel)
	h.do(func() {
		if !strings.HasPrefix(mb.searchSt.Text, "Cancelled") {
			t.Fatalf("after Cancel: %q", mb.searchSt.Text)
		}
	})
	time.Sleep(lateBy - time.Since(cancelled))
	h.do(func() {
		if len(mb.results.Objects) != 0 || !strings.HasPrefix(mb.searchSt.Text, "Cancelled") {
			t.Fatalf("a late answer reached the screen: %d results, %q", len(mb.results.Objects), mb.searchSt.Text)
		}
	})
}

// TestMailboxReachCancel: the reachability check of a chosen mailbox shows progress
// and Cancel; Cancel marks the badge as not checked, a late answer changes nothing, and
// Check again checks it.
func TestMailboxReachCancel(t *testing.T) {
	h := newHarness(t)
	h.walkTo(wizard.StepMailboxes)
	addr := h.mailbox(wizard.KindUser)
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, Mailbox: addr, PathContains: "/mailFolders", Delay: slowFor})
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	h.do(func() {
		mb.address.SetText(addr)
		mb.addTyped()
		if _, ok := mb.badge(addr); ok != nil || !mb.reachBox.Visible() || !mb.reachCancel.Visible() {
			t.Fatalf("the check shows no progress or Cancel: box %v", mb.reachBox.Visible())
		}
	})
	cancelled := time.Now()
	h.tap(mb.reachCancel)
	h.do(func() {
		text, ok := mb.badge(addr)
		if ok == nil || *ok || !strings.Contains(text, "cancelled") || !strings.HasPrefix(mb.reachText.Text, "Cancelled") || !mb.reachAgain.Visible() {
			t.Fatalf("after Cancel: badge %q, line %q", text, mb.reachText.Text)
		}
	})
	time.Sleep(lateBy - time.Since(cancelled))
	h.do(func() {
		if text, ok := mb.badge(addr); ok == nil || *ok || !strings.Contains(text, "cancelled") {
			t.Fatalf("a late answer reached the badge: %q", text)
		}
	})
	h.srv.Mail().ClearFaults()
	h.do(func() { test.Tap(mb.reachAgain) })
	h.waitFor("the check again", func() bool { _, ok := mb.badge(addr); return ok != nil && *ok })
	h.do(func() {
		if mb.reachBox.Visible() {
			t.Fatal("the progress line stayed after the check")
		}
	})
}
