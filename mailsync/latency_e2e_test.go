package mailsync_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/mailsync"
)

// With the practice tenant's latency model on, the engine keeps 4 requests in flight per
// mailbox (the tenant saw 4 at once) and never a 5th (no MailboxConcurrency 429), several
// mailboxes at once under a small global budget, and the store mirrors the tenant.
func TestE2ELatencyUsesFourSlotsNeverFive(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 3, SharedMailboxes: -1, MessagesPerMailbox: 300, MailDays: 20, Seed: 11})
	mail := tn.srv.Mail()
	folders := []string{"inbox", "sentitems", "archive", "deleteditems", "junkemail", "drafts"}
	mbs := tn.mailboxes(3)
	for _, mb := range mbs {
		msgs, err := mail.Messages(mb.ID, "inbox")
		mustOK(t, err)
		for i, m := range msgs {
			if dest := []string{"", "archive", "deleteditems", "junkemail", "drafts"}[i%5]; dest != "" {
				_, err := mail.MoveMessage(mb.ID, m.ID, dest)
				mustOK(t, err)
			}
		}
	}
	mail.SetLatency(&graphmail.Latency{Min: 20 * time.Millisecond, Max: 60 * time.Millisecond, Seed: 1})
	defer mail.SetLatency(nil)
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	mustOK(t, err)
	defer store.Close()
	now := fixedNow()
	opts := mailsync.Options{Mailboxes: mbs, Folders: folders, Once: true, PageSize: 10, MaxInFlight: 8, Now: now}
	// Which mailbox finishes first depends on the drawn latencies and the machine's load;
	// the budget's priority (first started, first served) is TestBudgetPriority's.
	e, err := mailsync.NewEngine(store, tn.source(), opts, func(mailsync.Progress) {})
	mustOK(t, err)
	mail.ResetStats()
	mustOK(t, e.Run(ctx))
	st := mail.Stats()
	if st.MailboxConcurrency != 0 || st.RequestRate != 0 {
		t.Fatalf("the tenant answered 429: %+v", st)
	}
	if st.PeakInFlight != mailsync.MaxRequestsPerMailbox {
		t.Fatalf("peak in flight on one mailbox %d, want %d", st.PeakInFlight, mailsync.MaxRequestsPerMailbox)
	}
	window := now().Add(-30 * 24 * time.Hour)
	for _, mb := range mbs {
		diffStore(t, store, mail, mb.ID, folders, window)
	}
	if ov := e.Status().Overall; ov.Done != len(mbs) || ov.ETA != 0 || ov.Fetched == 0 {
		t.Fatalf("overall estimate at the end: %+v", ov)
	}
}

// A throttled answer (429 with Retry-After) to one folder holds every worker of that
// mailbox: no request reaches the mailbox until Retry-After has passed.
func TestE2ERetryAfterHoldsTheWholeMailbox(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 1, SharedMailboxes: -1, MessagesPerMailbox: 200, MailDays: 20, Seed: 12})
	mail := tn.srv.Mail()
	mbs := tn.mailboxes(1)
	mail.SetLatency(&graphmail.Latency{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond})
	defer mail.SetLatency(nil)
	mail.InjectFault(graphmail.Fault{Kind: graphmail.FaultThrottle, Mailbox: mbs[0].ID, RetryAfter: 2 * time.Second, Count: 1})
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	mustOK(t, err)
	defer store.Close()
	rec := &requestTimes{Source: tn.source()}
	opts := mailsync.Options{Mailboxes: mbs, Folders: []string{"inbox", "sentitems"}, Once: true, PageSize: 10}
	e, err := mailsync.NewEngine(store, rec, opts, nil)
	mustOK(t, err)
	mustOK(t, e.Run(ctx))
	if len(rec.failedAt) != 1 {
		t.Fatalf("%d throttled answers, want 1", len(rec.failedAt))
	}
	for _, at := range rec.sentAt {
		if at.After(rec.failedAt[0]) && at.Sub(rec.failedAt[0]) < 1900*time.Millisecond {
			t.Fatalf("a request went out %s after the 429 with Retry-After 2 s", at.Sub(rec.failedAt[0]))
		}
	}
	diffStore(t, store, mail, mbs[0].ID, opts.Folders, time.Now().Add(-30*24*time.Hour))
}

// requestTimes records when each request was sent and when a throttled answer came.
type requestTimes struct {
	mailsync.Source
	mu               sync.Mutex
	sentAt, failedAt []time.Time
}

func (r *requestTimes) DeltaPage(ctx context.Context, req mailsync.PageRequest) (mailsync.Page, error) {
	r.mu.Lock()
	r.sentAt = append(r.sentAt, time.Now())
	r.mu.Unlock()
	p, err := r.Source.DeltaPage(ctx, req)
	if k, _ := mailsync.Classify(err); err != nil && k == mailsync.KindThrottled {
		r.mu.Lock()
		r.failedAt = append(r.failedAt, time.Now())
		r.mu.Unlock()
	}
	return p, err
}
