package mailsync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind ErrorKind
		ra   time.Duration
	}{
		{"429 with retry-after", &fakeErr{status: 429, code: "TooManyRequests", ra: 7 * time.Second}, KindThrottled, 7 * time.Second},
		{"503 without retry-after", &fakeErr{status: 503}, KindThrottled, 0},
		{"401", &fakeErr{status: 401, code: "InvalidAuthenticationToken"}, KindUnauthorized, 0},
		{"410", &fakeErr{status: 410}, KindSyncReset, 0},
		{"400 syncStateNotFound", &fakeErr{status: 400, code: "syncStateNotFound"}, KindSyncReset, 0},
		{"404 invalid user", &fakeErr{status: 404, code: "ErrorInvalidUser"}, KindFatal, 0},
		{"403", &fakeErr{status: 403, code: "ErrorAccessDenied"}, KindFatal, 0},
		{"500", &fakeErr{status: 500}, KindTransient, 0},
		{"plain network error", errors.New("connection reset"), KindTransient, 0},
		{"wrapped 429", fmt.Errorf("page: %w", &fakeErr{status: 429, ra: time.Second}), KindThrottled, time.Second},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), KindCanceled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ra := Classify(tc.err)
			if k != tc.kind || ra != tc.ra {
				t.Fatalf("Classify = %v, %v; want %v, %v", k, ra, tc.kind, tc.ra)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		ra       time.Duration
		jitter   float64
		min, max time.Duration
	}{
		{0, 5 * time.Second, 0, 5 * time.Second, 5 * time.Second},
		{0, 5 * time.Second, 0.99, 5 * time.Second, 5500 * time.Millisecond},
		{0, 0, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{0, 0, 0.99, 500 * time.Millisecond, time.Second},
		{3, 0, 0.5, 4 * time.Second, 8 * time.Second},
		{20, 0, 0.99, 30 * time.Second, time.Minute},
	} {
		d := backoff(tc.attempt, tc.ra, tc.jitter)
		if d < tc.min || d > tc.max {
			t.Errorf("backoff(%d, %v, %v) = %v, want in [%v, %v]", tc.attempt, tc.ra, tc.jitter, d, tc.min, tc.max)
		}
	}
}

func TestOptionsDefaultsAndValidation(t *testing.T) {
	o, err := Options{Mailboxes: []Mailbox{{ID: "a"}}, Body: "TEXT", MaxRequests: 9}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Body != BodyText || o.MaxRequests != 4 || o.BackfillDays != 30 || !slices.Equal(o.Folders, []string{"inbox", "sentitems"}) {
		t.Fatalf("defaults: %+v", o)
	}
	for _, bad := range []Options{
		{Body: "rtf"},
		{BackfillDays: -1},
		{BackfillDays: 3651},
		{Mailboxes: []Mailbox{{ID: "a"}, {ID: "a"}}},
		{Mailboxes: []Mailbox{{}}},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func openTemp(t *testing.T) *SQLiteStore {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreMigratesAndLocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "store.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.DB().QueryRow("SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion())
	}
	var mode string
	if err := s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	if _, err := OpenSQLite(ctx, path); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("second open: %v, want ErrStoreLocked", err)
	}
	s.Close()
	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	var n int
	s2.DB().QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	if n != SchemaVersion() {
		t.Fatalf("migrations applied twice: %d rows", n)
	}
	s2.Close()
}

func TestStoreApplyPageIsAtomicAndRemovalIsPerFolder(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := s.StartFullRound(ctx, "mb", "inbox", now.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m := Message{ID: "m1", Subject: "hi", To: []string{"Bob <b@x.test>"}, ReceivedDateTime: now}
	st, _, err = s.ApplyPage(ctx, st, Page{Messages: []Message{m}, NextLink: "n1"})
	if err != nil || st.NextLink != "n1" {
		t.Fatalf("apply: %v %+v", err, st)
	}
	// The message moved to sentitems (same immutable id) before inbox saw the removal.
	st2, _ := s.StartFullRound(ctx, "mb", "sentitems", now.Add(-48*time.Hour))
	if _, _, err := s.ApplyPage(ctx, st2, Page{Messages: []Message{m}, DeltaLink: "d"}); err != nil {
		t.Fatal(err)
	}
	st, res, err := s.ApplyPage(ctx, st, Page{Messages: []Message{{ID: "m1", Removed: "deleted"}}, DeltaLink: "d1"})
	if err != nil || res.Removed != 0 || st.Phase != PhaseIncremental || st.DeltaLink != "d1" || st.NextLink != "" {
		t.Fatalf("removal from inbox: %v %+v %+v", err, res, st)
	}
	got, _ := s.Messages(ctx, "mb")
	if len(got) != 1 || got[0].Folder != "sentitems" || got[0].To[0] != "Bob <b@x.test>" {
		t.Fatalf("rows: %+v", got)
	}
	// A failing page leaves neither rows nor links behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.ApplyPage(cctx, st, Page{Messages: []Message{{ID: "m2", ReceivedDateTime: now}}, NextLink: "n2"}); err == nil {
		t.Fatal("apply with cancelled ctx succeeded")
	}
	again, _ := s.Folder(ctx, "mb", "inbox")
	if again.NextLink != "" || again.DeltaLink != "d1" {
		t.Fatalf("state changed by a failed page: %+v", again)
	}
	if n, _ := s.CountMessages(ctx, "mb", "inbox"); n != 0 {
		t.Fatalf("failed page left %d rows", n)
	}
}

// fakeClock advances when slept on, so backoffs cost no real time.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func testOptions(clock *fakeClock, mbs ...string) Options {
	o := Options{Once: true, PageSize: 7, BackfillDays: 5, Now: clock.Now, Sleep: clock.Sleep, Jitter: func() float64 { return 0.5 }}
	for _, m := range mbs {
		o.Mailboxes = append(o.Mailboxes, Mailbox{ID: m, Address: m + "@x.test"})
	}
	return o
}

// assertMirror fails unless the store holds exactly the source's in-window messages.
func assertMirror(t *testing.T, s *SQLiteStore, f *fakeSource, mb string, folders []string, window time.Time) {
	t.Helper()
	want := f.want(mb, folders, window)
	got, err := s.Messages(context.Background(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: store has %d messages, source %d", mb, len(got), len(want))
	}
	for _, g := range got {
		w, ok := want[g.ID]
		if !ok {
			t.Fatalf("%s: store has %s which the source does not", mb, g.ID)
		}
		if g.Subject != w.Subject || g.IsRead != w.IsRead || !g.ReceivedDateTime.Equal(w.ReceivedDateTime) {
			t.Fatalf("%s: %s differs: store %+v source %+v", mb, g.ID, g.Message, w)
		}
	}
}

func TestEngineBackfillNewestFirstThenIncremental(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	for _, mb := range []string{"alice", "bob"} {
		f.gen(mb, "inbox", 200, clock.now) // 200 hours: 121 inside a 5-day window
		f.gen(mb, "sentitems", 30, clock.now)
	}
	s := openTemp(t)
	var mu sync.Mutex
	var events []Progress
	e, err := NewEngine(s, f, testOptions(clock, "alice", "bob"), func(p Progress) { mu.Lock(); events = append(events, p); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	window := clock.now.Add(-5 * 24 * time.Hour)
	folders := []string{"inbox", "sentitems"}
	assertMirror(t, s, f, "alice", folders, window)
	assertMirror(t, s, f, "bob", folders, window)
	// Newest first: the first inbox page holds the 7 newest messages.
	first := f.requests[slices.IndexFunc(f.requests, func(r PageRequest) bool { return r.Folder == "inbox" && r.Mailbox == "alice" })]
	if first.Link != "" || !first.WindowStart.Equal(window) || first.PageSize != 7 || first.Body != BodyPreview {
		t.Fatalf("first request %+v", first)
	}
	st := e.Status()
	if len(st.Mailboxes) != 2 || st.Mailboxes[0].State != StateDone {
		t.Fatalf("status %+v", st)
	}
	for _, fs := range st.Mailboxes[0].Folders {
		if fs.Phase != PhaseIncremental || fs.State != StateDone || fs.Messages == 0 {
			t.Fatalf("folder status %+v", fs)
		}
	}
	if in := st.Mailboxes[0].Folders[0]; in.Messages != 121 || in.Pages != 18 { // ceil(121/7)
		t.Fatalf("inbox status %+v", in)
	}
	mu.Lock()
	if len(events) < 18 {
		t.Fatalf("only %d progress events", len(events))
	}
	mu.Unlock()

	// Changes: new mail, read flag, deletion, a move to sentitems.
	f.put("alice", "inbox", Message{ID: "new", Subject: "fresh", ReceivedDateTime: clock.now})
	m := f.want("alice", []string{"inbox"}, window)["alice-inbox-0003"]
	m.IsRead = true
	f.put("alice", "inbox", m)
	f.remove("alice", "inbox", "alice-inbox-0005")
	moved := f.want("alice", []string{"inbox"}, window)["alice-inbox-0009"]
	f.remove("alice", "inbox", moved.ID)
	f.put("alice", "sentitems", moved)
	before := f.calls["alice"]
	e2, _ := NewEngine(s, f, testOptions(clock, "alice", "bob"), nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if d := f.calls["alice"] - before; d != 2 {
		t.Fatalf("incremental round made %d requests, want 2 (one per folder)", d)
	}
	assertMirror(t, s, f, "alice", folders, window)
	assertMirror(t, s, f, "bob", folders, window)
}

func TestEngineThrottlingObeysRetryAfter(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.gen("alice", "inbox", 20, clock.now)
	f.faults["alice"] = []error{
		&fakeErr{status: 429, code: "TooManyRequests", ra: 7 * time.Second},
		&fakeErr{status: 503, code: "ServiceUnavailable", ra: 3 * time.Second},
		&fakeErr{status: 503},
		&fakeErr{status: 500},
	}
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	e, _ := NewEngine(s, f, o, nil)
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertMirror(t, s, f, "alice", o.Folders, clock.now.Add(-5*24*time.Hour))
	if len(clock.slept) != 4 || clock.slept[0] < 7*time.Second || clock.slept[1] < 3*time.Second || clock.slept[0] > 7700*time.Millisecond {
		t.Fatalf("slept %v; want ≥7s, ≥3s, then two backoffs", clock.slept)
	}
	if got := e.Status().Mailboxes[0].Requests; got != 4+3 {
		t.Fatalf("requests %d, want 7 (4 failed + 3 pages)", got)
	}
}

func TestEngineGivesUpAfterMaxAttempts(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.always["alice"] = &fakeErr{status: 503}
	o := testOptions(clock, "alice")
	o.MaxAttempts = 3
	o.Folders = []string{"inbox"}
	e, _ := NewEngine(openTemp(t), f, o, nil)
	err := e.Run(context.Background())
	if err == nil || f.calls["alice"] != 3 {
		t.Fatalf("err %v after %d calls", err, f.calls["alice"])
	}
	if st := e.Status().Mailboxes[0]; st.State != StateError || st.LastError == "" {
		t.Fatalf("status %+v", st)
	}
}

func TestEngine401StopsOnlyThatMailbox(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	for _, mb := range []string{"alice", "bob", "carol"} {
		f.gen(mb, "inbox", 30, clock.now)
		f.gen(mb, "sentitems", 30, clock.now)
	}
	f.always["bob"] = &fakeErr{status: 401, code: "InvalidAuthenticationToken"}            // revoked
	f.faults["carol"] = []error{&fakeErr{status: 401, code: "InvalidAuthenticationToken"}} // expired once
	s := openTemp(t)
	e, _ := NewEngine(s, f, testOptions(clock, "alice", "bob", "carol"), nil)
	err := e.Run(context.Background())
	if !errors.Is(err, ErrReconnectNeeded) {
		t.Fatalf("Run: %v, want ErrReconnectNeeded", err)
	}
	st := e.Status()
	if st.Mailboxes[0].State != StateDone || st.Mailboxes[1].State != StateReconnectNeeded || st.Mailboxes[2].State != StateDone {
		t.Fatalf("states: %s %s %s", st.Mailboxes[0].State, st.Mailboxes[1].State, st.Mailboxes[2].State)
	}
	if f.calls["bob"] > 4 {
		t.Fatalf("bob was asked %d times after a revoked token", f.calls["bob"])
	}
	w := clock.now.Add(-5 * 24 * time.Hour)
	assertMirror(t, s, f, "alice", []string{"inbox", "sentitems"}, w)
	assertMirror(t, s, f, "carol", []string{"inbox", "sentitems"}, w)
}

func TestEngineExpiredDeltaResyncsWithoutDuplicates(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.gen("alice", "inbox", 50, clock.now)
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	e, _ := NewEngine(s, f, o, nil)
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// While the token is lost: one deleted, one new, one changed.
	f.remove("alice", "inbox", "alice-inbox-0001")
	f.put("alice", "inbox", Message{ID: "late", Subject: "late", ReceivedDateTime: clock.now.Add(-time.Minute)})
	f.mu.Lock()
	ff := f.folder("alice", "inbox")
	m := ff.msgs["alice-inbox-0002"]
	m.Subject = "edited"
	ff.msgs[m.ID] = m
	// Forget the change log (as the server's cache does) and expire every link issued.
	ff.changes = nil
	f.seq++
	f.expired, f.issuedAt = true, f.seq
	f.mu.Unlock()
	e2, _ := NewEngine(s, f, o, nil)
	if err := e2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirror(t, s, f, "alice", o.Folders, clock.now.Add(-5*24*time.Hour))
	var logs int
	s.DB().QueryRow("SELECT COUNT(*) FROM sync_log WHERE event='resync'").Scan(&logs)
	if logs != 1 {
		t.Fatalf("resync logged %d times", logs)
	}
}

func TestEngineAtMostFourRequestsPerMailbox(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.delay = 5 * time.Millisecond
	folders := []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7"}
	for _, fo := range folders {
		f.gen("alice", fo, 20, clock.now)
		f.gen("bob", fo, 20, clock.now)
	}
	o := testOptions(clock, "alice", "bob")
	o.Folders = folders
	e, _ := NewEngine(openTemp(t), f, o, nil)
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.maxIn["alice"] > 4 || f.maxIn["bob"] > 4 || f.maxIn["alice"] < 2 {
		t.Fatalf("max in flight: %v", f.maxIn)
	}
}

func TestEngineRemovedMailboxStopsCleanly(t *testing.T) {
	f := newFake()
	now := time.Now()
	f.gen("alice", "inbox", 10, now)
	f.gen("bob", "inbox", 10, now)
	o := Options{Mailboxes: []Mailbox{{ID: "alice"}, {ID: "bob"}}, Folders: []string{"inbox"}, PollInterval: 5 * time.Millisecond}
	e, _ := NewEngine(openTemp(t), f, o, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.calls["bob"] >= 3 })
	e.SetMailboxes([]Mailbox{{ID: "alice"}})
	waitFor(t, func() bool { return e.Status().Mailboxes[1].State == StateRemoved })
	f.mu.Lock()
	bobCalls, aliceCalls := f.calls["bob"], f.calls["alice"]
	f.mu.Unlock()
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.calls["alice"] >= aliceCalls+3 })
	f.mu.Lock()
	if f.calls["bob"] != bobCalls {
		t.Errorf("bob polled after removal: %d → %d", bobCalls, f.calls["bob"])
	}
	f.mu.Unlock()
	// Adding it back restarts it.
	e.SetMailboxes([]Mailbox{{ID: "alice"}, {ID: "bob"}})
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.calls["bob"] > bobCalls })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("continuous Run after cancel: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A source error that wraps context.Canceled while the engine's context is alive (a
// source cancelling its own request) is a failed request to retry, never a silent stop:
// before, the mailbox ended "cancelled" with nothing stored and Run returned nil.
func TestEngineSourceCancellationIsRetried(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.gen("alice", "inbox", 20, clock.now)
	f.faults["alice"] = []error{fmt.Errorf("GET delta: %w", context.Canceled)}
	s := openTemp(t)
	o := testOptions(clock, "alice")
	o.Folders = []string{"inbox"}
	e, _ := NewEngine(s, f, o, nil)
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertMirror(t, s, f, "alice", o.Folders, clock.now.Add(-5*24*time.Hour))
	if len(clock.slept) != 1 {
		t.Fatalf("slept %v, want one backoff before the retry", clock.slept)
	}
}
