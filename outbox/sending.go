package outbox

// This file holds the two remote steps of a message: its draft (found again by its
// marker after a lost answer, else created) and the send of that draft, with the look at
// the draft that tells a sent message from an unsent one after a crash.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// startDraft applies the policy once more (it may have changed since enqueue) and
// records the intent to create the draft.
func (e *Engine) startDraft(ctx context.Context, m Message) (State, error) {
	if d := e.o.Policy().Check(m.From, append(append([]string(nil), m.To...), m.Cc...)); !d.Allowed {
		reason := "policy changed before sending: " + d.Reason
		return StateRejected, e.o.transition(ctx, m.ID, []State{StateApproved}, StateRejected, reason, update{reason: &reason})
	}
	if err := e.o.transition(ctx, m.ID, []State{StateApproved}, StateDrafting, "creating draft", update{}); err != nil {
		return m.State, err
	}
	e.opts.Hook(StepDraftingRecorded)
	return StateDrafting, nil
}

// draft creates the draft, unless a crash left one behind: the Drafts folder is searched
// for our internetMessageId first.
func (e *Engine) draft(ctx context.Context, m Message) (State, error) {
	var found []Remote
	err := e.retry(ctx, "find draft", func() (err error) {
		found, err = e.opts.Graph.FindByInternetMessageID(ctx, m.From, "drafts", m.InternetMessageID)
		return err
	})
	if err != nil {
		return e.outcome(ctx, m, "looking for the draft", err)
	}
	for _, r := range found {
		if r.IsDraft {
			e.opts.Logf("outbox: %s: adopting draft left by an earlier run", m.ID)
			return e.recordDraft(ctx, m, r, "adopted existing draft")
		}
	}
	var r Remote
	var adopted bool
	tries := 0
	err = e.withLease(ctx, func() error {
		return e.retry(ctx, "create draft", func() (err error) {
			if tries++; tries > 1 {
				// The failed attempt may have created the draft (only its answer was lost):
				// look for it by its marker before creating another.
				found, err := e.opts.Graph.FindByInternetMessageID(ctx, m.From, "drafts", m.InternetMessageID)
				if err != nil {
					return err
				}
				for _, f := range found {
					if f.IsDraft {
						r, adopted = f, true
						return nil
					}
				}
			}
			r, err = e.opts.Graph.CreateDraft(ctx, Draft{
				Mailbox: m.From, To: m.To, Cc: m.Cc, Subject: m.Subject, Body: m.Body, BodyType: m.BodyType,
				InternetMessageID: m.InternetMessageID, ReplyTo: m.ReplyTo, Marker: m.ID,
			})
			return err
		})
	})
	if err != nil {
		// A transient failure may still have created the draft: the next pass finds it by
		// its internetMessageId before creating another.
		return e.outcome(ctx, m, "creating the draft", err)
	}
	if adopted {
		e.opts.Logf("outbox: %s: the draft of a failed attempt was there; adopting it", m.ID)
		return e.recordDraft(ctx, m, r, "adopted the draft of a failed attempt")
	}
	e.opts.Hook(StepDraftCreated)
	if r.InternetMessageID != "" && r.InternetMessageID != m.InternetMessageID {
		reason := fmt.Sprintf("Graph did not keep the internetMessageId set on the draft (got %s); not sending without a stable id", r.InternetMessageID)
		return StateFailed, e.fail(ctx, m, reason, GraphFailure{})
	}
	return e.recordDraft(ctx, m, r, "draft created")
}

func (e *Engine) recordDraft(ctx context.Context, m Message, r Remote, detail string) (State, error) {
	if err := e.o.transition(ctx, m.ID, []State{StateDrafting}, StateDrafted, detail+" "+r.ID,
		update{draftID: &r.ID, conversationID: &r.ConversationID}); err != nil {
		return m.State, err
	}
	e.opts.Hook(StepDraftedRecorded)
	return StateDrafted, nil
}

// startSend records the intent to send. From here on the engine never sends without
// first seeing the draft still unsent.
func (e *Engine) startSend(ctx context.Context, m Message) (State, error) {
	if err := e.o.transition(ctx, m.ID, []State{StateDrafted}, StateSending, "sending draft", update{}); err != nil {
		return m.State, err
	}
	e.opts.Hook(StepSendingRecorded)
	return StateSending, nil
}

// send checks what Graph knows and sends only a draft it has just seen unsent.
func (e *Engine) send(ctx context.Context, m Message) (State, error) {
	for attempt := 1; ; attempt++ {
		st, unsent, draftID, err := e.inspect(ctx, m)
		if err != nil || st != StateSending {
			return st, err
		}
		if !unsent {
			return e.unconfirmed(ctx, m)
		}
		if m, err = e.o.Get(ctx, m.ID); err != nil {
			return StateSending, err
		}
		if !m.SendRequestedAt.IsZero() {
			// A send was asked for before (this run or one that crashed) and the draft
			// still reads isDraft: Exchange answers 202 and submits afterwards, so it may
			// be on its way. Never send it again while that can be; a draft still
			// unsent in Drafts after UnconfirmedAfter was never submitted.
			if waited := e.o.now().Sub(m.SendRequestedAt); waited < e.opts.UnconfirmedAfter {
				msg := "send requested; the draft still reads as a draft while Exchange submits it; waiting"
				_ = e.o.note(ctx, m.ID, StateSending, update{message: &msg})
				return StateSending, nil
			}
			e.opts.Logf("outbox: %s: the draft was still unsent %s after the send was requested; sending it again", m.ID, e.opts.UnconfirmedAfter)
		}
		// Right before the call: this engine must still hold the lease (it may have been
		// suspended past it while another engine took over), and the request is recorded
		// first so that a crash after a 202 is never followed by a second send.
		if ok, err := e.o.requestSend(ctx, "sender", e.opts.Owner, m.ID, m.SendRequestedAt, e.opts.LeaseTTL); err != nil || !ok {
			if err == nil {
				err = ErrBusy
			}
			return StateSending, err
		}
		e.opts.Hook(StepSendRequested)
		err = e.withLease(ctx, func() error { return e.opts.Graph.SendDraft(ctx, m.From, draftID) })
		if err == nil {
			e.opts.Hook(StepSendAccepted)
			if err := e.o.transition(ctx, m.ID, []State{StateSending}, StateSent, "Graph accepted the send (202)",
				update{sentAt: true}); err != nil {
				return m.State, err
			}
			e.opts.Hook(StepSentRecorded)
			return StateSent, nil
		}
		var answered statusErr
		if errors.As(err, &answered) {
			// Graph answered with an error status (429, 503, 4xx): the send was not
			// accepted. Without an answer (timeout, reset) it may have been: the mark stays.
			if err := e.o.note(ctx, m.ID, StateSending, update{sendRefused: true}); err != nil {
				return StateSending, err
			}
		}
		kind, ra, f := Classify(err)
		switch kind {
		case KindPermanent:
			return StateFailed, e.fail(ctx, m, "sending the draft: "+describe(f, err), f)
		case KindNotFound:
			// The draft went away under us: inspect again (it may have been sent).
		case KindThrottled, KindTransient:
			if attempt >= e.opts.MaxAttempts {
				return e.outcome(ctx, m, "sending the draft", err)
			}
			d := Backoff(attempt, ra, e.opts.BaseBackoff, e.opts.MaxBackoff, e.opts.Jitter())
			e.opts.Logf("outbox: send %s: %v; checking and retrying in %s", m.ID, err, d.Round(time.Millisecond))
			if err := e.opts.Sleep(ctx, d); err != nil {
				return m.State, err
			}
		default:
			return e.outcome(ctx, m, "sending the draft", err)
		}
		if attempt >= e.opts.MaxAttempts {
			return m.State, nil
		}
	}
}

// inspect asks Graph where the message is. It returns StateSent when the copy is in
// Sent Items (or the draft is no longer a draft), unsent=true with the draft id when an
// unsent draft exists, and unsent=false when neither can be found.
func (e *Engine) inspect(ctx context.Context, m Message) (st State, unsent bool, draftID string, err error) {
	var r Remote
	gerr := e.retry(ctx, "read draft", func() (err error) {
		r, err = e.opts.Graph.GetMessage(ctx, m.From, m.DraftID)
		return err
	})
	if gerr == nil {
		if r.IsDraft {
			return StateSending, true, m.DraftID, nil
		}
		// Per Microsoft, the draft's immutable id is the Sent Items copy's id after send:
		// https://learn.microsoft.com/en-us/graph/outlook-immutable-id#immutable-id-with-sending-mail
		return e.markSent(ctx, m, "the draft's id now names a sent message")
	}
	if kind, _, _ := Classify(gerr); kind != KindNotFound {
		st, err := e.outcome(ctx, m, "reading the draft", gerr)
		return st, false, "", err
	}
	var sent []Remote
	if err := e.retry(ctx, "find sent copy", func() (err error) {
		sent, err = e.opts.Graph.FindByInternetMessageID(ctx, m.From, "sentitems", m.InternetMessageID)
		return err
	}); err != nil {
		st, err := e.outcome(ctx, m, "looking in Sent Items", err)
		return st, false, "", err
	}
	if len(sent) > 0 {
		return e.markSent(ctx, m, "found in Sent Items")
	}
	var drafts []Remote
	if err := e.retry(ctx, "find draft", func() (err error) {
		drafts, err = e.opts.Graph.FindByInternetMessageID(ctx, m.From, "drafts", m.InternetMessageID)
		return err
	}); err != nil {
		st, err := e.outcome(ctx, m, "looking in Drafts", err)
		return st, false, "", err
	}
	for _, d := range drafts {
		if d.IsDraft {
			id := d.ID
			if err := e.o.note(ctx, m.ID, StateSending, update{draftID: &id}); err != nil {
				return m.State, false, "", err
			}
			return StateSending, true, id, nil
		}
	}
	return StateSending, false, "", nil
}

func (e *Engine) markSent(ctx context.Context, m Message, detail string) (State, bool, string, error) {
	err := e.o.transition(ctx, m.ID, []State{StateSending}, StateSent, detail, update{sentAt: true, sentConfirmed: true})
	if err == nil {
		e.opts.Hook(StepSentRecorded)
	}
	return StateSent, false, "", err
}

// unconfirmed handles a draft that is gone with no copy in Sent Items. The send may be in
// flight (Microsoft: the Sent Items copy can take a while), or someone deleted the draft.
// It is never sent again: after UnconfirmedAfter it fails with the reason on record.
func (e *Engine) unconfirmed(ctx context.Context, m Message) (State, error) {
	if e.o.now().Sub(m.StateSince) < e.opts.UnconfirmedAfter {
		msg := "draft gone and no copy in Sent Items yet; waiting for Exchange before deciding"
		_ = e.o.note(ctx, m.ID, StateSending, update{message: &msg})
		return StateSending, nil
	}
	reason := fmt.Sprintf("the draft disappeared after sending was requested and no copy reached Sent Items within %s; "+
		"not sending again to avoid a duplicate — check the mailbox's Sent Items for %s", e.opts.UnconfirmedAfter, m.InternetMessageID)
	return StateFailed, e.fail(ctx, m, reason, GraphFailure{})
}
