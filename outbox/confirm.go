package outbox

// This file holds the confirmation after sending: the Sent Items copy found by its
// immutable id, and a bounce looked for in the sender's inbox.

import (
	"context"
	"strings"
)

// watchSent confirms the Sent Items copy and looks for a bounce in the sender's Inbox
// during BounceWindow. A non-delivery report in the message's conversation fails it.
func (e *Engine) watchSent(ctx context.Context, m Message) (State, error) {
	if !m.SentConfirmed {
		var sent []Remote
		err := e.retry(ctx, "find sent copy", func() (err error) {
			sent, err = e.opts.Graph.FindByInternetMessageID(ctx, m.From, "sentitems", m.InternetMessageID)
			return err
		})
		if err == nil && len(sent) > 0 {
			_ = e.o.note(ctx, m.ID, StateSent, update{sentConfirmed: true})
			if m.ConversationID == "" {
				c := sent[0].ConversationID
				_ = e.o.note(ctx, m.ID, StateSent, update{conversationID: &c})
				m.ConversationID = c
			}
		} else if err != nil {
			if kind, _, _ := Classify(err); kind == KindUnauthorized || kind == KindCanceled {
				return e.outcome(ctx, m, "confirming the send", err)
			}
		}
	}
	if m.ConversationID != "" {
		var inbox []Remote
		err := e.retry(ctx, "look for bounces", func() (err error) {
			inbox, err = e.opts.Graph.ListConversation(ctx, m.From, "inbox", m.ConversationID)
			return err
		})
		if err == nil {
			for _, r := range inbox {
				if IsBounce(r) {
					reason := "non-delivery report received: " + strings.TrimSpace(r.Subject)
					if p := strings.TrimSpace(r.BodyPreview); p != "" {
						reason += " — " + truncate(p, 300)
					}
					return StateFailed, e.fail(ctx, m, reason, GraphFailure{Code: "NonDeliveryReport"})
				}
			}
		} else if kind, _, _ := Classify(err); kind == KindUnauthorized || kind == KindCanceled {
			return e.outcome(ctx, m, "looking for bounces", err)
		}
	}
	if e.o.now().Sub(m.SentAt) >= e.opts.BounceWindow {
		_ = e.o.note(ctx, m.ID, StateSent, update{bounceChecked: true})
		return StateSent, nil
	}
	return StateSent, nil
}

// IsBounce reports whether a message in the sender's Inbox is a non-delivery report:
// sent by the postmaster / Microsoft Exchange system address with an "Undeliverable:"
// subject, as Exchange Online's NDRs are:
// https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online
func IsBounce(r Remote) bool {
	from := strings.ToLower(r.FromAddress)
	system := strings.HasPrefix(from, "postmaster@") || strings.HasPrefix(from, "microsoftexchange") || strings.HasPrefix(from, "mailer-daemon@")
	subj := strings.ToLower(strings.TrimSpace(r.Subject))
	return system && (strings.HasPrefix(subj, "undeliverable:") || strings.HasPrefix(subj, "delivery has failed"))
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
