package emulator

import (
	"crypto/rsa"
	"slices"
	"strings"
	"sync"
	"time"
)

// FaultKind names an identity-side failure the practice tenant can be told to produce.
type FaultKind string

// Identity faults. Each is answered with the documented status, error and AADSTS code
// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
const (
	// FaultInvalidSecret: token requests authenticated with a client secret fail with
	// 401 invalid_client AADSTS7000215.
	FaultInvalidSecret FaultKind = "invalid_secret"
	// FaultExpiredSecret: 401 invalid_client AADSTS7000222.
	FaultExpiredSecret FaultKind = "expired_secret"
	// FaultAppNotFound: the app is not in the tenant, 400 unauthorized_client AADSTS700016
	// (token endpoint) and an error redirect from the browser endpoints.
	FaultAppNotFound FaultKind = "app_not_found"
	// FaultUnknownTenant: the tenant does not exist, 400 invalid_request AADSTS90002,
	// also from the OpenID discovery document.
	FaultUnknownTenant FaultKind = "unknown_tenant"
	// FaultConsentMissing: 400 invalid_grant AADSTS65001 from the token endpoint;
	// consent_required from a silent authorize.
	FaultConsentMissing FaultKind = "consent_missing"
	// FaultConsentDeclined: the signed-in user or admin presses Cancel: the browser is
	// redirected with error=access_denied AADSTS65004.
	FaultConsentDeclined FaultKind = "consent_declined"
	// FaultAdminApprovalRequired: the user cannot consent, AADSTS90094 (browser).
	FaultAdminApprovalRequired FaultKind = "admin_approval_required"
	// FaultUserNotAssigned: AADSTS50105 (browser and delegated token grants).
	FaultUserNotAssigned FaultKind = "user_not_assigned"
	// FaultConditionalAccess: AADSTS53003 from the token endpoint (every grant) and the
	// browser endpoints.
	FaultConditionalAccess FaultKind = "conditional_access"
	// FaultRedirectMismatch: the authorize and admin consent endpoints treat every
	// redirect URI as unregistered, AADSTS50011 (an error page, no redirect).
	FaultRedirectMismatch FaultKind = "redirect_mismatch"
	// FaultPersonalAccount: the person signs in with a personal Microsoft account,
	// AADSTS50020 (browser redirect with error).
	FaultPersonalAccount FaultKind = "personal_account"
)

// Fault is one switched-on identity fault.
type Fault struct {
	Kind FaultKind
	// ClientID limits the fault to one app; "" means every app.
	ClientID string
	// Count is how many requests fail before the fault switches itself off; 0 = until cleared.
	Count int
}

// User is a person who can sign in to the practice tenant (a user mailbox).
type User struct {
	ID          string
	Address     string
	DisplayName string
	// Admin marks a Global Administrator, who may grant tenant-wide admin consent.
	Admin bool
}

// Identity is the identity side's state and control API: apps, consent, faults,
// revocation and the simulated browser session. All methods are safe for concurrent use.
type Identity struct {
	mu  sync.Mutex
	dir *directory
	now func() time.Time
	// users lists the people who can sign in (from the mail store's user mailboxes).
	users func() []User

	signingKey *rsa.PrivateKey
	signingKid string
	signingDER []byte

	faults      []*Fault
	autoSignIn  string                    // user id/address "signed in" for test automation ("" = none)
	userConsent map[string]bool           // clientID+"|"+userID → consented delegated
	codes       map[string]*authCode      // by code
	refresh     map[string]*refreshGrant  // by refresh token
	issued      map[string]*issuedToken   // access tokens by uti
	revokedSeq  map[string]uint64         // clientID → tokens with seq <= this are revoked
	userRevoked map[string]uint64         // userID → tokens with seq <= this are revoked
	pending     map[string]*pendingPrompt // browser prompts waiting for Accept/Cancel
	seq         uint64
}

// authCode is an issued, not yet redeemed (or already redeemed) authorization code.
type authCode struct {
	clientID      string
	userID        string
	redirectURI   string
	scopes        []string // as requested (normalised)
	challenge     string
	nonce         string
	expires       time.Time
	redeemed      bool
	seq           uint64
	requestedOIDC bool
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	clientID string
	userID   string
	scopes   []string
	seq      uint64
	expires  time.Time
}

// issuedToken records an access token so it can be revoked.
type issuedToken struct {
	clientID string
	userID   string
	seq      uint64
	expires  time.Time
}

// TenantID returns the practice tenant's id (a GUID stable for a seed).
func (id *Identity) TenantID() string { return id.dir.tenantID }

// TenantDomain returns the practice tenant's initial domain.
func (id *Identity) TenantDomain() string { return id.dir.domain }

// Apps returns the registered apps (shared pointers; treat as read-only).
func (id *Identity) Apps() []*App {
	id.dir.appsMu.RLock()
	defer id.dir.appsMu.RUnlock()
	return slices.Clone(id.dir.apps)
}

// App returns the app with the given name (one of the App*Name constants) or client id.
func (id *Identity) App(nameOrClientID string) *App {
	id.dir.appsMu.RLock()
	defer id.dir.appsMu.RUnlock()
	for _, a := range id.dir.apps {
		if a.Name == nameOrClientID || strings.EqualFold(a.ClientID, nameOrClientID) {
			return a
		}
	}
	return nil
}

// Users returns the people who can sign in.
func (id *Identity) Users() []User { return id.users() }

// InjectFault switches a fault on.
func (id *Identity) InjectFault(f Fault) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.faults = append(id.faults, &f)
}

// ClearFaults switches every identity fault off.
func (id *Identity) ClearFaults() {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.faults = nil
}

// SetAdminConsent grants or withdraws tenant-wide admin consent for an app.
func (id *Identity) SetAdminConsent(clientID string, granted bool) {
	id.mu.Lock()
	defer id.mu.Unlock()
	if a := id.dir.appByID(clientID); a != nil {
		a.consented = granted
	}
}

// AdminConsented reports whether the app has tenant-wide admin consent.
func (id *Identity) AdminConsented(clientID string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	a := id.dir.appByID(clientID)
	return a != nil && a.consented
}

// SetAutoSignIn simulates a browser in which user (id or address) is signed in and
// presses Accept: authorize and admin consent requests then redirect at once, without
// showing a page. "" switches back to the interactive pages.
func (id *Identity) SetAutoSignIn(user string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.autoSignIn = user
}

// RevokeTokens revokes every access and refresh token issued so far to an app (as
// revoking sessions / disabling the app does). New tokens can still be requested.
func (id *Identity) RevokeTokens(clientID string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.revokedSeq[strings.ToLower(clientID)] = id.seq
}

// RevokeUserSessions revokes every token issued so far for a user (revokeSignInSessions).
func (id *Identity) RevokeUserSessions(userID string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.userRevoked[userID] = id.seq
}

// nextSeq returns a new issue sequence number. Caller holds mu.
func (id *Identity) nextSeq() uint64 {
	id.seq++
	return id.seq
}

// revoked reports whether a grant issued at seq for client/user has been revoked.
// Caller holds mu.
func (id *Identity) revoked(clientID, userID string, seq uint64) bool {
	if s, ok := id.revokedSeq[strings.ToLower(clientID)]; ok && seq <= s {
		return true
	}
	if userID != "" {
		if s, ok := id.userRevoked[userID]; ok && seq <= s {
			return true
		}
	}
	return false
}

// faultScope says where a fault kind applies.
type faultScope struct{ token, browser, discovery, secretOnly, delegatedOnly bool }

// scopeOf returns where each fault kind applies.
func scopeOf(k FaultKind) faultScope {
	switch k {
	case FaultInvalidSecret, FaultExpiredSecret:
		return faultScope{token: true, secretOnly: true}
	case FaultAppNotFound, FaultConsentMissing, FaultConditionalAccess:
		return faultScope{token: true, browser: true}
	case FaultUnknownTenant:
		return faultScope{token: true, browser: true, discovery: true}
	case FaultUserNotAssigned:
		return faultScope{token: true, browser: true, delegatedOnly: true}
	case FaultConsentDeclined, FaultAdminApprovalRequired, FaultRedirectMismatch, FaultPersonalAccount:
		return faultScope{browser: true}
	}
	return faultScope{}
}

// stage is where a request is being handled, for fault matching.
type stage int

const (
	stageToken stage = iota
	stageBrowser
	stageDiscovery
)

// takeFault returns the first active fault matching the stage and app and uses one of
// its counts. clientID may be "" (discovery). usesSecret/delegated refine the match.
func (id *Identity) takeFault(st stage, clientID string, usesSecret, delegated bool) *Fault {
	id.mu.Lock()
	defer id.mu.Unlock()
	for i, f := range id.faults {
		where := scopeOf(f.Kind)
		switch st {
		case stageToken:
			if !where.token {
				continue
			}
		case stageBrowser:
			if !where.browser {
				continue
			}
		case stageDiscovery:
			if !where.discovery {
				continue
			}
		}
		if where.secretOnly && !usesSecret {
			continue
		}
		if where.delegatedOnly && !delegated {
			continue
		}
		if f.ClientID != "" && clientID != "" && !strings.EqualFold(f.ClientID, clientID) {
			continue
		}
		got := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				id.faults = slices.Delete(id.faults, i, i+1)
			}
		}
		return &got
	}
	return nil
}

// findUser resolves a user by id or address (case-insensitive).
func (id *Identity) findUser(idOrAddress string) (User, bool) {
	for _, u := range id.users() {
		if strings.EqualFold(u.ID, idOrAddress) || strings.EqualFold(u.Address, idOrAddress) {
			return u, true
		}
	}
	return User{}, false
}

// resolveTenant maps the {tenant} path segment to the practice tenant. kind is
// "tenant" for the GUID or a domain of ours, "common"/"organizations"/"consumers" for
// the multi-tenant aliases; err is set for anything unknown.
func (id *Identity) resolveTenant(seg string) (kind string, err *stsError) {
	switch strings.ToLower(seg) {
	case "common", "organizations", "consumers":
		return strings.ToLower(seg), nil
	}
	if strings.EqualFold(seg, id.dir.tenantID) || strings.EqualFold(seg, id.dir.domain) {
		return "tenant", nil
	}
	if !isGUID(seg) && !strings.Contains(seg, ".") {
		return "", new(errInvalidTenantName(seg))
	}
	return "", new(errUnknownTenant(seg))
}
