package ui

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
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
	practiceBox                    *fyne.Container
	practiceApps                   *widget.Label
	restore                        *widget.Button
	fieldErrs                      *widget.Label
	scriptKind                     *widget.Select
	script                         *widget.Entry
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
	st := z.state
	changed := func() {
		st.Consented, st.SignedIn = false, false
		s.clearTest() // its answer described the values before this change
		s.showFieldErrors()
		z.refresh()
	}
	// entry binds a field to *dst; a real change un-does an earlier consent or sign-in.
	// The validator marks the field; its words go to fieldErrs, which wraps (a Form's
	// hint line does not, and widened the window).
	entry := func(placeholder string, validate func(string) error, dst *string, after func()) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.Validator = validate
		norm := wizard.Clean
		if dst == &st.TenantID {
			norm = wizard.NormaliseTenant // the one form, from the field to the token request
		}
		e.OnChanged = func(v string) {
			if v = norm(v); v == *dst {
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
		formRows("Client secret", s.secret, "Secret expires", s.expiry),
		wrapLabel("Certificates & secrets > Client secrets > New client secret. Copy the Value column right away (it is shown once). Type its Expires date so the app can warn you 30 days before."),
	)
	s.certBox = container.NewVBox(
		formRows("Certificate", container.NewBorder(nil, nil, nil, browse, s.certFile), "Password", s.certPassword),
		s.certStatus,
		wrapLabel("Upload the certificate's public part (.cer) under Certificates & secrets > Certificates; keep the .pfx with its private key here."),
	)
	s.delegBox = container.NewVBox(
		formRows("Service account", s.account),
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

	form := formRows("Tenant", s.tenant, "Client ID", s.client)
	s.fieldErrs = errorLabel()
	s.testBtn = widget.NewButtonWithIcon("Test these values", theme.ConfirmIcon(), s.testValues)
	s.testCancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if s.testStop != nil {
			s.testUserCancelled = true
			s.testStop()
		}
	})
	s.testCancel.Hide()
	s.testBusy = widget.NewProgressBarInfinite()
	s.testBusy.Stop()
	s.testBusy.Hide()
	s.testOK = wrapLabel("")
	s.testOK.Importance = widget.SuccessImportance
	s.testOK.Hide()
	s.testFail = errorLabel()

	s.practiceApps = wrapLabel("")
	s.restore = widget.NewButtonWithIcon("Restore practice values", theme.ViewRefreshIcon(), func() { s.fillPractice(true) })
	s.practiceBox = container.NewVBox(heading("The practice tenant's apps"), s.practiceApps)
	s.practiceBox.Hide()
	s.practiceNote.Hide()
	s.restore.Hide()
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
		form, s.secretBox, s.certBox, s.delegBox, s.fieldErrs,
		container.NewHBox(s.testBtn, s.testCancel, s.restore), s.testBusy, s.testOK, s.testFail,
		s.practiceBox,
		heading("Redirect URI"),
		container.NewHBox(widget.NewLabel(graph.HandoffRedirectURI), z.copyButton("Copy", func() string { return graph.HandoffRedirectURI })),
		heading("API permissions (Microsoft Graph)"),
		container.NewBorder(nil, nil, nil, z.copyButton("Copy", func() string {
			return strings.Join(graph.PermissionLines(graph.Mode(st.Mode), conn.GraphFeatures(st.Features())), "\n")
		}), s.perms),
		heading("Or let a script create the app"),
		container.NewHBox(wideSelect(s.scriptKind), z.copyButton("Copy script", func() string { return s.script.Text }), saveScript),
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

// formRows lays out label/field pairs as a form without a hint line under each field.
func formRows(pairs ...any) *fyne.Container {
	var objs []fyne.CanvasObject
	for i := 0; i+1 < len(pairs); i += 2 {
		l := widget.NewLabelWithStyle(pairs[i].(string), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		// One label width for every row group, so the fields line up when the mode's
		// rows (secret, certificate, service account) show under Tenant and Client ID.
		w := fyne.MeasureText("Service account", theme.TextSize(), fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding()
		objs = append(objs, container.New(minWidth{w: w}, l), pairs[i+1].(fyne.CanvasObject))
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// showFieldErrors lists, under the fields, what is wrong with each value typed so far
// (an empty field is not an error yet: the problem line below says what is missing).
func (s *appRegistrationScreen) showFieldErrors() {
	st := s.z.state
	type field struct {
		value    string
		validate func(string) error
	}
	fields := []field{{st.TenantID, wizard.ValidateTenant}, {st.ClientID, wizard.ValidateClientID}}
	if st.Mode == wizard.ModeSecret {
		fields = append(fields, field{st.ClientSecret, wizard.ValidateClientSecret}, field{st.SecretExpiry, wizard.ValidateExpiryDate})
	}
	var msgs []string
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		if err := f.validate(f.value); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	setMessage(s.fieldErrs, strings.Join(msgs, "\n"))
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
	if locked {
		s.restore.Disable()
	} else {
		s.restore.Enable()
	}
}

// practiceAppFor is the practice app whose values fill the fields in each mode.
func practiceAppFor(mode string) string {
	return map[string]string{wizard.ModeSecret: emulator.AppSecretName, wizard.ModeCertificate: emulator.AppCertificateName, wizard.ModeDelegated: emulator.AppDelegatedName}[mode]
}

// practiceAppPurpose says what a practice app is for, in the step's words.
func practiceAppPurpose(a emulator.InfoApp) string {
	switch a.Name {
	case emulator.AppSecretName:
		return "application access with a client secret; admin consent already granted"
	case emulator.AppCertificateName:
		return "application access with a certificate; admin consent already granted"
	case emulator.AppDelegatedName:
		return "delegated access: a practice user signs in; consent already granted"
	case emulator.AppNotConsentedName:
		return "no consent yet: use it to try the admin-consent page (Consent step)"
	}
	if a.Access == emulator.AccessDelegated {
		return "delegated access: " + strings.Join(a.Scopes, ", ")
	}
	return "application access: " + strings.Join(a.Roles, ", ")
}

// fillPractice fills in the practice tenant's app for the chosen mode: once when the
// fields are empty or hold another practice app (the mode changed), and always when
// restore is set ("Restore practice values" after a value was overwritten).
func (s *appRegistrationScreen) fillPractice(restore bool) {
	info, _, ok := s.z.practiceInfo()
	if !ok {
		s.practiceBox.Hide()
		s.practiceNote.Hide()
		s.restore.Hide()
		return
	}
	name := practiceAppFor(s.z.state.Mode)
	otherPracticeApp := false // the mode changed since the values were filled in
	var lines []string
	for _, a := range info.Apps {
		if a.ClientID == s.client.Text && a.Name != name {
			otherPracticeApp = true
		}
		lines = append(lines, fmt.Sprintf("• %s — %s. Client ID %s.", a.Name, practiceAppPurpose(a), a.ClientID))
	}
	lines = append(lines, fmt.Sprintf("Tenant %s (%s). Their secrets and certificates are in %s.", info.TenantDomain, info.TenantID,
		filepath.Join(s.z.opts.ConfigDir, "practice", "sandbox.json")))
	s.practiceApps.SetText(strings.Join(lines, "\n"))
	for _, a := range info.Apps {
		if a.Name != name {
			continue
		}
		if restore || s.client.Text == "" || otherPracticeApp {
			if s.z.state.Locked {
				break
			}
			s.tenant.SetText(info.TenantID)
			s.client.SetText(a.ClientID)
			s.secret.SetText(a.ClientSecret)
			s.certFile.SetText(a.CertificateFile)
			s.certPassword.SetText("")
		}
	}
	s.practiceNote.SetText("Practice tenant: the values of its app \"" + name + "\" are filled in; \"Restore practice values\" brings them back, and every practice app is listed below. With a real tenant you copy them from the Entra admin center.")
	s.practiceBox.Show()
	s.practiceNote.Show()
	s.restore.Show()
}

// testValues checks the typed values against the tenant, off the UI goroutine: the
// tenant in the chosen cloud (its OpenID configuration), then for the app-only modes a
// token obtained with the typed secret or certificate. Any failure shows here, with
// its cause and fix, instead of first on the Mailboxes or Verify step.
func (s *appRegistrationScreen) testValues() {
	z := s.z
	st := z.state
	s.clearTest()
	z.win.Canvas().Unfocus() // a focused field hides its mark; the answer may set one
	if err := st.Gate(wizard.StepAppRegistration); err != nil {
		s.showTest("", err.Error())
		return
	}
	cl, err := conn.CloudFor(st.Cloud, st.Practice)
	if err != nil {
		s.showTest("", "Cannot test: "+err.Error())
		return
	}
	settings := graph.Settings{Cloud: cl, TenantID: st.TenantID, ClientID: st.ClientID, Mode: graph.Mode(st.Mode), Features: conn.GraphFeatures(st.Features())}
	sec := graph.Secrets{ClientSecret: st.ClientSecret, CertificatePassword: st.CertPassword}
	if st.Mode == wizard.ModeCertificate {
		if sec.Certificate, err = readCertificate(st, s.z.opts.Secrets); err != nil {
			s.showTest("", "Certificate: the file cannot be read: "+err.Error())
			return
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.testStop, s.testUserCancelled = cancel, false
	run := s.testRun
	s.testBtn.Disable()
	s.testCancel.Show()
	s.testBusy.Show()
	s.testBusy.Start()
	go func() {
		rs, err := graph.TestValues(ctx, settings, sec, nil)
		cancel()
		z.do(func() {
			if run != s.testRun {
				return // the values changed (or a new run started) meanwhile
			}
			s.finishTest()
			switch {
			case s.testUserCancelled:
				s.showTest("", "Cancelled: the values were not tested.")
			case err != nil:
				s.showTest("", "Cannot test: "+err.Error())
			default:
				ok, failed, field := s.testOutcome(rs, st.Mode)
				s.showTest(ok, failed)
				if field != nil { // the field's own tick said only that the shape is right
					field.AlwaysShowValidationError = true
					field.SetValidationError(errors.New(strings.SplitN(failed, "\n", 2)[0]))
				}
			}
		})
	}()
}

// testOutcome turns the checks' results into the lines to show: what worked, or the
// first failure with its cause and fix; field is the entry that holds the wrong value
// (its tick turns into an error mark), nil when the fix is elsewhere.
func (s *appRegistrationScreen) testOutcome(rs []graph.CheckResult, mode string) (ok, failed string, field *widget.Entry) {
	for _, r := range rs {
		if r.Status != graph.StatusFail {
			continue
		}
		a := graph.Advice{Title: r.Title + ": failed"}
		if r.Advice != nil {
			a = *r.Advice
		}
		lines := []string{"✗ " + strings.TrimSuffix(a.Title, ".") + "."}
		if a.Cause != "" {
			lines = append(lines, "Why: "+a.Cause)
		}
		if a.Fix != "" {
			lines = append(lines, "Fix: "+a.Fix)
		}
		if r.Seen != "" {
			lines = append(lines, "Microsoft said: "+r.Seen)
		}
		switch {
		case r.ID == "preflight.tenant" || r.ID == "tenant":
			field = s.tenant
		case r.ID == "preflight.secret":
			field = s.secret
		case a.Code == "AADSTS700016":
			field = s.client
		case a.Code == "AADSTS7000215" || a.Code == "AADSTS7000222" || a.Code == "invalid_client":
			field = s.secret
		case a.Code == "AADSTS700027":
			field = s.certFile
		}
		return "", strings.Join(lines, "\n"), field
	}
	if mode == wizard.ModeDelegated {
		return "✓ The tenant was found in the chosen cloud. The sign-in in the next step proves the app and the account.", "", nil
	}
	return "✓ These values work: the tenant was found in the chosen cloud and the app obtained a token with them.", "", nil
}

func (s *appRegistrationScreen) showTest(ok, failed string) {
	setMessage(s.testOK, ok)
	setMessage(s.testFail, failed)
	s.z.refresh()
}

func (s *appRegistrationScreen) finishTest() {
	s.testStop = nil
	s.testBtn.Enable()
	s.testCancel.Hide()
	s.testBusy.Stop()
	s.testBusy.Hide()
}

// clearTest forgets the last test: its answer described other values.
func (s *appRegistrationScreen) clearTest() {
	if s.testOK == nil {
		return // still building the screen
	}
	s.testRun++
	if s.testStop != nil {
		s.testStop()
		s.finishTest()
	}
	setMessage(s.testOK, "")
	setMessage(s.testFail, "")
	for _, e := range []*widget.Entry{s.tenant, s.client, s.secret, s.certFile} {
		if e.AlwaysShowValidationError {
			e.AlwaysShowValidationError = false
			_ = e.Validate()
		}
	}
}

// loadCertificate reads the chosen certificate to show its thumbprint and expiry.
func (s *appRegistrationScreen) loadCertificate() {
	st := s.z.state
	if st.CertFile == wizard.CertFileInKeyring {
		s.certStatus.SetText("Certificate made by \"Create it for me\" (thumbprint " + st.CertThumbprint + "): its private key is in this computer's keyring.")
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
	cl, err := conn.CloudFor(st.Cloud, st.Practice)
	if err != nil || st.Mode == "" {
		s.script.SetText("# Choose the environment and the access mode first.")
		return
	}
	var mbs []string
	for _, m := range st.Mailboxes {
		mbs = append(mbs, m.Address)
	}
	sc := graph.GenerateScripts(graph.ScriptInput{Cloud: cl, TenantID: st.TenantID, AppName: "m365connect", ClientID: st.ClientID,
		Mode: graph.Mode(st.Mode), Features: conn.GraphFeatures(st.Features()), Mailboxes: mbs})
	switch s.scriptKind.SelectedIndex() {
	case 1:
		s.script.SetText(sc.GraphPowerShell)
	case 2:
		s.script.SetText(sc.ExchangeRBAC)
	default:
		s.script.SetText(sc.AzureCLI)
	}
}
