package mailsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// State is a mailbox's or folder's sync state as shown to users.
type State string

// States.
const (
	StateIdle            State = "idle"             // waiting for its turn or the next poll
	StateSyncing         State = "syncing"          // requests in flight
	StateThrottled       State = "throttled"        // waiting out Retry-After or a backoff
	StateDone            State = "done"             // round finished (once mode: finished)
	StateReconnectNeeded State = "reconnect needed" // 401 after a fresh token: consent or secret revoked
	StateError           State = "error"            // stopped on an error shown in LastError
	StateRemoved         State = "removed"          // removed from the options; stopped cleanly
)

// ErrReconnectNeeded marks a mailbox whose token was refused twice in a row (a fresh token
// too): the admin must reconnect (consent, secret or certificate).
var ErrReconnectNeeded = errors.New("reconnect needed: the access token was refused")

// FolderStatus is the progress of one folder.
type FolderStatus struct {
	Folder    string    `json:"folder"`
	Phase     Phase     `json:"phase"`
	State     State     `json:"state"`
	Messages  int64     `json:"messages"`        // stored now
	Total     int64     `json:"total,omitempty"` // estimated (totalItemCount), 0 unknown
	Fetched   int64     `json:"fetched"`         // messages and removals received this run
	Rate      float64   `json:"rate"`            // Fetched per second over the current round
	Pages     int64     `json:"pages"`           // pages committed this run
	LastError string    `json:"lastError,omitempty"`
	Failure   ErrorInfo `json:"failure,omitzero"`  // LastError's fields, for advice
	LastSync  time.Time `json:"lastSync,omitzero"` // end of the last finished round
}

// MailboxStatus is the state of one mailbox and its folders.
type MailboxStatus struct {
	ID        string         `json:"id"`
	Address   string         `json:"address,omitempty"`
	State     State          `json:"state"`
	LastError string         `json:"lastError,omitempty"`
	Failure   ErrorInfo      `json:"failure,omitzero"` // LastError's fields, for advice
	Requests  int64          `json:"requests"`         // Graph requests made this run, retries included
	Folders   []FolderStatus `json:"folders"`
}

// Status is a snapshot of the whole engine.
type Status struct {
	Mailboxes []MailboxStatus `json:"mailboxes"`
	Overall   Estimate        `json:"overall"` // all mailboxes: rate and ETA
}

// Progress is one event: a folder of a mailbox changed. Callbacks run on engine
// goroutines and must return quickly (a UI wraps them in fyne.Do).
type Progress struct {
	Mailbox      string // the mailbox's id (Mailbox.ID)
	Address      string // its display address, when known
	MailboxState State
	FolderStatus
}

// Engine syncs several mailboxes of one tenant into a Store.
type Engine struct {
	store    Store
	src      Source
	opts     Options
	progress func(Progress)
	mbSem    chan struct{}
	budget   *budget // global requests in flight (Options.MaxInFlight)
	bigPages *budget // of those, backfill and gap-fill pages (Options.MaxBackfillInFlight)
	eta      *tracker

	mu      sync.Mutex
	status  map[string]*MailboxStatus
	order   []string
	runs    map[string]*mailboxRun
	runCtx  context.Context
	wg      sync.WaitGroup
	errs    []error
	running bool
	started int // mailboxes started: the next one's priority
}

type mailboxRun struct {
	mb     Mailbox
	cancel context.CancelFunc
	sem    chan struct{} // at most MaxRequests requests in flight
	prio   int           // start order: earlier mailboxes get the global budget first

	mu        sync.Mutex
	notBefore time.Time // set by a throttled answer: every folder waits
}

// NewEngine checks opts and builds an engine. progress may be nil.
func NewEngine(store Store, src Source, opts Options, progress func(Progress)) (*Engine, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	e := &Engine{store: store, src: src, opts: o, progress: progress,
		mbSem: make(chan struct{}, o.MaxMailboxes), budget: newBudget(o.MaxInFlight), bigPages: newBudget(o.MaxBackfillInFlight), eta: newTracker(), status: map[string]*MailboxStatus{}, runs: map[string]*mailboxRun{}}
	for _, m := range o.Mailboxes {
		e.addStatus(m)
	}
	return e, nil
}

func (e *Engine) addStatus(m Mailbox) {
	ms := &MailboxStatus{ID: m.ID, Address: m.Address, State: StateIdle}
	for _, f := range e.opts.Folders {
		ms.Folders = append(ms.Folders, FolderStatus{Folder: f, Phase: PhaseBackfill, State: StateIdle})
	}
	if _, ok := e.status[m.ID]; !ok {
		e.order = append(e.order, m.ID)
	}
	e.status[m.ID] = ms
}

// Run syncs until ctx ends (continuous) or every mailbox finished one round per folder
// (Options.Once). In once mode the error joins every mailbox that failed; a continuous
// run returns nil when ctx is cancelled.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("engine is already running")
	}
	e.running = true
	e.runCtx = ctx
	for _, m := range e.opts.Mailboxes {
		e.startLocked(m)
	}
	e.mu.Unlock()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = false
	return errors.Join(e.errs...)
}

// SetMailboxes changes the mailbox list, also while running: new mailboxes start, removed
// ones stop after their current page (state "removed"). Their stored mail is kept.
func (e *Engine) SetMailboxes(mbs []Mailbox) {
	e.mu.Lock()
	defer e.mu.Unlock()
	want := map[string]Mailbox{}
	for _, m := range mbs {
		want[m.ID] = m
	}
	for id, r := range e.runs {
		if _, ok := want[id]; !ok {
			r.cancel()
		}
	}
	for _, m := range e.opts.Mailboxes {
		if _, ok := want[m.ID]; ok {
			continue
		}
		if _, running := e.runs[m.ID]; running {
			continue // its goroutine marks it removed when it has stopped
		}
		if ms := e.status[m.ID]; ms != nil {
			ms.State = StateRemoved
		}
	}
	for _, m := range mbs {
		if _, ok := e.runs[m.ID]; ok {
			continue
		}
		if ms, ok := e.status[m.ID]; !ok || ms.State == StateRemoved {
			e.addStatus(m)
		}
		if e.running {
			e.startLocked(m)
		}
	}
	e.opts.Mailboxes = slices.Clone(mbs)
}

func (e *Engine) startLocked(m Mailbox) {
	ctx, cancel := context.WithCancel(e.runCtx)
	r := &mailboxRun{mb: m, cancel: cancel, sem: make(chan struct{}, e.opts.MaxRequests), prio: e.started}
	e.started++
	e.runs[m.ID] = r
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		err := e.runMailbox(ctx, r)
		e.mu.Lock()
		delete(e.runs, m.ID)
		ms := e.status[m.ID]
		removed := ms == nil || !slices.ContainsFunc(e.opts.Mailboxes, func(x Mailbox) bool { return x.ID == m.ID })
		if removed {
			if ms != nil {
				ms.State = StateRemoved
			}
			err = nil
		} else if err != nil && !errors.Is(err, context.Canceled) {
			e.errs = append(e.errs, fmt.Errorf("mailbox %s: %w", m.ID, err))
		}
		e.mu.Unlock()
	}()
}

// Status returns a snapshot.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s Status
	var active []string
	for _, id := range e.order {
		ms := *e.status[id]
		ms.Folders = slices.Clone(ms.Folders)
		s.Mailboxes = append(s.Mailboxes, ms)
		if ms.State != StateRemoved {
			active = append(active, id)
		}
	}
	s.Overall = e.eta.estimate(active, e.opts.Now())
	return s
}

// update changes a folder's status under the lock and emits a Progress event.
func (e *Engine) update(mailbox, folder string, f func(ms *MailboxStatus, fs *FolderStatus)) {
	e.mu.Lock()
	ms := e.status[mailbox]
	if ms == nil {
		e.mu.Unlock()
		return
	}
	var fs *FolderStatus
	for i := range ms.Folders {
		if ms.Folders[i].Folder == folder {
			fs = &ms.Folders[i]
		}
	}
	if fs == nil {
		fs = &FolderStatus{}
	}
	f(ms, fs)
	p := Progress{Mailbox: mailbox, Address: ms.Address, MailboxState: ms.State, FolderStatus: *fs}
	e.mu.Unlock()
	if folder != "" {
		e.emit(p)
	}
}

// emit feeds the ETA and hands the event to the progress callback.
func (e *Engine) emit(p Progress) {
	e.eta.observe(p, e.opts.Now())
	e.progress(p)
}

func (e *Engine) setMailboxState(id string, st State, lastErr error) {
	e.update(id, "", func(ms *MailboxStatus, _ *FolderStatus) {
		if ms.State == StateRemoved {
			return
		}
		ms.State = st
		ms.LastError, ms.Failure = failure(lastErr)
	})
	e.mu.Lock()
	ms := e.status[id]
	var evs []Progress
	if ms != nil {
		for _, f := range ms.Folders {
			evs = append(evs, Progress{Mailbox: id, Address: ms.Address, MailboxState: ms.State, FolderStatus: f})
		}
	}
	e.mu.Unlock()
	for _, p := range evs {
		e.emit(p)
	}
}

func (e *Engine) runMailbox(ctx context.Context, r *mailboxRun) error {
	if err := e.store.EnsureMailbox(ctx, r.mb.ID, r.mb.Address); err != nil {
		if !errors.Is(err, context.Canceled) {
			// Shown, not only returned: a continuous run would otherwise sit at "waiting".
			e.setMailboxState(r.mb.ID, StateError, err)
			e.logf(r.mb.ID, "", "error", "mailbox-error", err.Error())
		}
		return err
	}
	for {
		select {
		case e.mbSem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := e.mailboxRound(ctx, r)
		<-e.mbSem
		if err != nil {
			kind, _ := Classify(err)
			switch {
			case errors.Is(err, context.Canceled):
				return err
			case errors.Is(err, ErrReconnectNeeded):
				e.setMailboxState(r.mb.ID, StateReconnectNeeded, err)
				e.logf(r.mb.ID, "", "error", "reconnect-needed", err.Error())
				return err
			case kind == KindFatal || e.opts.Once:
				e.setMailboxState(r.mb.ID, StateError, err)
				e.logf(r.mb.ID, "", "error", "mailbox-error", err.Error())
				return err
			}
			// Continuous: show the error and try again next poll.
			e.setMailboxState(r.mb.ID, StateError, err)
		} else if e.opts.Once {
			e.setMailboxState(r.mb.ID, StateDone, nil)
			return nil
		} else {
			e.setMailboxState(r.mb.ID, StateIdle, nil)
		}
		if err := e.opts.Sleep(ctx, e.opts.PollInterval); err != nil {
			return err
		}
	}
}

// mailboxRound runs one round of every folder concurrently; the request semaphore keeps
// the mailbox at MaxRequests in flight. A 401 or fatal error stops the other folders.
func (e *Engine) mailboxRound(ctx context.Context, r *mailboxRun) error {
	e.setMailboxState(r.mb.ID, StateSyncing, nil)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	errs := make([]error, len(e.opts.Folders))
	for i, f := range e.opts.Folders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.folderRound(ctx, r, f)
			if err != nil {
				kind, _ := Classify(err)
				if errors.Is(err, ErrReconnectNeeded) || kind == KindFatal {
					cancel(err)
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return errors.Join(errs...)
}

func (e *Engine) logf(mailbox, folder, level, event, detail string) {
	// The log must survive a cancelled run; it never holds tokens or links.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.store.Log(ctx, mailbox, folder, level, event, detail)
}

// Run opens the store at opts.StorePath, syncs with src and closes the store: the entry
// point of `m365connect sync`. progress may be nil.
func Run(ctx context.Context, opts Options, src Source, progress func(Progress)) error {
	if opts.StorePath == "" {
		return errors.New("no store path")
	}
	st, err := OpenSQLite(ctx, opts.StorePath)
	if err != nil {
		return err
	}
	defer st.Close()
	e, err := NewEngine(st, src, opts, progress)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}
