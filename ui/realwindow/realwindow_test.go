package realwindow

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/ui"
	"github.com/m365connect/m365connect/wizard"
)

// The one real window of this test binary; nil without a display.
var (
	fyneApp fyne.App
	win     fyne.Window
)

// TestMain runs the GLFW driver's loop on the main goroutine, as the app does, and the
// tests on another; they reach the window only through fyne.DoAndWait, as input events
// and the wizard's workers do.
//
// Why in-process rather than driving the built binary with xdotool: the test finds each
// control by the text the screen shows and reads outcomes from the widgets themselves,
// so no pixel coordinates, no OCR and no sleeps; the practice tenant, the outbox and
// the mail store are at hand to check what happened behind the window (a message sent
// exactly once). What matters for the defects this test guards is the driver: its
// fyne.Do queue, its loop and its rendering, which are the real ones here.
func TestMain(m *testing.M) {
	if os.Getenv("DISPLAY") == "" {
		os.Exit(m.Run()) // every test skips, saying why
	}
	keyring.MockInit() // the keyring is not under test here, and CI has none by default
	fyneApp = app.NewWithID("io.m365connect.realwindowtest")
	win = fyneApp.NewWindow("M365 Connect (real-window test)")
	win.Resize(fyne.NewSize(960, 640))
	code := make(chan int, 1)
	go func() {
		code <- m.Run()
		fyne.Do(fyneApp.Quit)
	}()
	win.ShowAndRun()
	os.Exit(<-code)
}

func needWindow(t *testing.T) {
	t.Helper()
	if win == nil {
		t.Skip("no X display (DISPLAY is empty): run under scripts/with-xvfb.sh, as `make test` does")
	}
}

// on runs f on the window's loop and waits for it. f must not call t.Fatal (it runs on
// the main goroutine): it returns what it saw, and the test goroutine judges.
func on(f func()) { fyne.DoAndWait(f) }

// walk visits every object the window shows (visible ones only; of tabs, the selected
// one; the top dialog too) until visit returns true.
func walk(w fyne.Window, visit func(fyne.CanvasObject) bool) bool {
	var rec func(o fyne.CanvasObject) bool
	rec = func(o fyne.CanvasObject) bool {
		if o == nil || !o.Visible() {
			return false
		}
		if visit(o) {
			return true
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				if rec(c) {
					return true
				}
			}
		case *container.Scroll:
			return rec(x.Content)
		case *container.AppTabs:
			if sel := x.Selected(); sel != nil {
				return rec(sel.Content)
			}
		case *widget.Form:
			for _, it := range x.Items {
				if rec(it.Widget) {
					return true
				}
			}
		}
		return false
	}
	if top := w.Canvas().Overlays().Top(); top != nil && rec(top) {
		return true
	}
	return rec(w.Content())
}

// texts is every label's text on screen, one per line: what a failure reports.
func texts(w fyne.Window) string {
	var b strings.Builder
	walk(w, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && l.Text != "" {
			b.WriteString(l.Text + "\n")
		}
		return false
	})
	return b.String()
}

// walker drives one wizard in the real window.
type walker struct {
	t    *testing.T
	w    fyne.Window
	z    *ui.Wizard
	srv  *emulator.Server
	dir  string
	seen string // the screen's labels when the last wait ended
}

// button is the visible button whose text starts with text (nil if none).
func (k *walker) button(text string) *widget.Button {
	var found *widget.Button
	walk(k.w, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, text) {
			found = b
			return true
		}
		return false
	})
	return found
}

// tap presses the visible, enabled button whose text starts with text, as a click does.
func (k *walker) tap(text string) {
	k.t.Helper()
	var problem string
	on(func() {
		b := k.button(text)
		switch {
		case b == nil:
			problem = "no button " + text + " on screen"
		case b.Disabled():
			problem = "the button " + text + " is disabled"
		default:
			b.Tapped(&fyne.PointEvent{})
		}
		if problem != "" {
			problem += "; the screen shows:\n" + texts(k.w)
		}
	})
	if problem != "" {
		k.t.Fatal(problem)
	}
}

// label is the first visible label whose text contains part ("" if none).
func (k *walker) label(part string) string {
	var found string
	walk(k.w, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, part) {
			found = l.Text
			return true
		}
		return false
	})
	return found
}

// waitFor waits until cond (run on the window's loop) holds. The window's loop runs
// at 60 frames a second; conditions are looked at every 50 ms, up to limit.
func (k *walker) waitFor(what string, limit time.Duration, cond func() bool) {
	k.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var ok bool
		on(func() { ok = cond(); k.seen = texts(k.w) })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("after %s still waiting for %s; the screen shows:\n%s", limit, what, k.seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// next presses Next and checks the step that follows.
func (k *walker) next(want wizard.StepID) {
	k.t.Helper()
	k.waitFor("Next to enable at "+string(want)+"'s previous step", 30*time.Second, k.z.NextEnabled)
	k.tap("Next")
	var cur wizard.StepID
	on(func() { cur = k.z.Current() })
	if cur != want {
		k.t.Fatalf("after Next: at %s, want %s", cur, want)
	}
}

// noBrowser is the window's OpenBrowser under Xvfb: there is none, so the consent step
// shows the address to copy, which the test then opens as the person would.
func noBrowser(string) error { return errors.New("no browser on this display") }

var (
	formActionRE = regexp.MustCompile(`<form method="POST" action="([^"]+)">`)
	promptRE     = regexp.MustCompile(`name="prompt" value="([^"]+)"`)
	optionRE     = regexp.MustCompile(`<option value="([^"]+)"( selected)?>([^<]*)`)
)

// browse plays the browser on the practice tenant's page at u: it picks the preselected
// user (or the first) and presses Accept, then follows the redirect to the window's
// loopback listener.
func browse(u string) error {
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	act, pr := formActionRE.FindSubmatch(page), promptRE.FindSubmatch(page)
	if act == nil || pr == nil {
		return fmt.Errorf("no sign-in form on the page (status %d)", resp.StatusCode)
	}
	user := ""
	for _, o := range optionRE.FindAllSubmatch(page, -1) {
		if user == "" || len(o[2]) > 0 {
			user = string(o[1])
		}
	}
	base, _ := url.Parse(u)
	target, _ := base.Parse(string(act[1]))
	resp, err = c.PostForm(target.String(), url.Values{"prompt": {string(pr[1])}, "user": {user}, "action": {"accept"}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the loopback answered %s", resp.Status)
	}
	return nil
}

// open shows a fresh wizard in the window against a new practice tenant.
func open(t *testing.T) *walker {
	t.Helper()
	k := &walker{t: t, w: win, dir: t.TempDir()}
	var mu sync.Mutex
	opts := ui.Options{
		AppVersion: "realwindow-test", ConfigDir: k.dir, DataDir: filepath.Join(k.dir, "data"),
		Secrets:     secretstore.New("m365connect-realwindow-test", filepath.Join(k.dir, "secrets.json")),
		OpenBrowser: noBrowser,
		StartPractice: func() (*emulator.Server, error) {
			srv, err := emulator.New(emulator.Options{Seed: ui.PracticeSeed, MessagesPerMailbox: 12})
			mu.Lock()
			k.srv = srv
			mu.Unlock()
			return srv, err
		},
		DeliveryWait: 20 * time.Second,
	}
	on(func() { k.z = ui.CreateWithOptions(fyneApp, win, opts) })
	t.Cleanup(func() {
		k.z.StopSync(10 * time.Second)
		on(func() { win.SetContent(widget.NewLabel("")) })
		k.z.Close()
	})
	k.waitFor("the practice tenant to start", 30*time.Second, func() bool { return k.z.State().Practice != nil })
	mu.Lock()
	defer mu.Unlock()
	if k.srv == nil {
		t.Fatal("the practice tenant did not start")
	}
	return k
}

// TestRealWindowWalk walks the practice tenant in the real window, in each access mode:
// every step from the first through consent (the browser played from the address the
// window shows), mailboxes, Verify, Save, a sync, and an outbox message queued,
// approved, sent and arrived exactly once. Each step's outcome is read off the screen.
func TestRealWindowWalk(t *testing.T) {
	needWindow(t)
	for _, mode := range []string{wizard.ModeDelegated, wizard.ModeSecret, wizard.ModeCertificate} {
		t.Run(mode, func(t *testing.T) { walkMode(t, mode) })
	}
}

func walkMode(t *testing.T, mode string) {
	k := open(t)
	var cloud string
	on(func() { cloud = k.z.State().Cloud })
	if cloud != wizard.CloudPractice {
		t.Fatalf("the window opens on %q, want the practice tenant preselected", cloud)
	}

	// Prerequisites: the access mode, picked as a person does from the radio buttons.
	k.next(wizard.StepPrerequisites)
	var title string
	for _, m := range wizard.ModeChoices(wizard.Features{}) {
		if m.Mode == mode {
			title = m.Title
		}
	}
	var picked bool
	on(func() {
		walk(k.w, func(o fyne.CanvasObject) bool {
			r, ok := o.(*widget.RadioGroup)
			if !ok {
				return false
			}
			for _, opt := range r.Options {
				if strings.HasPrefix(opt, title) {
					r.SetSelected(opt)
					picked = true
				}
			}
			return picked
		})
	})
	if !picked {
		t.Fatalf("no access mode %q on screen:\n%s", title, texts(k.w))
	}
	// App registration: the practice tenant's values are filled in.
	k.next(wizard.StepAppRegistration)
	var tenant, client string
	on(func() { tenant, client = k.z.State().TenantID, k.z.State().ClientID })
	if tenant != k.srv.Info().TenantID || client == "" {
		t.Fatalf("practice values not filled in: tenant %q (want %q), client %q", tenant, k.srv.Info().TenantID, client)
	}

	// Consent: the delegated sign-in goes through the browser, from the address the
	// window shows when no browser opens; the practice tenant's application apps are
	// approved already, which the step says with its box ticked.
	k.next(wizard.StepConsent)
	if mode == wizard.ModeDelegated {
		var enabled bool
		on(func() { enabled = k.z.NextEnabled() })
		if enabled {
			t.Fatal("Next enabled before the sign-in")
		}
		k.tap("Sign in in the browser")
		var addr string
		k.waitFor("the address to open in a browser", 20*time.Second, func() bool {
			walk(k.w, func(o fyne.CanvasObject) bool {
				if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.Text, "http") {
					addr = e.Text
					return true
				}
				return false
			})
			return addr != ""
		})
		if err := browse(addr); err != nil {
			t.Fatalf("the browser: %v", err)
		}
		k.waitFor("the signed-in line", 30*time.Second, func() bool { return k.label("Signed in as ") != "" })
	} else {
		k.waitFor("the consent confirmed", 10*time.Second, func() bool {
			var ticked bool
			walk(k.w, func(o fyne.CanvasObject) bool {
				c, ok := o.(*widget.Check)
				ticked = ok && strings.Contains(c.Text, "already approved") && c.Checked
				return ticked
			})
			return ticked
		})
	}

	// Mailboxes: typed and added; the row turns green and Next enables.
	k.next(wizard.StepMailboxes)
	from := mailbox(t, k.srv, wizard.KindUser, 0)
	if mode == wizard.ModeDelegated {
		on(func() { from = k.z.State().ServiceAccount })
	}
	on(func() {
		walk(k.w, func(o fyne.CanvasObject) bool {
			if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "Or type an address") {
				e.SetText(from)
				return true
			}
			return false
		})
	})
	k.tap("Add")
	k.waitFor(from+" shown reachable", 30*time.Second, func() bool {
		return k.label("reachable: ") != "" && k.label("unreachable") == "" && k.z.NextEnabled()
	})

	// Verify: every check runs; the screen says they passed and Next enables.
	k.next(wizard.StepVerify)
	k.tap("Run every check")
	k.waitFor("the checks to finish", 60*time.Second, func() bool { return k.button("Run every check") != nil && !k.button("Run every check").Disabled() })
	if status := k.label("Every check passed"); status == "" {
		t.Fatalf("Verify did not pass in the real window; the screen shows:\n%s", k.seen)
	}
	var nextOn bool
	on(func() { nextOn = k.z.NextEnabled() })
	if !nextOn {
		t.Fatalf("every check passed but Next is disabled; the screen shows:\n%s", k.seen)
	}
	k.shot(t, "verify-passed-"+mode)

	// Save: the connection is saved and locked.
	k.next(wizard.StepSave)
	k.waitFor("the keyring probe", 10*time.Second, func() bool { return k.label("Looking for the OS keyring") == "" })
	k.tap("Save the connection")
	k.waitFor("the saved line", 20*time.Second, func() bool { return k.label("Saved to ") != "" })
	k.shot(t, "saved-"+mode)
	var cfgPath string // the saved profile's file (profiles/<id>.json)
	on(func() { cfgPath = k.z.ConfigPath() })
	if _, err := wizard.Load(cfgPath); err != nil {
		t.Fatalf("saved config: %v", err)
	}

	// Outgoing mail: allow the sender, queue a message as `m365connect send` does, see it
	// listed, approve it.
	selectTab(k, "Outgoing mail")
	var ticked bool
	on(func() {
		walk(k.w, func(o fyne.CanvasObject) bool {
			if c, ok := o.(*widget.Check); ok && strings.EqualFold(c.Text, from) {
				if !c.Checked {
					c.Tapped(&fyne.PointEvent{})
				}
				ticked = c.Checked
				return true
			}
			return false
		})
	})
	if !ticked {
		t.Fatalf("no sender check for %s on the Outgoing mail tab:\n%s", from, texts(k.w))
	}
	saved, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Outbox == nil || len(saved.Outbox.Policy.AllowedSenders) != 1 {
		t.Fatalf("the sender policy did not reach the saved config: %+v", saved.Outbox)
	}
	to := mailbox(t, k.srv, wizard.KindUser, 1)
	if strings.EqualFold(to, from) {
		to = mailbox(t, k.srv, wizard.KindUser, 2)
	}
	// The saved connection's own data folder (profiles/<id>.json → data/profiles/<id>/).
	dataDir, err := (&conn.Profiles{Dir: k.dir}).DataDirOf(filepath.Join(k.dir, "data"), strings.TrimSuffix(filepath.Base(cfgPath), ".json"))
	if err != nil {
		t.Fatal(err)
	}
	db, _ := conn.OutboxFiles(saved, dataDir)
	ctx := context.Background()
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: conn.OutboxPolicy(saved)})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	subject := "Real window " + mode
	msg, err := ob.Enqueue(ctx, outbox.NewMessage{From: from, To: []string{to}, Subject: subject, Text: "Sent from the real-window test."})
	if err != nil || msg.State != outbox.StatePendingApproval {
		t.Fatalf("enqueue: %v (state %s)", err, msg.State)
	}
	k.tap("Refresh")
	k.waitFor("the queued message listed", 20*time.Second, func() bool { return k.label(subject) != "" && k.button("Approve") != nil })
	k.tap("Approve")
	k.waitFor("the approval", 20*time.Second, func() bool {
		m, err := ob.Get(ctx, msg.ID)
		return err == nil && m.State == outbox.StateApproved
	})

	// Sync: Start sync brings every folder up to date, and the approved message leaves
	// through the same connection.
	selectTab(k, "Sync")
	k.tap("Start sync")
	k.waitFor("every folder up to date", 60*time.Second, func() bool {
		return strings.HasPrefix(k.label("Up to date. New mail is fetched"), "Up to date.") && k.label("Up to date · ") != ""
	})
	var last outbox.Message
	k.waitFor("the approved message sent", 60*time.Second, func() bool {
		var err error
		last, err = ob.Get(ctx, msg.ID)
		return err == nil && (last.State == outbox.StateSent || last.State == outbox.StateFailed)
	})
	if last.State != outbox.StateSent {
		t.Fatalf("the approved message was not sent: %s: %s %s %s", last.State, last.Reason, last.ErrorCode, last.ErrorMessage)
	}
	k.shot(t, "sync-"+mode)
	// The local store's path is readable whole, however long it is (it showed as
	// "Local store:…" here when the path did not fit beside the button).
	on(func() {
		walk(k.w, func(o fyne.CanvasObject) bool {
			l, ok := o.(*widget.Label)
			if !ok || !strings.HasPrefix(l.Text, "Local store: ") {
				return false
			}
			if l.Truncation != fyne.TextTruncateOff || l.Size().Height+0.5 < l.MinSize().Height {
				t.Errorf("the local store's path is cut: %.0f×%.0f for %.0f×%.0f, truncation %v",
					l.Size().Width, l.Size().Height, l.MinSize().Width, l.MinSize().Height, l.Truncation)
			}
			return true
		})
	})
	k.tap("Stop")
	k.waitFor("the sync to stop", 20*time.Second, func() bool { return k.button("Start sync") != nil })
	k.srv.Mail().Wait()
	if n := k.srv.Mail().DeliveryCount(msg.InternetMessageID, to); n != 1 {
		t.Fatalf("the approved message reached %s %d times, want exactly once", to, n)
	}
}

// selectTab selects the Save step's tab with that title.
func selectTab(k *walker, title string) {
	k.t.Helper()
	var ok bool
	on(func() {
		walk(k.w, func(o fyne.CanvasObject) bool {
			tabs, is := o.(*container.AppTabs)
			if !is {
				return false
			}
			for _, it := range tabs.Items {
				if it.Text == title {
					tabs.Select(it)
					ok = true
				}
			}
			return true
		})
	})
	if !ok {
		k.t.Fatalf("no tab %q on screen", title)
	}
}

// mailbox is the practice tenant's i-th mailbox of a kind.
func mailbox(t *testing.T, srv *emulator.Server, kind string, i int) string {
	t.Helper()
	for _, m := range srv.Info().Mailboxes {
		if m.Kind == kind {
			if i == 0 {
				return m.Address
			}
			i--
		}
	}
	t.Fatalf("the practice tenant has too few %s mailboxes", kind)
	return ""
}

// shot writes what the window shows to $M365_UI_CAPTURE_DIR (when set) for a person to
// look at: the X screen as ImageMagick's import reads it (what a user would see; the GL
// driver's Canvas().Capture() reads back a blank white frame under Xvfb), else the
// driver's capture.
func (k *walker) shot(t *testing.T, name string) {
	dir := os.Getenv("M365_UI_CAPTURE_DIR")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, "real-"+name+".png")
	if imp, err := exec.LookPath("import"); err == nil {
		time.Sleep(300 * time.Millisecond) // a frame or two for the last change to be drawn
		if out, err := exec.Command(imp, "-window", "root", path).CombinedOutput(); err != nil {
			t.Errorf("import: %v: %s", err, out)
		}
		return
	}
	var img image.Image
	on(func() { img = k.w.Canvas().Capture() })
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
