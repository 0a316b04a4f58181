package mailsync

import (
	"strings"
	"testing"
	"time"
)

func TestBarAndPlainLines(t *testing.T) {
	for _, tc := range []struct {
		p     Progress
		bar   string
		plain string
	}{
		{Progress{Mailbox: "a@x", MailboxState: StateSyncing, FolderStatus: FolderStatus{Folder: "inbox", State: StateSyncing, Phase: PhaseBackfill, Messages: 50, Total: 100, Rate: 12.4}},
			"a@x inbox [#####-----] 50/100 12 msg/s", "a@x inbox: syncing, backfill, 50 messages of ~100, 12 msg/s"},
		{Progress{Mailbox: "a@x", FolderStatus: FolderStatus{Folder: "inbox", State: StateDone, Phase: PhaseIncremental, Messages: 7}},
			"a@x inbox [##########] 7 done", "a@x inbox: done, incremental, 7 messages"},
		{Progress{Mailbox: "b@x", FolderStatus: FolderStatus{Folder: "sentitems", State: StateThrottled, Phase: PhaseBackfill, Messages: 3, LastError: "429"}},
			"b@x sentitems [----------] 3 throttled", "b@x sentitems: throttled, backfill, 3 messages (last error: 429)"},
		{Progress{Mailbox: "c@x", FolderStatus: FolderStatus{Folder: "inbox", State: StateSyncing, Messages: 500, Total: 100}},
			"c@x inbox [##########] 500/100", "c@x inbox: syncing, , 500 messages of ~100"},
		{Progress{Mailbox: "1f0c9e", Address: "d@x", FolderStatus: FolderStatus{Folder: "inbox", State: StateDone, Phase: PhaseIncremental, Messages: 2}},
			"d@x inbox [##########] 2 done", "d@x inbox: done, incremental, 2 messages"},
	} {
		if got := BarLine(tc.p, 10); got != tc.bar {
			t.Errorf("bar %q, want %q", got, tc.bar)
		}
		if got := PlainLine(tc.p); got != tc.plain {
			t.Errorf("plain %q, want %q", got, tc.plain)
		}
	}
}

func TestReporterPlainIsRateLimited(t *testing.T) {
	var b strings.Builder
	r := NewReporter(&b, false)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	p := Progress{Mailbox: "a", FolderStatus: FolderStatus{Folder: "inbox", State: StateSyncing, Phase: PhaseBackfill}}
	for i := range 10 {
		p.Messages = int64(i)
		r.Progress(p) // same state within 5 s: only the first prints
	}
	now = now.Add(6 * time.Second)
	r.Progress(p)
	p.State = StateDone
	r.Progress(p)
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Fatalf("%d lines:\n%s", n, b.String())
	}
	var tb strings.Builder
	tr := NewReporter(&tb, true)
	tr.Progress(Progress{Mailbox: "a", FolderStatus: FolderStatus{Folder: "inbox", State: StateSyncing}})
	if !strings.HasPrefix(tb.String(), "\r\x1b[K") || strings.Contains(tb.String(), "\n") {
		t.Fatalf("terminal output %q", tb.String())
	}
}
