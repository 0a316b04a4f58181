package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ConsentOutcome is how an admin-consent attempt ended.
type ConsentOutcome string

// Consent outcomes.
const (
	ConsentGranted          ConsentOutcome = "granted"
	ConsentDeclined         ConsentOutcome = "declined"
	ConsentApprovalRequired ConsentOutcome = "approval-required"
	ConsentWrongTenant      ConsentOutcome = "wrong-tenant"
	ConsentFailed           ConsentOutcome = "failed"
)

// ConsentResult reports an admin-consent answer.
// Response shapes: https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent#successful-response
type ConsentResult struct {
	Outcome     ConsentOutcome
	Tenant      string // tenant that granted (tenant=...)
	Scope       string // scope=... on success
	ErrorCode   string // error=... on failure
	Description string // error_description (first line)
	Advice      *Advice
}

// ConsentOptions configure RequestAdminConsent.
type ConsentOptions struct {
	Cloud    Cloud
	TenantID string // a tenant ID or domain; never "common"
	ClientID string
	// Scopes to consent to; empty means the static "{resource}/.default"
	// (every permission configured on the app registration).
	Scopes         []string
	OpenBrowser    func(url string) error
	OnURL          func(url string)
	OnBrowserError func(error)
	Timeout        time.Duration
}

// AdminConsentURL builds /{tenant}/v2.0/adminconsent on the browser host.
// tenant "common"/"consumers"/"organizations" is refused (ErrCommonTenant).
func AdminConsentURL(c Cloud, tenant, clientID, redirectURI, state string, scopes []string) (string, error) {
	if err := checkTenant(tenant); err != nil {
		return "", err
	}
	if len(scopes) == 0 {
		scopes = []string{c.DefaultScope()}
	}
	q := url.Values{
		"client_id":    {clientID},
		"scope":        {strings.Join(scopes, " ")},
		"redirect_uri": {redirectURI},
	}
	if state != "" {
		q.Set("state", state)
	}
	u := c.browserEndpoint(tenant, "/v2.0/adminconsent") + "?" + q.Encode()
	if err := CheckBrowserURL(c, u); err != nil {
		return "", err
	}
	return u, nil
}

// RequestAdminConsent opens the admin-consent page and waits on a loopback
// listener for the answer. When the browser cannot be opened the flow keeps
// waiting; OnURL has the link for the user to copy.
func RequestAdminConsent(ctx context.Context, o ConsentOptions) (ConsentResult, error) {
	if err := checkTenant(o.TenantID); err != nil {
		return ConsentResult{}, err
	}
	state := newState()
	lb, err := listenLoopback(state, "Thank you. The answer was passed to m365connect; you can close this tab.")
	if err != nil {
		return ConsentResult{}, err
	}
	defer lb.Close()
	u, err := AdminConsentURL(o.Cloud, o.TenantID, o.ClientID, lb.RedirectURI(), state, o.Scopes)
	if err != nil {
		return ConsentResult{}, err
	}
	if o.OnURL != nil {
		o.OnURL(u)
	}
	if err := openBrowser(ctx, o.OpenBrowser, u); err != nil && o.OnBrowserError != nil {
		o.OnBrowserError(err)
	}
	q, err := lb.wait(ctx, o.Timeout)
	if err != nil {
		return ConsentResult{}, err
	}
	return classifyConsent(q, o.TenantID), nil
}

// classifyConsent turns the redirect's query into a result.
func classifyConsent(q url.Values, wantTenant string) ConsentResult {
	r := ConsentResult{Tenant: q.Get("tenant"), Scope: q.Get("scope"), ErrorCode: q.Get("error"), Description: firstLine(q.Get("error_description"))}
	if r.ErrorCode == "" && strings.EqualFold(q.Get("admin_consent"), "true") {
		if isGUID(wantTenant) && r.Tenant != "" && !strings.EqualFold(r.Tenant, wantTenant) {
			r.Outcome = ConsentWrongTenant
			a := adviceCode("tenant_mismatch", "consent came from tenant "+r.Tenant)
			r.Advice = &a
			return r
		}
		r.Outcome = ConsentGranted
		return r
	}
	if r.ErrorCode == "" {
		r.ErrorCode = "invalid_response"
	}
	ie := identityError(0, r.ErrorCode, q.Get("error_description"), nil)
	a := ie.Advice()
	r.Advice = &a
	switch code := ie.AADSTS; {
	case code == "AADSTS50020" || code == "AADSTS90072" || code == "AADSTS700016" || code == "AADSTS90002":
		r.Outcome = ConsentWrongTenant
	case code == "AADSTS90094" || code == "AADSTS65001" || code == "AADSTS90099" || code == "AADSTS90008":
		r.Outcome = ConsentApprovalRequired
	case code == "AADSTS65004" || (code == "" && (r.ErrorCode == "access_denied" || r.ErrorCode == "permission_denied" || r.ErrorCode == "consent_required")):
		r.Outcome = ConsentDeclined
		if code == "" {
			a := adviceCode("consent_declined", r.ErrorCode+": "+r.Description)
			r.Advice = &a
		}
	default:
		r.Outcome = ConsentFailed
	}
	return r
}

// Handoff is what the wizard gives an admin who is not at this computer.
type Handoff struct {
	URL     string // admin-consent link
	State   string // expected back in the pasted URL
	Message string // short plain-text message for the admin
}

// HandoffRedirectURI is the redirect used for hand-offs: nothing listens
// there, the admin's browser shows an error page, and the admin copies that
// page's address back to the user.
const HandoffRedirectURI = "http://localhost"

// AdminHandoff produces the consent link and a message for an administrator.
func AdminHandoff(c Cloud, tenant, clientID, appName string, permissions []string) (Handoff, error) {
	state := newState()
	u, err := AdminConsentURL(c, tenant, clientID, HandoffRedirectURI, state, nil)
	if err != nil {
		return Handoff{}, err
	}
	if appName == "" {
		appName = DefaultAppName
	}
	msg := fmt.Sprintf(`Hello,

please approve the app "%s" (Application ID %s) for our Microsoft 365 tenant.
It needs these Microsoft Graph permissions: %s.

1. Open this link and sign in as a Global Administrator or Privileged Role Administrator:
%s

2. Review the permissions and choose Accept.
3. Your browser then shows a "can't reach this page" error for localhost. That is expected.
   Copy the full address from the address bar and send it back to me.

Thank you.
`, appName, clientID, strings.Join(permissions, ", "), u)
	return Handoff{URL: u, State: state, Message: msg}, nil
}

// ParseConsentRedirect reads the final redirect URL an admin pasted back.
// expectedState, if set, must match; expectedTenant (a GUID) is compared
// with the granting tenant.
func ParseConsentRedirect(pasted, expectedTenant, expectedState string) (ConsentResult, error) {
	u, err := url.Parse(strings.TrimSpace(pasted))
	if err != nil || u.RawQuery == "" {
		return ConsentResult{}, errors.New("that does not look like the address the browser showed after consent")
	}
	q := u.Query()
	if q.Get("admin_consent") == "" && q.Get("error") == "" {
		return ConsentResult{}, errors.New("the address carries no consent answer (admin_consent or error)")
	}
	if expectedState != "" && q.Get("state") != expectedState {
		return ConsentResult{}, ErrStateMismatch
	}
	return classifyConsent(q, expectedTenant), nil
}
