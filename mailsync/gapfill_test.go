package mailsync

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestEngineGapFillBeyondDeltaCap: the source's filtered delta round stops at its cap
// (as Graph's does at 5,000, https://learn.microsoft.com/en-us/graph/delta-query-messages)
// and ends with a deltaLink; the engine lists the rest of the window, commits it page by
// page, then follows the deltaLink incrementally. A resync round under the cap sweeps
// only at the very end, so old messages beyond the cap are never dropped and re-fetched.
func TestEngineGapFillBeyondDeltaCap(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.deltaCap = 40
	f.gen("alice", "inbox", 200, clock.now) // 121 inside the 5-day window
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	o.DeltaCap = 40
	var mu sync.Mutex
	phases := map[Phase]int{}
	e, _ := NewEngine(s, f, o, func(p Progress) { mu.Lock(); phases[p.Phase]++; mu.Unlock() })
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	window := clock.now.Add(-5 * 24 * time.Hour)
	assertMirror(t, s, f, "alice", o.Folders, window)
	if n, _ := s.CountMessages(ctx, "alice", "inbox"); n != 121 {
		t.Fatalf("%d stored, want 121", n)
	}
	// 6 delta pages (40 messages at 7 a page), then the list from the 40th newest
	// message's second on: 82 messages (81 older + the boundary one again) = 12 pages.
	var delta, list []PageRequest
	for _, r := range f.requests {
		if r.Before.IsZero() {
			delta = append(delta, r)
		} else {
			list = append(list, r)
		}
	}
	oldestSeen := clock.now.Add(-39 * time.Hour)
	if len(delta) != 6 || len(list) != 12 || list[0].Link != "" || !list[0].Before.Equal(oldestSeen.Add(time.Second)) ||
		!list[0].WindowStart.Equal(window) || list[1].Link != "list|7" || list[0].PageSize != 7 {
		t.Fatalf("%d delta and %d list requests, first list %+v", len(delta), len(list), list[0])
	}
	st, _ := s.Folder(ctx, "alice", "inbox")
	if st.Phase != PhaseIncremental || st.DeltaLink == "" || !st.GapBefore.IsZero() || st.GapLink != "" || st.RoundCount != 0 || st.FullRound {
		t.Fatalf("after the gap fill: %+v", st)
	}
	mu.Lock()
	if phases[PhaseGapFill] < 12 {
		t.Fatalf("progress phases %v: the gap fill must show", phases)
	}
	mu.Unlock()
	var logged int
	s.DB().QueryRow("SELECT COUNT(*) FROM sync_log WHERE event='gap-fill'").Scan(&logged)
	if logged != 1 {
		t.Fatalf("gap-fill logged %d times", logged)
	}

	// Incremental: a change to a message the capped delta never returned still arrives.
	old := f.want("alice", o.Folders, window)["alice-inbox-0100"]
	old.IsRead = true
	f.put("alice", "inbox", old)
	before := len(f.requests)
	e2, _ := NewEngine(s, f, o, nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.requests) - before; n != 1 {
		t.Fatalf("incremental round made %d requests, want 1", n)
	}
	assertMirror(t, s, f, "alice", o.Folders, window)

	// Lost token, and meanwhile a message beyond the cap was deleted (the change log is
	// gone): the resync round is capped again; only its very end sweeps.
	f.mu.Lock()
	ff := f.folder("alice", "inbox")
	delete(ff.msgs, "alice-inbox-0110")
	ff.changes = nil
	f.seq++
	f.expired, f.issuedAt = true, f.seq
	f.mu.Unlock()
	var swept []PageResult
	rec := &recordingStore{Store: s, results: &swept}
	e3, _ := NewEngine(rec, f, o, nil)
	if err := e3.Run(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirror(t, s, f, "alice", o.Folders, window)
	for i, r := range swept {
		if r.Swept != 0 && i != len(swept)-1 {
			t.Fatalf("page %d of %d swept %d rows: the sweep must wait for the gap fill's end", i, len(swept), r.Swept)
		}
	}
	if last := swept[len(swept)-1]; last.Swept != 1 {
		t.Fatalf("last page swept %d, want the 1 deleted message", last.Swept)
	}
}

// recordingStore records every ApplyPage result.
type recordingStore struct {
	Store
	results *[]PageResult
}

func (r *recordingStore) ApplyPage(ctx context.Context, st FolderState, p Page) (FolderState, PageResult, error) {
	next, res, err := r.Store.ApplyPage(ctx, st, p)
	if err == nil {
		*r.results = append(*r.results, res)
	}
	return next, res, err
}

// TestEngineGapFillResumesFromStoredLink: a run stopped in the middle of the gap fill
// resumes from the stored list nextLink (not from scratch, not from delta) and ends with
// the exact mirror.
func TestEngineGapFillResumesFromStoredLink(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.deltaCap = 30
	f.gen("alice", "inbox", 100, clock.now)
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	o.DeltaCap = 30
	stop := &stopAfter{Source: f, listPages: 3}
	e, _ := NewEngine(s, stop, o, nil)
	if err := e.Run(ctx); err == nil {
		t.Fatal("want the injected failure")
	}
	st, _ := s.Folder(ctx, "alice", "inbox")
	if st.Phase != PhaseGapFill || st.GapLink != "list|21" || st.GapBefore.IsZero() || st.DeltaLink == "" || !st.FullRound || st.RoundCount != 30 {
		t.Fatalf("stored state mid gap fill: %+v", st)
	}
	if got := e.Status().Mailboxes[0].Folders[0]; got.Phase != PhaseGapFill {
		t.Fatalf("status %+v", got)
	}
	before := len(f.requests)
	e2, _ := NewEngine(s, f, o, nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.requests[before]; r.Link != "list|21" || !r.Before.Equal(st.GapBefore) {
		t.Fatalf("resumed with %+v, want the stored gap link", r)
	}
	for _, r := range f.requests[before:] {
		if r.Before.IsZero() {
			t.Fatalf("a delta request %+v during the resumed gap fill", r)
		}
	}
	assertMirror(t, s, f, "alice", o.Folders, clock.now.Add(-5*24*time.Hour))
}

// stopAfter fails with a fatal error after listPages successful list pages.
type stopAfter struct {
	Source    Source
	listPages int
	mu        sync.Mutex
	n         int
}

func (s *stopAfter) DeltaPage(ctx context.Context, r PageRequest) (Page, error) {
	if !r.Before.IsZero() {
		s.mu.Lock()
		s.n++
		n := s.n
		s.mu.Unlock()
		if n > s.listPages {
			return Page{}, &fakeErr{status: 400, code: "InjectedStop"}
		}
	}
	return s.Source.DeltaPage(ctx, r)
}

// TestEngineGapFillNeedsListSupport: a source that answers a list request with delta
// (an adapter that drops PageRequest.Before) stops the folder with an error instead of
// silently skipping the gap.
func TestEngineGapFillNeedsListSupport(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.deltaCap, f.ignoreBefore = 10, true
	f.gen("alice", "inbox", 50, clock.now)
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	o.DeltaCap = 10
	e, _ := NewEngine(s, f, o, nil)
	err := e.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "list request") || e.Status().Mailboxes[0].Folders[0].State != StateError {
		t.Fatalf("err %v status %+v", err, e.Status().Mailboxes[0].Folders[0])
	}
	if st, _ := s.Folder(context.Background(), "alice", "inbox"); st.Phase != PhaseGapFill {
		t.Fatalf("state %+v: the gap must stay pending", st)
	}
	// With the cap check off (a source known not to cap) the round ends at the deltaLink.
	o.DeltaCap = -1
	s2 := openTemp(t)
	e2, _ := NewEngine(s2, f, o, nil)
	if err := e2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := s2.CountMessages(context.Background(), "alice", "inbox"); n != 10 {
		t.Fatalf("%d stored", n)
	}
}

// TestStoreMigratesV1RoundInProgress: a store written by the previous schema in the middle
// of a full round migrates with the round's count and oldest message taken from its rows.
func TestStoreMigratesV1RoundInProgress(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0],
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z')`,
		`INSERT INTO mailboxes VALUES ('a', '', '2026-01-01T00:00:00Z')`,
		`INSERT INTO folders(mailbox_id, folder_id) VALUES ('a', 'inbox'), ('a', 'sentitems')`,
		`INSERT INTO delta_state(mailbox_id, folder_id, phase, next_link, delta_link, window_start, generation, full_round, updated_at) VALUES
			('a', 'inbox', 'backfill', 'next', '', '2026-01-01T00:00:00Z', 2, 1, 'x'),
			('a', 'sentitems', 'incremental', '', 'delta', '2026-01-01T00:00:00Z', 1, 0, 'x')`,
		`INSERT INTO messages(mailbox_id, id, folder_id, received_at, sync_gen) VALUES
			('a', '1', 'inbox', '2026-02-03T00:00:00Z', 2), ('a', '2', 'inbox', '2026-02-02T00:00:00Z', 2),
			('a', '3', 'inbox', '2026-01-05T00:00:00Z', 1), ('a', '4', 'sentitems', '2026-01-04T00:00:00Z', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in, _ := s.Folder(ctx, "a", "inbox")
	if in.Phase != PhaseBackfill || in.NextLink != "next" || in.Generation != 2 || !in.FullRound || in.RoundCount != 2 ||
		!in.RoundOldest.Equal(time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)) || !in.GapBefore.IsZero() {
		t.Fatalf("inbox after migration %+v", in)
	}
	sent, _ := s.Folder(ctx, "a", "sentitems")
	if sent.Phase != PhaseIncremental || sent.DeltaLink != "delta" || sent.RoundCount != 0 || !sent.RoundOldest.IsZero() {
		t.Fatalf("sentitems after migration %+v", sent)
	}
	// The new phase is accepted by the rebuilt table's CHECK.
	in.GapFillAt = 1
	next, _, err := s.ApplyPage(ctx, in, Page{DeltaLink: "d"})
	if err != nil || next.Phase != PhaseGapFill {
		t.Fatalf("gap phase after migration: %+v %v", next, err)
	}
	if got, _ := s.Folder(ctx, "a", "inbox"); got.Phase != PhaseGapFill || !got.GapBefore.Equal(in.RoundOldest.Add(time.Second)) {
		t.Fatalf("stored %+v", got)
	}
}
