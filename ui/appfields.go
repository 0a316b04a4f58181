package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// The App registration step's fields: tenant, client ID and the mode's credential, each
// bound to the wizard state, validated by package wizard's validators, and the
// certificate file checked by package connection.

// entry binds a new field to *dst; a real change un-does an earlier consent or
// sign-in. The validator marks the field; its words go to fieldErrs, which wraps (a
// Form's hint line does not, and widened the window).
func (s *appRegistrationScreen) entry(placeholder string, validate func(string) error, dst *string, after func()) *widget.Entry {
	st := s.z.state
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
		st.Consented, st.SignedIn = false, false
		s.clearTest() // its answer described the values before this change
		s.showFieldErrors()
		s.z.refresh()
	}
	return e
}

// newFields builds the fields and the three credential boxes (one per access mode).
func (s *appRegistrationScreen) newFields() {
	st := s.z.state
	s.tenant = s.entry("Directory (tenant) ID or contoso.onmicrosoft.com", wizard.ValidateTenant, &st.TenantID, func() { s.updateScript() })
	s.client = s.entry("Application (client) ID", wizard.ValidateClientID, &st.ClientID, func() { s.updateScript() })
	s.secret = s.entry("Client secret Value (not the Secret ID)", wizard.ValidateClientSecret, &st.ClientSecret, nil)
	s.secret.Password = true
	s.expiry = s.entry("Expires (optional), e.g. 2027-05-31", wizard.ValidateExpiryDate, &st.SecretExpiry, nil)
	s.certFile = s.entry("Certificate file (.pfx or .pem)", nil, &st.CertFile, func() { s.loadCertificate() })
	s.certPassword = s.entry("PFX password (empty if none)", nil, &st.CertPassword, func() { s.loadCertificate() })
	s.certPassword.Password = true
	s.certStatus = wrapLabel("")
	browse := widget.NewButtonWithIcon("Choose file…", theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			s.certFile.SetText(r.URI().Path())
		}, s.z.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".pfx", ".p12", ".pem"}))
		d.Show()
	})
	s.account = s.entry("Service account (optional), e.g. mailsync@contoso.com", nil, &st.ServiceAccount, nil)

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
	s.fieldErrs = errorLabel()
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

// loadCertificate checks the chosen certificate (connection.CheckCertificateFile) to
// show its thumbprint and expiry.
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
	ci, err := conn.CheckCertificateFile(st.CertFile, st.CertPassword)
	switch {
	case errors.Is(err, conn.ErrNotCertificate):
		s.certStatus.SetText("Certificate: not a certificate with its private key, or the password is wrong (.pfx with the key, or .pem with CERTIFICATE and PRIVATE KEY blocks).")
		return
	case err != nil:
		s.certStatus.SetText("Certificate: the file cannot be read: " + err.Error())
		return
	}
	st.CertThumbprint = ci.Thumbprint
	na := ci.NotAfter
	st.CertNotAfter = &na
	msg := fmt.Sprintf("Thumbprint %s (compare with the portal), valid until %s.", st.CertThumbprint, na.Format("2 January 2006"))
	if w := wizard.ExpiryWarning(wizard.ModeCertificate, &na, s.z.opts.Now()); w != "" {
		msg += " " + w
	}
	s.certStatus.SetText(msg)
}
