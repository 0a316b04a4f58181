package mailsync

// This file holds the SQLite store: its schema migrations, opening it (one process at a
// time), and the folder state, counts, log and messages it keeps.

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
