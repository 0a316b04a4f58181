package ui

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/m365connect/m365connect/wizard"
)

// This file is the Sync tab of the last step: it starts connection.Run (the sync engine
// and the outbox sender, the same run `m365connect sync` starts) for the saved config
// and renders its events: one row per mailbox and folder, and a line of what the sender
// does. The run publishes a snapshot at most syncRefresh apart; the panel hands the
// newest to the UI goroutine and never queues a second while one waits, so a backfill
// of 100,000 messages costs a handful of fyne.Do calls a second, not one per page.

// syncRefresh is the shortest gap between two redraws of the progress rows.
const syncRefresh = conn.DefaultRefresh

// dataDir is the folder of the local store and the outbox, created when missing: the
// open profile's own folder (connection.Profiles.DataDirOf) under the app's data folder
// (Options.DataDir, else connection.DataDir); the data folder itself when no profile is
// open (an imported file not saved yet).
func (z *Wizard) dataDir() (string, error) {
	d, err := conn.DataDirOr(z.opts.DataDir)
	if err != nil {
		return "", err
	}
	if p := z.profiles(); p.open.ID != "" {
		return p.store.DataDirOf(d, p.open.ID)
	}
	return d, nil
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
	// A path breaks anywhere: word wrapping with an ellipsis showed "Local store:…" alone
	// in the real window when the path did not fit beside the button.
	p.store.Wrapping = fyne.TextWrapBreak
	p.sending = wrapLabel("")
	p.sending.Hide()
	p.rows = container.NewVBox()
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
	if d, err := p.z.dataDir(); err == nil {
		return conn.SyncOptions(c, d).StorePath
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
		res, err := p.run(ctx, c, gen)
		cancel()
		close(done)
		z.do(func() {
			if gen != p.gen {
				return
			}
			if len(res.Status.Mailboxes) > 0 {
				p.render(res.Status)
			}
			p.running, p.stopping = false, false
			p.runMu.Lock()
			p.cancel, p.done = nil, nil
			p.runMu.Unlock()
			p.updateButton()
			p.status.SetText(syncEndText(err, res.StorePath))
			after := p.afterStop
			p.afterStop = nil
			for _, f := range after {
				f()
			}
			p.z.refresh()
		})
	}()
}

// run runs connection.Run for c until ctx ends or every mailbox stopped on an error, and
// hands its events to the UI goroutine. It never touches a widget itself.
func (p *syncPanel) run(ctx context.Context, c *wizard.Config, gen int) (conn.RunResult, error) {
	z := p.z
	dataDir, err := z.dataDir()
	if err != nil && (c.Sync == nil || c.Sync.Store == "") {
		return conn.RunResult{}, err
	}
	opts := conn.SyncOptions(c, dataDir)
	opts.PollInterval = z.opts.SyncPoll
	// The newest snapshot waits in latest; one z.do at a time draws it, so snapshots
	// never pile up behind a busy window and the last one is never lost.
	var mu sync.Mutex
	var latest *conn.SyncStatus
	draw := func() {
		mu.Lock()
		st := latest
		latest = nil
		mu.Unlock()
		if st != nil && gen == p.gen {
			p.render(*st)
		}
	}
	show := func(st conn.SyncStatus) {
		mu.Lock()
		queued := latest != nil
		latest = &st
		mu.Unlock()
		p.published.Add(1)
		if !queued {
			z.do(draw)
		}
	}
	// The window's keyring, without the environment variables meant for CI; a delegated
	// connection's rotated refresh token is written back to it.
	return conn.Run(ctx, conn.RunOptions{Config: c, Secrets: z.secretSource(), Sync: opts, DataDir: dataDir,
		SendInterval: z.opts.SendInterval, Refresh: syncRefresh,
		OnEvent: func(ev conn.Event) {
			switch ev.Kind {
			case conn.EventStarted:
				show(ev.Status)
				z.do(func() {
					if gen == p.gen {
						p.store.SetText("Local store: " + ev.StorePath)
					}
				})
			case conn.EventStatus:
				show(ev.Status)
			case conn.EventSending:
				z.do(func() {
					if gen == p.gen {
						p.sending.SetText(ev.Text)
						p.sending.Show()
					}
				})
			}
		}})
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
func (p *syncPanel) render(st conn.SyncStatus) {
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
			// A row's words wrap: when they take another number of lines, the rows
			// below must move (a re-layout), or the longer words draw over them.
			before := r.detail.MinSize().Height
			r.set(mb, fs)
			if r.detail.MinSize().Height != before {
				added = true
			}
			folders++
			switch {
			case fs.State == conn.SyncError || mb.State == conn.SyncError || mb.State == conn.SyncReconnectNeeded:
				failed++
			case fs.State == conn.SyncDone || (fs.State == conn.SyncIdle && !fs.LastSync.IsZero()):
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
	if added { // rows added, or a row's height changed
		p.rows.Refresh()
		p.z.refresh()
	}
}

func pollText(d time.Duration) string {
	if d <= 0 {
		d = conn.DefaultPollInterval
	}
	if d == time.Minute {
		return "minute"
	}
	return d.String()
}

// syncEndText says why a sync ended, in plain words. Errors are values: the advice
// comes from graph.AdviceFor, never from the error's text.
func syncEndText(err error, path string) string {
	var ce *conn.ConnectError
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		if path == "" {
			return "Sync stopped."
		}
		return "Sync stopped. The mail synced so far stays in " + path + "; Start sync resumes from there."
	case errors.Is(err, conn.ErrStoreLocked):
		return "Not started: another m365connect sync is running and using " + path +
			" (in a terminal, a service or another window). Stop it, then start again here."
	case errors.As(err, &ce):
		a := graph.AdviceFor(ce.Err)
		if a.Code == "unknown" || a.Code == "" {
			return "Could not connect: " + conn.AdviceByKey("", 0, ce.Err.Error())
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
	return "Sync stopped on an error: " + conn.AdviceByKey("", 0, err.Error())
}
