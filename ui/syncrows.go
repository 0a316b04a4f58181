package ui

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
)

// This file draws the Sync tab's rows: one per mailbox and folder, a bar and a line of
// plain words. A failure's words come from its fields (the status's ErrorInfo) through
// connection.FailureText, the same words `m365connect sync` prints.

// syncRow is one mailbox × folder (under its mailbox's heading): the folder's name, a
// bar and a line of plain words.
type syncRow struct {
	mailbox string
	name    *widget.Label
	bar     *widget.ProgressBar
	inf     *widget.ProgressBarInfinite
	detail  *widget.Label
	box     *fyne.Container
}

func newSyncRow(mailbox, folder string) *syncRow {
	r := &syncRow{
		mailbox: mailbox,
		name:    widget.NewLabel(folder),
		bar:     widget.NewProgressBar(),
		inf:     widget.NewProgressBarInfinite(),
		detail:  widget.NewLabel(""),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.detail.Wrapping = fyne.TextWrapWord
	r.detail.SizeName = theme.SizeNameCaptionText
	r.bar.TextFormatter = func() string {
		return grouped(int64(r.bar.Value)) + " / " + grouped(int64(r.bar.Max))
	}
	r.inf.Hide()
	r.inf.Stop()
	bars := container.NewStack(r.bar, r.inf)
	name := container.NewGridWrap(fyne.NewSize(120, r.name.MinSize().Height), r.name)
	r.box = container.NewBorder(nil, nil, name, nil, container.NewVBox(bars, r.detail))
	return r
}

// set shows a folder's status. The bar counts stored messages against the engine's
// estimate (FolderStatus.Total); a finished folder's bar is full whatever the estimate
// said, and an unknown estimate shows a moving bar while syncing.
func (r *syncRow) set(mb conn.MailboxStatus, fs conn.FolderStatus) {
	active := fs.State == conn.SyncSyncing || fs.State == conn.SyncThrottled
	finished := fs.State == conn.SyncDone || (fs.State == conn.SyncIdle && !fs.LastSync.IsZero())
	switch {
	case fs.Total <= 0 && active:
		r.bar.Hide()
		r.inf.Show()
		r.inf.Start()
	default:
		r.inf.Stop()
		r.inf.Hide()
		total := float64(fs.Total)
		if total < float64(fs.Messages) || finished || total <= 0 {
			total = float64(max(fs.Messages, 1))
			if fs.Messages == 0 && !finished {
				total = 1
			}
		}
		r.bar.Max = total
		r.bar.Value = float64(fs.Messages)
		if finished && fs.Messages == 0 {
			r.bar.Max, r.bar.Value = 1, 0
		}
		r.bar.Show()
		r.bar.Refresh()
	}
	r.detail.SetText(folderText(mb, fs))
}

// folderText is the row's line: state, count, rate and, after a failure, what happened
// and the fix in plain words.
func folderText(mb conn.MailboxStatus, fs conn.FolderStatus) string {
	count := grouped(fs.Messages) + " messages"
	if fs.Messages == 1 {
		count = "1 message"
	}
	if mb.State == conn.SyncReconnectNeeded {
		return "Reconnect needed: " + mailboxFailure(mb, fs) + " Use Reset on the Connection tab, then verify and save again."
	}
	switch fs.State {
	case conn.SyncSyncing:
		s := "Syncing · " + grouped(fs.Messages)
		if fs.Total > 0 {
			s += " of about " + grouped(fs.Total) + " messages"
		} else {
			s += " messages so far"
		}
		if fs.Rate >= 1 {
			s += " · " + grouped(int64(fs.Rate)) + " messages/s"
		}
		if fs.Phase == conn.SyncPhaseGapFill {
			// https://learn.microsoft.com/en-us/graph/delta-query-messages: a filtered
			// delta round returns at most 5,000 messages; the rest is listed page by page.
			s += " · listing mail beyond Graph's 5,000-message delta limit"
		}
		return s
	case conn.SyncThrottled:
		// https://learn.microsoft.com/en-us/graph/throttling: wait for Retry-After.
		return "Waiting: " + conn.FailureText(fs.Failure, fs.LastError) + " · " + count + " so far"
	case conn.SyncDone:
		return "Up to date · " + count + checkedAt(fs.LastSync)
	case conn.SyncError:
		if fs.LastError == "" {
			return "Stopped: " + conn.FailureText(mb.Failure, mb.LastError)
		}
		return "Stopped: " + conn.FailureText(fs.Failure, fs.LastError)
	case conn.SyncRemoved:
		return "No longer synced; its " + count + " stay in the local store"
	}
	if mb.State == conn.SyncError {
		return "Stopped: " + conn.FailureText(mb.Failure, mb.LastError)
	}
	if !fs.LastSync.IsZero() {
		return "Up to date · " + count + checkedAt(fs.LastSync)
	}
	if fs.Messages > 0 {
		return "Waiting for its turn · " + count + " already stored"
	}
	return "Waiting for its turn"
}

func checkedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " · checked at " + t.Local().Format("15:04")
}

// mailboxFailure is the mailbox's failure in plain words, else its folder's.
func mailboxFailure(mb conn.MailboxStatus, fs conn.FolderStatus) string {
	if mb.LastError != "" {
		return conn.FailureText(mb.Failure, mb.LastError)
	}
	return conn.FailureText(fs.Failure, fs.LastError)
}

// mailboxName is the address when known, else the id.
func mailboxName(mb conn.MailboxStatus) string {
	if mb.Address != "" {
		return mb.Address
	}
	return mb.ID
}

// folderName shows Graph's well-known folder names as Outlook does
// (https://learn.microsoft.com/en-us/graph/api/resources/mailfolder).
func folderName(f string) string {
	switch strings.ToLower(f) {
	case "inbox":
		return "Inbox"
	case "sentitems":
		return "Sent Items"
	case "drafts":
		return "Drafts"
	case "deleteditems":
		return "Deleted Items"
	case "archive":
		return "Archive"
	case "junkemail":
		return "Junk Email"
	}
	return f
}

// grouped writes n with thousands separators (12,345).
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
