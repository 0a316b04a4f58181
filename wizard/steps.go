package wizard

import (
	"errors"
	"fmt"
)

// StepID names a wizard step.
type StepID string

// The wizard's steps, in order.
const (
	StepEnvironment     StepID = "environment"
	StepPrerequisites   StepID = "prerequisites"
	StepAppRegistration StepID = "app-registration"
	StepConsent         StepID = "consent"
	StepMailboxes       StepID = "mailboxes"
	StepVerify          StepID = "verify"
	StepSave            StepID = "save"
)

// Step is one screen of the wizard.
type Step struct {
	ID    StepID
	Title string
	// Summary is one line shown under the title: what this step achieves.
	Summary string
}

// Steps returns the wizard's steps in order.
func Steps() []Step {
	return []Step{
		{StepEnvironment, "Environment", "Choose where the mailboxes live: Microsoft 365, a national cloud, or the practice tenant."},
		{StepPrerequisites, "Prerequisites", "Who must take part, what the connection will do, and which access mode fits."},
		{StepAppRegistration, "App registration", "The tenant, the app's client ID and its secret or certificate."},
		{StepConsent, "Consent", "An administrator approves the app's permissions in the browser."},
		{StepMailboxes, "Mailboxes", "Pick the user and shared mailboxes to connect."},
		{StepVerify, "Verify", "Prove the connection works: permissions, read, send, scoping."},
		{StepSave, "Save & sync", "Keep the secrets safe, export the verified config, start syncing."},
	}
}

// StepSummary is the line under a step's title for the chosen access mode: with
// delegated access the service account signs in at the Consent step, and an
// administrator takes part only where the organisation requires it.
func StepSummary(s Step, mode string) string {
	if s.ID == StepConsent && mode == ModeDelegated {
		return "The service account signs in once in the browser and approves the app's delegated permissions."
	}
	return s.Summary
}

// Approver is the one sentence, used wherever the wizard says who must approve the
// app's permissions for the chosen access mode. From "Grant tenant-wide admin consent
// to an application", Prerequisites: a Privileged Role Administrator can grant consent
// for any permission of any API; a Cloud Application Administrator or Application
// Administrator for any permission except Microsoft Graph app roles (application
// permissions). https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent#prerequisites
// A Global Administrator holds every permission of those roles.
func Approver(mode string) string {
	if mode == ModeDelegated {
		return "The service account approves its own delegated permissions when it signs in, unless the organisation requires an administrator: then a Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator grants admin consent for the organisation."
	}
	return "A Global Administrator or Privileged Role Administrator must grant admin consent: only they can approve application permissions to Microsoft Graph for the whole organisation (a Cloud Application or Application Administrator cannot)."
}

// ErrLastStep is returned by Next on the last step.
var ErrLastStep = errors.New("already at the last step")

// Gate says whether a step's values are complete: nil lets the wizard advance past it,
// an error explains (in words for the user, naming the field) what is still missing.
type Gate func(StepID) error

// Flow is the position in the wizard. Going back never discards anything: the values
// live in the caller's state, not in the flow, and the flow only moves the cursor.
type Flow struct {
	steps   []Step
	current int
	gate    Gate
}

// NewFlow starts a flow at the first step. A nil gate lets every step advance.
func NewFlow(gate Gate) *Flow {
	if gate == nil {
		gate = func(StepID) error { return nil }
	}
	return &Flow{steps: Steps(), gate: gate}
}

// Steps returns the steps in order.
func (f *Flow) Steps() []Step { return append([]Step(nil), f.steps...) }

// Index is the position of the current step, from 0.
func (f *Flow) Index() int { return f.current }

// Current is the step being shown.
func (f *Flow) Current() Step { return f.steps[f.current] }

// IsFirst reports whether Back is impossible.
func (f *Flow) IsFirst() bool { return f.current == 0 }

// IsLast reports whether Next is impossible.
func (f *Flow) IsLast() bool { return f.current == len(f.steps)-1 }

// CanNext is nil when the current step is complete and not the last one.
func (f *Flow) CanNext() error {
	if f.IsLast() {
		return ErrLastStep
	}
	return f.gate(f.Current().ID)
}

// Next moves to the following step if the current one is complete.
func (f *Flow) Next() error {
	if err := f.CanNext(); err != nil {
		return err
	}
	f.current++
	return nil
}

// Back moves to the previous step; it reports false on the first step.
func (f *Flow) Back() bool {
	if f.IsFirst() {
		return false
	}
	f.current--
	return true
}

// GoTo jumps to a step: always allowed backwards, and forwards only while every step
// passed on the way is complete (so a link from Verify back to App registration works,
// and a click on a later step in the list cannot skip an incomplete one).
func (f *Flow) GoTo(id StepID) error {
	target := -1
	for i, s := range f.steps {
		if s.ID == id {
			target = i
		}
	}
	if target < 0 {
		return fmt.Errorf("unknown step %q", id)
	}
	for i := f.current; i < target; i++ {
		if err := f.gate(f.steps[i].ID); err != nil {
			return fmt.Errorf("%s is not complete: %w", f.steps[i].Title, err)
		}
	}
	f.current = target
	return nil
}
