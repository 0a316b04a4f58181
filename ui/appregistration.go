package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

type appRegistrationScreen struct {
	z                              *Wizard
	tenant, client, secret, expiry *widget.Entry
	certFile, certPassword         *widget.Entry
	certStatus                     *widget.Label
	account                        *widget.Entry
	secretBox, certBox, delegBox   *fyne.Container
	perms                          *widget.Label
	practiceNote                   *widget.Label
	practiceBox                    *fyne.Container
	practiceApps                   *widget.Label
	restore                        *widget.Button
	fieldErrs                      *widget.Label
	scriptKind                     *widget.Select
	script                         *widget.Entry
	scriptRow                      *fyne.Container
	root                           fyne.CanvasObject
	how                            *widget.RadioGroup
	create                         *appCreatePanel

	// "Test these values": the run in flight (testRun counts runs, so the answer of a
	// run whose values were changed since is dropped), and what it found.
	testBtn, testCancel *widget.Button
	testBusy            *widget.ProgressBarInfinite
	testOK, testFail    *widget.Label
	testStop            context.CancelFunc
	testRun             int
	testUserCancelled   bool
}

func newAppRegistrationScreen(z *Wizard) *appRegistrationScreen {
	s := &appRegistrationScreen{z: z}
	s.newFields()
	s.newTestSection()
	s.newPracticePanel()
	s.newScriptSection()
	s.create = newAppCreatePanel(z, func() {
		s.enter()
		if z.state.Mode == wizard.ModeCertificate {
			s.loadCertificate()
		}
		z.refresh()
	})
	s.how = widget.NewRadioGroup([]string{howCreate, howHave, howScript}, func(v string) {
		if v == howCreate {
			s.create.object().Show()
		} else {
			s.create.object().Hide()
		}
	})
	s.how.SetSelected(howCreate)
	s.create.onHandOff = func() {
		s.create.result.SetText(s.create.result.Text + "\nThe script below (\"Or let a script create the app\") does the same for an administrator who has that role.")
	}
	st := z.state
	s.root = container.NewVBox(
		s.how, s.create.object(),
		s.practiceNote,
		wrapLabel("In the Entra admin center open Identity > Applications > App registrations > New registration (or your existing app). Its Overview page shows the Application (client) ID and the Directory (tenant) ID."),
		formRows("Tenant", s.tenant, "Client ID", s.client), s.secretBox, s.certBox, s.delegBox, s.fieldErrs,
		container.NewHBox(s.testBtn, s.testCancel, s.restore), s.testBusy, s.testOK, s.testFail,
		s.practiceBox,
		heading("Redirect URI"),
		container.NewHBox(widget.NewLabel(graph.HandoffRedirectURI), z.copyButton("Copy", func() string { return graph.HandoffRedirectURI })),
		heading("API permissions (Microsoft Graph)"),
		container.NewBorder(nil, nil, nil, z.copyButton("Copy", func() string {
			return strings.Join(graph.PermissionLines(graph.Mode(st.Mode), conn.GraphFeatures(st.Features())), "\n")
		}), s.perms),
		heading("Or let a script create the app"),
		s.scriptRow,
		s.script,
	)
	return s
}

// The three ways to get an app registration ("Create it for me" in appcreate.go).
const (
	howCreate = "Create it for me (recommended)"
	howHave   = "I already have one"
	howScript = "Give me a script for my admin (below)"
)

func (s *appRegistrationScreen) object() fyne.CanvasObject { return s.root }

func (s *appRegistrationScreen) cancelAction() bool {
	return cancelFirst(nil, s.testCancel, s.create.cancel)
}

func (s *appRegistrationScreen) enter() {
	st := s.z.state
	s.secretBox.Hide()
	s.certBox.Hide()
	s.delegBox.Hide()
	switch st.Mode {
	case wizard.ModeSecret:
		s.secretBox.Show()
	case wizard.ModeCertificate:
		s.certBox.Show()
	case wizard.ModeDelegated:
		s.delegBox.Show()
	}
	// Show the state (after Back, Import or Reset the fields follow it).
	for e, v := range map[*widget.Entry]string{s.tenant: st.TenantID, s.client: st.ClientID, s.secret: st.ClientSecret,
		s.expiry: st.SecretExpiry, s.certFile: st.CertFile, s.certPassword: st.CertPassword, s.account: st.ServiceAccount} {
		if e.Text != v {
			e.SetText(v)
		}
	}
	s.fillPractice(false)
	kind := "Application"
	if st.Mode == wizard.ModeDelegated {
		kind = "Delegated"
	}
	s.perms.SetText(kind + ":\n" + strings.Join(graph.PermissionLines(graph.Mode(st.Mode), conn.GraphFeatures(st.Features())), "\n"))
	if s.scriptKind.Selected == "" {
		s.scriptKind.SetSelectedIndex(0)
	}
	s.updateScript()
	s.create.enter()
	s.setLocked(st.Locked)
	s.showFieldErrors()
}
