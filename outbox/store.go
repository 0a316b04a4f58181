package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/m365connect/m365connect/appdirs"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// FileName is the outbox database's file name inside the data folder.
const FileName = "outbox.db"

// timeFormat is fixed width so stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// migrations are applied in order; version i+1 is migrations[i]. Never edit a shipped
// one: append.
func migrations() []string {
	return []string{`
	CREATE TABLE messages (
		id TEXT PRIMARY KEY,
		idem_key TEXT,
		mailbox TEXT NOT NULL,
		to_json TEXT NOT NULL,
		cc_json TEXT NOT NULL DEFAULT '[]',
		subject TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL DEFAULT '',
		body_type TEXT NOT NULL CHECK (body_type IN ('text','html')),
		reply_to TEXT NOT NULL DEFAULT '',
		internet_message_id TEXT NOT NULL UNIQUE,
		state TEXT NOT NULL CHECK (state IN ('queued','pending_approval','approved','drafting','drafted','sending','sent','failed','rejected')),
		draft_id TEXT NOT NULL DEFAULT '',
		conversation_id TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		error_code TEXT NOT NULL DEFAULT '',
		error_message TEXT NOT NULL DEFAULT '',
		attempts INTEGER NOT NULL DEFAULT 0,
		next_attempt_at TEXT NOT NULL DEFAULT '',
		approved_by TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		state_since TEXT NOT NULL,
		sent_at TEXT NOT NULL DEFAULT '',
		sent_confirmed INTEGER NOT NULL DEFAULT 0,
		bounce_checked INTEGER NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX messages_by_key ON messages (idem_key) WHERE idem_key IS NOT NULL;
	CREATE INDEX messages_by_state ON messages (state, created_at);
	CREATE TABLE events (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		message_id TEXT NOT NULL REFERENCES messages(id),
		at TEXT NOT NULL,
		from_state TEXT NOT NULL,
		to_state TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX events_by_message ON events (message_id, seq);
	CREATE TABLE leases (
		name TEXT PRIMARY KEY,
		owner TEXT NOT NULL,
		expires_at TEXT NOT NULL
	);`,
		// 2: when the engine last asked Graph to send the draft (durably, right before the
		// call), so a run resumed after a crash knows a 202 may have been given.
		`ALTER TABLE messages ADD COLUMN send_requested_at TEXT NOT NULL DEFAULT '';`,
		// 3: a Graph failure's fields besides code and message (GraphFailure).
		`ALTER TABLE messages ADD COLUMN error_status INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE messages ADD COLUMN error_request_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN error_advice TEXT NOT NULL DEFAULT '';`,
	}
}

// SchemaVersion is the number of schema migrations this build knows.
func SchemaVersion() int { return len(migrations()) }

// Options configures an Outbox.
type Options struct {
	// Policy is applied at Enqueue and again just before a message's draft is created.
	Policy Policy
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Outbox is the outgoing-mail queue in its own SQLite file (WAL). Several processes may
// open it at once (the CLI approving while the engine runs); only one engine sends at a
// time (a lease in the database).
type Outbox struct {
	db   *sql.DB
	path string
	now  func() time.Time
	// openDrop opens a drop-folder file; nil means os.Open (tests make one fail).
	openDrop func(name string) (io.ReadCloser, error)

	mu     sync.Mutex
	policy Policy
}

// Open opens (creating if needed) the outbox database at path and migrates its schema.
func Open(ctx context.Context, path string, opts Options) (*Outbox, error) {
	// Created 0600 in a 0700 folder before SQLite opens it; the path is encoded so it
	// cannot add options to the DSN.
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	if err := appdirs.PrepareFile(path); err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	// Pragmas in the DSN apply to every pooled connection.
	dsn := appdirs.SQLiteDSN(path, "_pragma=busy_timeout(10000)", "_pragma=journal_mode(WAL)", "_pragma=synchronous(FULL)", "_pragma=foreign_keys(ON)", "_txlock=immediate")
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	o := &Outbox{db: db, path: path, now: now, policy: opts.Policy}
	if err := o.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return o, nil
}

// Path is the database file.
func (o *Outbox) Path() string { return o.path }

// Close closes the database.
func (o *Outbox) Close() error { return o.db.Close() }

// Policy returns the policy in force.
func (o *Outbox) Policy() Policy {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.policy
}

// SetPolicy replaces the policy (e.g. after the config was edited).
func (o *Outbox) SetPolicy(p Policy) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.policy = p
}

func (o *Outbox) migrate(ctx context.Context) error {
	if _, err := o.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate outbox: %w", err)
	}
	ms := migrations()
	for {
		done, err := o.migrateOne(ctx, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next missing migration in its own transaction; done is true
// when the schema is current.
func (o *Outbox) migrateOne(ctx context.Context, ms []string) (done bool, err error) {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate outbox: %w", err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version),0) FROM schema_migrations").Scan(&have); err != nil {
		return false, fmt.Errorf("migrate outbox: %w", err)
	}
	if have > len(ms) {
		return false, fmt.Errorf("outbox %s has schema version %d, newer than this build (%d)", o.path, have, len(ms))
	}
	if have == len(ms) {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, ms[have]); err != nil {
		return false, fmt.Errorf("migrate outbox to version %d: %w", have+1, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, applied_at) VALUES(?,?)", have+1, o.stamp()); err != nil {
		return false, fmt.Errorf("migrate outbox to version %d: %w", have+1, err)
	}
	return false, tx.Commit()
}

func (o *Outbox) stamp() string { return o.now().UTC().Format(timeFormat) }

func parseStamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(timeFormat, s)
	return t
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}
