package outbox

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Draft is what the engine asks Graph to create in the sender's Drafts folder.
// (graph.OutboxDraft is this type.)
type Draft struct {
	Mailbox           string // sender's address (the /users/{id} segment)
	To, Cc            []string
	Subject           string // "" keeps Graph's reply subject
	Body              string
	BodyType          string // "text" or "html"
	InternetMessageID string // our stable <uuid@domain>
	ReplyTo           string // message id to reply to (createReply), or ""
	Marker            string // value of the x-m365connect-id internet message header
}

// Remote is a message as Graph returns it (graph.OutboxMessage is this type).
type Remote struct {
	ID                string // immutable id (the client sends Prefer: IdType="ImmutableId")
	InternetMessageID string
	ConversationID    string
	ParentFolderID    string
	IsDraft           bool
	Subject           string
	FromAddress       string
	BodyPreview       string
	SentDateTime      time.Time
	ReceivedDateTime  time.Time
}

// Graph is what the outbox needs from Microsoft Graph; graph.OutboxClient satisfies it
// directly (graph checks so at compile time). Implementations must
// not retry on their own: the engine owns retries and backoff.
//
// Errors should expose HTTPStatus() int, GraphCode() string, GraphMessage() string and,
// for 429/503, RetryAfter() (time.Duration, bool); see [Classify]. GraphRequestID() string
// and AdviceKey() string, when present, are kept on a failed message's record.
type Graph interface {
	// CreateDraft creates the draft (POST /users/{m}/messages, or
	// POST /users/{m}/messages/{replyTo}/createReply then PATCH) and returns it.
	CreateDraft(ctx context.Context, d Draft) (Remote, error)
	// SendDraft sends a draft (POST /users/{m}/messages/{id}/send, 202).
	SendDraft(ctx context.Context, mailbox, id string) error
	// GetMessage reads a message by id; a missing one is an error with HTTPStatus 404.
	GetMessage(ctx context.Context, mailbox, id string) (Remote, error)
	// FindByInternetMessageID lists the messages of a folder (well-known name such as
	// "drafts", "sentitems") whose internetMessageId equals imid.
	FindByInternetMessageID(ctx context.Context, mailbox, folder, imid string) ([]Remote, error)
	// ListConversation lists a folder's messages of one conversation (bounce detection).
	ListConversation(ctx context.Context, mailbox, folder, conversationID string) ([]Remote, error)
}

// Error behaviours a Graph implementation's errors expose; declared here so the outbox
// needs no import of the package that produces them.
type (
	statusErr     interface{ HTTPStatus() int }
	codeErr       interface{ GraphCode() string }
	messageErr    interface{ GraphMessage() string }
	retryAfterErr interface {
		RetryAfter() (time.Duration, bool)
	}
	requestIDErr interface{ GraphRequestID() string }
	adviceErr    interface{ AdviceKey() string }
)

// ErrorKind is how the engine reacts to a Graph error.
type ErrorKind int

// The kinds of Graph errors.
const (
	// KindTransient: network trouble, a timeout or a 5xx: back off and retry.
	KindTransient ErrorKind = iota
	// KindThrottled: 429 or 503: wait (at least Retry-After), then retry.
	KindThrottled
	// KindUnauthorized: 401: the token was refused; the pass stops, messages keep their state.
	KindUnauthorized
	// KindNotFound: 404 for an item (ErrorItemNotFound): the draft or message is gone.
	KindNotFound
	// KindPermanent: any other 4xx (ErrorSendAsDenied, ErrorAccessDenied, ErrorInvalidUser,
	// ErrorInvalidRecipients...): the message fails with Graph's code and message.
	KindPermanent
	// KindCanceled: the context ended.
	KindCanceled
)

// GraphFailure is Graph's side of an error, as a message's record keeps it: status,
// code, message, request id and the key of its advice (for graph's client, an entry of
// graph.LookupAdvice), so that a front end renders advice from fields, never from text.
type GraphFailure struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	Advice    string
}

// Classify maps a Graph error to an ErrorKind, the server's Retry-After (0 when not
// given) and Graph's status/code/message. Throttling answers 429 (and 503) with
// Retry-After: https://learn.microsoft.com/en-us/graph/throttling ; error body and codes:
// https://learn.microsoft.com/en-us/graph/errors . A 404 whose code names the mailbox
// (ErrorInvalidUser, MailboxNotEnabledForRESTAPI) is permanent, not a missing item.
func Classify(err error) (ErrorKind, time.Duration, GraphFailure) {
	var f GraphFailure
	if err == nil {
		return KindTransient, 0, f
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// A deadline on one HTTP call is transient; the engine checks its own ctx first.
		if errors.Is(err, context.Canceled) {
			return KindCanceled, 0, f
		}
		return KindTransient, 0, f
	}
	var ra time.Duration
	var r retryAfterErr
	if errors.As(err, &r) {
		if d, ok := r.RetryAfter(); ok {
			ra = d
		}
	}
	var c codeErr
	if errors.As(err, &c) {
		f.Code = c.GraphCode()
	}
	var m messageErr
	if errors.As(err, &m) {
		f.Message = m.GraphMessage()
	}
	var q requestIDErr
	if errors.As(err, &q) {
		f.RequestID = q.GraphRequestID()
	}
	var a adviceErr
	if errors.As(err, &a) {
		f.Advice = a.AdviceKey()
	}
	var s statusErr
	if !errors.As(err, &s) {
		return KindTransient, ra, f
	}
	f.Status = s.HTTPStatus()
	switch st := f.Status; {
	case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
		return KindThrottled, ra, f
	case st == http.StatusUnauthorized:
		return KindUnauthorized, 0, f
	case st == http.StatusNotFound && (f.Code == "" || f.Code == "ErrorItemNotFound" || f.Code == "ResourceNotFound"):
		return KindNotFound, 0, f
	case st == http.StatusRequestTimeout || st >= 500:
		return KindTransient, ra, f
	case st >= 400:
		return KindPermanent, 0, f
	}
	return KindTransient, ra, f
}
