package outbox

// This file holds the messages in the outbox: a new one checked and queued (once per
// idempotency key), read back, listed with its history, approved or rejected.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

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
	Reason            string    `json:"reason,omitempty"`         // why it was rejected or failed
	ErrorCode         string    `json:"errorCode,omitempty"`      // Graph's error code, for failures reported by Graph
	ErrorMessage      string    `json:"errorMessage,omitempty"`   // Graph's error message
	ErrorStatus       int       `json:"errorStatus,omitempty"`    // Graph's HTTP status
	ErrorRequestID    string    `json:"errorRequestId,omitempty"` // Graph's request id, for a support case
	ErrorAdvice       string    `json:"errorAdvice,omitempty"`    // key of the failure's advice (graph.LookupAdvice)
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
	created_at, updated_at, state_since, sent_at, sent_confirmed, send_requested_at, error_status, error_request_id, error_advice`

type scanner interface{ Scan(dest ...any) error }

func scanMessage(r scanner) (Message, error) {
	var m Message
	var to, cc, created, updated, since, sent, state, requested string
	var confirmed int
	if err := r.Scan(&m.ID, &m.Key, &m.From, &to, &cc, &m.Subject, &m.Body, &m.BodyType, &m.ReplyTo,
		&m.InternetMessageID, &state, &m.DraftID, &m.ConversationID, &m.Reason, &m.ErrorCode, &m.ErrorMessage,
		&m.Attempts, &m.ApprovedBy, &created, &updated, &since, &sent, &confirmed, &requested, &m.ErrorStatus, &m.ErrorRequestID, &m.ErrorAdvice); err != nil {
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
