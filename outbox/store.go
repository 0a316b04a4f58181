package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/m365connect/m365connect/appdirs"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// FileName is the outbox database's file name inside the data folder.
const FileName = "outbox.db"

// DefaultPath is appdirs.DataDir()/outbox.db, beside (not inside) the sync store.
func DefaultPath() (string, error) {
	d, err := appdirs.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, FileName), nil
}

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

// NewMessage is a message to enqueue. It is also the JSON of a file dropped into the
// outbox folder.
type NewMessage struct {
	// Key makes Enqueue idempotent: a second Enqueue with the same Key returns the first
	// message instead of adding another. Optional.
	Key string `json:"key,omitempty"`
	// From is the SMTP address of the configured mailbox that sends.
	From string   `json:"from"`
	To   []string `json:"to"`
	Cc   []string `json:"cc,omitempty"`
	// Subject may be empty for a reply (Graph's "RE: ..." is kept).
	Subject string `json:"subject,omitempty"`
	// Text or HTML is the body; give one of them.
	Text string `json:"text,omitempty"`
	HTML string `json:"html,omitempty"`
	// ReplyTo is the Graph id of a message in the From mailbox to reply to (the draft is
	// made with createReply, so In-Reply-To and References are set by Exchange).
	ReplyTo string `json:"replyTo,omitempty"`
}

// Message is one outbox entry.
type Message struct {
	ID                string    `json:"id"`
	Key               string    `json:"key,omitempty"`
	From              string    `json:"from"`
	To                []string  `json:"to"`
	Cc                []string  `json:"cc"`
	Subject           string    `json:"subject"`
	Body              string    `json:"body"`
	BodyType          string    `json:"bodyType"` // "text" or "html"
	ReplyTo           string    `json:"replyTo,omitempty"`
	InternetMessageID string    `json:"internetMessageId"` // <uuid@sender-domain>, set at enqueue, never changes
	State             State     `json:"state"`
	DraftID           string    `json:"draftId,omitempty"` // immutable id of the draft in the From mailbox
	ConversationID    string    `json:"conversationId,omitempty"`
	Reason            string    `json:"reason,omitempty"`       // why it was rejected or failed
	ErrorCode         string    `json:"errorCode,omitempty"`    // Graph's error code, for failures reported by Graph
	ErrorMessage      string    `json:"errorMessage,omitempty"` // Graph's error message
	Attempts          int       `json:"attempts"`
	ApprovedBy        string    `json:"approvedBy,omitempty"`
	Created           time.Time `json:"created"`
	Updated           time.Time `json:"updated"`
	StateSince        time.Time `json:"stateSince"`
	SentAt            time.Time `json:"sentAt,omitzero"`
	SentConfirmed     bool      `json:"sentConfirmed"` // the copy was seen in Sent Items
	// SendRequestedAt is when the engine last asked Graph to send the draft (recorded
	// before the call): a draft that still reads isDraft after it may already be on its way.
	SendRequestedAt time.Time `json:"sendRequestedAt,omitzero"`
}

// Event is one recorded state change.
type Event struct {
	At     time.Time `json:"at"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Detail string    `json:"detail"`
}

// ErrInvalid marks a message that cannot be enqueued as given (no recipients, bad
// address, no body...). Nothing is stored.
var ErrInvalid = errors.New("invalid outgoing message")

// ErrNotFound is returned for an unknown message id.
var ErrNotFound = errors.New("outbox message not found")

func (n NewMessage) normalize() (NewMessage, string, string, error) {
	bad := func(format string, a ...any) (NewMessage, string, string, error) {
		return n, "", "", fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	from, err := normalizeAddress(n.From)
	if err != nil {
		return bad("from: %v", err)
	}
	n.From = from
	if len(n.To) == 0 {
		return bad("at least one 'to' recipient is required")
	}
	for _, list := range []*[]string{&n.To, &n.Cc} {
		out := make([]string, 0, len(*list))
		for _, a := range *list {
			addr, err := normalizeAddress(a)
			if err != nil {
				return bad("recipient: %v", err)
			}
			out = append(out, addr)
		}
		*list = out
	}
	if n.Text != "" && n.HTML != "" {
		return bad("give a text or an html body, not both")
	}
	if n.Text == "" && n.HTML == "" && n.ReplyTo == "" {
		return bad("the message has no body")
	}
	if n.Subject == "" && n.ReplyTo == "" {
		return bad("the message has no subject")
	}
	if strings.ContainsAny(n.Subject, "\r\n") {
		return bad("the subject has a line break")
	}
	body, typ := n.Text, "text"
	if n.HTML != "" {
		body, typ = n.HTML, "html"
	}
	return n, body, typ, nil
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Enqueue adds a message and applies the policy in the same transaction: the message is
// stored as rejected (with the reason), pending_approval or approved. A message that
// cannot be sent at all (ErrInvalid) is not stored. With a Key already used, the
// existing message is returned unchanged.
func (o *Outbox) Enqueue(ctx context.Context, n NewMessage) (Message, error) {
	n, body, typ, err := n.normalize()
	if err != nil {
		return Message{}, err
	}
	if n.Key != "" {
		if m, err := o.byKey(ctx, n.Key); err == nil {
			return m, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Message{}, err
		}
	}
	id := newUUID()
	imid := "<" + newUUID() + "@" + domainOf(n.From) + ">"
	to, _ := json.Marshal(n.To)
	cc, _ := json.Marshal(n.Cc)
	now := o.stamp()
	d := o.Policy().Check(n.From, append(append([]string(nil), n.To...), n.Cc...))
	state, detail, reason := StateApproved, "allowed by policy", ""
	switch {
	case !d.Allowed:
		state, detail, reason = StateRejected, d.Reason, d.Reason
	case d.NeedsApproval:
		state, detail = StatePendingApproval, "policy requires approval"
	}
	var key any
	if n.Key != "" {
		key = n.Key
	}
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return Message{}, fmt.Errorf("enqueue: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, idem_key, mailbox, to_json, cc_json, subject, body, body_type,
		reply_to, internet_message_id, state, reason, created_at, updated_at, state_since) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, key, n.From, string(to), string(cc), n.Subject, body, typ, n.ReplyTo, imid, string(state), reason, now, now, now); err != nil {
		if n.Key != "" && strings.Contains(err.Error(), "UNIQUE") {
			tx.Rollback()
			return o.byKey(ctx, n.Key) // another process enqueued the same key just now
		}
		return Message{}, fmt.Errorf("enqueue: %w", err)
	}
	if err := addEvent(ctx, tx, id, now, StateQueued, StateQueued, "enqueued"); err != nil {
		return Message{}, err
	}
	if err := addEvent(ctx, tx, id, now, StateQueued, state, detail); err != nil {
		return Message{}, err
	}
	if err := tx.Commit(); err != nil {
		return Message{}, fmt.Errorf("enqueue: %w", err)
	}
	return o.Get(ctx, id)
}

func addEvent(ctx context.Context, tx *sql.Tx, id, at string, from, to State, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (message_id, at, from_state, to_state, detail) VALUES (?,?,?,?,?)`,
		id, at, string(from), string(to), detail); err != nil {
		return fmt.Errorf("record outbox event: %w", err)
	}
	return nil
}

const messageColumns = `id, COALESCE(idem_key,''), mailbox, to_json, cc_json, subject, body, body_type, reply_to,
	internet_message_id, state, draft_id, conversation_id, reason, error_code, error_message, attempts, approved_by,
	created_at, updated_at, state_since, sent_at, sent_confirmed, send_requested_at`

type scanner interface{ Scan(dest ...any) error }

func scanMessage(r scanner) (Message, error) {
	var m Message
	var to, cc, created, updated, since, sent, state, requested string
	var confirmed int
	if err := r.Scan(&m.ID, &m.Key, &m.From, &to, &cc, &m.Subject, &m.Body, &m.BodyType, &m.ReplyTo,
		&m.InternetMessageID, &state, &m.DraftID, &m.ConversationID, &m.Reason, &m.ErrorCode, &m.ErrorMessage,
		&m.Attempts, &m.ApprovedBy, &created, &updated, &since, &sent, &confirmed, &requested); err != nil {
		return Message{}, err
	}
	m.State = State(state)
	_ = json.Unmarshal([]byte(to), &m.To)
	_ = json.Unmarshal([]byte(cc), &m.Cc)
	m.Created, m.Updated, m.StateSince, m.SentAt = parseStamp(created), parseStamp(updated), parseStamp(since), parseStamp(sent)
	m.SentConfirmed = confirmed != 0
	m.SendRequestedAt = parseStamp(requested)
	return m, nil
}

// Get returns one message.
func (o *Outbox) Get(ctx context.Context, id string) (Message, error) {
	m, err := scanMessage(o.db.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE id=?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Message{}, fmt.Errorf("read outbox message: %w", err)
	}
	return m, nil
}

func (o *Outbox) byKey(ctx context.Context, key string) (Message, error) {
	m, err := scanMessage(o.db.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE idem_key=?", key))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("read outbox message: %w", err)
	}
	return m, nil
}

// List returns messages in the given states (all when none are given), oldest first.
func (o *Outbox) List(ctx context.Context, states ...State) ([]Message, error) {
	q := "SELECT " + messageColumns + " FROM messages"
	var args []any
	if len(states) > 0 {
		q += " WHERE state IN (" + strings.TrimSuffix(strings.Repeat("?,", len(states)), ",") + ")"
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	q += " ORDER BY created_at, id"
	rows, err := o.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// History returns a message's recorded state changes, oldest first.
func (o *Outbox) History(ctx context.Context, id string) ([]Event, error) {
	rows, err := o.db.QueryContext(ctx, "SELECT at, from_state, to_state, detail FROM events WHERE message_id=? ORDER BY seq", id)
	if err != nil {
		return nil, fmt.Errorf("outbox history: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at, from, to string
		if err := rows.Scan(&at, &from, &to, &e.Detail); err != nil {
			return nil, fmt.Errorf("outbox history: %w", err)
		}
		e.At, e.From, e.To = parseStamp(at), State(from), State(to)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Approve lets a pending message leave. by names who approved (kept on record).
func (o *Outbox) Approve(ctx context.Context, id, by string) error {
	return o.transition(ctx, id, []State{StatePendingApproval}, StateApproved, "approved by "+nonEmpty(by, "unknown"),
		update{approvedBy: &by})
}

// Reject stops a message that has not been drafted yet; the reason is kept on record.
func (o *Outbox) Reject(ctx context.Context, id, reason string) error {
	reason = nonEmpty(strings.TrimSpace(reason), "rejected without a reason given")
	return o.transition(ctx, id, []State{StatePendingApproval, StateApproved}, StateRejected, reason, update{reason: &reason})
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// update is the set of columns a transition writes besides the state.
type update struct {
	draftID, conversationID *string
	reason, code, message   *string
	approvedBy              *string
	sentAt                  bool
	sendRefused             bool // Graph answered the send with an error: it was not accepted
	sentConfirmed           bool
	bounceChecked           bool
	attempts                *int
	nextAttempt             *time.Time
}

func (u update) sets(now string) (string, []any) {
	var b strings.Builder
	var args []any
	add := func(col string, v any) {
		b.WriteString(", " + col + "=?")
		args = append(args, v)
	}
	if u.draftID != nil {
		add("draft_id", *u.draftID)
	}
	if u.conversationID != nil {
		add("conversation_id", *u.conversationID)
	}
	if u.reason != nil {
		add("reason", *u.reason)
	}
	if u.code != nil {
		add("error_code", *u.code)
	}
	if u.message != nil {
		add("error_message", *u.message)
	}
	if u.approvedBy != nil {
		add("approved_by", *u.approvedBy)
	}
	if u.sentAt {
		add("sent_at", now)
	}
	if u.sentConfirmed {
		add("sent_confirmed", 1)
	}
	if u.sendRefused {
		add("send_requested_at", "")
	}
	if u.bounceChecked {
		add("bounce_checked", 1)
	}
	if u.attempts != nil {
		add("attempts", *u.attempts)
	}
	if u.nextAttempt != nil {
		add("next_attempt_at", stampOf(*u.nextAttempt))
	}
	return b.String(), args
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// transition moves a message from one of from to to, writing u and an event in one
// transaction. It fails with *TransitionError when the message is not in one of from.
func (o *Outbox) transition(ctx context.Context, id string, from []State, to State, detail string, u update) error {
	for _, f := range from {
		if !CanTransition(f, to) {
			return fmt.Errorf("outbox: %s → %s is not a transition", f, to)
		}
	}
	now := o.stamp()
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox transition: %w", err)
	}
	defer tx.Rollback()
	var have string
	err = tx.QueryRowContext(ctx, "SELECT state FROM messages WHERE id=?", id).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		return &TransitionError{ID: id, Target: to, NotFound: true}
	}
	if err != nil {
		return fmt.Errorf("outbox transition: %w", err)
	}
	ok := false
	for _, f := range from {
		ok = ok || State(have) == f
	}
	if !ok {
		return &TransitionError{ID: id, Have: State(have), Want: from, Target: to}
	}
	sets, args := u.sets(now)
	args = append([]any{string(to), now, now}, args...)
	args = append(args, id, have)
	if _, err := tx.ExecContext(ctx, "UPDATE messages SET state=?, updated_at=?, state_since=?"+sets+" WHERE id=? AND state=?", args...); err != nil {
		return fmt.Errorf("outbox transition: %w", err)
	}
	if err := addEvent(ctx, tx, id, now, State(have), to, detail); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox transition: %w", err)
	}
	return nil
}

// note writes u without a state change (attempt counters, last error, confirmations).
func (o *Outbox) note(ctx context.Context, id string, state State, u update) error {
	now := o.stamp()
	sets, args := u.sets(now)
	args = append([]any{now}, args...)
	args = append(args, id, string(state))
	_, err := o.db.ExecContext(ctx, "UPDATE messages SET updated_at=?"+sets+" WHERE id=? AND state=?", args...)
	if err != nil {
		return fmt.Errorf("outbox update: %w", err)
	}
	return nil
}

// requestSend records, in one statement, that owner is about to ask Graph to send
// message id: only while owner holds the unexpired lease name, the message is still
// sending, and no other request was recorded since prev (the send_requested_at the
// caller read). It renews the lease too. False: another engine holds the lease or got
// there first; the caller must not send.
func (o *Outbox) requestSend(ctx context.Context, name, owner, id string, prev time.Time, ttl time.Duration) (bool, error) {
	now := o.now().UTC()
	ok, err := o.acquireLease(ctx, name, owner, ttl)
	if err != nil || !ok {
		return false, err
	}
	res, err := o.db.ExecContext(ctx, `UPDATE messages SET send_requested_at=?, updated_at=?
		WHERE id=? AND state=? AND send_requested_at=?
		AND EXISTS (SELECT 1 FROM leases WHERE name=? AND owner=? AND expires_at >= ?)`,
		stampOf(now), stampOf(now), id, string(StateSending), stampOf(prev), name, owner, stampOf(now))
	if err != nil {
		return false, fmt.Errorf("outbox update: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox update: %w", err)
	}
	return n == 1, nil
}

// acquireLease takes or renews the named lease for owner until ttl from now; false when
// another owner holds an unexpired lease.
func (o *Outbox) acquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := o.now().UTC()
	res, err := o.db.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?,?,?)
		ON CONFLICT(name) DO UPDATE SET owner=excluded.owner, expires_at=excluded.expires_at
		WHERE leases.owner=excluded.owner OR leases.expires_at < ?`,
		name, owner, stampOf(now.Add(ttl)), stampOf(now))
	if err != nil {
		return false, fmt.Errorf("outbox lease: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox lease: %w", err)
	}
	return n == 1, nil
}

func (o *Outbox) releaseLease(ctx context.Context, name, owner string) error {
	_, err := o.db.ExecContext(ctx, "DELETE FROM leases WHERE name=? AND owner=?", name, owner)
	return err
}
