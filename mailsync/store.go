package mailsync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"modernc.org/sqlite"

	"github.com/m365connect/m365connect/appdirs"
)

// Phase is where a folder is in its sync life.
type Phase string

// Folder phases.
const (
	// PhaseBackfill: the first round (or a resync round) is still paging through the window.
	PhaseBackfill Phase = "backfill"
	// PhaseGapFill: the first round's delta may have been cut at Graph's 5,000-message cap
	// for filtered delta; the older rest of the window is being listed page by page.
	PhaseGapFill Phase = "gapfill"
	// PhaseIncremental: a deltaLink is stored; later rounds fetch only changes.
	PhaseIncremental Phase = "incremental"
)

// FolderState is the persisted delta state of one folder of one mailbox.
type FolderState struct {
	Mailbox     string
	Folder      string
	Phase       Phase
	NextLink    string    // non-empty while a round is in progress
	DeltaLink   string    // non-empty once a round finished
	WindowStart time.Time // backfill window start of the current full round
	Generation  int64     // bumped by each full (from scratch) round; rows carry the generation that last saw them
	FullRound   bool      // the round in progress started from scratch (its end sweeps stale rows)
	Total       int64     // estimated total (folder's totalItemCount), 0 when unknown

	// RoundCount and RoundOldest count the messages the delta pages of the current full
	// round returned and the oldest receivedDateTime among them.
	RoundCount  int64
	RoundOldest time.Time
	// GapBefore is non-zero during the gap fill (PhaseGapFill): messages received in
	// [WindowStart, GapBefore) are listed newest first; GapLink is the list's nextLink
	// (empty for its first page). The deltaLink is already stored.
	GapBefore time.Time
	GapLink   string

	// GapFillAt is not stored: the engine sets it (Options.DeltaCap). A full round whose
	// delta pages returned at least this many messages may have been capped, so its
	// deltaLink page starts the gap fill instead of ending the round. 0 never gap-fills.
	GapFillAt int64
}

// roundDone reports whether the folder's round has finished: no nextLink and no gap fill
// pending (the deltaLink is stored).
func (st FolderState) roundDone() bool {
	return st.NextLink == "" && st.GapBefore.IsZero()
}

// PageResult counts what one applied page changed.
type PageResult struct {
	Upserted, Removed, Swept int
}

// Store is what the engine needs from the local database. SQLiteStore implements it; a
// server database can implement it later.
type Store interface {
	// EnsureMailbox records a mailbox (id and display address).
	EnsureMailbox(ctx context.Context, id, address string) error
	// Folder loads a folder's state; a folder never seen has Phase backfill and no links.
	Folder(ctx context.Context, mailbox, folder string) (FolderState, error)
	// StartFullRound begins a round from scratch: clears links, sets the window start and
	// bumps the generation, all in one transaction.
	StartFullRound(ctx context.Context, mailbox, folder string, windowStart time.Time) (FolderState, error)
	// ApplyPage writes one page's messages and removals and the folder's new links in one
	// transaction. When the page carries the round's deltaLink and the round was a full
	// one, rows of older generations inside the window are swept (they were deleted
	// while the delta token was lost) — unless the round returned st.GapFillAt messages
	// or more: then the deltaLink is stored and the gap fill begins (GapBefore), and the
	// sweep waits for the gap fill's last page. During the gap fill (st.GapBefore set)
	// the page is a list page: its NextLink becomes GapLink; the last one ends the round.
	ApplyPage(ctx context.Context, st FolderState, page Page) (FolderState, PageResult, error)
	// SetTotal stores the estimated total for progress.
	SetTotal(ctx context.Context, mailbox, folder string, total int64) error
	// CountMessages counts stored messages of a folder.
	CountMessages(ctx context.Context, mailbox, folder string) (int64, error)
	// Log appends to the sync log.
	Log(ctx context.Context, mailbox, folder, level, event, detail string) error
	// Close releases the store (and its lock).
	Close() error
}

// ErrStoreLocked is returned by OpenSQLite when another process has the store open.
var ErrStoreLocked = errors.New("store is in use by another process")

// timeFormat is fixed width so that stored times sort as text.
const timeFormat = "2006-01-02T15:04:05Z"

// migrations are applied in order; version i+1 is migrations[i]. Never edit a shipped one:
// append. (The outbox of a later release is one more entry here.)
var migrations = [...]string{
	`CREATE TABLE mailboxes (
		id TEXT PRIMARY KEY,
		address TEXT NOT NULL DEFAULT '',
		added_at TEXT NOT NULL
	);
	CREATE TABLE folders (
		mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
		folder_id TEXT NOT NULL,
		total INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (mailbox_id, folder_id)
	);
	CREATE TABLE delta_state (
		mailbox_id TEXT NOT NULL,
		folder_id TEXT NOT NULL,
		phase TEXT NOT NULL CHECK (phase IN ('backfill','incremental')),
		next_link TEXT NOT NULL DEFAULT '',
		delta_link TEXT NOT NULL DEFAULT '',
		window_start TEXT NOT NULL DEFAULT '',
		generation INTEGER NOT NULL DEFAULT 0,
		full_round INTEGER NOT NULL DEFAULT 0,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (mailbox_id, folder_id),
		FOREIGN KEY (mailbox_id, folder_id) REFERENCES folders(mailbox_id, folder_id)
	);
	CREATE TABLE messages (
		mailbox_id TEXT NOT NULL,
		id TEXT NOT NULL,
		folder_id TEXT NOT NULL,
		internet_message_id TEXT NOT NULL DEFAULT '',
		conversation_id TEXT NOT NULL DEFAULT '',
		from_name TEXT NOT NULL DEFAULT '',
		from_address TEXT NOT NULL DEFAULT '',
		to_json TEXT NOT NULL DEFAULT '[]',
		cc_json TEXT NOT NULL DEFAULT '[]',
		subject TEXT NOT NULL DEFAULT '',
		body_preview TEXT NOT NULL DEFAULT '',
		body_type TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL DEFAULT '',
		received_at TEXT NOT NULL,
		is_read INTEGER NOT NULL DEFAULT 0,
		flag_status TEXT NOT NULL DEFAULT '',
		sync_gen INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (mailbox_id, id)
	) WITHOUT ROWID;
	CREATE INDEX messages_by_folder ON messages (mailbox_id, folder_id, received_at DESC);
	CREATE TABLE sync_log (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at TEXT NOT NULL,
		mailbox_id TEXT NOT NULL DEFAULT '',
		folder_id TEXT NOT NULL DEFAULT '',
		level TEXT NOT NULL,
		event TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);`,
	// 2: the gap-fill phase (filtered delta returns at most 5,000 messages,
	// https://learn.microsoft.com/en-us/graph/delta-query-messages). SQLite cannot alter a
	// CHECK constraint, so delta_state is rebuilt. A full round in progress gets its count
	// and oldest message from the rows it has written so far.
	`CREATE TABLE delta_state_v2 (
		mailbox_id TEXT NOT NULL,
		folder_id TEXT NOT NULL,
		phase TEXT NOT NULL CHECK (phase IN ('backfill','gapfill','incremental')),
		next_link TEXT NOT NULL DEFAULT '',
		delta_link TEXT NOT NULL DEFAULT '',
		window_start TEXT NOT NULL DEFAULT '',
		generation INTEGER NOT NULL DEFAULT 0,
		full_round INTEGER NOT NULL DEFAULT 0,
		round_count INTEGER NOT NULL DEFAULT 0,
		round_oldest TEXT NOT NULL DEFAULT '',
		gap_before TEXT NOT NULL DEFAULT '',
		gap_link TEXT NOT NULL DEFAULT '',
		updated_at TEXT NOT NULL,
		PRIMARY KEY (mailbox_id, folder_id),
		FOREIGN KEY (mailbox_id, folder_id) REFERENCES folders(mailbox_id, folder_id)
	);
	INSERT INTO delta_state_v2(mailbox_id, folder_id, phase, next_link, delta_link, window_start, generation,
		full_round, round_count, round_oldest, updated_at)
	SELECT d.mailbox_id, d.folder_id, d.phase, d.next_link, d.delta_link, d.window_start, d.generation, d.full_round,
		CASE WHEN d.full_round <> 0 THEN (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id=d.mailbox_id
			AND m.folder_id=d.folder_id AND m.sync_gen=d.generation) ELSE 0 END,
		CASE WHEN d.full_round <> 0 THEN COALESCE((SELECT MIN(received_at) FROM messages m WHERE m.mailbox_id=d.mailbox_id
			AND m.folder_id=d.folder_id AND m.sync_gen=d.generation), '') ELSE '' END,
		d.updated_at
	FROM delta_state d;
	DROP TABLE delta_state;
	ALTER TABLE delta_state_v2 RENAME TO delta_state;`,
}

// SQLiteStore is the single-file SQLite implementation of Store (modernc.org/sqlite, no
// cgo). It holds the file exclusively (locking_mode=EXCLUSIVE) while open, in WAL mode.
type SQLiteStore struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

var _ Store = (*SQLiteStore)(nil)

// OpenSQLite opens (creating if needed) the store at path, takes its exclusive lock and
// migrates the schema. A store open in another process fails with ErrStoreLocked.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	// The file is created 0600 in a 0700 folder before SQLite opens it (its -wal and
	// -shm files take the same mode), and the path is encoded so it cannot add options.
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := appdirs.PrepareFile(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := sql.Open("sqlite", appdirs.SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// One connection: it owns the exclusive lock, and SQLite has one writer anyway.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &SQLiteStore{db: db, path: path, now: time.Now}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLiteStore) init(ctx context.Context) error {
	for _, p := range []string{
		"PRAGMA busy_timeout=0",
		"PRAGMA locking_mode=EXCLUSIVE",
		"PRAGMA journal_mode=WAL",
		// WAL + NORMAL: a killed process loses nothing committed; a power cut may lose the
		// last transactions but never half of one (links and rows roll back together).
		"PRAGMA synchronous=NORMAL",
		"PRAGMA foreign_keys=ON",
	} {
		if _, err := s.db.ExecContext(ctx, p); err != nil {
			return s.openErr(err)
		}
	}
	// Take the write lock now so a second process fails at open, not mid-sync.
	if _, err := s.db.ExecContext(ctx, "BEGIN IMMEDIATE; COMMIT"); err != nil {
		return s.openErr(err)
	}
	return s.migrate(ctx)
}

func (s *SQLiteStore) openErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == 5 || se.Code()&0xff == 6) { // SQLITE_BUSY, SQLITE_LOCKED
		return fmt.Errorf("%w: %s", ErrStoreLocked, s.path)
	}
	return fmt.Errorf("open store %s: %w", s.path, err)
}

// SchemaVersion is the number of migrations this build knows.
func SchemaVersion() int { return len(migrations) }

func (s *SQLiteStore) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version),0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("store %s has schema version %d, newer than this build (%d)", s.path, have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate store to version %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, applied_at) VALUES(?,?)", v, s.stamp()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate store to version %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate store to version %d: %w", v, err)
		}
	}
	return nil
}

func (s *SQLiteStore) stamp() string { return s.now().UTC().Format(timeFormat) }

// DB exposes the database for read-only queries by tools and tests in this process.
func (s *SQLiteStore) DB() *sql.DB { return s.db }

// Close closes the database and releases the lock.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// EnsureMailbox implements Store.
func (s *SQLiteStore) EnsureMailbox(ctx context.Context, id, address string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO mailboxes(id, address, added_at) VALUES(?,?,?)
		ON CONFLICT(id) DO UPDATE SET address=excluded.address WHERE excluded.address <> ''`, id, address, s.stamp())
	if err != nil {
		return fmt.Errorf("record mailbox: %w", err)
	}
	return nil
}

// Folder implements Store.
func (s *SQLiteStore) Folder(ctx context.Context, mailbox, folder string) (FolderState, error) {
	st := FolderState{Mailbox: mailbox, Folder: folder, Phase: PhaseBackfill}
	var win, oldest, gap string
	var full int
	err := s.db.QueryRowContext(ctx, `SELECT d.phase, d.next_link, d.delta_link, d.window_start, d.generation, d.full_round,
		d.round_count, d.round_oldest, d.gap_before, d.gap_link, f.total
		FROM delta_state d JOIN folders f USING (mailbox_id, folder_id)
		WHERE d.mailbox_id=? AND d.folder_id=?`, mailbox, folder).
		Scan(&st.Phase, &st.NextLink, &st.DeltaLink, &win, &st.Generation, &full,
			&st.RoundCount, &oldest, &gap, &st.GapLink, &st.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("load folder state: %w", err)
	}
	st.FullRound = full != 0
	st.WindowStart = parseStamp(win)
	st.RoundOldest = parseStamp(oldest)
	st.GapBefore = parseStamp(gap)
	return st, nil
}

func parseStamp(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, _ := time.Parse(timeFormat, v)
	return t
}

func formatStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// StartFullRound implements Store.
func (s *SQLiteStore) StartFullRound(ctx context.Context, mailbox, folder string, windowStart time.Time) (FolderState, error) {
	prev, err := s.Folder(ctx, mailbox, folder)
	if err != nil {
		return prev, err
	}
	st := FolderState{
		Mailbox: mailbox, Folder: folder, Phase: PhaseBackfill,
		WindowStart: windowStart.UTC().Truncate(time.Second),
		Generation:  prev.Generation + 1, FullRound: true, Total: prev.Total,
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return prev, fmt.Errorf("start round: %w", err)
	}
	defer tx.Rollback()
	if err := s.ensureFolder(ctx, tx, mailbox, folder); err != nil {
		return prev, err
	}
	if err := s.saveState(ctx, tx, st); err != nil {
		return prev, err
	}
	if err := tx.Commit(); err != nil {
		return prev, fmt.Errorf("start round: %w", err)
	}
	return st, nil
}

func (s *SQLiteStore) ensureFolder(ctx context.Context, tx *sql.Tx, mailbox, folder string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO mailboxes(id, address, added_at) VALUES(?, '', ?) ON CONFLICT(id) DO NOTHING`, mailbox, s.stamp()); err != nil {
		return fmt.Errorf("record mailbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO folders(mailbox_id, folder_id) VALUES(?,?) ON CONFLICT DO NOTHING`, mailbox, folder); err != nil {
		return fmt.Errorf("record folder: %w", err)
	}
	return nil
}

func (s *SQLiteStore) saveState(ctx context.Context, tx *sql.Tx, st FolderState) error {
	full := 0
	if st.FullRound {
		full = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO delta_state(mailbox_id, folder_id, phase, next_link, delta_link, window_start,
		generation, full_round, round_count, round_oldest, gap_before, gap_link, updated_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(mailbox_id, folder_id) DO UPDATE SET phase=excluded.phase, next_link=excluded.next_link,
		delta_link=excluded.delta_link, window_start=excluded.window_start, generation=excluded.generation,
		full_round=excluded.full_round, round_count=excluded.round_count, round_oldest=excluded.round_oldest,
		gap_before=excluded.gap_before, gap_link=excluded.gap_link, updated_at=excluded.updated_at`,
		st.Mailbox, st.Folder, string(st.Phase), st.NextLink, st.DeltaLink, formatStamp(st.WindowStart), st.Generation, full,
		st.RoundCount, formatStamp(st.RoundOldest), formatStamp(st.GapBefore), st.GapLink, s.stamp())
	if err != nil {
		return fmt.Errorf("save delta state: %w", err)
	}
	return nil
}

const upsertSQL = `INSERT INTO messages(mailbox_id, id, folder_id, internet_message_id, conversation_id,
	from_name, from_address, to_json, cc_json, subject, body_preview, body_type, body, received_at,
	is_read, flag_status, sync_gen) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT(mailbox_id, id) DO UPDATE SET folder_id=excluded.folder_id,
	internet_message_id=excluded.internet_message_id, conversation_id=excluded.conversation_id,
	from_name=excluded.from_name, from_address=excluded.from_address, to_json=excluded.to_json,
	cc_json=excluded.cc_json, subject=excluded.subject, body_preview=excluded.body_preview,
	body_type=excluded.body_type, body=excluded.body, received_at=excluded.received_at,
	is_read=excluded.is_read, flag_status=excluded.flag_status, sync_gen=excluded.sync_gen`

// ApplyPage implements Store.
func (s *SQLiteStore) ApplyPage(ctx context.Context, st FolderState, page Page) (FolderState, PageResult, error) {
	var res PageResult
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return st, res, fmt.Errorf("apply page: %w", err)
	}
	defer tx.Rollback()
	if err := s.ensureFolder(ctx, tx, st.Mailbox, st.Folder); err != nil {
		return st, res, err
	}
	up, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return st, res, fmt.Errorf("apply page: %w", err)
	}
	defer up.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM messages WHERE mailbox_id=? AND id=? AND folder_id=?`)
	if err != nil {
		return st, res, fmt.Errorf("apply page: %w", err)
	}
	defer del.Close()
	gap := !st.GapBefore.IsZero()
	next := st
	for i := range page.Messages {
		m := &page.Messages[i]
		if m.ID == "" {
			continue
		}
		if m.Removed != "" {
			// Only this folder's row: a message moved to another synced folder keeps its
			// immutable id and may already have been written there.
			r, err := del.ExecContext(ctx, st.Mailbox, m.ID, st.Folder)
			if err != nil {
				return st, res, fmt.Errorf("apply removal: %w", err)
			}
			n, _ := r.RowsAffected()
			res.Removed += int(n)
			continue
		}
		to, _ := json.Marshal(nonNil(m.To))
		cc, _ := json.Marshal(nonNil(m.Cc))
		read := 0
		if m.IsRead {
			read = 1
		}
		if _, err := up.ExecContext(ctx, st.Mailbox, m.ID, st.Folder, m.InternetMessageID, m.ConversationID,
			m.FromName, m.FromAddress, string(to), string(cc), m.Subject, m.BodyPreview, m.BodyType, m.Body,
			m.ReceivedDateTime.UTC().Format(timeFormat), read, m.FlagStatus, st.Generation); err != nil {
			return st, res, fmt.Errorf("store message: %w", err)
		}
		res.Upserted++
		if st.FullRound && !gap {
			next.RoundCount++
			if rt := m.ReceivedDateTime.UTC().Truncate(time.Second); next.RoundOldest.IsZero() || rt.Before(next.RoundOldest) {
				next.RoundOldest = rt
			}
		}
	}
	finish := false
	switch {
	case gap:
		// A list page of the gap fill: its nextLink continues the list; the deltaLink
		// stored when the delta pages ended stays.
		next.GapLink = page.NextLink
		finish = page.NextLink == ""
	case page.NextLink != "":
		next.NextLink, next.DeltaLink = page.NextLink, ""
	default:
		next.NextLink, next.DeltaLink = "", page.DeltaLink
		if st.FullRound && st.GapFillAt > 0 && next.RoundCount >= st.GapFillAt && !next.RoundOldest.IsZero() {
			// The delta pages may have stopped at Graph's cap: list the rest of the
			// window, up to and including the oldest second seen (equal receivedDateTimes
			// may straddle the cut; upserts make the overlap harmless).
			next.Phase = PhaseGapFill
			next.GapBefore, next.GapLink = next.RoundOldest.Add(time.Second), ""
		} else {
			finish = true
		}
	}
	if finish {
		if st.FullRound {
			r, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE mailbox_id=? AND folder_id=? AND sync_gen<? AND received_at>=?`,
				st.Mailbox, st.Folder, st.Generation, st.WindowStart.UTC().Format(timeFormat))
			if err != nil {
				return st, res, fmt.Errorf("sweep stale messages: %w", err)
			}
			n, _ := r.RowsAffected()
			res.Swept = int(n)
		}
		next.FullRound = false
		next.Phase = PhaseIncremental
		next.RoundCount, next.RoundOldest, next.GapBefore, next.GapLink = 0, time.Time{}, time.Time{}, ""
	}
	if err := s.saveState(ctx, tx, next); err != nil {
		return st, res, err
	}
	if err := tx.Commit(); err != nil {
		return st, res, fmt.Errorf("commit page: %w", err)
	}
	return next, res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetTotal implements Store.
func (s *SQLiteStore) SetTotal(ctx context.Context, mailbox, folder string, total int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO folders(mailbox_id, folder_id, total) VALUES(?,?,?)
		ON CONFLICT(mailbox_id, folder_id) DO UPDATE SET total=excluded.total`, mailbox, folder, total)
	if err != nil {
		// The mailbox row may be missing on a first run.
		if err2 := s.EnsureMailbox(ctx, mailbox, ""); err2 == nil {
			_, err = s.db.ExecContext(ctx, `INSERT INTO folders(mailbox_id, folder_id, total) VALUES(?,?,?)
				ON CONFLICT(mailbox_id, folder_id) DO UPDATE SET total=excluded.total`, mailbox, folder, total)
		}
	}
	if err != nil {
		return fmt.Errorf("store folder total: %w", err)
	}
	return nil
}

// CountMessages implements Store.
func (s *SQLiteStore) CountMessages(ctx context.Context, mailbox, folder string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE mailbox_id=? AND folder_id=?`, mailbox, folder).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}

// Log implements Store. Callers never pass tokens or links in detail.
func (s *SQLiteStore) Log(ctx context.Context, mailbox, folder, level, event, detail string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sync_log(at, mailbox_id, folder_id, level, event, detail) VALUES(?,?,?,?,?,?)`,
		s.stamp(), mailbox, folder, level, event, detail)
	if err != nil {
		return fmt.Errorf("write sync log: %w", err)
	}
	return nil
}

// StoredMessage is a message row as read back by Messages.
type StoredMessage struct {
	Message
	Folder string
}

// Messages reads all stored messages of a mailbox (every folder), ordered by id. For
// tests, exports and tools; not used by the sync path.
func (s *SQLiteStore) Messages(ctx context.Context, mailbox string) ([]StoredMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, folder_id, internet_message_id, conversation_id, from_name,
		from_address, to_json, cc_json, subject, body_preview, body_type, body, received_at, is_read, flag_status
		FROM messages WHERE mailbox_id=? ORDER BY id`, mailbox)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	defer rows.Close()
	var out []StoredMessage
	for rows.Next() {
		var m StoredMessage
		var to, cc, rec string
		var read int
		if err := rows.Scan(&m.ID, &m.Folder, &m.InternetMessageID, &m.ConversationID, &m.FromName, &m.FromAddress,
			&to, &cc, &m.Subject, &m.BodyPreview, &m.BodyType, &m.Body, &rec, &read, &m.FlagStatus); err != nil {
			return nil, fmt.Errorf("read messages: %w", err)
		}
		_ = json.Unmarshal([]byte(to), &m.To)
		_ = json.Unmarshal([]byte(cc), &m.Cc)
		m.ReceivedDateTime, _ = time.Parse(timeFormat, rec)
		m.IsRead = read != 0
		out = append(out, m)
	}
	return out, rows.Err()
}
