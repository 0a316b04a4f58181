package mailsync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/m365connect/m365connect/wizard"
)

// Body modes for Options.Body.
const (
	BodyPreview = "preview" // store bodyPreview only (default)
	BodyText    = "text"    // also the full body as plain text
	BodyHTML    = "html"    // also the full body as HTML
)

// Defaults applied by Options.withDefaults. The backfill window's default and bounds are
// the config's (wizard.BackfillDays), the one place they are written.
const (
	// DefaultPageSize is sent as Prefer: odata.maxpagesize. Microsoft documents no maximum
	// for message delta. BenchmarkSync (practice tenant, preview bodies, 2 cores) measured
	// 50 → ~2,700-4,300 msgs/s and ~3 MB peak heap, 200 → ~3,600-9,400 msgs/s and ~3-4 MB,
	// 1000 → ~5,300-8,000 msgs/s and ~8-9 MB: 200 keeps most of the speed at flat, small
	// memory and short requests (a page of full bodies is ~5x larger).
	DefaultPageSize     = 200
	DefaultPollInterval = time.Minute
	// MaxRequestsPerMailbox is Exchange's limit of 4 concurrent requests per app and
	// mailbox (https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits).
	MaxRequestsPerMailbox = 4
	// DefaultMaxInFlight is the global request budget: requests in flight over all
	// mailboxes. Exchange limits each mailbox (4 concurrent, 10,000 per 10 minutes), not
	// the sum, so the bound is this machine: BenchmarkTenant (docs/PERFORMANCE.md) found
	// 2 cores saturated well below 64 requests of 200 messages in flight at 80–300 ms.
	DefaultMaxInFlight = 64
	// BackfillInFlightPerCPU sizes the default MaxBackfillInFlight: big pages (backfill,
	// gap fill) in flight per CPU. They cost CPU to decode and store, so beyond what the
	// CPUs keep up with, more in flight only queues: on 2 cores BenchmarkTenant
	// reached its throughput plateau at 16 (8, 16, 32, 64: 4.3k, 7.0k, 6.7k, 6.8k msgs/s)
	// while the first mailbox became usable after 2.9, 6.5 and 12.3 s at 16, 32, 64.
	// Small pages (incremental rounds) use the whole MaxInFlight.
	BackfillInFlightPerCPU = 8
	DefaultMaxAttempts     = 8
	// DefaultDeltaCap is Microsoft's limit on a delta round with $filter: "Applying
	// $filter in a delta query returns only up to 5,000 messages."
	// (https://learn.microsoft.com/en-us/graph/delta-query-messages). The cut is silent —
	// the round just ends with its deltaLink — so a first round that returned this many
	// messages is followed by a gap fill that lists the rest of the window.
	DefaultDeltaCap = 5000
)

// DefaultFolders are synced when Options.Folders is empty (Graph well-known names,
// https://learn.microsoft.com/en-us/graph/api/resources/mailfolder).
var DefaultFolders = [...]string{"inbox", "sentitems"}

// Mailbox names one mailbox to sync.
type Mailbox struct {
	ID      string `json:"id"`                // user id or UPN, as Graph's /users/{id}
	Address string `json:"address,omitempty"` // display address
}

// Options configure a sync. The zero value of each field means its default.
type Options struct {
	Mailboxes    []Mailbox     `json:"mailboxes"`
	Folders      []string      `json:"folders,omitempty"`      // default inbox, sentitems
	BackfillDays int           `json:"backfillDays,omitempty"` // default and bounds: wizard.BackfillDays
	Body         string        `json:"body,omitempty"`         // preview (default), text, html
	PageSize     int           `json:"pageSize,omitempty"`     // default DefaultPageSize
	StorePath    string        `json:"storePath,omitempty"`    // used by Run
	Once         bool          `json:"once,omitempty"`         // one round per folder, then return
	PollInterval time.Duration `json:"pollInterval,omitempty"` // between rounds when continuous
	MaxMailboxes int           `json:"maxMailboxes,omitempty"` // mailboxes in a round at once, default MaxInFlight
	MaxRequests  int           `json:"maxRequests,omitempty"`  // per mailbox, default and at most 4
	MaxInFlight  int           `json:"maxInFlight,omitempty"`  // requests in flight over all mailboxes, default 64
	// MaxBackfillInFlight: of those, backfill and gap-fill pages; default
	// BackfillInFlightPerCPU per CPU, at most MaxInFlight.
	MaxBackfillInFlight int  `json:"maxBackfillInFlight,omitempty"`
	MaxAttempts         int  `json:"maxAttempts,omitempty"`   // tries per page before the folder fails, default 8
	EstimateTotal       bool `json:"estimateTotal,omitempty"` // ask the folder's totalItemCount for progress (one request per folder)
	// DeltaCap: a first (full) round whose delta pages return at least this many messages
	// is taken as cut short by Graph's cap and followed by the gap fill. Default
	// DefaultDeltaCap; negative never gap-fills (only for a source known not to cap).
	DeltaCap int `json:"deltaCap,omitempty"`

	// Now, Sleep and Jitter are for tests: clock, sleeper (must return ctx.Err() when
	// ctx ends) and a source of [0,1) for backoff jitter.
	Now    func() time.Time                                 `json:"-"`
	Sleep  func(ctx context.Context, d time.Duration) error `json:"-"`
	Jitter func() float64                                   `json:"-"`
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Folders) == 0 {
		o.Folders = DefaultFolders[:]
	}
	days, err := wizard.BackfillDays(o.BackfillDays)
	if err != nil {
		return o, fmt.Errorf("sync options: %w", err)
	}
	o.BackfillDays = days
	switch strings.ToLower(o.Body) {
	case "":
		o.Body = BodyPreview
	case BodyPreview, BodyText, BodyHTML:
		o.Body = strings.ToLower(o.Body)
	default:
		return o, fmt.Errorf("body must be preview, text or html, got %q", o.Body)
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxBackfillInFlight <= 0 {
		o.MaxBackfillInFlight = max(BackfillInFlightPerCPU*runtime.NumCPU(), MaxRequestsPerMailbox)
	}
	o.MaxBackfillInFlight = min(o.MaxBackfillInFlight, o.MaxInFlight)
	if o.MaxMailboxes <= 0 {
		// More mailboxes in a round than big pages in flight only adds store work that
		// queues beside theirs (measured: with 64 the first mailbox was usable after
		// 17–30 s instead of 3 s, same throughput).
		o.MaxMailboxes = o.MaxBackfillInFlight
	}
	if o.MaxRequests <= 0 || o.MaxRequests > MaxRequestsPerMailbox {
		o.MaxRequests = MaxRequestsPerMailbox
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.DeltaCap == 0 {
		o.DeltaCap = DefaultDeltaCap
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	seen := map[string]bool{}
	for _, m := range o.Mailboxes {
		if m.ID == "" {
			return o, errors.New("a mailbox has no id")
		}
		if seen[m.ID] {
			return o, fmt.Errorf("mailbox %s is listed twice", m.ID)
		}
		seen[m.ID] = true
	}
	return o, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the wait before retry number attempt (0-based). With a server Retry-After
// the wait is that long plus up to 10% jitter (never less: Microsoft asks clients to wait
// at least Retry-After, https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling);
// without one it is exponential from 1 s, capped at 60 s, with equal jitter.
func backoff(attempt int, retryAfter time.Duration, jitter float64) time.Duration {
	if retryAfter > 0 {
		return retryAfter + time.Duration(jitter*float64(retryAfter)/10)
	}
	base := time.Second << min(attempt, 6)
	if base > time.Minute {
		base = time.Minute
	}
	return base/2 + time.Duration(jitter*float64(base/2))
}
