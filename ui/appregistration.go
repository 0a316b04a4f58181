package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

type appRegistrationScreen struct {
	tenant, client, secret *widget.Entry
	root                   fyne.CanvasObject
}

func newAppRegistrationScreen(st *wizard.State, changed func()) *appRegistrationScreen {
	s := &appRegistrationScreen{}
	entry := func(placeholder string, validate func(string) error, set func(string)) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.Validator = validate
		e.OnChanged = func(v string) { set(wizard.Clean(v)); changed() }
		return e
	}
	s.tenant = entry("Directory (tenant) ID or contoso.onmicrosoft.com", wizard.ValidateTenant, func(v string) { st.TenantID = v })
	s.client = entry("Application (client) ID", wizard.ValidateClientID, func(v string) { st.ClientID = v })
	s.secret = widget.NewPasswordEntry()
	s.secret.SetPlaceHolder("Client secret value")
	s.secret.Validator = wizard.ValidateClientSecret
	s.secret.OnChanged = func(v string) { st.ClientSecret = wizard.Clean(v); changed() }
	s.root = widget.NewForm(
		widget.NewFormItem("Tenant", s.tenant),
		widget.NewFormItem("Client ID", s.client),
		widget.NewFormItem("Client secret", s.secret),
	)
	return s
}

func (s *appRegistrationScreen) object() fyne.CanvasObject { return s.root }
