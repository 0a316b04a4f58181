package mailsync

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Reporter prints Progress events for a CLI: on a terminal one redrawn line with a bar;
// otherwise plain lines, one per state change and at most one per folder every Every.
type Reporter struct {
	w        io.Writer
	terminal bool
	// Every is the minimum gap between plain progress lines of one folder (default 5 s).
	Every time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	last    map[string]reported
	eta     *tracker
	boxes   []string // mailboxes seen, in order
	overall time.Time
}

type reported struct {
	state State
	phase Phase
	at    time.Time
}

// NewReporter writes to w; terminal selects the redrawn bar (see IsTerminal).
func NewReporter(w io.Writer, terminal bool) *Reporter {
	return &Reporter{w: w, terminal: terminal, Every: 5 * time.Second, Now: time.Now, last: map[string]reported{}, eta: newTracker()}
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Progress handles one event; pass it as the engine's progress callback.
func (r *Reporter) Progress(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if !slices.Contains(r.boxes, p.Mailbox) {
		r.boxes = append(r.boxes, p.Mailbox)
	}
	r.eta.observe(p, now)
	est := r.eta.estimate(r.boxes, now)
	if r.terminal {
		if p.State != StateSyncing && p.State != StateThrottled {
			fmt.Fprintf(r.w, "\r\x1b[K%s\n", BarLine(p, 24))
		}
		fmt.Fprintf(r.w, "\r\x1b[K%s", OverallLine(est, 24))
		return
	}
	if now.Sub(r.overall) >= r.Every {
		r.overall = now
		if t := est.Text(); t != "" {
			fmt.Fprintln(r.w, "overall: "+t)
		}
	}
	k := p.Mailbox + "/" + p.Folder
	prev, seen := r.last[k]
	if seen && prev.state == p.State && prev.phase == p.Phase && now.Sub(prev.at) < r.Every {
		return
	}
	r.last[k] = reported{state: p.State, phase: p.Phase, at: now}
	fmt.Fprintln(r.w, PlainLine(p))
}

// OverallLine renders the whole sync as a bar of width cells (by mailboxes when the
// remaining work is unknown, else by messages) with its rate and ETA.
func OverallLine(e Estimate, width int) string {
	frac := 0.0
	switch {
	case e.Remaining >= 0 && e.Fetched+e.Remaining > 0:
		frac = float64(e.Fetched) / float64(e.Fetched+e.Remaining)
	case e.Mailboxes > 0:
		frac = float64(e.Done) / float64(e.Mailboxes)
	}
	n := min(int(frac*float64(width)), width)
	return fmt.Sprintf("[%s%s] %3.0f%% %s", strings.Repeat("#", n), strings.Repeat("-", width-n), 100*frac, e.Text())
}

// PlainLine renders an event as one log line.
func PlainLine(p Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s, %s, %d messages", p.name(), p.Folder, p.State, p.Phase, p.Messages)
	if p.Total > 0 {
		fmt.Fprintf(&b, " of ~%d", p.Total)
	}
	if p.Rate > 0 {
		fmt.Fprintf(&b, ", %.0f msg/s", p.Rate)
	}
	if p.LastError != "" {
		fmt.Fprintf(&b, " (last error: %s)", p.LastError)
	}
	return b.String()
}

// BarLine renders an event with a progress bar of width cells; without an estimated
// total the bar shows only the state.
func BarLine(p Progress, width int) string {
	bar := strings.Repeat("-", width)
	if p.State == StateDone {
		bar = strings.Repeat("#", width)
	} else if p.Total > 0 {
		n := min(int(int64(width)*p.Messages/p.Total), width)
		bar = strings.Repeat("#", n) + strings.Repeat("-", width-n)
	}
	s := fmt.Sprintf("%s %s [%s] %d", p.name(), p.Folder, bar, p.Messages)
	if p.Total > 0 {
		s += fmt.Sprintf("/%d", p.Total)
	}
	if p.Rate > 0 {
		s += fmt.Sprintf(" %.0f msg/s", p.Rate)
	}
	if p.State != StateSyncing {
		s += " " + string(p.State)
	}
	return s
}

// name is how a line names the mailbox: its address when known, else its id.
func (p Progress) name() string {
	if p.Address != "" {
		return p.Address
	}
	return p.Mailbox
}
