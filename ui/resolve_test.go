package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

// TestMailboxByObjectID: the mailbox field takes an object id; the practice tenant's
// directory resolves it to the address, display name and type, which the chosen list
// shows; a typed address gets the same details; an unknown id says so. Looking an id
// up reads the directory, so the connection asks for it (the picker's permission); the
// practice app filled in holds exactly what was asked for.
func TestMailboxByObjectID(t *testing.T) {
	h := newHarness(t)
	h.do(func() { h.z.state.ListUsers = true })
	h.walkTo(wizard.StepMailboxes)
	var id, addr, name string
	for _, m := range h.srv.Info().Mailboxes {
		if m.Kind == wizard.KindUser {
			id, addr, name = m.ID, m.Address, m.DisplayName
			break
		}
	}
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	h.do(func() {
		for _, m := range append([]wizard.Mailbox(nil), h.z.state.Mailboxes...) {
			h.z.state.RemoveMailbox(m.Address)
		}
		mb.render()
		test.Type(mb.address, id)
		if mb.address.Validate() != nil {
			t.Fatalf("object id refused by the field: %v", mb.address.Validate())
		}
		mb.addTyped()
	})
	h.waitFor("the object id to resolve", func() bool { return len(h.z.state.Mailboxes) == 1 })
	h.do(func() {
		m := h.z.state.Mailboxes[0]
		if !strings.EqualFold(m.Address, addr) || m.ID != id || m.DisplayName != name || m.Kind != wizard.KindUser {
			t.Fatalf("resolved %+v, want %s %s %s", m, addr, id, name)
		}
	})
	h.waitFor("the row's details", func() bool { return strings.Contains(rowTexts(mb), "user mailbox") })
	h.do(func() {
		if !strings.Contains(rowTexts(mb), name) {
			t.Errorf("row %q lacks %s", rowTexts(mb), name)
		}
		test.Type(mb.address, "00000000-0000-0000-0000-0000000000ff")
		mb.addTyped()
	})
	h.waitFor("the unknown id", func() bool { return strings.HasPrefix(mb.addErr.Text, "Not found") })
}

func rowTexts(s *mailboxesScreen) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		}
	}
	walk(s.chosen)
	return b.String()
}
