package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/wizard"
)

// "Create it for me" in the window: from no app registration to a verified connection
// with one admin sign-in and no copy-paste; the certificate's key stays in the keyring.
func TestAppCreateInTheWindow(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeCertificate {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
	})
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		if reg.how.Selected != howCreate || !reg.create.object().Visible() {
			t.Fatalf("\"Create it for me\" is not the first, chosen way: %q", reg.how.Selected)
		}
		if s := reg.create.summary.Text; !strings.Contains(s, "application permission Mail.Read") || !strings.Contains(s, "certificate made on this computer") {
			t.Fatalf("summary before anything is created:\n%s", s)
		}
		test.Tap(reg.create.start)
	})
	h.waitFor("the app to be created", func() bool {
		return strings.Contains(reg.create.result.Text, "Created") || strings.Contains(reg.create.result.Text, "did not work")
	})
	h.do(func() {
		if !strings.Contains(reg.create.result.Text, "Created") {
			t.Fatalf("result: %s\nsteps:\n%s", reg.create.result.Text, reg.create.steps.Text)
		}
		if !strings.Contains(reg.create.steps.Text, "✓ Create the app registration") || !strings.Contains(reg.create.steps.Text, "✓ Grant the permissions") {
			t.Errorf("per-step progress:\n%s", reg.create.steps.Text)
		}
		apps := h.srv.Identity().CreatedApps()
		if len(apps) != 1 || apps[0].AppID != h.z.state.ClientID || reg.client.Text != apps[0].AppID {
			t.Fatalf("tenant %+v, state %s, field %s", apps, h.z.state.ClientID, reg.client.Text)
		}
		if h.z.state.CertFile != wizard.CertFileInKeyring || !strings.Contains(reg.certStatus.Text, "keyring") ||
			len(h.z.state.CertThumbprint) != 40 || !strings.Contains(reg.certStatus.Text, h.z.state.CertThumbprint) {
			t.Errorf("certificate: %q %q", h.z.state.CertFile, reg.certStatus.Text)
		}
	})
	h.next(wizard.StepConsent) // consent was granted by the creation itself
	h.next(wizard.StepMailboxes)
	h.addMailboxes(h.mailbox(wizard.KindUser))
	h.next(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if v := h.z.state.Verification; v == nil || !v.Passed {
			t.Fatalf("verification of the created app: %+v", v)
		}
	})
}

// A plain user is stopped before anything is created and pointed at the script.
func TestAppCreateInTheWindowNotAdmin(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		users := h.srv.Identity().Users()
		for _, u := range users {
			h.srv.Identity().SetDirectoryRoles(u.ID) // nobody is an administrator
		}
		test.Tap(reg.create.start)
	})
	h.waitFor("the refusal", func() bool { return strings.Contains(reg.create.result.Text, "did not work") })
	h.do(func() {
		r := reg.create.result.Text
		// Microsoft Graph Command Line Tools' admin-only permissions: a plain user is
		// refused at sign-in (AADSTS90094) before any role check.
		if !strings.Contains(r, "An administrator must approve") || !strings.Contains(r, "script below") {
			t.Errorf("advice: %s", r)
		}
		if len(h.srv.Identity().CreatedApps()) != 0 || h.z.state.Consented {
			t.Errorf("something was created or consented")
		}
		if reg.create.start.Disabled() {
			t.Errorf("Start stays disabled after the failure")
		}
	})
}

// 30 days before the secret expires the step warns and offers rotation; rotating adds a
// new secret, checks it, removes the old one and keeps the new one.
func TestAppCreateInTheWindowOffersRotation(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeSecret {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
	})
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		if reg.create.rotate.Visible() {
			t.Error("rotation offered before there is anything to rotate")
		}
		test.Tap(reg.create.start)
	})
	h.waitFor("the app", func() bool {
		return strings.Contains(reg.create.result.Text, "Created") || strings.Contains(reg.create.result.Text, "did not")
	})
	var old string
	h.do(func() {
		old = h.z.state.ClientSecret
		if old == "" || reg.create.rotate.Visible() {
			t.Fatalf("created: %q, rotate offered at 12 months: %v", reg.create.result.Text, reg.create.rotate.Visible())
		}
		h.z.state.SecretExpiry = h.z.opts.Now().AddDate(0, 0, 10).Format("2006-01-02")
		reg.create.enter()
		if !reg.create.rotate.Visible() || !strings.Contains(reg.create.expiry.Text, "expires") {
			t.Fatalf("no offer 10 days before expiry: %q", reg.create.expiry.Text)
		}
		test.Tap(reg.create.rotate)
	})
	h.waitFor("the rotation", func() bool {
		return strings.Contains(reg.create.result.Text, "Rotated") || strings.Contains(reg.create.result.Text, "not rotated")
	})
	h.do(func() {
		if !strings.Contains(reg.create.result.Text, "Rotated") || h.z.state.ClientSecret == old || h.z.state.ClientSecret == "" {
			t.Fatalf("rotation: %s", reg.create.result.Text)
		}
		if apps := h.srv.Identity().CreatedApps(); len(apps) != 1 || apps[0].Passwords != 1 {
			t.Errorf("tenant after rotation: %+v", apps)
		}
		if reg.create.rotate.Visible() {
			t.Error("still offering rotation after it")
		}
	})
}
