package outbox

// This file holds how a message's record changes: one state transition (checked
// against the states it may leave) with its event and fields, notes that keep the state,
// the send request recorded under the lease, and the engine's lease itself.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// update is the set of columns a transition writes besides the state.
type update struct {
	draftID, conversationID *string
	reason, message         *string
	failure                 *GraphFailure // all of Graph's fields (code, message, status, request id, advice)
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
	if f := u.failure; f != nil {
		add("error_code", f.Code)
		add("error_message", f.Message)
		add("error_status", f.Status)
		add("error_request_id", f.RequestID)
		add("error_advice", f.Advice)
	} else if u.message != nil {
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
