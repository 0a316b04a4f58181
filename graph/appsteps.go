package graph

// This file holds the progress of "Create it for me" and of rotation: the steps in
// order with their titles and states, and the objects created (reported on failure).

import (
	"time"
)

// Steps of "Create it for me", in order (AppStep.ID).
const (
	AppStepRoles       = "roles"
	AppStepLookup      = "lookup"
	AppStepApplication = "application"
	AppStepSP          = "service-principal"
	AppStepCredential  = "credential"
	AppStepGrant       = "grant"
	AppStepPropagation = "propagation"
	AppStepVerify      = "verify"
	AppStepCleanup     = "cleanup"
)

// AppStepTitle is the progress line of a step.
func AppStepTitle(id string) string {
	switch id {
	case AppStepRoles:
		return "Check your administrator role"
	case AppStepLookup:
		return "Look up Microsoft Graph's permissions"
	case AppStepApplication:
		return "Create the app registration"
	case AppStepSP:
		return "Create its service principal (enterprise application)"
	case AppStepCredential:
		return "Create its credential"
	case AppStepGrant:
		return "Grant the permissions (admin consent)"
	case AppStepPropagation:
		return "Wait until Microsoft knows the new app"
	case AppStepVerify:
		return "Verify the connection end to end"
	case AppStepCleanup:
		return "Remove what was created"
	}
	return id
}

// StepState is where a step is.
type StepState string

// Step states.
const (
	StepRunning StepState = "running"
	StepWaiting StepState = "waiting" // a retry is counting down (Remaining)
	StepDone    StepState = "done"
	StepFailed  StepState = "failed"
	StepSkipped StepState = "skipped"
)

// AppStep is one progress report.
type AppStep struct {
	ID, Title string
	State     StepState
	Detail    string        // plain words, never secrets
	Remaining time.Duration // StepWaiting: time left before the next attempt
	Attempt   int           // StepWaiting: the attempt that failed (1-based)
	Attempts  int           // StepWaiting: the most attempts that will be made
}

// CreatedObject is one thing created in the tenant.
type CreatedObject struct {
	Kind string // "application", "service principal", "client secret", "certificate", "app role assignment", "delegated permission grant"
	ID   string
	Name string
}
