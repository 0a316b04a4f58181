package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The App registration step's practice-tenant panel: the note that its values are filled
// in, "Restore practice values", and the list of the practice tenant's apps with what
// each is for (connection.Practice).

// newPracticePanel builds the practice widgets, hidden until a practice tenant runs.
func (s *appRegistrationScreen) newPracticePanel() {
	s.practiceNote = wrapLabel("")
	s.practiceNote.Importance = widget.SuccessImportance
	s.practiceApps = wrapLabel("")
	s.restore = widget.NewButtonWithIcon("Restore practice values", theme.ViewRefreshIcon(), func() { s.fillPractice(true) })
	s.practiceBox = container.NewVBox(heading("The practice tenant's apps"), s.practiceApps)
	s.practiceBox.Hide()
	s.practiceNote.Hide()
	s.restore.Hide()
}

// fillPractice fills in the practice tenant's app for the chosen mode and features (the
// app holding exactly what they need, when there is one): once when the fields are
// empty or hold another practice app (the mode changed), and always when restore is set
// ("Restore practice values" after a value was overwritten).
func (s *appRegistrationScreen) fillPractice(restore bool) {
	p, ok := s.z.runningPractice()
	if !ok {
		s.practiceBox.Hide()
		s.practiceNote.Hide()
		s.restore.Hide()
		return
	}
	st := s.z.state
	app, found := p.AppFor(st.Mode, st.Features())
	otherPracticeApp := false // the mode changed since the values were filled in
	var lines []string
	for _, a := range p.Apps() {
		if a.ClientID == s.client.Text && a.Name != app.Name {
			otherPracticeApp = true
		}
		lines = append(lines, fmt.Sprintf("• %s — %s. Client ID %s.", a.Name, a.Purpose, a.ClientID))
	}
	lines = append(lines, fmt.Sprintf("Tenant %s (%s). Their secrets and certificates are in %s.", p.TenantDomain(), p.TenantID(), p.InfoFile()))
	s.practiceApps.SetText(strings.Join(lines, "\n"))
	if found && (restore || s.client.Text == "" || otherPracticeApp) && !st.Locked {
		s.tenant.SetText(p.TenantID())
		s.client.SetText(app.ClientID)
		s.secret.SetText(app.ClientSecret)
		s.certFile.SetText(app.CertificateFile)
		s.certPassword.SetText("")
	}
	s.practiceNote.SetText("Practice tenant: the values of its app \"" + app.Name + "\" are filled in; \"Restore practice values\" brings them back, and every practice app is listed below. With a real tenant you copy them from the Entra admin center.")
	s.practiceBox.Show()
	s.practiceNote.Show()
	s.restore.Show()
}
