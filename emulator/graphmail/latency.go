package graphmail

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency models how long Exchange Online takes to answer a Graph mail request, so that
// a benchmark sees the time a real tenant costs. It is off unless set with
// [Store.SetLatency]: unit tests answer at once.
//
// Each successful answer waits Base() (a draw from [Min, Max], or Draw) plus PerKiB for
// every KiB of the response body: a page of 200 messages costs more than a page of 10.
// The wait happens while the request holds its MailboxConcurrency slot, so the
// Outlook limits (4 concurrent requests and 10,000 requests per 10 minutes per app and
// mailbox, https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits)
// see requests that last as long as on Exchange.
//
// Scale runs the model in accelerated time: the store sleeps latency/Scale, and the
// Outlook limits count in emulated time (EmulatedNow: real time since SetLatency times
// Scale). A client that sleeps Retry-After/Scale and measures elapsed×Scale sees the
// same figures as in real time, as long as its own CPU time is small beside the
// latencies (CPU time is scaled too).
type Latency struct {
	// Min and Max bound the uniform base draw (defaults 80 ms and 300 ms, the range
	// Graph mail requests typically take).
	Min, Max time.Duration
	// Draw, when set, replaces the uniform draw (any distribution); it gets the model's
	// seeded source and must be safe to call under the model's lock.
	Draw func(r *rand.Rand) time.Duration
	// PerKiB is added per KiB of response body (default 500 µs: a 200-message page of
	// previews, ~200 KiB, takes ~100 ms longer than an empty one). Negative means none.
	PerKiB time.Duration
	// Scale is the time acceleration (default 1: real time).
	Scale float64
	// Seed makes the draws reproducible.
	Seed uint64
}

// Defaults of [Latency].
const (
	DefaultLatencyMin    = 80 * time.Millisecond
	DefaultLatencyMax    = 300 * time.Millisecond
	DefaultLatencyPerKiB = 500 * time.Microsecond
)

// latencyModel is a Latency in use: its seeded source and the anchor of emulated time.
type latencyModel struct {
	Latency
	anchor time.Time // real time at SetLatency

	mu  sync.Mutex
	rng *rand.Rand
}

// Stats counts what the Outlook limits saw, for benchmarks and tests.
type Stats struct {
	Requests           int64 // Graph mail requests that got a slot (answered by a handler)
	MailboxConcurrency int64 // 429s for a 5th concurrent request to one mailbox
	RequestRate        int64 // 429s for the 10,000-per-10-minutes budget (or an injected throttle)
	PeakInFlight       int   // most concurrent requests seen on one app+mailbox
}

// statsCounters are the live counters behind Stats.
type statsCounters struct {
	requests, concurrency, rate atomic.Int64
	peak                        atomic.Int64
}

// SetLatency turns the latency model on (nil turns it off). Zero fields take the
// documented defaults. Emulated time starts now.
func (s *Store) SetLatency(l *Latency) {
	if l == nil {
		s.latency.Store(nil)
		return
	}
	m := &latencyModel{Latency: *l, anchor: time.Now()}
	if m.Min <= 0 && m.Max <= 0 && m.Draw == nil {
		m.Min, m.Max = DefaultLatencyMin, DefaultLatencyMax
	}
	if m.Max < m.Min {
		m.Max = m.Min
	}
	if m.PerKiB == 0 {
		m.PerKiB = DefaultLatencyPerKiB
	}
	if m.PerKiB < 0 {
		m.PerKiB = 0
	}
	if m.Scale <= 0 {
		m.Scale = 1
	}
	m.rng = rand.New(rand.NewPCG(m.Seed, 0x853c49e6748fea9b))
	s.latency.Store(m)
}

// Stats returns the counters since the store was made (or since ResetStats).
func (s *Store) Stats() Stats {
	return Stats{
		Requests:           s.stats.requests.Load(),
		MailboxConcurrency: s.stats.concurrency.Load(),
		RequestRate:        s.stats.rate.Load(),
		PeakInFlight:       int(s.stats.peak.Load()),
	}
}

// ResetStats zeroes the counters.
func (s *Store) ResetStats() {
	s.stats.requests.Store(0)
	s.stats.concurrency.Store(0)
	s.stats.rate.Store(0)
	s.stats.peak.Store(0)
}

// EmulatedNow is the clock the Outlook limits count in: the store's clock without a
// latency model (or at Scale 1), else the model's accelerated time.
func (s *Store) EmulatedNow() time.Time {
	m := s.latency.Load()
	if m == nil || m.Scale == 1 {
		return s.opts.Now()
	}
	return m.anchor.Add(time.Duration(float64(time.Since(m.anchor)) * m.Scale))
}

// delay sleeps the modelled latency of an answer of n body bytes (nothing without a
// model), or until the request is cancelled.
func (s *Store) delay(ctx context.Context, n int) {
	m := s.latency.Load()
	if m == nil {
		return
	}
	m.mu.Lock()
	var d time.Duration
	if m.Draw != nil {
		d = m.Draw(m.rng)
	} else {
		d = m.Min
		if span := m.Max - m.Min; span > 0 {
			d += time.Duration(m.rng.Int64N(int64(span)))
		}
	}
	m.mu.Unlock()
	d += time.Duration(n/1024) * m.PerKiB
	d = time.Duration(float64(d) / m.Scale)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// noteSlot records a request that got a concurrency slot, with the slot count it made.
func (s *Store) noteSlot(inflight int) {
	s.stats.requests.Add(1)
	for {
		p := s.stats.peak.Load()
		if int64(inflight) <= p || s.stats.peak.CompareAndSwap(p, int64(inflight)) {
			return
		}
	}
}

// noteFail counts a 429 by the limit it reports.
func (s *Store) noteFail(status int, message string) {
	if status != 429 {
		return
	}
	if strings.Contains(message, "MailboxConcurrency") {
		s.stats.concurrency.Add(1)
	} else {
		s.stats.rate.Add(1)
	}
}
