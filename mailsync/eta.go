package mailsync

import (
	"fmt"
	"sync"
	"time"
)

// Estimate is the progress of a whole sync with an ETA: the measured rate over the last
// RateWindow and the remaining work, where the remaining work is the folders' estimated
// totals (Options.EstimateTotal) or, without them, the mean size of the mailboxes that
// finished times the mailboxes still syncing.
type Estimate struct {
	Fetched   int64         `json:"fetched"`   // messages received this run
	Remaining int64         `json:"remaining"` // estimated messages still to fetch; -1 unknown
	Rate      float64       `json:"rate"`      // messages per second, recent
	ETA       time.Duration `json:"eta"`       // -1 unknown
	Done      int           `json:"done"`      // mailboxes finished with their round
	Mailboxes int           `json:"mailboxes"`
}

// RateWindow is the span the Estimate's rate is measured over.
const RateWindow = 30 * time.Second

// Text is the estimate in words for a status line ("" before anything is known).
func (e Estimate) Text() string {
	if e.Mailboxes == 0 || (e.Fetched == 0 && e.Done == 0) {
		return ""
	}
	s := fmt.Sprintf("%d of %d mailboxes done, %d messages", e.Done, e.Mailboxes, e.Fetched)
	if e.Rate > 0 {
		s += fmt.Sprintf(", %.0f msg/s", e.Rate)
	}
	switch {
	case e.Done == e.Mailboxes:
	case e.ETA >= 0:
		s += ", about " + roundETA(e.ETA) + " left"
	default:
		s += ", time left not known yet"
	}
	return s
}

func roundETA(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// tracker turns Progress events into an Estimate.
type tracker struct {
	mu      sync.Mutex
	folders map[string]*trackedFolder // mailbox \x00 folder
	boxes   map[string]bool           // mailbox → round done
	samples []rateSample              // (time, total fetched), oldest first
	fetched int64
}

type trackedFolder struct {
	mailbox        string
	fetched, total int64
	done           bool
}

type rateSample struct {
	at time.Time
	n  int64
}

func newTracker() *tracker {
	return &tracker{folders: map[string]*trackedFolder{}, boxes: map[string]bool{}}
}

// observe records one event at now.
func (t *tracker) observe(p Progress, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.boxes[p.Mailbox]; !ok {
		t.boxes[p.Mailbox] = false
	}
	if p.MailboxState == StateDone || p.MailboxState == StateIdle && !p.LastSync.IsZero() {
		t.boxes[p.Mailbox] = true
	}
	if p.Folder == "" {
		return
	}
	k := p.Mailbox + "\x00" + p.Folder
	f := t.folders[k]
	if f == nil {
		f = &trackedFolder{mailbox: p.Mailbox}
		t.folders[k] = f
	}
	if p.Fetched > f.fetched {
		t.fetched += p.Fetched - f.fetched
		f.fetched = p.Fetched
	}
	f.total = p.Total
	f.done = p.State == StateDone || p.State == StateIdle && !p.LastSync.IsZero()
	t.samples = append(t.samples, rateSample{now, t.fetched})
	cut := 0
	for cut < len(t.samples)-2 && now.Sub(t.samples[cut+1].at) >= RateWindow {
		cut++
	}
	t.samples = t.samples[cut:]
}

// estimate computes the Estimate at now for the mailboxes listed.
func (t *tracker) estimate(mailboxes []string, now time.Time) Estimate {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := Estimate{Fetched: t.fetched, Mailboxes: len(mailboxes), Remaining: -1, ETA: -1}
	if len(t.samples) >= 2 {
		a, b := t.samples[0], t.samples[len(t.samples)-1]
		// The window runs to now: a stall shows as a falling rate.
		if span := now.Sub(a.at).Seconds(); span > 0 && b.n > a.n {
			e.Rate = float64(b.n-a.n) / span
		}
	}
	if len(t.folders) == 0 {
		return e
	}
	perBox := map[string]int64{}
	totalsKnown := true
	var remaining int64
	for _, f := range t.folders {
		perBox[f.mailbox] += f.fetched
		switch {
		case f.done:
		case f.total > 0:
			remaining += max(f.total-f.fetched, 0)
		default:
			totalsKnown = false
		}
	}
	var doneSum int64
	for _, id := range mailboxes {
		if t.boxes[id] {
			e.Done++
			doneSum += perBox[id]
		}
	}
	if !totalsKnown {
		// Without totals: mailboxes still to go are taken to be as big as the finished
		// ones on average, less what they already fetched.
		if e.Done == 0 {
			return e
		}
		mean := doneSum / int64(e.Done)
		remaining = 0
		for _, id := range mailboxes {
			if !t.boxes[id] {
				remaining += max(mean-perBox[id], 0)
			}
		}
	}
	e.Remaining = remaining
	switch {
	case e.Done == e.Mailboxes || remaining == 0:
		e.ETA = 0
	case e.Rate > 0:
		e.ETA = time.Duration(float64(remaining) / e.Rate * float64(time.Second))
	}
	return e
}
