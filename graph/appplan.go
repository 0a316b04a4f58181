package graph

import (
	"fmt"
	"strings"
	"time"
)

// CredentialKind is how a created app proves who it is.
type CredentialKind string

// Credential kinds of a created app.
const (
	// CredentialCertificate: a certificate generated on this machine; the private key
	// never leaves it (preferred for application permissions).
	CredentialCertificate CredentialKind = "certificate"
	// CredentialSecret: a client secret with an end date.
	CredentialSecret CredentialKind = "secret"
	// CredentialNone: a public client (delegated mode signs in with PKCE, no secret).
	CredentialNone CredentialKind = "none"
)

// DefaultCredentialLifetime is the lifetime of a created secret or certificate (12
// months), and MaxCredentialLifetime the longest we offer (Microsoft recommends less
// than 12 months for secrets; the portal offers up to 24).
// https://learn.microsoft.com/en-us/entra/identity-platform/how-to-add-credentials
const (
	DefaultCredentialLifetime = 365 * 24 * time.Hour
	MaxCredentialLifetime     = 2 * 365 * 24 * time.Hour
)

// DefaultAppName is the display name of a created app registration.
const DefaultAppName = "m365connect"

// PlannedPermission is one Microsoft Graph permission the created app will hold.
type PlannedPermission struct {
	Name   string // e.g. "Mail.Read"
	Kind   string // "application" or "delegated"
	Reason string // why the chosen mode needs it, in plain words
}

// AppPlan is exactly what "Create it for me" will create, shown before anything is.
type AppPlan struct {
	DisplayName  string
	Mode         Mode
	RedirectURIs []string // delegated: the loopback redirect of the sign-in
	Permissions  []PlannedPermission
	Credential   CredentialKind
	Lifetime     time.Duration // of the secret or certificate
}

// modePermissions is the one seam where the permissions of a mode come from: the
// permissions table (ModePermissions, with each permission's reason).
func modePermissions(mode Mode, f Features) []Grant { return ModePermissions(mode, f) }

// PlanApp builds the plan for a mode: name (DefaultAppName if empty), redirect URI,
// the mode's permissions with reasons, credential kind and lifetime (default 12 months,
// capped at MaxCredentialLifetime).
func PlanApp(name string, mode Mode, f Features, lifetime time.Duration) AppPlan {
	if strings.TrimSpace(name) == "" {
		name = DefaultAppName
	}
	if lifetime <= 0 {
		lifetime = DefaultCredentialLifetime
	}
	lifetime = min(lifetime, MaxCredentialLifetime)
	p := AppPlan{DisplayName: strings.TrimSpace(name), Mode: mode, Lifetime: lifetime}
	kind := "application"
	switch mode {
	case ModeSecret:
		p.Credential = CredentialSecret
	case ModeCertificate:
		p.Credential = CredentialCertificate
	default:
		kind = "delegated"
		p.Credential = CredentialNone
		p.Lifetime = 0
		// Loopback redirect: the port is ignored when matching.
		// https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
		p.RedirectURIs = []string{"http://localhost"}
	}
	for _, g := range modePermissions(mode, f) {
		p.Permissions = append(p.Permissions, PlannedPermission{Name: g.Permission, Kind: kind, Reason: g.Reason})
	}
	return p
}

// Summary renders the plan as lines for the confirmation screen and the CLI.
func (p AppPlan) Summary() []string {
	out := []string{"App registration: " + p.DisplayName}
	for _, u := range p.RedirectURIs {
		out = append(out, "Redirect URI (mobile and desktop): "+u)
	}
	for _, perm := range p.Permissions {
		out = append(out, fmt.Sprintf("Microsoft Graph %s permission %s: %s", perm.Kind, perm.Name, perm.Reason))
	}
	switch p.Credential {
	case CredentialCertificate:
		out = append(out, fmt.Sprintf("Credential: a certificate made on this computer, valid %d days; its private key goes to this computer's keyring", int(p.Lifetime.Hours()/24)))
	case CredentialSecret:
		out = append(out, fmt.Sprintf("Credential: a client secret valid %d days, kept in this computer's keyring", int(p.Lifetime.Hours()/24)))
	default:
		out = append(out, "Credential: none (the mailbox account signs in; no secret to keep)")
	}
	out = append(out, "Admin consent: granted now for these permissions only")
	return out
}
