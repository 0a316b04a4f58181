package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// This file is the Sync tab of the last step: it runs the sync engine (package mailsync)
// in this process for the saved config and shows one row per mailbox and folder. The
// engine reports every page; the panel only marks itself dirty then, and a ticker
// publishes the engine's Status snapshot at most syncRefresh apart, so a backfill of
// 100,000 messages costs a handful of fyne.Do calls a second, not one per page.

// syncRefresh is the shortest gap between two redraws of the progress rows.
const syncRefresh = 200 * time.Millisecond

// dataDir is the folder of the local store and the outbox (Options.DataDir, else the
// app's data folder), created when missing.
func (z *Wizard) dataDir() (string, error) {
	if d := z.opts.DataDir; d != "" {
		return d, os.MkdirAll(d, 0o700)
	}
	return conn.DataDir()
}

// syncPanel is the Sync tab: Start/Stop, a status line and the progress rows.
type syncPanel struct {
	z      *Wizard
	button *widget.Button
	status *widget.Label
	store  *widget.Label
	rows   *fyne.Container
	// sending says what the outbox sender does while the sync runs.
	sending *widget.Label
	byKey   map[string]*syncRow // by mailbox id and folder
	heads   map[string]bool     // mailboxes with a heading row
	root    fyne.CanvasObject

	// Owned by the UI goroutine.
	running   bool
	stopping  bool
	gen       int // ignores updates of an older run
	afterStop []func()
	canStart  bool

	// runMu guards cancel and done, which StopSync may read from another goroutine.
	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{} // closed once the engine stopped and the store is closed

	published atomic.Int64 // snapshots sent to the UI (tests check the throttle)
}

func newSyncPanel(z *Wizard) *syncPanel {
	p := &syncPanel{z: z, byKey: map[string]*syncRow{}, heads: map[string]bool{}}
	p.button = widget.NewButtonWithIcon("Start sync", theme.MediaPlayIcon(), p.toggle)
	p.button.Importance = widget.HighImportance
	p.status = wrapLabel("Save the connection first (Connection tab); then start the sync here.")
	p.store = wrapLabel("")
	p.store.Importance = widget.LowImportance
	p.sending = wrapLabel("")
	p.sending.Hide()
	p.rows = container.NewVBox()
	p.store.Truncation = fyne.TextTruncateEllipsis
	p.root = container.NewVBox(
		wrapLabel("The sync copies each connected mailbox's recent mail (the last 30 days unless the config's sync section says otherwise) "+
			"into a local store on this computer, newest first, then keeps it up to date while this window is open. "+
			"Stopping is safe: the next start resumes where it stopped."),
		container.NewBorder(nil, nil, p.button, nil, p.store),
		p.status,
		p.sending,
		p.rows,
	)
	return p
}

// setCanStart enables Start only for a saved (locked) connection; Stop stays usable.
func (p *syncPanel) setCanStart(ok bool) {
	p.canStart = ok
	p.updateButton()
	if !ok && !p.running && len(p.byKey) == 0 {
		p.status.SetText("Save the connection first (Connection tab); then start the sync here.")
	} else if ok && !p.running && len(p.byKey) == 0 && strings.HasPrefix(p.status.Text, "Save the connection first") {
		p.status.SetText("Ready: Start sync copies the mail into " + p.storeHint() + ".")
	}
}

func (p *syncPanel) storeHint() string {
	c := p.z.saveConfig()
	if c.Sync != nil && c.Sync.Store != "" {
		return c.Sync.Store
	}
	if p.z.opts.DataDir != "" {
		return conn.SyncOptions(c, p.z.opts.DataDir).StorePath
	}
	return conn.StoreFileName + " in the app's data folder"
}

func (p *syncPanel) updateButton() {
	switch {
	case p.stopping:
		p.button.SetText("Stopping…")
		p.button.SetIcon(theme.MediaStopIcon())
		p.button.Disable()
	case p.running:
		p.button.SetText("Stop sync")
		p.button.SetIcon(theme.MediaStopIcon())
		p.button.Importance = widget.MediumImportance
		p.button.Enable()
	default:
		p.button.SetText("Start sync")
		p.button.SetIcon(theme.MediaPlayIcon())
		p.button.Importance = widget.HighImportance
		if p.canStart {
			p.button.Enable()
		} else {
			p.button.Disable()
		}
	}
	p.button.Refresh()
}

func (p *syncPanel) toggle() {
	if p.running {
		p.stop(nil)
		return
	}
	p.start(p.z.saveConfig())
}

// start runs the engine for c until Stop (continuous: new mail every SyncPoll).
func (p *syncPanel) start(c *wizard.Config) {
	if p.running {
		return
	}
	z := p.z
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.runMu.Lock()
	p.cancel, p.done = cancel, done
	p.runMu.Unlock()
	p.running, p.stopping = true, false
	p.gen++
	gen := p.gen
	p.updateButton()
	p.status.SetText("Starting the sync…")
	// Rows of an earlier run would show old news next to this run's outcome.
	p.byKey, p.heads = map[string]*syncRow{}, map[string]bool{}
	p.sending.Hide()
	p.rows.Objects = nil
	p.rows.Refresh()
	p.z.refresh()
	go func() {
		var last mailsync.Status
		publish := func(st mailsync.Status, then func()) {
			z.do(func() {
				if gen == p.gen {
					p.render(st)
				}
				if then != nil {
					then()
				}
			})
		}
		path, err := p.run(ctx, c, &last, publish)
		cancel()
		close(done)
		z.do(func() {
			if gen != p.gen {
				return
			}
			if len(last.Mailboxes) > 0 {
				p.render(last)
			}
			p.running, p.stopping = false, false
			p.runMu.Lock()
			p.cancel, p.done = nil, nil
			p.runMu.Unlock()
			p.updateButton()
			p.status.SetText(syncEndText(err, path))
			after := p.afterStop
			p.afterStop = nil
			for _, f := range after {
				f()
			}
			p.z.refresh()
		})
	}()
}

// run opens the store, connects and runs the engine until ctx ends or every mailbox
// stopped on an error. It never touches a widget: publish carries snapshots to the UI.
func (p *syncPanel) run(ctx context.Context, c *wizard.Config, last *mailsync.Status, publish func(mailsync.Status, func())) (string, error) {
	z := p.z
	dataDir, err := z.dataDir()
	if err != nil && (c.Sync == nil || c.Sync.Store == "") {
		return "", err
	}
	opts := conn.SyncOptions(c, dataDir)
	opts.PollInterval = z.opts.SyncPoll
	// The store first: a second sync fails at once, before any sign-in.
	store, err := mailsync.OpenSQLite(ctx, opts.StorePath)
	if err != nil {
		return opts.StorePath, err
	}
	defer store.Close()
	// The window's keyring, without the environment variables meant for CI; a delegated
	// connection's rotated refresh token is written back to it.
	cn, err := conn.Open(ctx, c, z.secretSource()) // the open profile's keys (profiles.go)
	if err != nil {
		return opts.StorePath, &connectError{err}
	}
	var dirty atomic.Bool
	e, err := mailsync.NewEngine(store, cn.MailSource(), opts, func(mailsync.Progress) { dirty.Store(true) })
	if err != nil {
		return opts.StorePath, err
	}
	*last = e.Status()
	path := opts.StorePath
	publish(*last, func() { p.store.SetText("Local store: " + path) })
	p.published.Add(1)

	stopTicker := make(chan struct{})
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		t := time.NewTicker(syncRefresh)
		defer t.Stop()
		var inflight atomic.Bool
		for {
			select {
			case <-stopTicker:
				return
			case <-t.C:
			}
			// Skip a tick while the previous snapshot waits for the UI: updates never
			// pile up behind a busy window.
			if inflight.Load() || !dirty.Swap(false) {
				continue
			}
			inflight.Store(true)
			p.published.Add(1)
			publish(e.Status(), func() { inflight.Store(false) })
		}
	}()
	// Approved outgoing mail leaves while the sync runs, through the same connection.
	sendCtx, stopSending := context.WithCancel(ctx)
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		p.runSender(sendCtx, c, cn, dataDir)
	}()
	err = e.Run(ctx)
	stopSending()
	<-sendDone
	close(stopTicker)
	<-tickerDone
	*last = e.Status()
	return path, err
}

// senderInterval is how often the outbox sender looks for approved mail.
var senderInterval = 5 * time.Second

// runSender sends the outbox's approved messages until ctx ends, exactly once each (the
// outbox engine's drafts and lease; a `m365connect outbox run` elsewhere simply waits).
// It does nothing for a connection that does not send or whose policy lets no mailbox
// send. It never touches a widget: notes go through z.do.
func (p *syncPanel) runSender(ctx context.Context, c *wizard.Config, cn *conn.Conn, dataDir string) {
	z := p.z
	note := func(text string) {
		z.do(func() {
			p.sending.SetText(text)
			p.sending.Show()
		})
	}
	if !c.Features.Send || c.Outbox == nil || len(c.Outbox.Policy.AllowedSenders) == 0 {
		return
	}
	db, folder := conn.OutboxFiles(c, dataDir)
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: conn.OutboxPolicy(c)})
	if err != nil {
		note("Outgoing mail is not being sent: " + err.Error())
		return
	}
	defer ob.Close()
	g, err := cn.OutboxGraph()
	if err == nil {
		var e *outbox.Engine
		if e, err = ob.NewEngine(outbox.EngineOptions{Graph: g, Logf: func(format string, args ...any) {
			note("Outgoing mail: " + strings.TrimPrefix(fmt.Sprintf(format, args...), "outbox: "))
		}}); err == nil {
			note("Outgoing mail: approved messages are sent while the sync runs.")
			err = e.Run(ctx, senderInterval, folder)
		}
	}
	switch {
	case ctx.Err() != nil:
		note("Outgoing mail: sending stopped with the sync; approved messages wait for the next start.")
	case err != nil:
		note("Outgoing mail stopped: " + err.Error())
	}
}

// stop cancels a running sync; after runs on the UI goroutine once the engine stopped
// and the store is closed (at once when nothing runs).
func (p *syncPanel) stop(after func()) {
	if !p.running {
		if after != nil {
			after()
		}
		return
	}
	if after != nil {
		p.afterStop = append(p.afterStop, after)
	}
	p.stopping = true
	p.updateButton()
	p.status.SetText("Stopping after the current page…")
	p.runMu.Lock()
	if p.cancel != nil {
		p.cancel()
	}
	p.runMu.Unlock()
}

// StopSync stops a running sync and waits up to timeout for the engine to close the
// local store. Call it when the window closes; safe from any goroutine.
func (z *Wizard) StopSync(timeout time.Duration) {
	s, ok := z.screens[wizard.StepSave].(*saveScreen)
	if !ok {
		return
	}
	p := s.sync
	p.runMu.Lock()
	cancel, done := p.cancel, p.done
	p.runMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// render shows a snapshot: rows in the engine's order, and the overall line.
func (p *syncPanel) render(st mailsync.Status) {
	added := false
	folders, done, failed := 0, 0, 0
	for _, mb := range st.Mailboxes {
		if !p.heads[mb.ID] {
			p.heads[mb.ID] = true
			h := widget.NewLabelWithStyle(mailboxName(mb), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			h.Truncation = fyne.TextTruncateEllipsis
			p.rows.Add(h)
			added = true
		}
		for _, fs := range mb.Folders {
			k := mb.ID + "\x00" + fs.Folder
			r := p.byKey[k]
			if r == nil {
				r = newSyncRow(mailboxName(mb), folderName(fs.Folder))
				p.byKey[k] = r
				p.rows.Add(r.box)
				added = true
			}
			r.set(mb, fs)
			folders++
			switch {
			case fs.State == mailsync.StateError || mb.State == mailsync.StateError || mb.State == mailsync.StateReconnectNeeded:
				failed++
			case fs.State == mailsync.StateDone || (fs.State == mailsync.StateIdle && !fs.LastSync.IsZero()):
				done++
			}
		}
	}
	if p.running && !p.stopping {
		switch {
		case failed > 0:
			p.status.SetText(fmt.Sprintf("Syncing %d mailbox(es); %d folder(s) have a problem (see below). The others go on.", len(st.Mailboxes), failed))
		case folders > 0 && done == folders:
			p.status.SetText("Up to date. New mail is fetched every " + pollText(p.z.opts.SyncPoll) + " while this window is open; Stop sync pauses it.")
		default:
			p.status.SetText(strings.TrimSuffix(fmt.Sprintf("Syncing %d mailbox(es): %d of %d folders up to date. %s.", len(st.Mailboxes), done, folders, st.Overall.Text()), " ."))
		}
	}
	if added {
		p.rows.Refresh()
		p.z.refresh()
	}
}

func pollText(d time.Duration) string {
	if d <= 0 {
		d = mailsync.DefaultPollInterval
	}
	if d == time.Minute {
		return "minute"
	}
	return d.String()
}

// syncRow is one mailbox × folder (under its mailbox's heading): the folder's name, a
// bar and a line of plain words.
type syncRow struct {
	mailbox string
	name    *widget.Label
	bar     *widget.ProgressBar
	inf     *widget.ProgressBarInfinite
	detail  *widget.Label
	box     *fyne.Container
}

func newSyncRow(mailbox, folder string) *syncRow {
	r := &syncRow{
		mailbox: mailbox,
		name:    widget.NewLabel(folder),
		bar:     widget.NewProgressBar(),
		inf:     widget.NewProgressBarInfinite(),
		detail:  widget.NewLabel(""),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.detail.Wrapping = fyne.TextWrapWord
	r.detail.SizeName = theme.SizeNameCaptionText
	r.bar.TextFormatter = func() string {
		return grouped(int64(r.bar.Value)) + " / " + grouped(int64(r.bar.Max))
	}
	r.inf.Hide()
	r.inf.Stop()
	bars := container.NewStack(r.bar, r.inf)
	name := container.NewGridWrap(fyne.NewSize(120, r.name.MinSize().Height), r.name)
	r.box = container.NewBorder(nil, nil, name, nil, container.NewVBox(bars, r.detail))
	return r
}

// set shows a folder's status. The bar counts stored messages against the engine's
// estimate (FolderStatus.Total); a finished folder's bar is full whatever the estimate
// said, and an unknown estimate shows a moving bar while syncing.
func (r *syncRow) set(mb mailsync.MailboxStatus, fs mailsync.FolderStatus) {
	active := fs.State == mailsync.StateSyncing || fs.State == mailsync.StateThrottled
	finished := fs.State == mailsync.StateDone || (fs.State == mailsync.StateIdle && !fs.LastSync.IsZero())
	switch {
	case fs.Total <= 0 && active:
		r.bar.Hide()
		r.inf.Show()
		r.inf.Start()
	default:
		r.inf.Stop()
		r.inf.Hide()
		total := float64(fs.Total)
		if total < float64(fs.Messages) || finished || total <= 0 {
			total = float64(max(fs.Messages, 1))
			if fs.Messages == 0 && !finished {
				total = 1
			}
		}
		r.bar.Max = total
		r.bar.Value = float64(fs.Messages)
		if finished && fs.Messages == 0 {
			r.bar.Max, r.bar.Value = 1, 0
		}
		r.bar.Show()
		r.bar.Refresh()
	}
	r.detail.SetText(folderText(mb, fs))
}

// folderText is the row's line: state, count, rate and, after a failure, what happened
// and the fix in plain words.
func folderText(mb mailsync.MailboxStatus, fs mailsync.FolderStatus) string {
	count := grouped(fs.Messages) + " messages"
	if fs.Messages == 1 {
		count = "1 message"
	}
	if mb.State == mailsync.StateReconnectNeeded {
		return "Reconnect needed: " + errorAdvice(nonEmptyText(mb.LastError, fs.LastError)) + " Use Reset on the Connection tab, then verify and save again."
	}
	switch fs.State {
	case mailsync.StateSyncing:
		s := "Syncing · " + grouped(fs.Messages)
		if fs.Total > 0 {
			s += " of about " + grouped(fs.Total) + " messages"
		} else {
			s += " messages so far"
		}
		if fs.Rate >= 1 {
			s += " · " + grouped(int64(fs.Rate)) + " messages/s"
		}
		if fs.Phase == mailsync.PhaseGapFill {
			// https://learn.microsoft.com/en-us/graph/delta-query-messages: a filtered
			// delta round returns at most 5,000 messages; the rest is listed page by page.
			s += " · listing mail beyond Graph's 5,000-message delta limit"
		}
		return s
	case mailsync.StateThrottled:
		// https://learn.microsoft.com/en-us/graph/throttling: wait for Retry-After.
		return "Waiting: " + errorAdvice(fs.LastError) + " · " + count + " so far"
	case mailsync.StateDone:
		return "Up to date · " + count + checkedAt(fs.LastSync)
	case mailsync.StateError:
		return "Stopped: " + errorAdvice(nonEmptyText(fs.LastError, mb.LastError))
	case mailsync.StateRemoved:
		return "No longer synced; its " + count + " stay in the local store"
	}
	if mb.State == mailsync.StateError {
		return "Stopped: " + errorAdvice(mb.LastError)
	}
	if !fs.LastSync.IsZero() {
		return "Up to date · " + count + checkedAt(fs.LastSync)
	}
	if fs.Messages > 0 {
		return "Waiting for its turn · " + count + " already stored"
	}
	return "Waiting for its turn"
}

func checkedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " · checked at " + t.Local().Format("15:04")
}

func nonEmptyText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// codeRE finds Microsoft error codes in an error's text (ErrorAccessDenied,
// AADSTS7000215, TooManyRequests, Authorization_RequestDenied...).
var codeRE = regexp.MustCompile(`\b(AADSTS\d+|[A-Z][a-z]+(?:_?[A-Z][A-Za-z]*)+)\b`)

// statusRE finds the HTTP status in a mail source error ("delta: 429 ...") or a Graph
// error ("graph answered 503 ...").
var statusRE = regexp.MustCompile(`(?:: |answered )(429|503|504)\b`)

// errorAdvice turns an error text (the engine keeps folder errors as text) into the
// advice catalogue's plain words when it names a known code, else the text itself.
func errorAdvice(text string) string {
	text = strings.TrimSpace(text)
	for _, c := range codeRE.FindAllString(text, -1) {
		if a, ok := graph.LookupAdvice(c); ok {
			return conn.AdviceText(a)
		}
	}
	// Graph's throttling and outage answers carry codes outside the catalogue
	// (ApplicationThrottled...): go by the status (https://learn.microsoft.com/en-us/graph/throttling,
	// https://learn.microsoft.com/en-us/graph/errors).
	if m := statusRE.FindStringSubmatch(text); m != nil {
		code := map[string]string{"429": "TooManyRequests", "503": "ServiceUnavailable", "504": "ServiceUnavailable"}[m[1]]
		if a, ok := graph.LookupAdvice(code); ok {
			return conn.AdviceText(a)
		}
	}
	if text == "" {
		return "no details were given."
	}
	return firstLineOf(text)
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// connectError marks a failure to sign in (connection.Open).
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// syncEndText says why a sync ended, in plain words.
func syncEndText(err error, path string) string {
	var ce *connectError
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		if path == "" {
			return "Sync stopped."
		}
		return "Sync stopped. The mail synced so far stays in " + path + "; Start sync resumes from there."
	case errors.Is(err, mailsync.ErrStoreLocked):
		return "Not started: another m365connect sync is running and using " + path +
			" (in a terminal, a service or another window). Stop it, then start again here."
	case errors.As(err, &ce):
		a := graph.AdviceFor(ce.err)
		if a.Code == "unknown" || a.Code == "" {
			return "Could not connect: " + errorAdvice(ce.err.Error())
		}
		s := "Could not connect: " + strings.TrimSuffix(a.Title, ".") + "."
		a.Title = ""
		if more := conn.AdviceText(a); more != "" {
			s += "\n" + more
		}
		if a.Seen != "" {
			s += "\nMicrosoft said: " + a.Seen
		}
		return s
	}
	a := graph.AdviceFor(err)
	if a.Code != "unknown" && a.Code != "" {
		return "Sync stopped on an error: " + conn.AdviceText(a)
	}
	return "Sync stopped on an error: " + errorAdvice(err.Error())
}

// mailboxName is the address when known, else the id.
func mailboxName(mb mailsync.MailboxStatus) string {
	if mb.Address != "" {
		return mb.Address
	}
	return mb.ID
}

// folderName shows Graph's well-known folder names as Outlook does
// (https://learn.microsoft.com/en-us/graph/api/resources/mailfolder).
func folderName(f string) string {
	switch strings.ToLower(f) {
	case "inbox":
		return "Inbox"
	case "sentitems":
		return "Sent Items"
	case "drafts":
		return "Drafts"
	case "deleteditems":
		return "Deleted Items"
	case "archive":
		return "Archive"
	case "junkemail":
		return "Junk Email"
	}
	return f
}

// grouped writes n with thousands separators (12,345).
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
