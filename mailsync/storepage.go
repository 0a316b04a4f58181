package mailsync

// This file holds how one page reaches the SQLite store: messages upserted by immutable
// id, removals deleted, the folder's links moved on and, at the end of a full round, the
// rows it did not see again swept.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

const upsertSQL = `INSERT INTO messages(mailbox_id, id, folder_id, internet_message_id, conversation_id,
	from_name, from_address, to_json, cc_json, subject, body_preview, body_type, body, received_at,
	is_read, flag_status, sync_gen) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT(mailbox_id, id) DO UPDATE SET folder_id=excluded.folder_id,
	internet_message_id=excluded.internet_message_id, conversation_id=excluded.conversation_id,
	from_name=excluded.from_name, from_address=excluded.from_address, to_json=excluded.to_json,
	cc_json=excluded.cc_json, subject=excluded.subject, body_preview=excluded.body_preview,
	body_type=excluded.body_type, body=excluded.body, received_at=excluded.received_at,
	is_read=excluded.is_read, flag_status=excluded.flag_status, sync_gen=excluded.sync_gen`

// ApplyPage implements Store: in one transaction it writes the page's messages and
// removals, moves the folder's links on (advance) and, when the round ends, sweeps the
// rows a full round did not see again.
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
	next := st
	if err := writeMessages(ctx, tx, st, page, &next, &res); err != nil {
		return st, res, err
	}
	if finish := advance(st, &next, page); finish {
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

// writeMessages upserts the page's messages (with the round's generation) and deletes
// its removals from this folder, counting both in res; the delta pages of a full round
// also count into next.RoundCount and RoundOldest.
func writeMessages(ctx context.Context, tx *sql.Tx, st FolderState, page Page, next *FolderState, res *PageResult) error {
	up, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return fmt.Errorf("apply page: %w", err)
	}
	defer up.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM messages WHERE mailbox_id=? AND id=? AND folder_id=?`)
	if err != nil {
		return fmt.Errorf("apply page: %w", err)
	}
	defer del.Close()
	gap := !st.GapBefore.IsZero()
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
				return fmt.Errorf("apply removal: %w", err)
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
			return fmt.Errorf("store message: %w", err)
		}
		res.Upserted++
		if st.FullRound && !gap {
			next.RoundCount++
			if rt := m.ReceivedDateTime.UTC().Truncate(time.Second); next.RoundOldest.IsZero() || rt.Before(next.RoundOldest) {
				next.RoundOldest = rt
			}
		}
	}
	return nil
}

// advance moves the folder's links on after page: the gap fill's list link, the
// round's nextLink, or its deltaLink at the end of the delta pages — where a full round
// that reached the gap-fill threshold turns to the gap fill instead. It reports whether
// the round is finished.
func advance(st FolderState, next *FolderState, page Page) (finish bool) {
	switch {
	case !st.GapBefore.IsZero():
		// A list page of the gap fill: its nextLink continues the list; the deltaLink
		// stored when the delta pages ended stays.
		next.GapLink = page.NextLink
		return page.NextLink == ""
	case page.NextLink != "":
		next.NextLink, next.DeltaLink = page.NextLink, ""
		return false
	}
	next.NextLink, next.DeltaLink = "", page.DeltaLink
	if st.FullRound && st.GapFillAt > 0 && next.RoundCount >= st.GapFillAt && !next.RoundOldest.IsZero() {
		// The delta pages may have stopped at Graph's cap: list the rest of the
		// window, up to and including the oldest second seen (equal receivedDateTimes
		// may straddle the cut; upserts make the overlap harmless).
		next.Phase = PhaseGapFill
		next.GapBefore, next.GapLink = next.RoundOldest.Add(time.Second), ""
		return false
	}
	return true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
