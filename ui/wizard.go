// Package ui holds the Fyne screens of the setup wizard, one file per step. The flow,
// the values and their validation live in package wizard; what Microsoft answers comes
// from package graph; the work below the screen (the practice tenant, credentials, the
// keyring, the outbox and the sync) goes through package connection, which the
// subcommands share. Screens only show and raise intents: every long action runs on its
// own goroutine with a Cancel button, and every change it makes reaches a widget
// through fyne.Do.
package ui

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// Options are the wizard's dependencies; tests replace them. Zero fields get defaults.
type Options struct {
	// AppVersion is recorded in saved configs and reports.
	AppVersion string
	// ConfigDir holds config.json, the practice tenant's files and the secrets fallback
	// file; default os.UserConfigDir()/m365connect.
	ConfigDir string
	// Secrets is where secrets go; default the OS keyring with ConfigDir/secrets.json as
	// the fallback the user may opt in to.
	Secrets *conn.SecretStore
	// OpenBrowser opens a URL in a browser; nil means the system's (connection.Browser).
	OpenBrowser func(url string) error
	// StartPractice starts the practice tenant; default connection.DefaultPracticeStarter
	// (PracticeSeed, its state kept under ConfigDir/practice).
	StartPractice conn.PracticeStarter
	// DeliveryWait bounds the test send's wait for the message to arrive (default 60 s).
	DeliveryWait time.Duration
	// DataDir is the app's data folder: each saved connection keeps its local mail
	// store (mail.db) and outbox (outbox.db, outbox/) in its own folder there
	// (connection.DataDirFor) unless the config names other files; default
	// connection.DataDir(), resolved when first needed.
	DataDir string
	// SyncPoll is how often a running sync looks for new mail once it is up to date;
	// default mailsync.DefaultPollInterval.
	SyncPoll time.Duration
	// SendInterval is how often a running sync's outbox sender looks for approved mail;
	// default connection.DefaultSendInterval.
	SendInterval time.Duration
	// Now is the clock.
	Now func() time.Time
	// Do runs a UI update from another goroutine; default fyne.Do. Tests wrap it to
	// synchronise with what they read.
	Do func(func())
}

// PracticeSeed is the practice tenant's seed in the app (connection.PracticeSeed).
const PracticeSeed = conn.PracticeSeed

func (o *Options) defaults() {
	if o.ConfigDir == "" {
		o.ConfigDir, _ = conn.DefaultConfigDir() // cmd refuses to open the window without one
	}
	if o.Secrets == nil && o.ConfigDir != "" {
		o.Secrets = conn.DefaultSecrets(o.ConfigDir)
	} else if o.Secrets == nil {
		o.Secrets = conn.NewSecretStore(conn.SecretService, "") // no folder: no fallback file
	}
	if o.StartPractice == nil {
		o.StartPractice = conn.DefaultPracticeStarter(o.ConfigDir)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Do == nil {
		o.Do = fyne.Do
	}
	if o.AppVersion == "" {
		o.AppVersion = "dev"
	}
}

// screen is one step's content.
type screen interface {
	object() fyne.CanvasObject
}

// enterer is a screen that refreshes itself from the state when it is shown.
type enterer interface{ enter() }

// Wizard is the window's content: the step list on the left, the current step on the
// right, Back and Next below.
type Wizard struct {
	app     fyne.App
	win     fyne.Window
	opts    Options
	state   *wizard.State
	flow    *wizard.Flow
	screens map[wizard.StepID]screen

	// session holds what the connection learned (practice tenant, credential, client).
	mu       sync.Mutex
	practice *conn.Practice
	// closed is set by Close; starting counts practice-tenant starts still running
	// (Close waits for them, so none writes into ConfigDir after Close returns).
	closed   bool
	starting sync.WaitGroup
	conn     *connection
	prof     *profileState // saved connections and the one open (profiles.go)
	lock     *lockState    // controls disabled while locked (lock.go)

	stepIcons  []*widget.Icon
	stepLabels []*widget.Label
	title      *widget.Label
	summary    *widget.Label
	body       *fyne.Container
	scroll     *container.Scroll
	right      *fyne.Container
	problem    *widget.Label
	back       *widget.Button
	next       *widget.Button
	root       fyne.CanvasObject
}

// Create builds the wizard with default dependencies and sets it as w's content. It
// sets the app's theme (readable contrast in both variants, see theme.go) first: call
// it once, before the window is shown. Tests use CreateWithOptions and the test theme.
func Create(a fyne.App, w fyne.Window) *Wizard {
	a.Settings().SetTheme(Theme())
	return CreateWithOptions(a, w, Options{})
}

// Theme is the window's theme: Fyne's default with the colours that were too faint
// replaced (see theme.go).
func Theme() fyne.Theme { return appTheme{} }

// CreateWithOptions builds the wizard with the given dependencies.
func CreateWithOptions(a fyne.App, w fyne.Window, o Options) *Wizard {
	o.defaults()
	st := &wizard.State{}
	z := &Wizard{app: a, win: w, opts: o, state: st}
	z.flow = wizard.NewFlow(z.gate)
	z.screens = map[wizard.StepID]screen{
		wizard.StepEnvironment:     withProfiles(z, newEnvironmentScreen(z)), // saved connections on top (profiles.go)
		wizard.StepPrerequisites:   newPrerequisitesScreen(z),
		wizard.StepAppRegistration: newAppRegistrationScreen(z),
		wizard.StepConsent:         newConsentScreen(z),
		wizard.StepMailboxes:       newMailboxesScreen(z),
		wizard.StepVerify:          newVerifyScreen(z),
		wizard.StepSave:            newSaveScreen(z),
	}

	stepList := container.NewVBox()
	for _, s := range z.flow.Steps() {
		icon := widget.NewIcon(theme.RadioButtonIcon())
		label := widget.NewLabel(s.Title)
		z.stepIcons = append(z.stepIcons, icon)
		z.stepLabels = append(z.stepLabels, label)
		stepList.Add(container.NewHBox(icon, label))
	}
	z.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	z.title.SizeName = theme.SizeNameSubHeadingText
	z.summary = widget.NewLabel("")
	z.summary.Wrapping = fyne.TextWrapWord
	z.body = container.NewStack()
	z.problem = widget.NewLabel("")
	z.problem.Wrapping = fyne.TextWrapWord
	z.problem.Importance = widget.WarningImportance
	z.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), z.Back)
	z.next = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), z.Next)
	z.next.IconPlacement = widget.ButtonIconTrailingText
	z.next.Importance = widget.HighImportance

	header := container.NewVBox(z.title, container.New(unwrappedMin{}, z.summary), widget.NewSeparator())
	buttons := container.NewBorder(nil, nil, z.back, z.next, container.New(unwrappedMin{}, z.problem))
	z.scroll = container.NewVScroll(container.New(fitWidth{}, z.body))
	z.right = container.NewBorder(header, buttons, nil, nil, z.scroll)
	right := z.right
	left := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewPadded(stepList))
	z.root = container.NewBorder(nil, nil, left, nil, container.NewPadded(right))
	w.SetContent(z.root)
	// Enter = Next when no text field has the focus (a multi-line field keeps Enter);
	// Escape = Cancel of the action under way on this step, else Back.
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			z.Next()
		case fyne.KeyEscape:
			if c, ok := z.screens[z.Current()].(actionCanceller); ok && c.cancelAction() {
				return // Escape = Cancel while an action runs, else Back
			}
			z.Back()
		}
	})
	migrated := z.openDefaultProfile()
	note, warn := z.resumeSaved()
	if warn == "" && migrated != "" {
		warn = migrated
	}
	z.show()
	if note != "" {
		z.screens[wizard.StepSave].(*saveScreen).status.SetText(note)
	}
	if warn != "" {
		d := dialog.NewInformation("Saved connection", warn, w)
		d.Resize(fyne.NewSize(520, 0))
		d.Show()
	}
	return z
}

// do runs f on the UI goroutine (fyne.Do unless a test replaced it).
func (z *Wizard) do(f func()) { z.opts.Do(f) }

// Current is the step being shown.
func (z *Wizard) Current() wizard.StepID { return z.flow.Current().ID }

// State is the wizard's values (for the command that opened it and for tests).
func (z *Wizard) State() *wizard.State { return z.state }

// NextEnabled reports whether Next can be pressed now.
func (z *Wizard) NextEnabled() bool { return !z.next.Disabled() }

// Next advances if the current step is complete.
func (z *Wizard) Next() {
	if z.flow.Next() == nil {
		z.show()
	}
}

// Back returns to the previous step, keeping every value typed.
func (z *Wizard) Back() {
	if z.flow.Back() {
		z.show()
	}
}

// GoTo jumps to a step (backwards always; forwards over complete steps only).
func (z *Wizard) GoTo(id wizard.StepID) error {
	if err := z.flow.GoTo(id); err != nil {
		z.problem.SetText(err.Error())
		return err
	}
	z.show()
	return nil
}

// Close stops what the wizard started (the practice tenant). Call it when the window
// closes.
func (z *Wizard) Close() {
	z.mu.Lock()
	p := z.practice
	z.practice, z.closed = nil, true
	z.mu.Unlock()
	z.starting.Wait() // a start still running closes what it started itself
	if p != nil {
		p.Close()
	}
}

// show renders the current step and the step list.
func (z *Wizard) show() {
	cur := z.flow.Current()
	z.title.SetText(cur.Title)
	z.summary.SetText(wizard.StepSummary(cur, z.state.Mode))
	sc := z.screens[cur.ID]
	if e, ok := sc.(enterer); ok {
		e.enter()
	}
	z.applyLock(cur.ID, sc) // read-only while the saved connection is locked (lock.go)
	z.body.Objects = []fyne.CanvasObject{sc.object()}
	z.body.Refresh()
	z.scroll.ScrollToTop() // each step opens at its top, not at the previous step's offset

	for i := range z.stepIcons {
		icon := theme.RadioButtonIcon()
		switch {
		case i < z.flow.Index():
			icon = theme.ConfirmIcon()
		case i == z.flow.Index():
			icon = theme.RadioButtonCheckedIcon()
		}
		z.stepIcons[i].SetResource(icon)
		z.stepLabels[i].TextStyle = fyne.TextStyle{Bold: i == z.flow.Index()}
		z.stepLabels[i].Refresh()
	}
	z.refresh()
}

// refresh re-checks the Next guard after a value changed, and lays the current screen
// out again (a wrapped label that got longer needs more height).
func (z *Wizard) refresh() {
	if c, ok := z.screens[z.flow.Current().ID].object().(*fyne.Container); ok {
		c.Refresh()
	}
	if z.flow.IsFirst() {
		z.back.Disable()
	} else {
		z.back.Enable()
	}
	err := z.flow.CanNext()
	switch {
	case err == nil:
		z.next.Enable()
		z.problem.SetText("")
	case z.flow.IsLast():
		z.next.Disable()
		z.problem.SetText("")
	default:
		z.next.Disable()
		z.problem.SetText(err.Error())
	}
	// The bar below grows with a problem that wraps to more lines: lay the right side out
	// again so the step above shrinks instead of running under the bar.
	if z.right != nil {
		z.right.Refresh()
	}
}

// copyButton copies text() to the clipboard.
func (z *Wizard) copyButton(label string, text func() string) *widget.Button {
	return widget.NewButtonWithIcon(label, theme.ContentCopyIcon(), func() {
		z.app.Clipboard().SetContent(text())
	})
}

// wrapLabel is a label that wraps words.
// unwrappedMin lays out one word-wrapped label that sits outside a scroll. Until the
// label has been given a width, its minimum is one word per line — over 1,000 px for
// the problem line — and Fyne sizes a new window to that minimum, so the wizard opened
// taller than a laptop screen. This layout asks for one line until the label has a
// width, then for what the label needs at that width.
type unwrappedMin struct{}

func (unwrappedMin) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	if objs[0].Size().Width < 200 {
		return fyne.NewSize(0, widget.NewLabel("M").MinSize().Height)
	}
	return fyne.NewSize(0, objs[0].MinSize().Height)
}

func (unwrappedMin) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func wrapLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// heading is a bold label.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
