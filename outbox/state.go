package outbox

import (
	"fmt"
	"slices"
)

// State is where a message is in its life. The engine moves it only along the edges in
// [CanTransition], each move in one SQLite transaction together with its event record.
type State string

// The states. A message starts queued and ends sent, failed or rejected.
const (
	// StateQueued: accepted into the outbox; the policy has not been applied yet.
	StateQueued State = "queued"
	// StatePendingApproval: the policy requires a person to approve it.
	StatePendingApproval State = "pending_approval"
	// StateApproved: may leave; the engine will create its draft.
	StateApproved State = "approved"
	// StateDrafting: the engine is creating the draft in the mailbox (a crash here is
	// resolved by looking the draft up by its internetMessageId).
	StateDrafting State = "drafting"
	// StateDrafted: the draft exists in the mailbox's Drafts (DraftID); it was never sent.
	StateDrafted State = "drafted"
	// StateSending: the engine may have asked Graph to send the draft. Before any (re)send
	// the engine checks that the draft is still an unsent draft.
	StateSending State = "sending"
	// StateSent: Graph accepted the send (202) or the copy is in Sent Items.
	StateSent State = "sent"
	// StateFailed: it will not be sent (or bounced); Reason, ErrorCode and ErrorMessage say why.
	StateFailed State = "failed"
	// StateRejected: refused by the policy or by a person; Reason says why.
	StateRejected State = "rejected"
)

// States lists every state in life order.
func States() []State {
	return []State{StateQueued, StatePendingApproval, StateApproved, StateDrafting, StateDrafted,
		StateSending, StateSent, StateFailed, StateRejected}
}

// next is the state machine: the states s may move to.
func next(s State) []State {
	switch s {
	case StateQueued:
		return []State{StatePendingApproval, StateApproved, StateRejected}
	case StatePendingApproval:
		return []State{StateApproved, StateRejected}
	case StateApproved:
		return []State{StateDrafting, StateRejected, StateFailed}
	case StateDrafting:
		// drafting → sent: the draft was found already sent (someone sent it by hand).
		return []State{StateDrafted, StateSent, StateFailed}
	case StateDrafted:
		// drafted → drafting: the draft vanished before any send was asked for.
		return []State{StateSending, StateDrafting, StateSent, StateFailed}
	case StateSending:
		return []State{StateSent, StateFailed}
	case StateSent:
		// sent → failed: a non-delivery report came back for it.
		return []State{StateFailed}
	}
	return nil
}

// CanTransition reports whether a message may move from one state to another.
func CanTransition(from, to State) bool {
	return slices.Contains(next(from), to)
}

// Terminal reports whether no further sending work is done for s. (A sent message is
// still watched for a bounce for a while, see EngineOptions.BounceWindow.)
func (s State) Terminal() bool {
	return s == StateSent || s == StateFailed || s == StateRejected
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States(), s) }

// TransitionError is returned when a message is not in a state the move starts from
// (e.g. approving a message that was already sent).
type TransitionError struct {
	ID       string
	Have     State
	Want     []State
	Target   State
	NotFound bool
}

func (e *TransitionError) Error() string {
	if e.NotFound {
		return fmt.Sprintf("outbox message %s not found", e.ID)
	}
	return fmt.Sprintf("outbox message %s is %s; it must be %v to become %s", e.ID, e.Have, e.Want, e.Target)
}
