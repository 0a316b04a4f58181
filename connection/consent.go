package connection

import (
	"context"
	"fmt"
	"slices"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The consent step's intents for the values being entered: check the tenant, then the
// delegated sign-in (the service account signs in once; its refresh token is kept) or
// the admin-consent page; and, when the administrator is elsewhere, the hand-off message
// and the check of the address they send back.
//
// Admin consent: https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent
// Authorization code flow: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow

// Consent is one run of the consent step, read from the wizard's state by NewConsent
// (on the goroutine that owns the state) and run off it: its methods block on the
// network and the person.
type Consent struct {
	cloud                graph.Cloud
	tenant, client, hint string
	mode                 string
	permissions          []string
}

// NewConsent reads what a consent run needs from st: the cloud (its practice hosts
// included), tenant, app, access mode, the requested permissions and, for a delegated
// sign-in, the service account as the login hint.
func NewConsent(st *wizard.State) (*Consent, error) {
	cl, err := CloudFor(st.Cloud, st.Practice)
	if err != nil {
		return nil, err
	}
	return &Consent{cloud: cl, tenant: st.TenantID, client: st.ClientID, hint: st.ServiceAccount, mode: st.Mode,
		permissions: slices.Clone(st.Permissions)}, nil
}

// Delegated reports whether this run is a delegated sign-in (else admin consent).
func (c *Consent) Delegated() bool { return c.mode == wizard.ModeDelegated }

// Tenant is the tenant as typed, for messages.
func (c *Consent) Tenant() string { return c.tenant }

// CheckTenant looks the tenant up in the chosen cloud (its OpenID configuration), so a
// typo is reported before the browser opens, never on Microsoft's page (AADSTS90002)
// while the window waits in vain.
func (c *Consent) CheckTenant(ctx context.Context) graph.CheckResult {
	return graph.ProbeTenant(ctx, c.cloud, c.tenant)
}

// SignedIn is a delegated sign-in's outcome.
type SignedIn struct {
	// Credential is the signed-in account's token source (refreshing itself).
	Credential *graph.DelegatedCredential
	// Account is who signed in (the token's upn).
	Account string
}

// SignIn signs the service account in with the app's delegated permissions (graph.SignIn,
// default wait 5 minutes) and reads who signed in from a first token. onRefreshToken
// receives the refresh token after sign-in and every rotation, for the keyring (never a
// file or a log).
func (c *Consent) SignIn(ctx context.Context, b Browser, onRefreshToken func(string)) (SignedIn, error) {
	so := b.signInOptions(c.cloud, c.tenant)
	so.ClientID, so.Permissions, so.LoginHint, so.OnRefreshToken = c.client, c.permissions, c.hint, onRefreshToken
	cred, err := graph.SignIn(ctx, so)
	if err != nil {
		return SignedIn{}, err
	}
	_, claims, err := graph.GetToken(ctx, c.cloud, cred)
	if err != nil {
		return SignedIn{}, fmt.Errorf("first token after sign-in: %w", err)
	}
	return SignedIn{Credential: cred, Account: claims.UPN}, nil
}

// AdminConsent opens Microsoft's admin-consent page for the app and waits for its answer
// on the loopback redirect (graph.RequestAdminConsent).
func (c *Consent) AdminConsent(ctx context.Context, b Browser) (graph.ConsentResult, error) {
	return graph.RequestAdminConsent(ctx, graph.ConsentOptions{Cloud: c.cloud, TenantID: c.tenant, ClientID: c.client,
		OpenBrowser: b.open(), OnURL: b.OnURL, OnBrowserError: b.OnBrowserError, Timeout: b.Timeout})
}

// ConsentHandoff prepares the message for an administrator who is not at this computer:
// the admin-consent address for st's app with a fresh state, to be approved elsewhere
// and the final address sent back (CheckHandoffReply).
func ConsentHandoff(st *wizard.State, appName string) (graph.Handoff, error) {
	cl, err := CloudFor(st.Cloud, st.Practice)
	if err != nil {
		return graph.Handoff{}, err
	}
	return graph.AdminHandoff(cl, st.TenantID, st.ClientID, appName, st.Permissions)
}

// CheckHandoffReply reads the address the administrator sent back for hand-off h: its
// state must be h's, and its tenant st's when st names the tenant by its id (a domain
// cannot be compared with the tenant id Microsoft answers with).
func CheckHandoffReply(st *wizard.State, h graph.Handoff, pasted string) (graph.ConsentResult, error) {
	tenant := ""
	if wizard.IsGUID(st.TenantID) {
		tenant = st.TenantID
	}
	return graph.ParseConsentRedirect(pasted, tenant, h.State)
}
