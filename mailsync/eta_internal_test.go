package mailsync

import (
	"strings"
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(mb, folder string, fetched, total int64, st State, mbSt State) Progress {
		return Progress{Mailbox: mb, MailboxState: mbSt, FolderStatus: FolderStatus{Folder: folder, Fetched: fetched, Total: total, State: st}}
	}
	type obs struct {
		at time.Duration
		p  Progress
	}
	tests := []struct {
		name      string
		boxes     []string
		events    []obs
		now       time.Duration
		remaining int64
		eta       time.Duration
		rate      float64
	}{
		{"nothing yet", []string{"a", "b"}, nil, 0, -1, -1, 0},
		{"totals known: remaining over the measured rate", []string{"a"}, []obs{
			{0, ev("a", "inbox", 0, 1000, StateSyncing, StateSyncing)},
			{10 * time.Second, ev("a", "inbox", 200, 1000, StateSyncing, StateSyncing)},
		}, 10 * time.Second, 800, 40 * time.Second, 20},
		{"no totals, no mailbox done: unknown", []string{"a", "b"}, []obs{
			{0, ev("a", "inbox", 0, 0, StateSyncing, StateSyncing)},
			{2 * time.Second, ev("a", "inbox", 100, 0, StateSyncing, StateSyncing)},
		}, 2 * time.Second, -1, -1, 50},
		{"no totals: the finished mailbox's size for the others", []string{"a", "b", "c"}, []obs{
			{0, ev("a", "inbox", 0, 0, StateSyncing, StateSyncing)},
			{4 * time.Second, ev("a", "inbox", 400, 0, StateDone, StateDone)},
			{4 * time.Second, ev("b", "inbox", 100, 0, StateSyncing, StateSyncing)},
		}, 4 * time.Second, 300 + 400, 5600 * time.Millisecond, 125},
		{"a stall lowers the rate (window runs to now)", []string{"a"}, []obs{
			{0, ev("a", "inbox", 0, 1000, StateSyncing, StateSyncing)},
			{10 * time.Second, ev("a", "inbox", 500, 1000, StateSyncing, StateSyncing)},
		}, 20 * time.Second, 500, 20 * time.Second, 25},
		{"all done", []string{"a"}, []obs{
			{0, ev("a", "inbox", 0, 0, StateSyncing, StateSyncing)},
			{time.Second, ev("a", "inbox", 10, 0, StateDone, StateDone)},
		}, time.Second, 0, 0, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker()
			for _, o := range tc.events {
				tr.observe(o.p, t0.Add(o.at))
			}
			e := tr.estimate(tc.boxes, t0.Add(tc.now))
			if e.Remaining != tc.remaining || e.ETA != tc.eta || e.Rate != tc.rate {
				t.Fatalf("got remaining %d eta %s rate %g, want %d %s %g", e.Remaining, e.ETA, e.Rate, tc.remaining, tc.eta, tc.rate)
			}
		})
	}
}

func TestOverallLine(t *testing.T) {
	e := Estimate{Fetched: 250, Remaining: 750, Rate: 50, ETA: 15 * time.Second, Done: 1, Mailboxes: 4}
	got := OverallLine(e, 8)
	if want := "[##------]  25% 1 of 4 mailboxes done, 250 messages, 50 msg/s, about 15 s left"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if s := (Estimate{Fetched: 5, Mailboxes: 2, ETA: -1, Remaining: -1}).Text(); !strings.Contains(s, "not known yet") {
		t.Fatalf("unknown ETA: %q", s)
	}
}
