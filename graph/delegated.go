package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/oauth2"
)

// SignInOptions configure a delegated sign-in (authorization code + PKCE).
// Protocol: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
type SignInOptions struct {
	Cloud    Cloud
	TenantID string // tenant ID or domain; "organizations" is allowed for sign-in
	ClientID string
	// Permissions are delegated Graph permission names (Mail.Read, ...);
	// offline_access, openid and profile are always added.
	Permissions []string
	LoginHint   string
	// OpenBrowser opens the sign-in page; default DefaultOpenBrowser. It is
	// called on its own goroutine.
	OpenBrowser func(url string) error
	// OnURL, if set, receives the sign-in URL before the browser is opened,
	// so the UI can show it with a Copy button.
	OnURL func(url string)
	// OnBrowserError, if set, hears that the browser could not be opened
	// (ErrBrowserUnavailable); the flow keeps waiting for a manual open.
	OnBrowserError func(error)
	// OnRefreshToken receives the refresh token after sign-in and every
	// rotation, for the keyring. Never write it to a file or log.
	OnRefreshToken func(refreshToken string)
	// Timeout bounds the wait for the browser; default 5 minutes.
	Timeout time.Duration
	// OnPasteBack, if set, receives a function that takes the address the browser was
	// redirected to, pasted from its address bar, for when the redirect cannot reach
	// this machine's listener (remote session, kiosk). The function answers at once: nil
	// when the flow took it, ErrNotRedirect for text that is not this sign-in's
	// redirect (the flow keeps waiting), ErrStateMismatch (the flow ends). It is called
	// before the browser is opened and must not be used after SignIn returns.
	OnPasteBack func(paste func(redirectedURL string) error)
}

// delegatedScopes returns the scope list sent to the identity platform.
func delegatedScopes(perms []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range append(append([]string{}, perms...), "offline_access", "openid", "profile") {
		if p != "" && !seen[strings.ToLower(p)] {
			seen[strings.ToLower(p)] = true
			out = append(out, p)
		}
	}
	return out
}

func oauthConfig(c Cloud, tenant, clientID, redirect string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    clientID,
		RedirectURL: redirect,
		Scopes:      scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.browserEndpoint(tenant, "/oauth2/v2.0/authorize"),
			TokenURL:  c.endpoint(tenant, "/oauth2/v2.0/token"),
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// SignIn runs the delegated sign-in: it listens on 127.0.0.1, opens the
// system browser at the authorize endpoint with PKCE S256 and a random
// state, receives the code on the loopback listener, redeems it and returns
// a credential for Graph. Sentinel errors: ErrTimeout, ErrCancelled,
// ErrStateMismatch, ErrPortUnavailable; an error redirect is an *Error (Identity set).
func SignIn(ctx context.Context, o SignInOptions) (*DelegatedCredential, error) {
	if strings.TrimSpace(o.TenantID) == "" || strings.EqualFold(o.TenantID, "common") || strings.EqualFold(o.TenantID, "consumers") {
		return nil, ErrCommonTenant
	}
	state := newState()
	lb, err := listenLoopback(state, "Signed in. You can close this tab and return to m365connect.")
	if err != nil {
		return nil, err
	}
	defer lb.Close()

	scopes := delegatedScopes(o.Permissions)
	conf := oauthConfig(o.Cloud, o.TenantID, o.ClientID, lb.RedirectURI(), scopes)
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("response_mode", "query")}
	if o.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", o.LoginHint))
	}
	authURL := conf.AuthCodeURL(state, opts...)
	if err := CheckBrowserURL(o.Cloud, authURL); err != nil {
		return nil, err
	}
	if o.OnURL != nil {
		o.OnURL(authURL)
	}
	if o.OnPasteBack != nil {
		o.OnPasteBack(lb.acceptPasted)
	}
	if err := openBrowser(ctx, o.OpenBrowser, authURL); err != nil && o.OnBrowserError != nil {
		o.OnBrowserError(err)
	}
	q, err := lb.wait(ctx, o.Timeout)
	if err != nil {
		return nil, err
	}
	if e := q.Get("error"); e != "" {
		return nil, identityError(0, e, q.Get("error_description"), nil)
	}
	code := q.Get("code")
	if code == "" {
		return nil, identityError(0, "invalid_request", "the answer carried no authorization code", nil)
	}
	xctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	xctx = context.WithValue(xctx, oauth2.HTTPClient, o.Cloud.HTTPClient())
	tok, err := conf.Exchange(xctx, code, oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("scope", strings.Join(scopes, " ")))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, identityError(statusOf(re.Response), re.ErrorCode, re.ErrorDescription, nil)
		}
		return nil, fmt.Errorf("redeeming the authorization code: %w", scrubURLError(err))
	}
	return signedIn(o.Cloud, o.TenantID, o.ClientID, o.Permissions, tok, o.OnRefreshToken), nil
}

// signedIn is the credential of a finished sign-in (browser or device code): it starts
// with the access token just obtained, and hands the refresh token to onRefresh.
func signedIn(cl Cloud, tenantID, clientID string, perms []string, tok *oauth2.Token, onRefresh func(string)) *DelegatedCredential {
	cred := NewDelegatedCredential(cl, tenantID, clientID, perms, tok.RefreshToken, onRefresh)
	cred.mu.Lock()
	cred.access = azcore.AccessToken{Token: tok.AccessToken, ExpiresOn: tok.Expiry}
	cred.mu.Unlock()
	if tok.RefreshToken != "" && onRefresh != nil {
		onRefresh(tok.RefreshToken)
	}
	return cred
}

// scrubURLError drops the URL (which may carry query parameters) from a
// *url.Error, keeping the operation and cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// DelegatedCredential is an azcore.TokenCredential for a signed-in account.
// It refreshes with the refresh token (sending the scopes, as the v2 docs
// ask) and reports every rotated refresh token to onRotate.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
type DelegatedCredential struct {
	cloud    Cloud
	tenant   string
	clientID string
	scopes   []string
	onRotate func(string)

	mu      sync.Mutex
	refresh string
	access  azcore.AccessToken
}

var _ azcore.TokenCredential = (*DelegatedCredential)(nil)

// NewDelegatedCredential builds a credential from a saved refresh token.
// permissions are the delegated permission names (as for SignIn).
func NewDelegatedCredential(c Cloud, tenantID, clientID string, permissions []string, refreshToken string, onRotate func(string)) *DelegatedCredential {
	return &DelegatedCredential{cloud: c, tenant: tenantID, clientID: clientID,
		scopes: delegatedScopes(permissions), refresh: refreshToken, onRotate: onRotate}
}

// HasRefreshToken reports whether a refresh token is held.
func (d *DelegatedCredential) HasRefreshToken() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refresh != ""
}

// GetToken returns a cached access token or refreshes one. The requested
// scopes are ignored: the credential always asks for its own delegated scopes.
func (d *DelegatedCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.access.Token != "" && time.Until(d.access.ExpiresOn) > 2*time.Minute {
		return d.access, nil
	}
	if d.refresh == "" {
		return azcore.AccessToken{}, ErrNoRefreshToken
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	form := url.Values{
		"client_id":     {d.clientID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {d.refresh},
		"scope":         {strings.Join(d.scopes, " ")},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cloud.endpoint(d.tenant, "/oauth2/v2.0/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("refresh request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.cloud.HTTPClient().Do(req)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("refreshing the sign-in: %w", scrubURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("refreshing the sign-in: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if oe := parseIdentityErrorBody(resp.StatusCode, body); oe != nil {
			return azcore.AccessToken{}, oe
		}
		return azcore.AccessToken{}, &Error{Op: "token request", Status: resp.StatusCode, Identity: true}
	}
	var t struct {
		AccessToken  string      `json:"access_token"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return azcore.AccessToken{}, errors.New("refreshing the sign-in: the token response had no access token")
	}
	secs, _ := t.ExpiresIn.Int64()
	if secs <= 0 {
		secs = 3600
	}
	d.access = azcore.AccessToken{Token: t.AccessToken, ExpiresOn: time.Now().Add(time.Duration(secs) * time.Second)}
	if t.RefreshToken != "" && t.RefreshToken != d.refresh {
		d.refresh = t.RefreshToken
		if d.onRotate != nil {
			d.onRotate(t.RefreshToken)
		}
	}
	return d.access, nil
}
