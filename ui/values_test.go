package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// These tests wait for what the screen shows (waitFor), never for a callback to have
// run inline: the real driver runs fyne.Do callbacks later.

// "Test these values" on App registration reports a tenant typo and a wrong secret
// there, in red, with the cause and the fix; a change of the values clears the answer;
// "Restore practice values" brings the practice app's values back. Before, a misspelled
// domain and a wrong 40-character secret got green ticks and surfaced on Mailboxes.
func TestTestTheseValues(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	info := h.srv.Info()
	h.do(func() {
		if !reg.practiceBox.Visible() || !strings.Contains(reg.practiceApps.Text, emulator.AppNotConsentedName) ||
			!strings.Contains(reg.practiceApps.Text, "admin-consent page") {
			t.Fatalf("the practice apps are not listed with their use: %q", reg.practiceApps.Text)
		}
	})
	press := func() (ok, failed string) {
		h.tap(reg.testBtn)
		h.waitFor("the test's answer", func() bool { return reg.testOK.Visible() || reg.testFail.Visible() })
		h.do(func() { ok, failed = reg.testOK.Text, reg.testFail.Text })
		return ok, failed
	}

	var tenantMark error // what the Tenant field's mark says (nil: a tick)
	h.do(func() {
		reg.tenant.SetText("contoso-practise.onmicrosoft.com")
		reg.tenant.SetOnValidationChanged(func(err error) { tenantMark = err })
	})
	ok, failed := press()
	if ok != "" || !strings.Contains(failed, "Tenant not found") || !strings.Contains(failed, "Copy the Tenant ID") || reg.testFail.Importance != widget.DangerImportance {
		t.Fatalf("tenant typo: ok %q, failed %q", ok, failed)
	}
	h.do(func() {
		if tenantMark == nil {
			t.Error("the Tenant field keeps its tick after the tenant was not found")
		}
		reg.tenant.SetText("contoso-practice.onmicrosoft.com")
		if reg.testFail.Visible() || reg.testFail.Text != "" {
			t.Errorf("the answer about the old tenant stayed: %q", reg.testFail.Text)
		}
	})

	h.do(func() { reg.secret.SetText("abc8Q~" + strings.Repeat("z", 34)) }) // a wrong secret in Entra's shape
	if ok, failed = press(); ok != "" || !strings.Contains(failed, "The client secret is wrong") || !strings.Contains(failed, "Value") {
		t.Fatalf("wrong secret: ok %q, failed %q", ok, failed)
	}
	if strings.Contains(failed, "abc8Q~") {
		t.Fatal("the typed secret is shown in the answer")
	}

	h.do(func() {
		reg.client.SetText("11111111-2222-4333-8444-555555555555")
		test.Tap(reg.restore)
		// The app holding exactly what the default choices (read and send, secret) need.
		want := h.srv.Identity().App("Practice app (send mail)")
		if h.z.state.TenantID != info.TenantID || h.z.state.ClientID != want.ClientID || h.z.state.ClientSecret != want.ClientSecret() {
			t.Fatal("Restore practice values did not bring the practice app's values back")
		}
	})
	if ok, failed = press(); failed != "" || !strings.Contains(ok, "These values work") || tenantMark != nil {
		t.Fatalf("practice values: ok %q, failed %q", ok, failed)
	}

	// The tenant typed as a domain with spaces and capitals, key by key: the state holds
	// the one form (wizard.NormaliseTenant), and that form obtains the token.
	domain := h.srv.Identity().TenantDomain()
	h.do(func() {
		reg.tenant.SetText("")
		test.Type(reg.tenant, "  "+strings.ToUpper(domain[:1])+domain[1:len(domain)-3]+strings.ToUpper(domain[len(domain)-3:])+" ")
	})
	h.do(func() {
		if h.z.state.TenantID != domain {
			t.Fatalf("typed tenant reached the state as %q, want %q", h.z.state.TenantID, domain)
		}
	})
	if ok, failed = press(); failed != "" || !strings.Contains(ok, "These values work") {
		t.Fatalf("tenant typed as a domain: ok %q, failed %q", ok, failed)
	}
}

// The Consent step checks the tenant before it opens the browser: a typo is reported
// with its fix and never reaches the consent page (AADSTS90002 there, and the window
// waited for ever). The practice "already approved" tick is not given to a wrong tenant.
// With the right values "Open admin consent" completes for the secret app (it answered
// AADSTS50011 before: the app had no redirect URI), and the outcome is cleared when the
// values it describes change.
func TestConsentChecksTheTenantFirst(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.do(func() { reg.tenant.SetText("contoso-practise.onmicrosoft.com") })
	h.next(wizard.StepConsent)
	h.do(func() {
		if cs.already.Checked || h.z.NextEnabled() {
			t.Fatal("a mistyped tenant is shown as already approved")
		}
	})
	h.tap(cs.start)
	h.waitFor("the tenant check", func() bool { return cs.outcome.Text != "" })
	h.do(func() {
		if !strings.Contains(cs.outcome.Text, "was not found") || !strings.Contains(cs.advice.Text, "Tenant not found") || strings.Contains(cs.outcome.Text, "Cancelled") {
			t.Fatalf("outcome %q, advice %q", cs.outcome.Text, cs.advice.Text)
		}
	})
	h.browser.mu.Lock()
	opened := len(h.browser.opened)
	h.browser.mu.Unlock()
	if opened != 0 {
		t.Fatalf("the browser was opened %d time(s) for a tenant that does not exist", opened)
	}

	h.do(func() { h.z.Back(); test.Tap(reg.restore) })
	h.srv.Identity().SetAdminConsent(h.z.state.ClientID, false) // so the consent page is needed
	h.next(wizard.StepConsent)
	h.do(func() {
		if cs.outcome.Text != "" || cs.advice.Text != "" {
			t.Fatalf("the outcome about the mistyped tenant stayed: %q", cs.outcome.Text)
		}
	})
	h.tap(cs.start)
	h.waitFor("admin consent", func() bool { return cs.outcome.Text != "" && !strings.HasPrefix(cs.waiting.Text, "Checking") })
	h.do(func() {
		if !strings.HasPrefix(cs.outcome.Text, "Consent granted") || !h.z.NextEnabled() {
			t.Fatalf("admin consent for the secret app: %q %q", cs.outcome.Text, cs.advice.Text)
		}
	})
	h.do(func() { h.z.Back(); h.z.state.Mode = wizard.ModeCertificate; h.z.Back(); h.z.Next(); h.z.Next() })
	h.do(func() {
		if h.z.Current() != wizard.StepConsent {
			t.Fatalf("at %s", h.z.Current())
		}
		if strings.Contains(cs.outcome.Text, "Consent granted") {
			t.Fatal(`"Consent granted" for the secret app stayed after the app changed`)
		}
	})
}

// Each step opens at its top; a long field error wraps inside the step and does not
// widen the window; the problem line below never covers the step; selects show their
// longest option whole.
func TestLayoutStepsOpenAtTopAndFit(t *testing.T) {
	h := newHarness(t)
	h.do(func() { h.w.Resize(fyne.NewSize(960, 640)) })
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		h.z.scroll.ScrollToBottom()
		if h.z.scroll.Offset.Y == 0 {
			t.Fatal("App registration does not scroll at 960x640: the test proves nothing")
		}
		h.z.Back()
		if h.z.scroll.Offset.Y != 0 {
			t.Fatalf("Prerequisites opened scrolled to %.0f", h.z.scroll.Offset.Y)
		}
		h.z.Next()
		if h.z.scroll.Offset.Y != 0 {
			t.Fatalf("App registration opened scrolled to %.0f (the Tenant field hidden)", h.z.scroll.Offset.Y)
		}
		reg.tenant.SetText("not a tenant!")
		h.w.Resize(fyne.NewSize(960, 640)) // lay out again, as the driver does
		if w := h.w.Content().MinSize().Width; w > 960 {
			t.Errorf("a field error makes the window %.0f px wide", w)
		}
		if !reg.fieldErrs.Visible() || !strings.Contains(reg.fieldErrs.Text, "Tenant") || reg.fieldErrs.Size().Width > h.z.scroll.Size().Width {
			t.Errorf("the field error is not shown inside the step: %q, %.0f px in %.0f", reg.fieldErrs.Text, reg.fieldErrs.Size().Width, h.z.scroll.Size().Width)
		}
		d := fyne.CurrentApp().Driver()
		scrollBottom := d.AbsolutePositionForObject(h.z.scroll).Y + h.z.scroll.Size().Height
		if barTop := d.AbsolutePositionForObject(h.z.problem).Y; h.z.problem.Text == "" || scrollBottom > barTop+0.5 {
			t.Errorf("the step (to y=%.0f) runs under the problem line (from y=%.0f): %q", scrollBottom, barTop, h.z.problem.Text)
		}
		for _, sel := range []*widget.Select{reg.scriptKind, h.z.screens[wizard.StepMailboxes].(*mailboxesScreen).kind} {
			for _, o := range sel.Options {
				if need := fyne.MeasureText(o, 14, fyne.TextStyle{}).Width; selectWidth(sel) < need+24 {
					t.Errorf("select %.0f px wide for %q (%.0f px of text)", selectWidth(sel), o, need)
				}
			}
		}
		if sw := reg.scriptKind.Size().Width; sw < selectWidth(reg.scriptKind)-0.5 {
			t.Errorf("the script select is laid out %.0f px wide, it needs %.0f", sw, selectWidth(reg.scriptKind))
		}
	})
}

// The words follow the access mode: one sentence says who approves, on Prerequisites
// and on Consent; delegated access never says "An administrator approves" nor
// promises a keyring unconditionally.
func TestWordingFollowsTheMode(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	for _, mode := range []string{wizard.ModeSecret, wizard.ModeCertificate, wizard.ModeDelegated} {
		h.do(func() {
			for _, m := range wizard.ModeChoices(h.z.state.Features()) {
				if m.Mode == mode {
					pre.mode.SetSelected(modeLabel(m))
				}
				if strings.Contains(m.Bad, "Exchange admin") {
					t.Errorf("%s trade-off names another approver: %q", m.Mode, m.Bad)
				}
			}
			if !strings.Contains(pre.who.Text, wizard.Approver(mode)) {
				t.Errorf("%s: Prerequisites say %q", mode, pre.who.Text)
			}
			h.z.Next()
			h.z.Next()
			if h.z.Current() != wizard.StepConsent {
				t.Fatalf("%s: at %s: %s", mode, h.z.Current(), h.z.problem.Text)
			}
			if !strings.Contains(cs.explain.Text, wizard.Approver(mode)) {
				t.Errorf("%s: Consent says %q", mode, cs.explain.Text)
			}
			delegated := mode == wizard.ModeDelegated
			if delegated == strings.Contains(h.z.summary.Text, "An administrator approves") {
				t.Errorf("%s: summary %q", mode, h.z.summary.Text)
			}
			if delegated && strings.Contains(cs.explain.Text, "keeps the sign-in in the OS keyring,") {
				t.Errorf("delegated promises the keyring: %q", cs.explain.Text)
			}
			h.z.Back()
			h.z.Back()
		})
	}
	if wizard.Approver(wizard.ModeSecret) == wizard.Approver(wizard.ModeDelegated) {
		t.Error("one approver sentence for application and delegated permissions")
	}
}

// A saved practice connection is reopened on restart like a real one: the practice
// tenant starts again (new ports), keeps the app's secret (state file under the config
// folder), and the saved values obtain a token at once. Before, the wizard started
// over.
func TestPracticeConnectionReopensOnRestart(t *testing.T) {
	// As the default StartPractice does, with the state file in the config folder.
	stateFile := filepath.Join(t.TempDir(), "practice", "tenant-state.json")
	h := newHarnessWith(t, emulator.Options{Seed: PracticeSeed, MessagesPerMailbox: 5, StateFile: stateFile})
	h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
	h.walkTo(wizard.StepSave)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring probe", func() bool { return !strings.Contains(sv.keyring.Text, "Looking") })
	h.tap(sv.save)
	h.waitFor("saving", func() bool { return h.z.state.Locked })
	var oldHost, secret string
	h.do(func() { oldHost, secret = h.z.state.Practice.AuthorityHost, h.z.state.ClientSecret })
	h.do(func() { h.z.Close() }) // the app quits: the practice tenant stops

	// The restarted app runs on the same UI loop as the first (one loop goroutine, as
	// the real driver has), and is built on it.
	var z2 *Wizard
	var w2 fyne.Window
	opts := h.z.opts
	h.do(func() {
		w2 = test.NewWindow(nil)
		w2.Resize(fyne.NewSize(1000, 720))
		z2 = CreateWithOptions(fyne.CurrentApp(), w2, opts)
	})
	t.Cleanup(func() { h.do(func() { z2.Close(); w2.Close() }) })
	var st wizard.State
	var cur wizard.StepID
	h.waitFor("the saved practice connection to reopen", func() bool {
		st, cur = *z2.state, z2.Current()
		return cur == wizard.StepSave && st.Locked && st.Practice != nil
	})
	if cur != wizard.StepSave || !st.Locked || st.Cloud != wizard.CloudPractice {
		t.Fatalf("not reopened: step %s, locked %v, cloud %s", cur, st.Locked, st.Cloud)
	}
	if st.Practice == nil || st.Practice.AuthorityHost == oldHost {
		t.Logf("hosts %+v (old %s): the same port may come back, but they must be the running tenant's", st.Practice, oldHost)
	}
	if st.Practice.AuthorityHost != h.srv.AuthorityHost() {
		t.Fatalf("saved hosts not rewritten: %s, the tenant listens at %s", st.Practice.AuthorityHost, h.srv.AuthorityHost())
	}
	if st.ClientSecret != secret || secret == "" {
		t.Fatal("the secret did not come back from the keyring")
	}
	cl, err := conn.CloudFor(st.Cloud, st.Practice)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rs, err := graph.TestValues(ctx, graph.Settings{Cloud: cl, TenantID: st.TenantID, ClientID: st.ClientID, Mode: graph.Mode(st.Mode)},
		graph.Secrets{ClientSecret: st.ClientSecret}, nil)
	if err != nil || graph.Failed(rs) {
		t.Fatalf("the reopened practice connection does not work: %v %+v", err, rs)
	}
}

// clipped lists the visible objects under o that are laid out narrower than they need
// (their content would be cut off at the right).
func clipped(o fyne.CanvasObject, path string, out *[]string) {
	if o == nil || !o.Visible() {
		return
	}
	if _, isScroll := o.(*container.Scroll); isScroll {
		return // scrolls may hold wider content on purpose (the script box)
	}
	if min, got := o.MinSize().Width, o.Size().Width; min > got+0.5 && min > 1 { // 1 px: rules and borders
		*out = append(*out, fmt.Sprintf("%s%T needs %.0f px, has %.0f", path, o, min, got))
	}
	switch c := o.(type) {
	case *fyne.Container:
		for i, ch := range c.Objects {
			clipped(ch, fmt.Sprintf("%s%d/", path, i), out)
		}
	case fyne.Widget:
		if _, isEntry := o.(*widget.Entry); isEntry {
			return // an entry scrolls its own text
		}
		for i, ch := range test.WidgetRenderer(c).Objects() {
			clipped(ch, fmt.Sprintf("%s%d/", path, i), out)
		}
	}
}

// At 960x640 no step cuts anything off at the right, in every access mode: the steps
// fit the window instead of widening it.
func TestStepsFitTheWindow(t *testing.T) {
	h := newHarness(t)
	h.do(func() { h.w.Resize(fyne.NewSize(960, 640)) })
	check := func(name string) {
		h.do(func() {
			h.w.Resize(fyne.NewSize(960, 640))
			if w := h.w.Content().MinSize().Width; w > 960 {
				t.Errorf("%s: the window needs %.0f px", name, w)
			}
			var out []string
			clipped(h.z.body, "", &out)
			for _, o := range out {
				t.Errorf("%s: %s", name, o)
			}
		})
	}
	check("environment")
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	for _, mode := range []string{wizard.ModeDelegated, wizard.ModeCertificate, wizard.ModeSecret} {
		h.do(func() {
			for _, m := range wizard.ModeChoices(h.z.state.Features()) {
				if m.Mode == mode {
					pre.mode.SetSelected(modeLabel(m))
				}
			}
		})
		check("prerequisites " + mode)
		h.next(wizard.StepAppRegistration)
		check("app registration " + mode)
		h.do(func() { h.z.Back() })
	}
	h.do(func() {
		h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen).tenant.SetText("contoso-practise.onmicrosoft.com")
	})
	h.next(wizard.StepAppRegistration)
	check("app registration with a field error")
	h.do(func() { test.Tap(h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen).restore) })
	h.next(wizard.StepConsent)
	check("consent")
	h.do(func() {
		if cs := h.z.screens[wizard.StepConsent].(*consentScreen); !cs.already.Checked {
			test.Tap(cs.already)
		}
	})
	h.next(wizard.StepMailboxes)
	check("mailboxes")
}
