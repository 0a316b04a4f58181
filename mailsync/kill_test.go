package mailsync_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/mailsync"
)

// childParams is what the parent hands the re-executed test binary.
type childParams struct {
	InfoPath  string
	StorePath string
	Mailboxes []mailsync.Mailbox
	PageSize  int
	NowUnix   int64
	Folders   []string // default inbox, sentitems
}

const childEnv = "MAILSYNC_KILL_CHILD"

// TestKillChild is the child half of TestKillAndResume: it syncs and prints one line per
// committed page, until the parent kills it. Skipped unless re-executed by the parent.
func TestKillChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("only runs as TestKillAndResume's child process")
	}
	var p childParams
	b, err := os.ReadFile(path)
	mustOK(t, err)
	mustOK(t, json.Unmarshal(b, &p))
	ib, err := os.ReadFile(p.InfoPath)
	mustOK(t, err)
	var info emulator.Info
	mustOK(t, json.Unmarshal(ib, &info))
	ca, err := os.ReadFile(info.CACertFile)
	mustOK(t, err)
	tn := connect(t, info, ca, nil)
	now := time.Unix(p.NowUnix, 0)
	var mu sync.Mutex
	last := map[string]int64{}
	opts := mailsync.Options{Mailboxes: p.Mailboxes, Once: true, PageSize: p.PageSize, StorePath: p.StorePath,
		Now: func() time.Time { return now }, Folders: p.Folders}
	err = mailsync.Run(context.Background(), opts, tn.source(), func(pr mailsync.Progress) {
		mu.Lock()
		defer mu.Unlock()
		k := pr.Mailbox + "/" + pr.Folder
		if pr.Pages > last[k] {
			last[k] = pr.Pages
			fmt.Println("PAGE", k, pr.Pages, pr.Phase)
		}
	})
	mustOK(t, err)
	fmt.Println("DONE")
}

// TestKillAndResume really kills a syncing process (SIGKILL, at whatever point it has
// reached after K committed pages), several times, then resumes and diffs the store
// with the practice tenant: nothing lost, nothing twice.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	srv, err := emulator.New(emulator.Options{Users: 3, SharedMailboxes: 0, MessagesPerMailbox: 1500, Seed: 11})
	mustOK(t, err)
	defer srv.Close()
	infoPath := filepath.Join(dir, "info.json")
	mustOK(t, srv.WriteInfo(infoPath))
	tn := connect(t, srv.Info(), srv.CACertPEM(), srv)
	mbs := tn.mailboxes(3)
	now := time.Now().Truncate(time.Second)
	p := childParams{InfoPath: infoPath, StorePath: filepath.Join(dir, "mail.db"), Mailboxes: mbs, PageSize: 10, NowUnix: now.Unix()}
	paramPath := filepath.Join(dir, "params.json")
	writeJSON(t, paramPath, p)

	killed := 0
	for _, k := range []int{5, 17, 40, 23} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+paramPath)
		out, err := cmd.StdoutPipe()
		mustOK(t, err)
		cmd.Stderr = os.Stderr
		mustOK(t, cmd.Start())
		sc := bufio.NewScanner(out)
		pages, done := 0, false
		for sc.Scan() {
			line := sc.Text()
			if len(line) > 4 && line[:4] == "PAGE" {
				pages++
				if pages == k {
					mustOK(t, cmd.Process.Kill())
					killed++
					break
				}
			}
			if line == "DONE" {
				done = true
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cmd.Wait()
		if done {
			t.Fatalf("child finished before %d pages: make the tenant bigger", k)
		}
	}
	if killed != 4 {
		t.Fatalf("killed %d times", killed)
	}

	// The store must show rounds cut short, and resuming must start from those links.
	store, err := mailsync.OpenSQLite(context.Background(), p.StorePath)
	mustOK(t, err)
	defer store.Close()
	pending := map[string]string{}
	rows, err := store.DB().Query(`SELECT mailbox_id, folder_id, next_link FROM delta_state WHERE next_link <> ''`)
	mustOK(t, err)
	for rows.Next() {
		var mb, f, link string
		mustOK(t, rows.Scan(&mb, &f, &link))
		pending[mb+"/"+f] = link
	}
	rows.Close()
	if len(pending) == 0 {
		t.Fatal("no folder was cut mid-round")
	}
	rec := &firstRequests{Source: tn.source(), first: map[string]string{}}
	e, err := mailsync.NewEngine(store, rec, mailsync.Options{Mailboxes: mbs, Once: true, PageSize: 10, Now: func() time.Time { return now }}, nil)
	mustOK(t, err)
	mustOK(t, e.Run(context.Background()))
	for k, link := range pending {
		if rec.first[k] != link {
			t.Fatalf("%s resumed from %q, want the stored nextLink", k, rec.first[k])
		}
	}
	window := now.Add(-30 * 24 * time.Hour)
	total := 0
	for _, mb := range mbs {
		total += diffStore(t, store, srv.Mail(), mb.ID, []string{"inbox", "sentitems"}, window)
	}
	t.Logf("killed 4 times; %d folders resumed mid-round; %d messages match the tenant", len(pending), total)
}

// firstRequests records the first link asked for per mailbox/folder.
type firstRequests struct {
	mailsync.Source
	mu    sync.Mutex
	first map[string]string
}

func (f *firstRequests) DeltaPage(ctx context.Context, r mailsync.PageRequest) (mailsync.Page, error) {
	f.mu.Lock()
	k := r.Mailbox + "/" + r.Folder
	if _, ok := f.first[k]; !ok {
		f.first[k] = r.Link
	}
	f.mu.Unlock()
	return f.Source.DeltaPage(ctx, r)
}
