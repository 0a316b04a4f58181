package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

type prerequisitesScreen struct {
	z                                  *Wizard
	incoming, outgoing, organise, list *widget.Check
	shared                             *widget.Check
	mode                               *widget.RadioGroup
	tradeoffs                          *fyne.Container
	perms, who                         *widget.Label
	root                               fyne.CanvasObject
}

func modeLabel(m wizard.ModeAdvice) string {
	if m.Recommended {
		return m.Title + " (recommended)"
	}
	return m.Title
}

func newPrerequisitesScreen(z *Wizard) *prerequisitesScreen {
	s := &prerequisitesScreen{z: z}
	st := z.state
	changed := func() { s.update(); z.refresh() }
	s.incoming = widget.NewCheck("Incoming mail: read the mailboxes", func(b bool) { st.Incoming = b; changed() })
	s.organise = widget.NewCheck("…and also move, flag and delete messages (read + write)", func(b bool) { st.ReadWrite = b; changed() })
	s.outgoing = widget.NewCheck("Outgoing mail: send from the mailboxes", func(b bool) { st.Outgoing = b; changed() })
	s.list = widget.NewCheck("Let me pick mailboxes from a list of the organisation's users (adds a directory read permission)", func(b bool) { st.ListUsers = b; changed() })
	s.shared = widget.NewCheck("Delegated only: also shared mailboxes and other people's mailboxes", func(b bool) { st.Shared = b; changed() })

	var labels []string
	for _, m := range wizard.ModeChoices(wizard.Features{}) {
		labels = append(labels, modeLabel(m))
	}
	s.mode = widget.NewRadioGroup(labels, func(label string) {
		st.Mode = ""
		for _, m := range wizard.ModeChoices(st.Features()) {
			if modeLabel(m) == label {
				st.Mode = m.Mode
			}
		}
		st.Consented, st.SignedIn = false, false // a new mode needs its own consent or sign-in
		changed()
	})
	s.tradeoffs = container.NewVBox()
	s.perms = wrapLabel("")
	s.who = wrapLabel("")
	s.root = container.NewVBox(
		heading("Who must take part"),
		s.who,
		heading("What will the connection do?"),
		s.incoming, s.organise, s.outgoing, s.list,
		heading("How will the app reach the mailboxes?"),
		s.mode, s.shared, s.tradeoffs,
		heading("Permissions the app will ask for"),
		s.perms,
	)
	return s
}

func (s *prerequisitesScreen) object() fyne.CanvasObject { return s.root }

func (s *prerequisitesScreen) enter() {
	st := s.z.state
	if !st.Incoming && !st.Outgoing && st.Mode == "" {
		// Sensible defaults: read and send with a client secret.
		s.incoming.SetChecked(true)
		s.outgoing.SetChecked(true)
		s.mode.SetSelected(modeLabel(wizard.ModeChoices(st.Features())[0]))
	}
	s.shared.SetChecked(st.Shared) // the Mailboxes step may have turned it on
	s.update()
}

// update recomputes the trade-offs and the permission list from the choices.
func (s *prerequisitesScreen) update() {
	st := s.z.state
	s.who.SetText(whoTakesPart(st.Mode))
	if st.Incoming {
		s.organise.Enable()
	} else {
		s.organise.Disable()
	}
	if st.Mode == wizard.ModeDelegated {
		s.shared.Enable()
	} else {
		s.shared.Disable()
	}
	s.tradeoffs.Objects = nil
	for _, m := range wizard.ModeChoices(st.Features()) {
		if m.Mode != st.Mode {
			continue
		}
		s.tradeoffs.Add(wrapLabel(m.Good))
		s.tradeoffs.Add(wrapLabel(m.Bad))
	}
	s.tradeoffs.Refresh()
	if st.Mode == "" || (!st.Incoming && !st.Outgoing) {
		st.Permissions = nil
		s.perms.SetText("Choose what the connection does and an access mode.")
		return
	}
	st.Permissions = graph.RequestedPermissions(graph.Mode(st.Mode), conn.GraphFeatures(st.Features()))
	kind := "Application permissions (admin consent required):"
	if st.Mode == wizard.ModeDelegated {
		kind = "Delegated permissions (admin consent recommended):"
	}
	s.perms.SetText(kind + "\n" + strings.Join(graph.PermissionLines(graph.Mode(st.Mode), conn.GraphFeatures(st.Features())), "\n"))
}

// whoTakesPart is the Prerequisites step's paragraph on who must be present, built on
// the one approver sentence (wizard.Approver) that the Consent step shows too.
func whoTakesPart(mode string) string {
	if mode == wizard.ModeDelegated {
		return wizard.Approver(mode) + " The service account needs Full Access (and Send As to send) on any mailbox other than its own, set by an Exchange Administrator."
	}
	return wizard.Approver(mode) + " They do it in step 4 (Consent); if they are not beside you, step 4 prepares a link and a message to send them. " +
		"An Exchange Administrator can then limit the app to the chosen mailboxes."
}
