package mailsync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/mailsync"
)

// Finding 2 of issue 14: a delta link planted in the sync store pointing at plain http on
// another host got the bearer token (seven times). Now the link is refused before any
// request, the folder is synced again from the start, and the log names the event
// without the link's query string.
func TestE2EPlantedDeltaLinkIsRefusedAndFolderResynced(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t, emulator.Options{Users: 1, SharedMailboxes: -1, MessagesPerMailbox: 40, Seed: 3})
	var evilHits, evilAuth atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			evilAuth.Add(1)
		}
		http.Error(w, "gone", http.StatusGone)
	}))
	defer evil.Close()
	store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := fixedNow()
	opts := mailsync.Options{Mailboxes: tn.mailboxes(1), Folders: []string{"inbox"}, Once: true, PageSize: 10, Now: now}
	e, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mb := opts.Mailboxes[0].ID
	planted := evil.URL + "/v1.0/users/" + mb + "/mailFolders/inbox/messages/delta?$deltatoken=PLANTED-SECRET"
	res, err := store.DB().ExecContext(ctx, `UPDATE delta_state SET delta_link = ?, next_link = '' WHERE mailbox_id = ?`, planted, mb)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("plant: %v (%d rows)", err, n)
	}
	e2, _ := mailsync.NewEngine(store, tn.source(), opts, nil)
	ctx2, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := e2.Run(ctx2); err != nil {
		t.Fatal(err)
	}
	if evilHits.Load() != 0 || evilAuth.Load() != 0 {
		t.Fatalf("the planted host was called %d times (%d with the token)", evilHits.Load(), evilAuth.Load())
	}
	diffStore(t, store, tn.srv.Mail(), mb, []string{"inbox"}, now().Add(-30*24*time.Hour))
	var link string
	if err := store.DB().QueryRowContext(ctx, `SELECT delta_link FROM delta_state WHERE mailbox_id = ?`, mb).Scan(&link); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, tn.info.GraphBaseURL) {
		t.Fatalf("after the resync the stored link is %q, want one on %s", link, tn.info.GraphBaseURL)
	}
	var detail string
	err = store.DB().QueryRowContext(ctx, `SELECT detail FROM sync_log WHERE event = 'resync' AND mailbox_id = ? ORDER BY id DESC LIMIT 1`, mb).Scan(&detail)
	if err != nil {
		t.Fatalf("no resync logged: %v", err)
	}
	if !strings.Contains(detail, "not on the configured Graph origin") || strings.Contains(detail, "PLANTED-SECRET") || strings.Contains(detail, "deltatoken") {
		t.Fatalf("log detail %q: want the refusal named, without the query string", detail)
	}
}

// Finding 5: a store at an explicit path is created 0600 (with its -wal and -shm), and a
// path that looks like DSN options names a file instead of changing the options.
func TestStoreFilePrivateAndPathCannotAddOptions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits: Windows uses ACLs")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "mail.db?_pragma=journal_mode(delete)&mode=ro#x")
	st, err := mailsync.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mode string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v: the path changed the options", mode, err)
	}
	if err := st.EnsureMailbox(ctx, "m1", "a@b.test"); err != nil {
		t.Fatalf("store not writable (mode=ro taken from the path?): %v", err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want 0600", p, fi, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "sub")); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder %v, want 0700", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "mail.db")); err == nil {
		t.Error("the path was cut at '?'")
	}
}
