package ui

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/emulator"
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
	scriptKind                     *widget.Select
	script                         *widget.Entry
	root                           fyne.CanvasObject
	how                            *widget.RadioGroup
	create                         *appCreatePanel
}

func newAppRegistrationScreen(z *Wizard) *appRegistrationScreen {
	s := &appRegistrationScreen{z: z}
	st := z.state
	changed := func() { st.Consented, st.SignedIn = false, false; z.refresh() }
	// entry binds a field to *dst; a real change un-does an earlier consent or sign-in.
	entry := func(placeholder string, validate func(string) error, dst *string, after func()) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.Validator = validate
		e.OnChanged = func(v string) {
			if v = wizard.Clean(v); v == *dst {
				return
			}
			*dst = v
			if after != nil {
				after()
			}
			changed()
		}
		return e
	}
	s.tenant = entry("Directory (tenant) ID or contoso.onmicrosoft.com", wizard.ValidateTenant, &st.TenantID, func() { s.updateScript() })
	s.client = entry("Application (client) ID", wizard.ValidateClientID, &st.ClientID, func() { s.updateScript() })
	s.secret = entry("Client secret Value (not the Secret ID)", wizard.ValidateClientSecret, &st.ClientSecret, nil)
	s.secret.Password = true
	s.expiry = entry("Expires (optional), e.g. 2027-05-31", wizard.ValidateExpiryDate, &st.SecretExpiry, nil)
	s.certFile = entry("Certificate file (.pfx or .pem)", nil, &st.CertFile, func() { s.loadCertificate() })
	s.certPassword = entry("PFX password (empty if none)", nil, &st.CertPassword, func() { s.loadCertificate() })
	s.certPassword.Password = true
	s.certStatus = wrapLabel("")
	browse := widget.NewButtonWithIcon("Choose file…", theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			s.certFile.SetText(r.URI().Path())
		}, z.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".pfx", ".p12", ".pem"}))
		d.Show()
	})
	s.account = entry("Service account (optional), e.g. mailsync@contoso.com", nil, &st.ServiceAccount, nil)

	s.secretBox = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Client secret", s.secret), widget.NewFormItem("Secret expires", s.expiry)),
		wrapLabel("Certificates & secrets > Client secrets > New client secret. Copy the Value column right away (it is shown once). Type its Expires date so the app can warn you 30 days before."),
	)
	s.certBox = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Certificate", container.NewBorder(nil, nil, nil, browse, s.certFile)), widget.NewFormItem("Password", s.certPassword)),
		s.certStatus,
		wrapLabel("Upload the certificate's public part (.cer) under Certificates & secrets > Certificates; keep the .pfx with its private key here."),
	)
	s.delegBox = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Service account", s.account)),
		wrapLabel("Delegated access needs no secret: in the next step the service account signs in in the browser. Under Authentication, add the platform 'Mobile and desktop applications' with the redirect URI below and set 'Allow public client flows' to Yes."),
	)

	s.perms = wrapLabel("")
	s.practiceNote = wrapLabel("")
	s.practiceNote.Importance = widget.SuccessImportance
	s.script = widget.NewMultiLineEntry()
	s.script.Wrapping = fyne.TextWrapOff
	s.script.SetMinRowsVisible(8)
	s.scriptKind = widget.NewSelect([]string{"Azure CLI (bash)", "Microsoft Graph PowerShell", "Exchange Online: limit to the chosen mailboxes"}, func(string) { s.updateScript() })
	saveScript := widget.NewButtonWithIcon("Save script…", theme.DocumentSaveIcon(), func() {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			if _, err := w.Write([]byte(s.script.Text)); err != nil {
				dialog.ShowError(fmt.Errorf("the script was not saved: %w", err), z.win)
			}
		}, z.win)
		d.SetFileName(map[bool]string{true: "m365connect-app.ps1", false: "m365connect-app.sh"}[strings.Contains(s.scriptKind.Selected, "PowerShell") || strings.HasPrefix(s.scriptKind.Selected, "Exchange")])
		d.Show()
	})

	form := widget.NewForm(
		widget.NewFormItem("Tenant", s.tenant),
		widget.NewFormItem("Client ID", s.client),
	)
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
	s.root = container.NewVBox(
		s.how, s.create.object(),
		s.practiceNote,
		wrapLabel("In the Entra admin center open Identity > Applications > App registrations > New registration (or your existing app). Its Overview page shows the Application (client) ID and the Directory (tenant) ID."),
		form, s.secretBox, s.certBox, s.delegBox,
		heading("Redirect URI"),
		container.NewHBox(widget.NewLabel(graph.HandoffRedirectURI), z.copyButton("Copy", func() string { return graph.HandoffRedirectURI })),
		heading("API permissions (Microsoft Graph)"),
		container.NewBorder(nil, nil, nil, z.copyButton("Copy", func() string { return strings.Join(st.Permissions, "\n") }), s.perms),
		heading("Or let a script create the app"),
		container.NewHBox(s.scriptKind, z.copyButton("Copy script", func() string { return s.script.Text }), saveScript),
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
	s.fillPractice()
	kind := "Application"
	if st.Mode == wizard.ModeDelegated {
		kind = "Delegated"
	}
	s.perms.SetText(kind + ": " + strings.Join(st.Permissions, ", "))
	if s.scriptKind.Selected == "" {
		s.scriptKind.SetSelectedIndex(0)
	}
	s.updateScript()
	s.create.enter()
	s.setLocked(st.Locked)
}

// setLocked makes the fields read-only for a saved config (Reset unlocks them).
func (s *appRegistrationScreen) setLocked(locked bool) {
	for _, e := range []*widget.Entry{s.tenant, s.client, s.secret, s.expiry, s.certFile, s.certPassword, s.account} {
		if locked {
			e.Disable()
		} else {
			e.Enable()
		}
	}
}

// fillPractice fills in the practice tenant's app for the chosen mode, once.
func (s *appRegistrationScreen) fillPractice() {
	info, _, ok := s.z.practiceInfo()
	if !ok {
		s.practiceNote.Hide()
		return
	}
	name := map[string]string{wizard.ModeSecret: emulator.AppSecretName, wizard.ModeCertificate: emulator.AppCertificateName, wizard.ModeDelegated: emulator.AppDelegatedName}[s.z.state.Mode]
	otherPracticeApp := false // the mode changed since the values were filled in
	for _, a := range info.Apps {
		if a.ClientID == s.client.Text && a.Name != name {
			otherPracticeApp = true
		}
	}
	for _, a := range info.Apps {
		if a.Name != name {
			continue
		}
		if s.client.Text == "" || otherPracticeApp {
			s.tenant.SetText(info.TenantID)
			s.client.SetText(a.ClientID)
			s.secret.SetText(a.ClientSecret)
			s.certFile.SetText(a.CertificateFile)
		}
	}
	s.practiceNote.SetText("Practice tenant: the values of its app \"" + name + "\" are filled in. With a real tenant you copy them from the Entra admin center.")
	s.practiceNote.Show()
}

// loadCertificate reads the chosen certificate to show its thumbprint and expiry.
func (s *appRegistrationScreen) loadCertificate() {
	st := s.z.state
	if st.CertFile == wizard.CertFileInKeyring {
		s.certStatus.SetText("Certificate made by \"Create it for me\": its private key is in this computer's keyring.")
		return
	}
	st.CertThumbprint, st.CertNotAfter = "", nil
	if st.CertFile == "" {
		s.certStatus.SetText("")
		return
	}
	data, err := os.ReadFile(st.CertFile)
	if err != nil {
		s.certStatus.SetText("Certificate: the file cannot be read: " + err.Error())
		return
	}
	var pw []byte
	if st.CertPassword != "" {
		pw = []byte(st.CertPassword)
	}
	certs, _, err := azidentity.ParseCertificates(data, pw)
	if err != nil || len(certs) == 0 {
		s.certStatus.SetText("Certificate: not a certificate with its private key, or the password is wrong (.pfx with the key, or .pem with CERTIFICATE and PRIVATE KEY blocks).")
		return
	}
	sum := sha1.Sum(certs[0].Raw)
	st.CertThumbprint = strings.ToUpper(hex.EncodeToString(sum[:]))
	na := certs[0].NotAfter
	st.CertNotAfter = &na
	msg := fmt.Sprintf("Thumbprint %s (compare with the portal), valid until %s.", st.CertThumbprint, na.Format("2 January 2006"))
	if w := wizard.ExpiryWarning(wizard.ModeCertificate, &na, s.z.opts.Now()); w != "" {
		msg += " " + w
	}
	s.certStatus.SetText(msg)
}

func (s *appRegistrationScreen) updateScript() {
	st := s.z.state
	cl, err := CloudFor(st.Cloud, st.Practice)
	if err != nil || st.Mode == "" {
		s.script.SetText("# Choose the environment and the access mode first.")
		return
	}
	var mbs []string
	for _, m := range st.Mailboxes {
		mbs = append(mbs, m.Address)
	}
	sc := graph.GenerateScripts(graph.ScriptInput{Cloud: cl, TenantID: st.TenantID, AppName: "m365connect", ClientID: st.ClientID,
		Mode: graph.Mode(st.Mode), Features: GraphFeatures(st.Features()), Mailboxes: mbs})
	switch s.scriptKind.SelectedIndex() {
	case 1:
		s.script.SetText(sc.GraphPowerShell)
	case 2:
		s.script.SetText(sc.ExchangeRBAC)
	default:
		s.script.SetText(sc.AzureCLI)
	}
}
