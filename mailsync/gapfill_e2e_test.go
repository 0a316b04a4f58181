package mailsync_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/mailsync"
)

// fillBusy delivers n messages into a mailbox's Inbox inside the last days (three per
// minute, so equal receivedDateTimes straddle page and cap boundaries) and a few older
// than the window, which must never be synced.
func fillBusy(t testing.TB, mail *graphmail.Store, mb mailsync.Mailbox, now time.Time, n int) {
	t.Helper()
	for i := range n {
		_, err := mail.DeliverMessage(mb.ID, graphmail.Message{Subject: fmt.Sprintf("busy %05d", i), Body: "queue item",
			BodyContentType: "text", From: graphmail.Recipient{Name: "Queue", Address: "queue@fabrikam.com"},
			To: []graphmail.Recipient{{Address: mb.Address}}, Received: now.Add(-2*time.Hour - time.Duration(i/3)*time.Minute)})
		mustOK(t, err)
	}
	for i := range 15 {
		_, err := mail.DeliverMessage(mb.ID, graphmail.Message{Subject: fmt.Sprintf("ancient %d", i), Body: "old",
			From: graphmail.Recipient{Address: "old@fabrikam.com"}, Received: now.Add(-45*24*time.Hour - time.Duration(i)*time.Hour)})
		mustOK(t, err)
	}
}

// pageRecorder counts what delta and list pages returned per folder.
type pageRecorder struct {
	mailsync.Source
	mu    sync.Mutex
	delta map[string]int // messages returned by delta pages of full rounds
	lists map[string]int // list (gap-fill) requests
}

func newPageRecorder(src mailsync.Source) *pageRecorder {
	return &pageRecorder{Source: src, delta: map[string]int{}, lists: map[string]int{}}
}

func (r *pageRecorder) DeltaPage(ctx context.Context, req mailsync.PageRequest) (mailsync.Page, error) {
	p, err := r.Source.DeltaPage(ctx, req)
	if err == nil {
		r.mu.Lock()
		if req.Before.IsZero() {
			r.delta[req.Folder] += len(p.Messages)
		} else {
			r.lists[req.Folder]++
		}
		r.mu.Unlock()
	}
	return p, err
}

// TestE2EGapFillBeyondFilteredDeltaCap: a shared-mailbox-sized Inbox with more than 5,000
// messages in the window. The practice tenant caps the filtered delta round at 5,000 as
// Microsoft documents; the engine fills the rest with list pages, and the store mirrors
// the tenant exactly — first round, incremental changes to messages beyond the cap, and a
// resync under the cap (the sweep of a message deleted meanwhile happens at the end).
func TestE2EGapFillBeyondFilteredDeltaCap(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 2, SharedMailboxes: 0, MessagesPerMailbox: 60, Seed: 21})
	mail := tn.srv.Mail()
	mbs := tn.mailboxes(1)
	now := time.Now().UTC().Truncate(time.Second)
	fillBusy(t, mail, mbs[0], now, 5600)
	window := now.Add(-30 * 24 * time.Hour)
	folders := []string{"inbox", "sentitems"}
	inWindow := 0
	all, _ := mail.Messages(mbs[0].ID, "inbox")
	for _, m := range all {
		if !m.Received.Before(window) {
			inWindow++
		}
	}
	if inWindow <= graphmail.DefaultDeltaFilterCap {
		t.Fatalf("only %d inbox messages in the window", inWindow)
	}
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	mustOK(t, err)
	defer store.Close()
	opts := mailsync.Options{Mailboxes: mbs, Once: true, PageSize: 250, Now: func() time.Time { return now }}
	var mu sync.Mutex
	phases := map[mailsync.Phase]bool{}
	rec := newPageRecorder(tn.source())
	e, err := mailsync.NewEngine(store, rec, opts, func(p mailsync.Progress) { mu.Lock(); phases[p.Phase] = true; mu.Unlock() })
	mustOK(t, err)
	mustOK(t, e.Run(ctx))
	n := diffStore(t, store, mail, mbs[0].ID, folders, window)
	if rec.delta["inbox"] != graphmail.DefaultDeltaFilterCap || rec.lists["inbox"] < 3 || rec.lists["sentitems"] != 0 {
		t.Fatalf("inbox delta returned %d, %d list requests (sentitems %d): the cap and the gap fill must both have happened",
			rec.delta["inbox"], rec.lists["inbox"], rec.lists["sentitems"])
	}
	mu.Lock()
	if !phases[mailsync.PhaseGapFill] {
		t.Fatal("no progress event showed the gap-fill phase")
	}
	mu.Unlock()
	t.Logf("%d messages mirrored (%d in the inbox window); delta returned %d, then %d list pages", n, inWindow, rec.delta["inbox"], rec.lists["inbox"])

	// Incremental: changes to messages the capped round never returned.
	oldest := all[inWindow-1] // newest first: the oldest in the window
	mustOK(t, mail.MarkRead(mbs[0].ID, oldest.ImmutableID, !oldest.IsRead))
	mustOK(t, mail.DeleteMessage(mbs[0].ID, all[inWindow-2].ImmutableID))
	_, err = mail.MoveMessage(mbs[0].ID, all[inWindow-3].ImmutableID, "sentitems")
	mustOK(t, err)
	_, err = mail.DeliverMessage(mbs[0].ID, graphmail.Message{Subject: "fresh", Body: "new mail", From: graphmail.Recipient{Address: "x@fabrikam.com"}})
	mustOK(t, err)
	rec2 := newPageRecorder(tn.source())
	e2, _ := mailsync.NewEngine(store, rec2, opts, nil)
	mustOK(t, e2.Run(ctx))
	diffStore(t, store, mail, mbs[0].ID, folders, window)
	if rec2.lists["inbox"] != 0 {
		t.Fatalf("incremental round listed %d pages", rec2.lists["inbox"])
	}

	// Resync under the cap: the token expires and meanwhile a message beyond the cap is
	// deleted; the full round is capped again, gap-fills, and only its end sweeps.
	mustOK(t, mail.DeleteMessage(mbs[0].ID, all[inWindow-10].ImmutableID))
	mustOK(t, mail.ExpireDeltaTokens(mbs[0].ID, "inbox"))
	rec3 := newPageRecorder(tn.source())
	e3, _ := mailsync.NewEngine(store, rec3, opts, nil)
	mustOK(t, e3.Run(ctx))
	diffStore(t, store, mail, mbs[0].ID, folders, window)
	if rec3.lists["inbox"] < 3 {
		t.Fatalf("resync listed %d pages", rec3.lists["inbox"])
	}
	var gapLogs int
	store.DB().QueryRow(`SELECT COUNT(*) FROM sync_log WHERE event='gap-fill'`).Scan(&gapLogs)
	if gapLogs != 2 {
		t.Fatalf("gap fill logged %d times, want 2 (first round and resync)", gapLogs)
	}
}

// TestKillAndResumeGapFill SIGKILLs the sync process twice while it fills the gap beyond
// the 5,000-message delta cap, then resumes: the resumed run starts from the stored list
// link (not delta, not from scratch) and the store mirrors the tenant exactly.
func TestKillAndResumeGapFill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	srv, err := emulator.New(emulator.Options{Users: 1, SharedMailboxes: 0, MessagesPerMailbox: 40, Seed: 13})
	mustOK(t, err)
	defer srv.Close()
	infoPath := filepath.Join(dir, "info.json")
	mustOK(t, srv.WriteInfo(infoPath))
	tn := connect(t, srv.Info(), srv.CACertPEM(), srv)
	mbs := tn.mailboxes(1)
	now := time.Now().UTC().Truncate(time.Second)
	fillBusy(t, srv.Mail(), mbs[0], now, 5700)
	p := childParams{InfoPath: infoPath, StorePath: filepath.Join(dir, "mail.db"), Mailboxes: mbs, PageSize: 50,
		NowUnix: now.Unix(), Folders: []string{"inbox"}}
	paramPath := filepath.Join(dir, "params.json")
	writeJSON(t, paramPath, p)

	for run, k := range []int{2, 2} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+paramPath)
		out, err := cmd.StdoutPipe()
		mustOK(t, err)
		cmd.Stderr = os.Stderr
		mustOK(t, cmd.Start())
		sc := bufio.NewScanner(out)
		gapPages, killed := 0, false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 4 && f[0] == "PAGE" && f[3] == string(mailsync.PhaseGapFill) {
				if gapPages++; gapPages == k {
					mustOK(t, cmd.Process.Kill())
					killed = true
					break
				}
			}
			if sc.Text() == "DONE" {
				break
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cmd.Wait()
		if !killed {
			t.Fatalf("run %d finished before %d gap-fill pages", run, k)
		}
	}

	store, err := mailsync.OpenSQLite(context.Background(), p.StorePath)
	mustOK(t, err)
	defer store.Close()
	var phase, gapLink, gapBefore, deltaLink string
	mustOK(t, store.DB().QueryRow(`SELECT phase, gap_link, gap_before, delta_link FROM delta_state WHERE mailbox_id=? AND folder_id='inbox'`,
		mbs[0].ID).Scan(&phase, &gapLink, &gapBefore, &deltaLink))
	if phase != string(mailsync.PhaseGapFill) || gapBefore == "" || deltaLink == "" {
		t.Fatalf("after the kills: phase %s gap_before %q delta link stored %v", phase, gapBefore, deltaLink != "")
	}
	rec := &firstRequests{Source: tn.source(), first: map[string]string{}}
	before := &firstBefore{Source: rec}
	e, err := mailsync.NewEngine(store, before, mailsync.Options{Mailboxes: mbs, Once: true, PageSize: 50,
		Folders: p.Folders, Now: func() time.Time { return now }}, nil)
	mustOK(t, err)
	mustOK(t, e.Run(context.Background()))
	k := mbs[0].ID + "/inbox"
	if rec.first[k] != gapLink || before.first.IsZero() || before.first.Format("2006-01-02T15:04:05Z") != gapBefore {
		t.Fatalf("resumed with link %q before %s, want the stored gap link %q before %s", rec.first[k], before.first, gapLink, gapBefore)
	}
	n := diffStore(t, store, srv.Mail(), mbs[0].ID, p.Folders, now.Add(-30*24*time.Hour))
	t.Logf("killed twice during the gap fill; resumed from the stored list link; %d messages match the tenant", n)
}

// firstBefore records the Before of the first request.
type firstBefore struct {
	mailsync.Source
	mu    sync.Mutex
	first time.Time
	seen  bool
}

func (f *firstBefore) DeltaPage(ctx context.Context, r mailsync.PageRequest) (mailsync.Page, error) {
	f.mu.Lock()
	if !f.seen {
		f.first, f.seen = r.Before, true
	}
	f.mu.Unlock()
	return f.Source.DeltaPage(ctx, r)
}
