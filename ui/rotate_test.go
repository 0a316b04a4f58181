package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/wizard"
)

// tokenStatus asks the practice tenant's token endpoint for an app-only token with a
// client secret, as azidentity does, and returns the HTTP status.
func (h *harness) tokenStatus(tenant, client, secret string) int {
	h.t.Helper()
	resp, err := h.srv.Client().PostForm(h.srv.AuthorityHost()+tenant+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// saveCreated walks the secret mode with an app made by "Create it for me" and saves the
// connection (savePractice does the same with the practice tenant's ready-made app).
func (h *harness) saveCreated() *saveScreen {
	t := h.t
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.tap(reg.create.start)
	h.waitFor("the app to be created", func() bool {
		return strings.Contains(reg.create.result.Text, "Created") || strings.Contains(reg.create.result.Text, "did not work")
	})
	h.do(func() {
		if !strings.Contains(reg.create.result.Text, "Created") {
			t.Fatalf("create: %s\n%s", reg.create.result.Text, reg.create.steps.Text)
		}
	})
	h.next(wizard.StepConsent)
	h.next(wizard.StepMailboxes)
	h.addMailboxes(h.mailbox(wizard.KindUser))
	h.next(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.next(wizard.StepSave)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring probe", func() bool { return !strings.Contains(sv.keyring.Text, "Looking") })
	h.tap(sv.save)
	h.waitFor("saving", func() bool { return h.z.state.Locked && strings.HasPrefix(sv.status.Text, "Saved") })
	return sv
}

// savePractice walks the default practice flow — the practice tenant's ready-made app
// for the mode, filled in by the App registration step, not "Create it for me" — and
// saves the connection.
func (h *harness) savePractice() *saveScreen {
	sv := h.saveWith(h.mailbox(wizard.KindUser))
	h.do(func() {
		client := h.z.state.ClientID
		if a := h.srv.Identity().App(client); a == nil || a.ClientSecret() != h.z.state.ClientSecret {
			h.t.Fatalf("the saved connection does not use a ready-made practice app (%s)", client)
		}
		if len(h.srv.Identity().CreatedApps()) != 0 {
			h.t.Fatal("an app was created on the default practice flow")
		}
	})
	return sv
}

// TestResetRotatesTheSecret: Reset on the last step offers "Rotate the secret"; with one
// administrator sign-in the secret is replaced (progress shown), the new one is filled in
// and stored under the profile's key, every check runs again and passes, and the
// connection stays locked. Afterwards the old secret gets no token and the new one does.
func TestResetRotatesTheSecret(t *testing.T) { newHarness(t).resetRotates() }

// TestResetRotatesThePracticeAppSecret: the same with the practice tenant's ready-made
// app (the default practice flow): the practice tenant has an application object for
// every app, as a real tenant has, so the rotation finds it by appId, removes the old
// secret by its hint, and the practice tenant hands out the new secret from then on.
func TestResetRotatesThePracticeAppSecret(t *testing.T) {
	h := newHarness(t)
	sv := h.savePractice()
	fresh := h.rotateSaved(sv, false)
	var client string
	h.do(func() { client = h.z.state.ClientID })
	if got := h.srv.Identity().App(client).ClientSecret(); got != fresh {
		t.Error("the practice tenant hands out another secret than the rotated one")
	}
}

// resetRotates is TestResetRotatesTheSecret's walk (TestScreens takes its picture).
func (h *harness) resetRotates() { h.rotateSaved(h.saveCreated(), true) }

// rotateSaved rotates the saved connection's secret with Reset → Rotate the secret,
// checks the outcome and returns the new secret; shots takes the pictures.
func (h *harness) rotateSaved(sv *saveScreen, shots bool) string {
	t := h.t
	shot := func(name string) {
		if shots {
			h.shot(name)
		}
	}
	var tenant, client, old string
	h.do(func() { tenant, client, old = h.z.state.TenantID, h.z.state.ClientID, h.z.state.ClientSecret })
	if code := h.tokenStatus(tenant, client, old); code != http.StatusOK {
		t.Fatalf("the saved secret gets no token before rotation: %d", code)
	}
	r := sv.rotation
	h.tap(sv.reset)
	h.do(func() {
		if r.rotateB == nil || r.editB == nil || r.rotateB.Text != "Rotate the secret" {
			t.Fatal("Reset offered no choice between rotating and changing values")
		}
	})
	shot("6-save-reset-choice")
	h.do(func() {
		test.Tap(r.rotateB)
		if r.stop == nil || !r.box.Visible() || !r.cancel.Visible() {
			t.Fatalf("rotation shows no progress or Cancel: box %v cancel %v", r.box.Visible(), r.cancel.Visible())
		}
	})
	h.waitFor("the rotation and the checks", func() bool { return r.stop == nil })
	var fresh string
	h.do(func() {
		st := h.z.state
		if !strings.HasPrefix(r.status.Text, "Rotated and verified") {
			t.Fatalf("after rotation: %q (steps %q)", r.status.Text, r.steps.Text)
		}
		if !strings.Contains(r.steps.Text, "✓") {
			t.Errorf("no step progress shown: %q", r.steps.Text)
		}
		fresh = st.ClientSecret
		if fresh == "" || fresh == old || !st.Locked || st.Verification == nil || !st.Verification.Passed {
			t.Fatalf("state after rotation: new secret %v, locked %v, verification %+v", fresh != old, st.Locked, st.Verification)
		}
		if got, err := h.store.Get(h.z.secretKey(h.z.saveConfig(), wizard.SecretClientSecret)); err != nil || got != fresh {
			t.Fatalf("the profile's keyring entry does not hold the new secret: %v", err)
		}
	})
	shot("6-save-rotated")
	if code := h.tokenStatus(tenant, client, old); code == http.StatusOK {
		t.Error("the old secret still gets a token after rotation")
	}
	if code := h.tokenStatus(tenant, client, fresh); code != http.StatusOK {
		t.Errorf("the new secret gets no token: %d", code)
	}
	// The saved config records the new expiry and the passed verification.
	var path string
	h.do(func() { path = h.z.ConfigPath() })
	c, err := wizard.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Credential.ExpiresAt == nil || !c.VerificationOutcome().Passed {
		t.Fatalf("saved config: expiry %v, verification %+v", c.Credential.ExpiresAt, c.VerificationOutcome())
	}
	return fresh
}

// TestResetRotateCancel: Cancel while the rotation waits for the administrator stops it
// (the sign-in's listener closes), says Cancelled, and the saved secret keeps working.
func TestResetRotateCancel(t *testing.T) {
	h := newHarness(t)
	sv := h.saveCreated()
	h.browser.mu.Lock()
	h.browser.idle = true // the administrator never finishes
	h.browser.mu.Unlock()
	var tenant, client, old string
	h.do(func() { tenant, client, old = h.z.state.TenantID, h.z.state.ClientID, h.z.state.ClientSecret })
	r := sv.rotation
	h.tap(sv.reset)
	h.do(func() { test.Tap(r.rotateB) })
	h.waitFor("the wait for the sign-in", func() bool { return strings.Contains(r.status.Text, "open this address") })
	var opened string
	h.browser.mu.Lock()
	opened = h.browser.opened[len(h.browser.opened)-1]
	h.browser.mu.Unlock()
	h.tap(r.cancel)
	h.waitFor("the cancellation", func() bool { return r.stop == nil })
	h.do(func() {
		if !strings.HasPrefix(r.status.Text, "Cancelled") || h.z.state.ClientSecret != old || !h.z.state.Locked {
			t.Fatalf("after Cancel: %q, secret changed %v, locked %v", r.status.Text, h.z.state.ClientSecret != old, h.z.state.Locked)
		}
	})
	// The sign-in's loopback listener is closed: its redirect address answers nothing.
	u, err := url.Parse(opened)
	if err != nil {
		t.Fatal(err)
	}
	if ru := u.Query().Get("redirect_uri"); ru != "" {
		if resp, err := http.Get(ru + "?code=x&state=y"); err == nil {
			resp.Body.Close()
			t.Errorf("the sign-in's listener %s still answers after Cancel", ru)
		}
	}
	if code := h.tokenStatus(tenant, client, old); code != http.StatusOK {
		t.Errorf("the saved secret stopped working after a cancelled rotation: %d", code)
	}
}
