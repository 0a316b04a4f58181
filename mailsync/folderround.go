package mailsync

// This file holds one delta round of one folder: backfill or incremental pages fetched,
// a gap fill where Graph's delta cap cut the first round short, each page stored and the
// folder's status updated.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// folderRound runs one delta round of a folder: from scratch (backfill) when it has no
// links, else from the stored nextLink (a round cut short) or deltaLink (incremental).
//
// Every way out with an error leaves the folder failed or idle, never "syncing": a store
// call that fails (or sees the context cancelled because another folder's 403 stopped
// the mailbox) returns through the deferred folderStopped like a failed fetch does.
func (e *Engine) folderRound(ctx context.Context, r *mailboxRun, folder string) (err error) {
	mb := r.mb.ID
	defer func() {
		var stopped *folderStop
		if err != nil && !errors.As(err, &stopped) {
			e.folderStopped(mb, folder, err)
		}
	}()
	st, err := e.store.Folder(ctx, mb, folder)
	if err != nil {
		return err
	}
	count, err := e.store.CountMessages(ctx, mb, folder)
	if err != nil {
		return err
	}
	if e.opts.EstimateTotal {
		if err := e.estimateTotal(ctx, r, folder, &st); err != nil {
			return err
		}
	}
	prog := roundProgress{mailbox: mb, folder: folder, start: e.opts.Now(), count: count}
	e.update(mb, folder, func(_ *MailboxStatus, fs *FolderStatus) {
		fs.Phase, fs.State, fs.Messages, fs.Total, fs.Rate = st.Phase, StateSyncing, count, st.Total, 0
		fs.LastError, fs.Failure = failure(nil)
	})
	if st.NextLink == "" && st.DeltaLink == "" {
		if st, err = e.store.StartFullRound(ctx, mb, folder, e.windowStart()); err != nil {
			return err
		}
		e.logf(mb, folder, "info", "round-start", "full round from "+st.WindowStart.Format(time.RFC3339))
	}
	resets := 0
	for {
		req := PageRequest{Mailbox: mb, Folder: folder, Link: st.NextLink, WindowStart: st.WindowStart, PageSize: e.opts.PageSize, Body: e.opts.Body}
		if req.Link == "" {
			req.Link = st.DeltaLink
		}
		gap := !st.GapBefore.IsZero()
		if gap {
			// The delta pages of this round may have been cut at Graph's cap: list the
			// older rest of the window (see PageRequest.Before).
			req.Link, req.Before = st.GapLink, st.GapBefore
		}
		page, err := e.fetch(ctx, r, folder, req, st.Phase != PhaseIncremental)
		if err == nil && gap && page.DeltaLink != "" {
			// A Source that ignores Before answered with delta: storing that would lose the
			// gap silently.
			return e.folderFailed(mb, folder, errors.New("the mail source answered a list request (PageRequest.Before) with a delta page; it must support list pages"))
		}
		if err != nil {
			if kind, _ := Classify(err); kind == KindSyncReset && resets < 2 {
				// The token expired: start again from the window; upserts by immutable id
				// and the generation sweep at the end keep it free of duplicates.
				resets++
				e.logf(mb, folder, "warn", "resync", err.Error())
				if st, err = e.store.StartFullRound(ctx, mb, folder, e.windowStart()); err != nil {
					return err
				}
				e.update(mb, folder, func(_ *MailboxStatus, fs *FolderStatus) { fs.Phase = st.Phase })
				continue
			}
			return e.folderFailed(mb, folder, err)
		}
		if st, err = e.applyPage(ctx, st, page, &prog); err != nil {
			return fmt.Errorf("folder %s: %w", folder, err)
		}
		if st.roundDone() {
			return nil
		}
	}
}

// roundProgress is what a folder round has done so far, for its status line.
type roundProgress struct {
	mailbox string
	folder  string
	start   time.Time
	fetched int64 // messages fetched this round
	count   int64 // messages the folder holds in the store
}

// estimateTotal asks the source for the folder's message count in the window it holds
// (one request, when the source can count), for progress.
func (e *Engine) estimateTotal(ctx context.Context, r *mailboxRun, folder string, st *FolderState) error {
	fc, ok := e.src.(FolderCounter)
	if !ok {
		return nil
	}
	if err := e.acquire(ctx, r, false); err != nil {
		return err
	}
	since := st.WindowStart // the window this folder's store holds
	if since.IsZero() {
		since = e.windowStart()
	}
	total, err := fc.FolderTotal(ctx, r.mb.ID, folder, since)
	e.release(r, false)
	if err == nil {
		st.Total = total
		_ = e.store.SetTotal(ctx, r.mb.ID, folder, total)
	}
	return nil
}

// folderFailed marks the folder failed (idle when the sync was cancelled) and returns
// the error, named with the folder.
func (e *Engine) folderFailed(mb, folder string, err error) error {
	e.folderStopped(mb, folder, err)
	return &folderStop{folder: folder, err: err}
}

// folderStop is the error of a folder whose status folderFailed has already set.
type folderStop struct {
	folder string
	err    error
}

func (s *folderStop) Error() string { return fmt.Sprintf("folder %s: %v", s.folder, s.err) }
func (s *folderStop) Unwrap() error { return s.err }

// folderStopped records why a folder's round ended early: failed with the error, or idle
// when the sync was cancelled.
func (e *Engine) folderStopped(mb, folder string, err error) {
	e.update(mb, folder, func(_ *MailboxStatus, fs *FolderStatus) {
		if errors.Is(err, context.Canceled) {
			fs.State = StateIdle
			return
		}
		fs.State = StateError
		fs.LastError, fs.Failure = failure(err)
	})
}

// applyPage stores one page, logs the start of a gap fill and updates the folder's
// status (messages, pages, rate; done at the end of the round).
func (e *Engine) applyPage(ctx context.Context, st FolderState, page Page, prog *roundProgress) (FolderState, error) {
	mb, folder := prog.mailbox, prog.folder
	st.GapFillAt = int64(max(e.opts.DeltaCap, 0))
	prevPhase := st.Phase
	st, res, err := e.store.ApplyPage(ctx, st, page)
	if err != nil {
		return st, err
	}
	if st.Phase == PhaseGapFill && prevPhase != PhaseGapFill {
		e.logf(mb, folder, "info", "gap-fill", fmt.Sprintf("first round returned %d messages (Graph's filtered delta cap is %d): listing the rest of the window before %s",
			st.RoundCount, e.opts.DeltaCap, st.GapBefore.Format(time.RFC3339)))
	}
	prog.fetched += int64(len(page.Messages))
	prog.count += int64(res.Upserted) - int64(res.Removed) - int64(res.Swept)
	if res.Upserted > 0 || res.Removed > 0 || res.Swept > 0 {
		// Upserts may overwrite rows: recount exactly, cheaply, from the index.
		if n, err := e.store.CountMessages(ctx, mb, folder); err == nil {
			prog.count = n
		}
	}
	elapsed := e.opts.Now().Sub(prog.start).Seconds()
	e.update(mb, folder, func(_ *MailboxStatus, fs *FolderStatus) {
		fs.Phase, fs.Messages, fs.Pages, fs.Fetched = st.Phase, prog.count, fs.Pages+1, fs.Fetched+int64(len(page.Messages))
		fs.State = StateSyncing
		fs.LastError, fs.Failure = failure(nil)
		if elapsed > 0 {
			fs.Rate = float64(prog.fetched) / elapsed
		}
		if st.roundDone() {
			fs.State, fs.LastSync = StateDone, e.opts.Now()
		}
	})
	return st, nil
}

func (e *Engine) windowStart() time.Time {
	return e.opts.Now().Add(-time.Duration(e.opts.BackfillDays) * 24 * time.Hour)
}
