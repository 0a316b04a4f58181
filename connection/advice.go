package connection

import (
	"strings"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
)

// Where a failure kept in a record becomes words: the sync engine's status records and
// the outbox's messages keep a failure's fields (its advice key among them), and the
// window and the command line both call these, so they say the same thing.

// AdviceByKey is the advice catalogue's entry for key (graph.LookupAdvice) in one
// paragraph, with the wait the server asked for; without a known key, the first line of
// text (Microsoft's words as the record kept them).
func AdviceByKey(key string, retryAfter time.Duration, text string) string {
	if a, ok := graph.LookupAdvice(key); ok && key != "unknown" {
		a.RetryAfter = retryAfter
		return AdviceText(a)
	}
	text, _, _ = strings.Cut(strings.TrimSpace(text), "\n")
	if text == "" {
		return "no details were given."
	}
	return text
}

// FailureText is a sync failure (a folder's or mailbox's LastError and its fields) in
// plain words.
func FailureText(f mailsync.ErrorInfo, text string) string {
	return AdviceByKey(f.Advice, f.RetryAfter, text)
}

// OutboxFailureText is why an outgoing message failed or waits, in plain words.
func OutboxFailureText(m outbox.Message) string {
	text := m.ErrorMessage
	if m.ErrorCode != "" {
		text = m.ErrorCode + ": " + text
	}
	return AdviceByKey(m.ErrorAdvice, 0, text)
}
