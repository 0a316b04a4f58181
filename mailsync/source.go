package mailsync

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Message is one message as the engine stores it. Every field has a standard Go type so
// that graph.MailSourceMessage, which has the same field list, converts to it directly.
type Message struct {
	ID                string   // Graph id (immutable when the source sends Prefer: IdType="ImmutableId")
	Removed           string   // non-empty for an "@removed" entry: the reason ("deleted", "changed")
	InternetMessageID string   // RFC 5322 Message-ID
	ConversationID    string   // Graph conversationId
	FromName          string   // from.emailAddress.name
	FromAddress       string   // from.emailAddress.address
	To                []string // toRecipients as RFC 5322 mailboxes ("Name <addr>")
	Cc                []string // ccRecipients, same form
	Subject           string   // subject
	BodyPreview       string   // bodyPreview
	BodyType          string   // body.contentType ("text" or "html"); empty when no body was asked for
	Body              string   // body.content; empty when no body was asked for
	ReceivedDateTime  time.Time
	IsRead            bool
	FlagStatus        string // flag.flagStatus: notFlagged, flagged, complete
}

// PageRequest asks a Source for one delta page of one folder, or — with Before set — one
// page of the gap fill's plain message list. graph.MailSourceRequest has the same field
// list.
type PageRequest struct {
	Mailbox     string    // user id or UPN
	Folder      string    // folder id or well-known name (inbox, sentitems, ...)
	Link        string    // nextLink or deltaLink to follow; empty starts a new round (or list)
	WindowStart time.Time // with an empty Link: only messages received at or after this
	PageSize    int       // Prefer: odata.maxpagesize (delta) or $top (list)
	Body        string    // BodyPreview, BodyText or BodyHTML
	// Before, when non-zero, asks for a list page instead of delta: GET
	// .../mailFolders/{folder}/messages with $filter=receivedDateTime ge WindowStart and
	// receivedDateTime lt Before, $orderby=receivedDateTime desc, $top=PageSize and
	// Prefer: IdType="ImmutableId" (Link, when set, is that list's nextLink). The engine
	// uses it to fill what a filtered delta round leaves out beyond Graph's 5,000-message
	// cap (https://learn.microsoft.com/en-us/graph/delta-query-messages). Such a page has
	// a NextLink, or no link at all on the last page; never a DeltaLink.
	Before time.Time
}

// Page is one delta page: messages (and removals) plus exactly one of NextLink or
// DeltaLink. A list page (PageRequest.Before) has a NextLink or, when it is the last, no
// link.
type Page struct {
	Messages  []Message
	NextLink  string
	DeltaLink string
}

// Source fetches delta pages and, for the gap fill, list pages (PageRequest.Before). It
// must not retry on its own: the engine owns retries and
// throttling. Errors should expose HTTPStatus() int, GraphCode() string and, for 429/503,
// RetryAfter() (time.Duration, bool), see [Classify].
type Source interface {
	DeltaPage(ctx context.Context, req PageRequest) (Page, error)
}

// FolderCounter is optionally implemented by a Source to give an estimated total for
// progress reporting: the messages received at or after since (the sync window), or the
// whole folder when since is zero.
type FolderCounter interface {
	FolderTotal(ctx context.Context, mailbox, folder string, since time.Time) (int64, error)
}

// SourceFunc adapts a function to [Source].
type SourceFunc func(ctx context.Context, req PageRequest) (Page, error)

// DeltaPage calls f.
func (f SourceFunc) DeltaPage(ctx context.Context, req PageRequest) (Page, error) {
	return f(ctx, req)
}

// ErrorKind is how the engine reacts to a Source error.
type ErrorKind int

// The kinds of Source errors.
const (
	// KindTransient: network trouble or a 5xx without Retry-After: back off and retry.
	KindTransient ErrorKind = iota
	// KindThrottled: 429 or 503 (with or without Retry-After): wait, then retry.
	KindThrottled
	// KindUnauthorized: 401: the token was refused (expired or revoked).
	KindUnauthorized
	// KindSyncReset: the delta/next link is no longer valid (410 Gone, syncStateNotFound):
	// start the folder's round again.
	KindSyncReset
	// KindFatal: 400/403/404 and the like: the mailbox cannot be synced as configured.
	KindFatal
	// KindCanceled: the context ended.
	KindCanceled
)

// Behaviour interfaces a Source's errors implement; declared here so mailsync needs no
// import of the package that produces them.
type (
	statusErr     interface{ HTTPStatus() int }
	codeErr       interface{ GraphCode() string }
	retryAfterErr interface {
		RetryAfter() (time.Duration, bool)
	}
	// syncResetErr: the source refused a stored or returned link (e.g. one on another
	// host than Graph's): drop the links and start the folder's round again.
	syncResetErr interface{ SyncReset() bool }
)

// Classify maps a Source error to an [ErrorKind] and the server's Retry-After (0 when not
// given). Graph's codes: 429 TooManyRequests / 503 ServiceUnavailable carry Retry-After
// (https://learn.microsoft.com/en-us/graph/throttling); an expired delta token answers
// 410 Gone or code syncStateNotFound / resyncRequired
// (https://learn.microsoft.com/en-us/graph/delta-query-overview,
// https://learn.microsoft.com/en-us/answers/questions/649481/http-410-status-error-on-syncing-contacts).
func Classify(err error) (ErrorKind, time.Duration) {
	if err == nil {
		return KindTransient, 0
	}
	if errors.Is(err, context.Canceled) {
		return KindCanceled, 0
	}
	var ra time.Duration
	var r retryAfterErr
	if errors.As(err, &r) {
		if d, ok := r.RetryAfter(); ok {
			ra = d
		}
	}
	var sr syncResetErr
	if errors.As(err, &sr) && sr.SyncReset() {
		return KindSyncReset, 0
	}
	code := ""
	var c codeErr
	if errors.As(err, &c) {
		code = c.GraphCode()
	}
	switch code {
	case "syncStateNotFound", "resyncRequired", "SyncStateNotFound", "ErrorSyncStateNotFound", "SyncStateInvalid":
		return KindSyncReset, 0
	}
	var s statusErr
	if !errors.As(err, &s) {
		return KindTransient, ra
	}
	switch st := s.HTTPStatus(); {
	case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
		return KindThrottled, ra
	case st == http.StatusUnauthorized:
		return KindUnauthorized, 0
	case st == http.StatusGone:
		return KindSyncReset, 0
	case st >= 500:
		return KindTransient, ra
	case st >= 400:
		return KindFatal, 0
	}
	return KindTransient, ra
}
