package connection

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// This file is the one run orchestration below the front ends: the sync engine for a
// saved connection with the outbox sender beside it. The window's Sync tab and
// `m365connect sync` both call Run and only render its events, so a sync started from
// either behaves the same (both send approved mail, both stop the same way).

// DefaultSendInterval is how often a run's outbox sender looks for approved mail.
const DefaultSendInterval = 5 * time.Second

// DefaultRefresh is the shortest gap between two EventStatus snapshots of a run.
const DefaultRefresh = 200 * time.Millisecond

// RunOptions are the inputs of one run.
type RunOptions struct {
	// Config is the saved connection.
	Config *wizard.Config
	// Secrets finds its secrets (Chain: environment, keyring, practice secret).
	Secrets SecretSource
	// Sync are the engine's options: SyncOptions(Config, DataDir) with the caller's
	// overrides (flags, poll interval, Once).
	Sync mailsync.Options
	// DataDir holds the outbox unless the config names its files (OutboxFiles).
	DataDir string
	// SendInterval is how often the sender looks for approved mail (default
	// DefaultSendInterval). With Sync.Once the sender makes one pass.
	SendInterval time.Duration
	// Refresh is the shortest gap between two EventStatus events (default DefaultRefresh).
	Refresh time.Duration
	// OnEvent receives every event, on the run's goroutines; it must return quickly (a
	// window hands the event to its UI goroutine). Nil drops them.
	OnEvent func(Event)
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of events, in the order a run first emits them.
const (
	// EventStarted: the store is open and the connection signed in; Status lists the
	// mailboxes and StorePath names the store.
	EventStarted EventKind = iota
	// EventFolder: one folder changed (every page, every state change): Folder.
	EventFolder
	// EventStatus: a snapshot of every mailbox and folder (Status), at most one per
	// RunOptions.Refresh and only after a change.
	EventStatus
	// EventSending: news of the outbox sender in plain words (Text).
	EventSending
)

// Event is one piece of news of a run.
type Event struct {
	Kind      EventKind
	StorePath string
	Status    mailsync.Status
	Folder    mailsync.Progress
	Text      string
}

// ConnectError marks a run that could not sign in (Open failed); graph.AdviceFor
// explains Err.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return "connect: " + e.Err.Error() }

// Unwrap returns the sign-in error.
func (e *ConnectError) Unwrap() error { return e.Err }

// RunResult is how a run ended: the store it used and the engine's last snapshot (empty
// when the run ended before the engine started).
type RunResult struct {
	StorePath string
	Status    mailsync.Status
}

// Run opens the store, signs in, and runs the sync engine until ctx ends (continuous)
// or every folder finished a round (Sync.Once), sending the outbox's approved messages
// through the same connection meanwhile when the connection sends (features.send and at
// least one allowed sender). The store is opened first, so a second sync of the same
// store fails at once with mailsync.ErrStoreLocked, before any sign-in; a refused
// sign-in is a *ConnectError. A continuous run stopped through ctx returns nil.
func Run(ctx context.Context, o RunOptions) (RunResult, error) {
	res := RunResult{StorePath: o.Sync.StorePath}
	emit := o.OnEvent
	if emit == nil {
		emit = func(Event) {}
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	store, err := mailsync.OpenSQLite(ctx, o.Sync.StorePath)
	if err != nil {
		return res, err
	}
	defer store.Close()
	cn, err := Open(ctx, o.Config, o.Secrets)
	if err != nil {
		return res, &ConnectError{err}
	}
	var dirty atomic.Bool
	e, err := mailsync.NewEngine(store, cn.MailSource(), o.Sync, func(p mailsync.Progress) {
		dirty.Store(true)
		emit(Event{Kind: EventFolder, Folder: p})
	})
	if err != nil {
		return res, err
	}
	res.Status = e.Status()
	emit(Event{Kind: EventStarted, StorePath: o.Sync.StorePath, Status: res.Status})

	var wg sync.WaitGroup
	stopTicker := make(chan struct{})
	wg.Go(func() { publish(e, &dirty, o.Refresh, stopTicker, emit) })
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		send(sendCtx, o, cn, emit)
	}()
	err = e.Run(ctx)
	if !o.Sync.Once {
		stopSending() // a continuous run's sender stops with the sync; once mode finishes its pass
	}
	<-sent
	close(stopTicker)
	wg.Wait()
	res.Status = e.Status()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return res, err
}

// publish emits a snapshot at most every refresh while the engine reports changes, until
// stop closes.
func publish(e *mailsync.Engine, dirty *atomic.Bool, refresh time.Duration, stop <-chan struct{}, emit func(Event)) {
	t := time.NewTicker(refresh)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if dirty.Swap(false) {
			emit(Event{Kind: EventStatus, Status: e.Status()})
		}
	}
}

// Sends reports whether a run of c sends the outbox's approved mail: the connection was
// set up to send and the outbox policy allows at least one sender.
func Sends(c *wizard.Config) bool {
	return c.Features.Send && c.Outbox != nil && len(c.Outbox.Policy.AllowedSenders) > 0
}

// send runs the outbox sender until ctx ends (one pass with Sync.Once), exactly once per
// message (the outbox engine's drafts and lease: an `m365connect outbox run` elsewhere
// simply waits). Its news goes out as EventSending.
func send(ctx context.Context, o RunOptions, cn *Conn, emit func(Event)) {
	if !Sends(o.Config) {
		return
	}
	note := func(text string) { emit(Event{Kind: EventSending, Text: text}) }
	db, folder := OutboxFiles(o.Config, o.DataDir)
	ob, err := outbox.Open(ctx, db, outbox.Options{Policy: OutboxPolicy(o.Config)})
	if err != nil {
		note("Outgoing mail is not being sent: " + err.Error())
		return
	}
	defer ob.Close()
	g, err := cn.OutboxGraph()
	if err != nil {
		note("Outgoing mail is not being sent: " + err.Error())
		return
	}
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: g, Logf: func(format string, args ...any) {
		note("Outgoing mail: " + strings.TrimPrefix(fmt.Sprintf(format, args...), "outbox: "))
	}})
	if err != nil {
		note("Outgoing mail is not being sent: " + err.Error())
		return
	}
	if o.Sync.Once {
		err = sendOnce(ctx, ob, e, folder, note)
	} else {
		note("Outgoing mail: approved messages are sent while the sync runs.")
		every := o.SendInterval
		if every <= 0 {
			every = DefaultSendInterval
		}
		err = e.Run(ctx, every, folder)
	}
	switch {
	case ctx.Err() != nil:
		note("Outgoing mail: sending stopped with the sync; approved messages wait for the next start.")
	case err != nil:
		note("Outgoing mail stopped: " + err.Error())
	}
}

// sendOnce takes what the drop folder holds and makes one pass.
func sendOnce(ctx context.Context, ob *outbox.Outbox, e *outbox.Engine, folder string, note func(string)) error {
	defer e.Release(context.WithoutCancel(ctx))
	if _, err := ob.ScanDropFolder(ctx, folder); err != nil {
		note("Outgoing mail: scanning " + folder + ": " + err.Error())
	}
	r, err := e.RunOnce(ctx)
	if err != nil {
		return err
	}
	note(fmt.Sprintf("Outgoing mail: %d sent, %d failed, %d rejected, %d waiting.", r.Sent, r.Failed, r.Rejected, r.Waiting))
	return nil
}
