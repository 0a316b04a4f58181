package mailsync

import (
	"context"
	"errors"
	"time"
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
