package outbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// Hook points: the engine calls EngineOptions.Hook with these names right after the
// step, so tests can kill the process at each one.
const (
	StepDraftingRecorded = "drafting-recorded" // approved → drafting committed, no Graph call yet
	StepDraftCreated     = "draft-created"     // Graph created the draft; not recorded yet
	StepDraftedRecorded  = "drafted-recorded"  // draft id committed
	StepSendingRecorded  = "sending-recorded"  // drafted → sending committed, send not asked yet
	StepSendRequested    = "send-requested"    // the send request is recorded; Graph not called yet
	StepSendAccepted     = "send-accepted"     // Graph answered 202 to send; not recorded yet
	StepSentRecorded     = "sent-recorded"     // sent committed
)

// Steps lists the hook points in the order a message passes them.
func Steps() []string {
	return []string{StepDraftingRecorded, StepDraftCreated, StepDraftedRecorded, StepSendingRecorded, StepSendRequested, StepSendAccepted, StepSentRecorded}
}

// MarkerHeader is the custom internet message header carrying the outbox message id on
// every draft (besides the internetMessageId we set). Graph accepts only headers that
// start with "x-" on create:
// https://learn.microsoft.com/en-us/graph/api/resources/internetmessageheader
const MarkerHeader = "x-m365connect-id"

// ErrBusy is returned by RunOnce when another engine holds the outbox's send lease.
var ErrBusy = errors.New("another process is sending from this outbox")

// EngineOptions configures the sender. Only Graph is required.
type EngineOptions struct {
	Graph Graph
	// Sleep waits d or until ctx ends (default: a timer). Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0,1) (default math/rand/v2).
	Jitter func() float64
	// MaxAttempts is how many times one Graph call is tried in a pass when Graph throttles
	// or fails transiently (default 5). After that the message keeps its state and the
	// last error; the next pass tries again.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff (defaults 1s, 2m). A
	// Retry-After from Graph is always honoured in full.
	BaseBackoff, MaxBackoff time.Duration
	// UnconfirmedAfter: a draft that vanished after a send was asked for, with no copy in
	// Sent Items after this long, fails (it is never sent again). Default 15m.
	UnconfirmedAfter time.Duration
	// BounceWindow: how long after sending the sender's Inbox is watched for a
	// non-delivery report in the message's conversation. Default 15m.
	BounceWindow time.Duration
	// LeaseTTL is how long the send lease lasts without renewal (default 60s). After a
	// crash the next engine waits at most this long.
	LeaseTTL time.Duration
	// Owner names this engine in the lease (default host-pid-random).
	Owner string
	// Hook is called after each step (see Steps); nil in production.
	Hook func(step string)
	// Logf receives one line per notable event (default: discard). Lines carry ids,
	// states and Graph codes, never message bodies or tokens.
	Logf func(format string, args ...any)
}

// Engine sends approved messages exactly once.
type Engine struct {
	o    *Outbox
	opts EngineOptions
}

// NewEngine returns the sender for this outbox.
func (o *Outbox) NewEngine(opts EngineOptions) (*Engine, error) {
	if opts.Graph == nil {
		return nil, errors.New("outbox engine: no Graph client")
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Jitter == nil {
		opts.Jitter = rand.Float64
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Minute
	}
	if opts.UnconfirmedAfter <= 0 {
		opts.UnconfirmedAfter = 15 * time.Minute
	}
	if opts.BounceWindow <= 0 {
		opts.BounceWindow = 15 * time.Minute
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = time.Minute
	}
	if opts.Owner == "" {
		h, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s-%d-%s", h, os.Getpid(), newUUID()[:8])
	}
	if opts.Hook == nil {
		opts.Hook = func(string) {}
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	return &Engine{o: o, opts: opts}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff is the wait before retry number attempt (1-based): exponential from base,
// capped at max, with "equal jitter" (half fixed, half random), and never shorter than
// Graph's Retry-After (plus up to 10% so that clients do not return in lockstep).
func Backoff(attempt int, retryAfter, base, max time.Duration, jitter float64) time.Duration {
	exp := base
	for i := 1; i < attempt && exp < max; i++ {
		exp *= 2
	}
	exp = min(exp, max)
	d := exp/2 + time.Duration(jitter*float64(exp/2))
	if retryAfter > 0 {
		d = max2(d, retryAfter+time.Duration(jitter*float64(retryAfter/10)))
	}
	return d
}

func max2(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// PassResult counts what one pass did.
type PassResult struct {
	Sent, Failed, Rejected int
	// Waiting counts messages left for a later pass (throttled, awaiting confirmation,
	// watched for a bounce).
	Waiting int
}

// RunOnce takes the send lease and moves every actionable message as far as it can:
// approved → drafting → drafted → sending → sent, resolving anything a crash left
// half-done by asking Graph. It returns ErrBusy when another engine holds the lease, and
// an error when the pass had to stop (401, cancelled context, database trouble).
func (e *Engine) RunOnce(ctx context.Context) (PassResult, error) {
	var res PassResult
	ok, err := e.o.acquireLease(ctx, "sender", e.opts.Owner, e.opts.LeaseTTL)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, ErrBusy
	}
	msgs, err := e.o.List(ctx, StateApproved, StateDrafting, StateDrafted, StateSending, StateSent)
	if err != nil {
		return res, err
	}
	for _, m := range msgs {
		if m.State == StateSent && !e.watching(ctx, m) {
			continue
		}
		if ok, err := e.o.acquireLease(ctx, "sender", e.opts.Owner, e.opts.LeaseTTL); err != nil || !ok {
			if err == nil {
				err = ErrBusy
			}
			return res, err
		}
		before := m.State
		final, err := e.process(ctx, m)
		if err != nil {
			return res, err
		}
		switch {
		case final == StateSent && before != StateSent:
			res.Sent++
		case final == StateFailed:
			res.Failed++
		case final == StateRejected:
			res.Rejected++
		default:
			res.Waiting++
		}
	}
	return res, nil
}

// Release gives up the send lease (call when the engine stops).
func (e *Engine) Release(ctx context.Context) error {
	return e.o.releaseLease(ctx, "sender", e.opts.Owner)
}

// watching reports whether a sent message still needs a Graph look (confirmation or
// bounce window).
func (e *Engine) watching(ctx context.Context, m Message) bool {
	var checked int
	_ = e.o.db.QueryRowContext(ctx, "SELECT bounce_checked FROM messages WHERE id=?", m.ID).Scan(&checked)
	return checked == 0
}

// retry runs fn, retrying throttled and transient failures with backoff up to
// MaxAttempts times.
func (e *Engine) retry(ctx context.Context, what string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		kind, ra, _ := Classify(err)
		if (kind != KindThrottled && kind != KindTransient) || attempt >= e.opts.MaxAttempts {
			return err
		}
		d := Backoff(attempt, ra, e.opts.BaseBackoff, e.opts.MaxBackoff, e.opts.Jitter())
		e.opts.Logf("outbox: %s: %v; retry %d in %s", what, err, attempt, d.Round(time.Millisecond))
		if err := e.opts.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// withLease runs a Graph call while renewing the send lease every third of its TTL, so
// a call slower than the lease (a slow send) does not let another engine take over and
// send the same draft. A renewal that fails is logged; the call in flight cannot be
// taken back.
func (e *Engine) withLease(ctx context.Context, fn func() error) error {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(e.opts.LeaseTTL/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if ok, err := e.o.acquireLease(context.WithoutCancel(ctx), "sender", e.opts.Owner, e.opts.LeaseTTL); err != nil || !ok {
					e.opts.Logf("outbox: could not renew the send lease during a Graph call (%v, held elsewhere: %v)", err, !ok)
				}
			}
		}
	}()
	err := fn()
	close(stop)
	<-done
	return err
}

// errStop ends the pass (unauthorized, cancelled); the message keeps its state.
type errStop struct{ err error }

func (e errStop) Error() string { return "outbox pass stopped: " + e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// outcome turns a Graph error into what happens to message m: permanent errors fail it
// (with Graph's code and message on record), throttling/transient ones leave it waiting
// with the error noted, 401 and cancellation stop the pass.
func (e *Engine) outcome(ctx context.Context, m Message, doing string, err error) (State, error) {
	kind, _, f := Classify(err)
	switch kind {
	case KindCanceled:
		return m.State, err
	case KindUnauthorized:
		e.noteError(ctx, m, f, err)
		return m.State, errStop{fmt.Errorf("%s: %w", doing, err)}
	case KindPermanent, KindNotFound:
		reason := fmt.Sprintf("%s: %s", doing, describe(f, err))
		return StateFailed, e.fail(ctx, m, reason, f)
	default:
		e.noteError(ctx, m, f, err)
		e.opts.Logf("outbox: %s %s: %v; will try again", m.ID, doing, err)
		return m.State, nil
	}
}

func describe(f GraphFailure, err error) string {
	if f.Code != "" || f.Message != "" {
		return strings.TrimSpace(fmt.Sprintf("Graph answered %d %s: %s", f.Status, f.Code, f.Message))
	}
	return err.Error()
}

func (e *Engine) noteError(ctx context.Context, m Message, f GraphFailure, err error) {
	n := m.Attempts + 1
	if f.Code == "" && f.Message == "" {
		f.Message = err.Error()
	}
	_ = e.o.note(ctx, m.ID, m.State, update{attempts: &n, failure: &f})
}

func (e *Engine) fail(ctx context.Context, m Message, reason string, f GraphFailure) error {
	e.opts.Logf("outbox: %s failed: %s", m.ID, reason)
	return e.o.transition(ctx, m.ID, []State{m.State}, StateFailed, reason,
		update{reason: &reason, failure: &f})
}

// process moves one message as far as it can go in this pass and returns its state.
func (e *Engine) process(ctx context.Context, m Message) (State, error) {
	for range 16 { // each iteration is one transition; the bound guards against a loop
		if err := ctx.Err(); err != nil {
			return m.State, err
		}
		var next State
		var err error
		switch m.State {
		case StateApproved:
			next, err = e.startDraft(ctx, m)
		case StateDrafting:
			next, err = e.draft(ctx, m)
		case StateDrafted:
			next, err = e.startSend(ctx, m)
		case StateSending:
			next, err = e.send(ctx, m)
		case StateSent:
			return e.watchSent(ctx, m)
		default:
			return m.State, nil
		}
		if err != nil {
			return m.State, err
		}
		if next == m.State || next.Terminal() && next != StateSent {
			return next, nil
		}
		if m, err = e.o.Get(ctx, m.ID); err != nil {
			return next, err
		}
		if m.State == StateSent {
			// Freshly sent: confirmation and bounces are looked at in later passes.
			return StateSent, nil
		}
	}
	return m.State, nil
}

// Run polls until ctx ends: each round scans dropDir (when not empty) and runs a pass.
// Errors of a round are reported through Logf and the loop goes on, except a cancelled
// context. The lease is released on return.
func (e *Engine) Run(ctx context.Context, interval time.Duration, dropDir string) error {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	defer e.Release(context.WithoutCancel(ctx))
	for {
		if dropDir != "" {
			if r, err := e.o.ScanDropFolder(ctx, dropDir); err != nil {
				e.opts.Logf("outbox: scanning %s: %v", dropDir, err)
			} else if r.Accepted+r.Rejected > 0 {
				e.opts.Logf("outbox: folder: %d accepted, %d rejected", r.Accepted, r.Rejected)
			}
		}
		res, err := e.RunOnce(ctx)
		switch {
		case err == nil:
			if res.Sent+res.Failed+res.Rejected > 0 {
				e.opts.Logf("outbox: %d sent, %d failed, %d rejected, %d waiting", res.Sent, res.Failed, res.Rejected, res.Waiting)
			}
		case errors.Is(err, ErrBusy):
			e.opts.Logf("outbox: %v; waiting", err)
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			e.opts.Logf("outbox: sending stopped: %v", err)
		}
		if err := e.opts.Sleep(ctx, interval); err != nil {
			return err
		}
	}
}
