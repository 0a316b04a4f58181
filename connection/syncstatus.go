package connection

import (
	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/mailsync"
)

// The sync's status as the Sync tab and `m365connect sync` render it: type aliases of
// package mailsync's plain data records (no behaviour, no store), so the screens read
// them without importing the engine.

// SyncStatus is a snapshot of a run's sync: every mailbox and folder (Event.Status).
type SyncStatus = mailsync.Status

// MailboxStatus is one mailbox of a SyncStatus.
type MailboxStatus = mailsync.MailboxStatus

// FolderStatus is one folder of a MailboxStatus.
type FolderStatus = mailsync.FolderStatus

// SyncState is a mailbox's or folder's state.
type SyncState = mailsync.State

// The sync states (mailsync.State*).
const (
	SyncIdle            = mailsync.StateIdle
	SyncSyncing         = mailsync.StateSyncing
	SyncThrottled       = mailsync.StateThrottled
	SyncDone            = mailsync.StateDone
	SyncReconnectNeeded = mailsync.StateReconnectNeeded
	SyncError           = mailsync.StateError
	SyncRemoved         = mailsync.StateRemoved
)

// SyncPhaseGapFill is the phase of a folder fetching what it missed while stopped.
const SyncPhaseGapFill = mailsync.PhaseGapFill

// DefaultPollInterval is how often a running sync looks for new mail once it is up to
// date, unless told otherwise.
const DefaultPollInterval = mailsync.DefaultPollInterval

// ErrStoreLocked means another process (another sync) has the local store open.
var ErrStoreLocked = mailsync.ErrStoreLocked

// DataDirOr is dir (created 0700 when missing) when set, else the app's data folder
// (DataDir): where the window keeps the local store and the outbox.
func DataDirOr(dir string) (string, error) {
	if dir == "" {
		return DataDir()
	}
	return dir, appdirs.Ensure(dir)
}
