package ui

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// capture writes the window as a PNG into dir (a temp dir, or $M365_UI_CAPTURE_DIR to
// keep them) so a person can look at each step.
func capture(t *testing.T, w fyne.Window, dir, name string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func captureDir(t *testing.T) string {
	if d := os.Getenv("M365_UI_CAPTURE_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser plays the person at the browser: it opens the practice tenant's sign-in or
// consent page with a plain http.Client, picks a user and presses Accept or Cancel, and
// follows the redirect to the app's loopback listener.
type browser struct {
	t      *testing.T
	mu     sync.Mutex
	accept bool
	idle   bool // the person never finishes in the browser
	opened []string
}

var (
	formActionRE = regexp.MustCompile(`<form method="POST" action="([^"]+)">`)
	promptRE     = regexp.MustCompile(`name="prompt" value="([^"]+)"`)
	optionRE     = regexp.MustCompile(`<option value="([^"]+)"( selected)?>([^<]*)`)
)

func (b *browser) setAccept(v bool) { b.mu.Lock(); b.accept = v; b.mu.Unlock() }

func (b *browser) open(u string) error {
	b.mu.Lock()
	accept, idle := b.accept, b.idle
	b.opened = append(b.opened, u)
	b.mu.Unlock()
	if idle {
		return nil
	}
	go func() { // a real browser does not block the app either
		if err := b.drive(u, accept); err != nil {
			b.t.Logf("browser: %v", err)
		}
	}()
	return nil
}

func (b *browser) drive(u string, accept bool) error {
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	act, pr := formActionRE.FindSubmatch(page), promptRE.FindSubmatch(page)
	if act == nil || pr == nil {
		return fmt.Errorf("no prompt form in %s", page)
	}
	user := ""
	for _, o := range optionRE.FindAllSubmatch(page, -1) {
		if user == "" || len(o[2]) > 0 || (strings.Contains(string(page), "for your organization") && strings.Contains(string(o[3]), "Global Administrator")) {
			user = string(o[1])
		}
	}
	action := "cancel"
	if accept {
		action = "accept"
	}
	base, _ := url.Parse(u)
	target, _ := base.Parse(string(act[1]))
	resp, err = c.PostForm(target.String(), url.Values{"prompt": {string(pr[1])}, "user": {user}, "action": {action}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// harness runs the wizard against an in-process practice tenant. The wizard's
// background updates (Options.Do) run later on loop, as in the real window; every UI
// action and every read of what the screen shows runs on loop too (h.do, h.waitFor).
type harness struct {
	t       *testing.T
	loop    *uiLoop
	z       *Wizard
	w       fyne.Window
	srv     *emulator.Server
	browser *browser
	dir     string
	shots   string
	store   *secretstore.Store
	look    *screenLook // TestScreens: theme variant, window size and file names (screens_test.go)
}

func newHarnessNoWait(t *testing.T) *harness {
	return newHarnessWith(t, emulator.Options{Seed: 7, MessagesPerMailbox: 20})
}

// newHarnessWith runs the wizard against a practice tenant built with eo; the local
// store and outbox go to a temp data dir.
func newHarnessWith(t *testing.T, eo emulator.Options) *harness {
	return newHarnessLook(t, eo, nil)
}

// newHarnessLook is newHarnessWith dressed as look says (nil: the test theme at
// 1000×720, pictures into captureDir).
func newHarnessLook(t *testing.T, eo emulator.Options, look *screenLook) *harness {
	keyring.MockInit()
	a := test.NewTempApp(t)
	h := &harness{t: t, loop: newUILoop(t), browser: &browser{t: t, accept: true}, dir: t.TempDir(), look: look}
	h.store = secretstore.New("m365connect-uitest", filepath.Join(h.dir, "secrets.json"))
	h.w = test.NewWindow(nil)
	if look != nil {
		h.shots = look.dir
		a.Settings().SetTheme(look.theme())
		h.w.Resize(screenSize())
	} else {
		h.shots = captureDir(t)
		h.w.Resize(fyne.NewSize(1000, 720))
	}
	opts := Options{
		AppVersion: "test", ConfigDir: h.dir, Secrets: h.store, OpenBrowser: h.browser.open,
		DataDir: filepath.Join(h.dir, "data"),
		StartPractice: func() (*emulator.Server, error) {
			srv, err := emulator.New(eo)
			h.srv = srv
			return srv, err
		},
		DeliveryWait: 15 * time.Second,
		Do:           h.loop.Do,
	}
	h.do(func() { h.z = CreateWithOptions(a, h.w, opts) })
	t.Cleanup(func() { h.do(func() { h.z.Close(); h.w.Close() }) })
	return h
}

func newHarness(t *testing.T) *harness {
	h := newHarnessNoWait(t)
	h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
	return h
}

// do runs f on the UI loop, as an input event would, and returns when it ran.
// A t.Fatal inside f ends the test here, on the test goroutine.
func (h *harness) do(f func()) {
	if !h.loop.DoAndWait(f) {
		h.t.FailNow()
	}
}

// waitFor waits until cond, evaluated on the UI loop, holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.loop.waitFor(h.t, what, cond)
}

// shot captures the window (on the UI loop); see shotNow.
func (h *harness) shot(name string) {
	h.t.Helper()
	h.do(func() { h.shotNow(name) })
}

// shotNow captures the window from a callback already on the UI loop. Every picture
// must fit the documented window; under TestScreens the file name says the theme
// variant and the picture is checked for clipped text first (screens_test.go).
func (h *harness) shotNow(name string) {
	h.t.Helper()
	if ms, max := h.w.Content().MinSize(), screenSize(); ms.Width > max.Width || ms.Height > max.Height {
		h.t.Errorf("%s: the window needs at least %.0f×%.0f, more than %.0f×%.0f", name, ms.Width, ms.Height, max.Width, max.Height)
	}
	if h.look != nil {
		name += "-" + h.look.name
		for _, c := range clippedText(h.w) {
			h.t.Errorf("%s: %s", name, c)
		}
	}
	capture(h.t, h.w, h.shots, name)
}

func (h *harness) next(want wizard.StepID) {
	h.t.Helper()
	h.do(func() {
		if !h.z.NextEnabled() {
			h.t.Fatalf("Next disabled at %s: %s", h.z.Current(), h.z.problem.Text)
		}
		test.Tap(h.z.next)
		if h.z.Current() != want {
			h.t.Fatalf("after Next at %s, want %s", h.z.Current(), want)
		}
	})
}

func (h *harness) tap(b *widget.Button) { h.do(func() { test.Tap(b) }) }

func (h *harness) mailbox(kind string) string {
	for _, m := range h.srv.Info().Mailboxes {
		if m.Kind == kind {
			return m.Address
		}
	}
	h.t.Fatalf("practice tenant has no %s mailbox", kind)
	return ""
}

// walk completes the whole wizard in one access mode and returns the exported config.
func (h *harness) walk(mode string, shots bool) string {
	t := h.t
	shot := func(name string) {
		if shots {
			h.shot(name)
		}
	}
	h.do(func() {
		if h.z.Current() != wizard.StepEnvironment || h.z.state.Cloud != wizard.CloudPractice {
			t.Fatalf("must start at the environment step with the practice tenant preselected, got %s/%s", h.z.Current(), h.z.state.Cloud)
		}
	})
	shot("0-environment")
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == mode {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
		if h.z.state.Mode != mode || !strings.Contains(pre.perms.Text, "Mail.Send") {
			t.Fatalf("mode %q, permissions %q", h.z.state.Mode, pre.perms.Text)
		}
	})
	shot("1-prerequisites")
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		if reg.client.Text == "" || reg.tenant.Text == "" {
			t.Fatal("practice values not filled in")
		}
		if mode == wizard.ModeCertificate && h.z.state.CertThumbprint == "" {
			t.Fatalf("certificate not read: %s", reg.certStatus.Text)
		}
		if !strings.Contains(reg.script.Text, "az ") {
			t.Fatalf("no Azure CLI script: %q", reg.script.Text)
		}
	})
	shot("2-app-registration")
	h.next(wizard.StepConsent)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	if mode == wizard.ModeDelegated {
		h.do(func() {
			if h.z.NextEnabled() {
				t.Fatal("Next enabled before the sign-in")
			}
		})
		h.tap(cs.start)
		h.waitFor("the sign-in", func() bool { return h.z.NextEnabled() || cs.outcome.Text != "" })
	}
	h.do(func() {
		if !h.z.NextEnabled() {
			t.Fatalf("consent failed: %s %s", cs.outcome.Text, cs.advice.Text)
		}
	})
	shot("3-consent")
	h.next(wizard.StepMailboxes)
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	addr := h.mailbox(wizard.KindUser)
	if mode == wizard.ModeDelegated {
		h.do(func() { addr = h.z.state.ServiceAccount })
	}
	h.do(func() {
		mb.address.SetText(addr)
		mb.addTyped()
	})
	h.waitFor("the reachability badge", func() bool { _, ok := mb.badge(addr); return ok != nil })
	h.do(func() {
		if text, ok := mb.badge(addr); !*ok {
			t.Fatalf("%s unreachable: %s", addr, text)
		}
	})
	shot("4-mailboxes")
	h.next(wizard.StepVerify)
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		v := h.z.state.Verification
		if !v.Passed {
			for _, c := range v.Checks {
				t.Logf("%s %s: %s %s", c.Status, c.Name, c.Seen, c.Advice)
			}
			t.Fatalf("verification failed in %s mode; the screen says %q", mode, vs.status.Text)
		}
		if !strings.HasPrefix(vs.status.Text, "Every check passed") || !h.z.NextEnabled() {
			t.Fatalf("every check passed, but the screen says %q and Next enabled is %v", vs.status.Text, h.z.NextEnabled())
		}
		var sawRead, sawSend bool
		for _, c := range v.Checks {
			sawRead = sawRead || c.ID == "read" && c.Status == wizard.StatusPass
			sawSend = sawSend || c.ID == "send" && c.Status == wizard.StatusPass
		}
		if !sawRead || !sawSend {
			t.Fatalf("test read %v, test send %v", sawRead, sawSend)
		}
	})
	shot("5-verify")
	h.next(wizard.StepSave)
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.waitFor("the keyring probe", func() bool { return !strings.Contains(sv.keyring.Text, "Looking") })
	h.tap(sv.save)
	h.waitFor("saving", func() bool { return h.z.state.Locked && strings.HasPrefix(sv.status.Text, "Saved") })
	out := filepath.Join(h.dir, "exported-"+mode+".json")
	h.do(func() { sv.doExport(out) })
	shot("6-save")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{h.z.state.ClientSecret, h.z.state.RefreshToken, h.z.state.CertPassword} {
		if secret != "" && strings.Contains(string(data), secret) {
			t.Fatal("the exported config contains a secret")
		}
	}
	report, err := os.ReadFile(strings.TrimSuffix(out, ".json") + "-report.html")
	if err != nil || !strings.Contains(string(report), "Every required check passed") {
		t.Fatalf("report: %v", err)
	}
	return out
}

// assertNothingMoreThanNeeded checks a practice verification: the practice flow filled
// in the app holding exactly the permissions the mode requests, so the permissions
// check passes without a warning (it said "more than needed: User.Read.All" when the
// general practice app was filled in).
func assertNothingMoreThanNeeded(t *testing.T, st *wizard.State) {
	t.Helper()
	v := st.Verification
	if v == nil || !v.Passed {
		t.Fatal("no passed verification")
	}
	seen := false
	for _, c := range v.Checks {
		if c.ID == "permissions" {
			seen = true
			if c.Status != wizard.StatusPass {
				t.Errorf("%s mode: the permissions check says %s: %s %s", st.Mode, c.Status, c.Seen, c.Advice)
			}
		}
		if strings.Contains(c.Seen, "more than needed") {
			t.Errorf("%s mode: check %s: %s", st.Mode, c.Name, c.Seen)
		}
	}
	if !seen {
		t.Errorf("%s mode: no permissions check ran", st.Mode)
	}
}

// TestWizardPracticeTenant completes the wizard in each access mode against the
// practice tenant (nothing "more than needed" in its verification), then verifies the
// exported config headless, as `verify` does.
func TestWizardPracticeTenant(t *testing.T) {
	for _, mode := range []string{wizard.ModeSecret, wizard.ModeCertificate, wizard.ModeDelegated} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			out := h.walk(mode, mode == wizard.ModeSecret)
			h.do(func() { assertNothingMoreThanNeeded(t, h.z.state) })
			c, err := wizard.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := conn.Verify(context.Background(), c, h.z.secretSource(), nil) // the saved profile's secrets
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Status == "fail" {
					t.Errorf("headless verify of the export: %s failed: %s", r.Title, r.Seen)
				}
			}
		})
	}
}

// TestWizardFailurePaths hits the invalid field, declined consent, unreachable mailbox
// and failed send paths, each with its explanation on screen.
func TestWizardFailurePaths(t *testing.T) { newHarness(t).failurePaths() }

// failurePaths is TestWizardFailurePaths's walk (TestScreens takes its pictures).
func (h *harness) failurePaths() {
	t := h.t
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	var tenant, client, secret string
	h.do(func() {
		reg.how.SetSelected(howHave) // the fields at the top, as for an app that exists
		tenant, client, secret = reg.tenant.Text, reg.client.Text, reg.secret.Text
		reg.tenant.SetText("")
		test.Type(reg.tenant, "contoso")
		reg.client.SetText("")
		test.Type(reg.client, "not-a-guid")
		if h.z.NextEnabled() || !strings.HasPrefix(h.z.problem.Text, "Tenant:") {
			t.Fatalf("invalid tenant: next %v, problem %q", h.z.NextEnabled(), h.z.problem.Text)
		}
		reg.tenant.SetText(tenant)
		if !strings.HasPrefix(h.z.problem.Text, "Client ID:") {
			t.Fatalf("invalid client: %q", h.z.problem.Text)
		}
	})
	h.shot("2-app-registration-invalid")
	// The practice tenant's unapproved app: consent is needed for real.
	var app emulator.InfoApp
	for _, a := range h.srv.Info().Apps {
		if a.Name == emulator.AppNotConsentedName {
			app = a
		}
	}
	h.do(func() {
		reg.client.SetText(app.ClientID)
		reg.secret.SetText(app.ClientSecret)
	})
	h.next(wizard.StepConsent)
	h.do(func() {
		if h.z.NextEnabled() {
			t.Fatal("Next enabled before consent for an unapproved app")
		}
	})

	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.browser.setAccept(false)
	h.tap(cs.start)
	h.waitFor("the declined answer", func() bool { return cs.outcome.Text != "" })
	h.do(func() {
		if !strings.Contains(cs.outcome.Text, "declined") || cs.advice.Text == "" || h.z.NextEnabled() {
			t.Fatalf("declined consent: %q / %q / next %v", cs.outcome.Text, cs.advice.Text, h.z.NextEnabled())
		}
	})
	h.shot("3-consent-declined")
	h.browser.setAccept(true)
	h.tap(cs.start)
	h.waitFor("consent", func() bool { return h.z.NextEnabled() })
	h.do(func() {
		if !strings.Contains(cs.outcome.Text, "granted") {
			t.Fatalf("consent: %q", cs.outcome.Text)
		}
	})
	h.shot("3-consent-granted")
	// Back to the approved app with every permission for the rest of the walk.
	h.do(func() {
		if err := h.z.GoTo(wizard.StepAppRegistration); err != nil {
			t.Fatal(err)
		}
		reg.client.SetText(client)
		reg.secret.SetText(secret)
	})
	h.next(wizard.StepConsent)
	h.next(wizard.StepMailboxes)

	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	nobody := "nobody@" + h.srv.Info().TenantDomain
	good := h.mailbox(wizard.KindUser)
	h.do(func() {
		mb.address.SetText("not an address")
		mb.addTyped()
		if !strings.Contains(mb.addErr.Text, "Mailbox:") {
			t.Fatalf("bad address: %q", mb.addErr.Text)
		}
		for _, a := range []string{nobody, good} {
			mb.address.SetText(a)
			mb.addTyped()
		}
	})
	h.waitFor("both badges", func() bool {
		_, a := mb.badge(nobody)
		_, b := mb.badge(good)
		return a != nil && b != nil
	})
	h.do(func() {
		text, ok := mb.badge(nobody)
		if *ok || !strings.HasPrefix(text, "unreachable") {
			t.Fatalf("unknown mailbox badge: %v %q", *ok, text)
		}
	})
	h.shot("4-mailboxes-unreachable")
	h.do(func() { h.z.state.RemoveMailbox(nobody); mb.render(); h.z.refresh() })
	h.next(wizard.StepVerify)

	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultAccessDenied, PathContains: "/send"})
	vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
	h.tap(vs.run)
	h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		v := h.z.state.Verification
		failedSend := false
		for _, c := range v.Checks {
			failedSend = failedSend || (c.ID == "send" && c.Status == wizard.StatusFail && c.Advice != "")
		}
		if v.Passed || !failedSend || h.z.NextEnabled() {
			t.Fatalf("failed send not reported: passed %v, checks %+v", v.Passed, v.Checks)
		}
		// A failed check is a failure, not a cancellation: nobody pressed Cancel.
		if !strings.HasPrefix(vs.status.Text, "Some checks failed") {
			t.Fatalf("after a failed check the screen says %q", vs.status.Text)
		}
		// The failed check is in sight, not below the window's edge.
		d := fyne.CurrentApp().Driver()
		top := d.AbsolutePositionForObject(h.z.scroll).Y
		if row := vs.rowOf["send"]; row == nil {
			t.Fatal("no row for the send check")
		} else if y := d.AbsolutePositionForObject(row).Y; y < top || y+40 > top+h.z.scroll.Size().Height {
			t.Fatalf("the failed send check is out of sight: row at y=%.0f, the step shows %.0f to %.0f", y, top, top+h.z.scroll.Size().Height)
		}
	})
	h.shot("5-verify-failed-send")
	h.srv.Mail().ClearFaults()
	h.tap(vs.run)
	h.waitFor("the re-run", func() bool { return h.z.state.Verification != nil })
	h.do(func() {
		if !h.z.state.Verification.Passed {
			t.Fatal("re-run after the fix did not pass")
		}
		// A failure's button goes back to the step that fixes it.
		if err := h.z.GoTo(wizard.StepAppRegistration); err != nil || h.z.Current() != wizard.StepAppRegistration {
			t.Fatalf("GoTo: %v", err)
		}
	})
}

// TestNoKeyringOffersFile: where no keyring exists the save step says so and stores the
// secret in the user-only file only after the user agreed.
func TestNoKeyringOffersFile(t *testing.T) { newHarness(t).noKeyring() }

// noKeyring is TestNoKeyringOffersFile's walk (TestScreens takes its pictures).
func (h *harness) noKeyring() {
	t := h.t
	h.walkTo(wizard.StepSave)
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided"))
	defer keyring.MockInit()
	sv := h.z.screens[wizard.StepSave].(*saveScreen)
	h.do(func() { sv.enter() })
	h.waitFor("the keyring probe", func() bool { return strings.Contains(sv.keyring.Text, "no keyring") })
	h.tap(sv.save)
	h.waitFor("the refusal", func() bool { return strings.HasPrefix(sv.status.Text, "Not saved") })
	h.do(func() {
		if h.z.state.Locked {
			t.Fatal("locked without saving")
		}
		test.Tap(sv.useFile)
	})
	h.tap(sv.save)
	h.waitFor("saving", func() bool { return strings.HasPrefix(sv.status.Text, "Saved") })
	fi, err := os.Stat(filepath.Join(h.dir, "secrets.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("fallback file: %v %v", fi, err)
	}
	h.shot("6-save-no-keyring")
	h.do(func() { sv.doDisconnect() })
	h.waitFor("the disconnect", func() bool { return strings.HasPrefix(sv.status.Text, "Disconnected") })
	if _, err := os.Stat(filepath.Join(h.dir, "secrets.json")); !os.IsNotExist(err) {
		t.Fatal("Disconnect left the secret behind")
	}
}

// addMailboxes adds each address as a person does (typed, then Add) and waits until
// each one's badge says it is reachable.
func (h *harness) addMailboxes(addrs ...string) {
	h.t.Helper()
	mb := h.z.screens[wizard.StepMailboxes].(*mailboxesScreen)
	for _, a := range addrs {
		h.do(func() {
			mb.address.SetText(a)
			mb.addTyped()
		})
	}
	for _, a := range addrs {
		h.waitFor(a+"'s badge", func() bool { _, ok := mb.badge(a); return ok != nil })
		h.do(func() {
			if text, ok := mb.badge(a); !*ok {
				h.t.Fatalf("%s unreachable: %s", a, text)
			}
		})
	}
}

// walkTo drives the secret mode to a step quickly (consent confirmed as given).
func (h *harness) walkTo(target wizard.StepID) {
	steps := []wizard.StepID{wizard.StepPrerequisites, wizard.StepAppRegistration, wizard.StepConsent, wizard.StepMailboxes, wizard.StepVerify, wizard.StepSave}
	for _, s := range steps {
		var cur wizard.StepID
		h.do(func() { cur = h.z.Current() })
		switch cur {
		case wizard.StepConsent:
			h.do(func() { test.Tap(h.z.screens[wizard.StepConsent].(*consentScreen).already) })
		case wizard.StepMailboxes:
			h.addMailboxes(h.mailbox(wizard.KindUser))
		case wizard.StepVerify:
			vs := h.z.screens[wizard.StepVerify].(*verifyScreen)
			h.tap(vs.run)
			h.waitFor("the checks", func() bool { return h.z.state.Verification != nil })
		}
		h.next(s)
		if s == target {
			return
		}
	}
}
