package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"golang.org/x/oauth2"
)

const delegatedScopes = "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/Mail.Send offline_access openid profile"

func oauthConfig(s *emulator.Server, app *emulator.App, redirect string) *oauth2.Config {
	tenant := s.Identity().TenantID()
	return &oauth2.Config{
		ClientID: app.ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.BrowserAuthorityHost() + tenant + "/oauth2/v2.0/authorize",
			TokenURL:  s.AuthorityHost() + tenant + "/oauth2/v2.0/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      strings.Fields(delegatedScopes),
	}
}

// signIn runs authorize → loopback callback and returns the callback's parameters.
func signIn(t *testing.T, cfg *oauth2.Config, cb *callback, state, verifier string, extra ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, extra...)
	code, body := browse(t, cfg.AuthCodeURL(state, opts...))
	if code != 200 {
		t.Fatalf("authorize ended with %d: %s", code, body)
	}
	return cb.wait(t)
}

func retrieveErr(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v, want *oauth2.RetrieveError", err, err)
	}
	return re.ErrorCode + " " + re.ErrorDescription
}

func TestAuthCodePKCEFlowWithOAuth2(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppDelegatedName)
	user := id.Users()[1]
	cb := newCallback(t)
	cfg := oauthConfig(s, app, cb.URL) // http://127.0.0.1:PORT/ matches registered http://localhost
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	verifier := oauth2.GenerateVerifier()
	got := signIn(t, cfg, cb, "st-1", verifier, oauth2.SetAuthURLParam("login_hint", user.Address), oauth2.SetAuthURLParam("prompt", "none"))
	if got.Get("state") != "st-1" || got.Get("code") == "" {
		t.Fatalf("callback = %v", got)
	}
	code := got.Get("code")

	// Wrong verifier: refused, code not consumed.
	_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if msg := retrieveErr(t, err); !strings.Contains(msg, "invalid_grant") || !strings.Contains(msg, "AADSTS50148") {
		t.Errorf("wrong verifier: %s", msg)
	}
	// Wrong redirect URI.
	bad := *cfg
	bad.RedirectURL = "http://localhost:1/other"
	_, err = bad.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if msg := retrieveErr(t, err); !strings.Contains(msg, "AADSTS50011") {
		t.Errorf("wrong redirect_uri: %s", msg)
	}

	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token although offline_access was requested")
	}
	c := claimsOf(t, tok.AccessToken)
	if c["scp"] != "Mail.Read Mail.Send" || c["upn"] != user.Address || c["oid"] != user.ID || c["idtyp"] != "user" || c["appid"] != app.ClientID {
		t.Errorf("access token claims = %v", c)
	}
	idt, _ := tok.Extra("id_token").(string)
	if ic := claimsOf(t, idt); ic["aud"] != app.ClientID || ic["preferred_username"] != user.Address ||
		ic["iss"] != s.AuthorityHost()+id.TenantID()+"/v2.0" {
		t.Errorf("id token claims = %v", ic)
	}

	// The code is single use.
	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if msg := retrieveErr(t, err); !strings.Contains(msg, "AADSTS54005") {
		t.Errorf("reused code: %s", msg)
	}

	// Refresh: works and hands out a new refresh token.
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &old).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not return a new access and refresh token")
	}
	if claimsOf(t, fresh.AccessToken)["scp"] != "Mail.Read Mail.Send" {
		t.Error("refreshed token lost its scopes")
	}

	// Delegated token works on Graph; revoking the user's sessions kills it and the refresh token.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.GraphBaseURL()+"/me/messages", nil)
	req.Header.Set("Authorization", "Bearer "+fresh.AccessToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		t.Fatalf("delegated token refused by Graph: %d", resp.StatusCode)
	}
	id.RevokeUserSessions(user.ID)
	old2 := *fresh
	old2.Expiry = time.Now().Add(-time.Minute)
	_, err = cfg.TokenSource(ctx, &old2).Token()
	if msg := retrieveErr(t, err); !strings.Contains(msg, "AADSTS50173") {
		t.Errorf("refresh after revocation: %s", msg)
	}
}

var promptField = regexp.MustCompile(`name="prompt" value="([^"]+)"`)

func TestAuthorizePageAcceptAndCancel(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppDelegatedName)
	user := id.Users()[0]
	cb := newCallback(t)
	cfg := oauthConfig(s, app, cb.URL)
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, action := range []string{"accept", "cancel"} {
		authURL := cfg.AuthCodeURL("st-"+action, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		code, page := browse(t, authURL)
		m := promptField.FindStringSubmatch(page)
		if code != 200 || m == nil || !strings.Contains(page, "Accept") || !strings.Contains(page, user.Address) {
			t.Fatalf("sign-in page: %d %s", code, page)
		}
		u, _ := url.Parse(authURL)
		resp, err := hc.PostForm(s.BrowserAuthorityHost()+strings.TrimPrefix(u.Path, "/"), url.Values{"prompt": {m[1]}, "action": {action}, "user": {user.ID}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := cb.wait(t)
		if got.Get("state") != "st-"+action {
			t.Errorf("%s: state not echoed: %v", action, got)
		}
		if action == "accept" && got.Get("code") == "" {
			t.Errorf("accept: no code: %v", got)
		}
		if action == "cancel" && (got.Get("error") != "access_denied" || !strings.Contains(got.Get("error_description"), "AADSTS65004")) {
			t.Errorf("cancel: %v", got)
		}
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppDelegatedName)
	user := id.Users()[0]
	cb := newCallback(t)
	silent := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("login_hint", user.Address), oauth2.SetAuthURLParam("prompt", "none")}

	// Redirect URIs that are not registered get an error page, never a redirect.
	for _, redirect := range []string{"http://example.com/", "https://localhost/", "http://[::1]:8400/", "http://localhost:8400/other"} {
		cfg := oauthConfig(s, app, redirect)
		code, body := browse(t, cfg.AuthCodeURL("x", append(silent, oauth2.S256ChallengeOption("v"))...))
		if code != 400 || !strings.Contains(body, "AADSTS50011") {
			t.Errorf("redirect %s: %d %s", redirect, code, body)
		}
	}
	// http://localhost with any port is fine.
	cfg := oauthConfig(s, app, cb.URL)

	redirected := []struct {
		name  string
		fault emulator.FaultKind
		app   string
		opts  []oauth2.AuthCodeOption
		err   string
		code  string
	}{
		{"missing PKCE", "", emulator.AppDelegatedName, silent, "invalid_request", "AADSTS9002325"},
		{"consent declined", emulator.FaultConsentDeclined, emulator.AppDelegatedName, append(silent, oauth2.S256ChallengeOption("v")), "access_denied", "AADSTS65004"},
		{"admin approval", emulator.FaultAdminApprovalRequired, emulator.AppDelegatedName, append(silent, oauth2.S256ChallengeOption("v")), "access_denied", "AADSTS90094"},
		{"user not assigned", emulator.FaultUserNotAssigned, emulator.AppDelegatedName, append(silent, oauth2.S256ChallengeOption("v")), "access_denied", "AADSTS50105"},
		{"conditional access", emulator.FaultConditionalAccess, emulator.AppDelegatedName, append(silent, oauth2.S256ChallengeOption("v")), "access_denied", "AADSTS53003"},
		{"personal account", emulator.FaultPersonalAccount, emulator.AppDelegatedName, append(silent, oauth2.S256ChallengeOption("v")), "access_denied", "AADSTS50020"},
		{"not consented, silent", "", emulator.AppNotConsentedName, append(silent, oauth2.S256ChallengeOption("v")), "consent_required", "AADSTS65001"},
		{"no session, silent", "", emulator.AppDelegatedName, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "none"), oauth2.S256ChallengeOption("v")}, "login_required", "AADSTS50058"},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			id.ClearFaults()
			defer id.ClearFaults()
			if tc.fault != "" {
				id.InjectFault(emulator.Fault{Kind: tc.fault})
			}
			c := oauthConfig(s, id.App(tc.app), cfg.RedirectURL)
			code, body := browse(t, c.AuthCodeURL("st", tc.opts...))
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			got := cb.wait(t)
			if got.Get("error") != tc.err || !strings.Contains(got.Get("error_description"), tc.code) || got.Get("state") != "st" || got.Get("code") != "" {
				t.Errorf("callback = %v", got)
			}
		})
	}
	// Redirect mismatch as a fault: the page, no redirect.
	id.InjectFault(emulator.Fault{Kind: emulator.FaultRedirectMismatch})
	code, body := browse(t, cfg.AuthCodeURL("x", append(silent, oauth2.S256ChallengeOption("v"))...))
	if code != 400 || !strings.Contains(body, "AADSTS50011") {
		t.Errorf("redirect mismatch fault: %d %s", code, body)
	}
}

func TestAdminConsent(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppNotConsentedName)
	admin, other := id.Users()[0], id.Users()[1]
	cb := newCallback(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Before consent the app gets a token without roles (Graph would answer 403).
	tok, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	if _, has := claimsOf(t, tok)["roles"]; has {
		t.Fatal("unconsented app got roles")
	}
	consentURL := func(tenant string) string {
		v := url.Values{"client_id": {app.ClientID}, "redirect_uri": {cb.URL}, "state": {"ac-1"}, "scope": {graphDefault}}
		return s.BrowserAuthorityHost() + tenant + "/v2.0/adminconsent?" + v.Encode()
	}
	// 'common' is refused with a page.
	if code, body := browse(t, consentURL("common")); code != 400 || !strings.Contains(body, "AADSTS50059") {
		t.Errorf("common: %d %s", code, body)
	}
	// Declined.
	id.SetAutoSignIn(admin.Address)
	id.InjectFault(emulator.Fault{Kind: emulator.FaultConsentDeclined, Count: 1})
	browse(t, consentURL(id.TenantID()))
	if got := cb.wait(t); got.Get("error") != "access_denied" || !strings.Contains(got.Get("error_description"), "AADSTS65004") || got.Get("state") != "ac-1" {
		t.Errorf("declined: %v", got)
	}
	// A user who is not an administrator cannot consent for the organization.
	id.SetAutoSignIn(other.Address)
	browse(t, consentURL(id.TenantDomain()))
	if got := cb.wait(t); !strings.Contains(got.Get("error_description"), "AADSTS90094") || id.AdminConsented(app.ClientID) {
		t.Errorf("non-admin: %v", got)
	}
	// The administrator accepts.
	id.SetAutoSignIn(admin.Address)
	browse(t, consentURL(id.TenantID()))
	got := cb.wait(t)
	if got.Get("admin_consent") != "True" || got.Get("tenant") != id.TenantID() || got.Get("state") != "ac-1" || got.Get("scope") != graphDefault {
		t.Errorf("accepted: %v", got)
	}
	tok, err = getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	if roles, _ := claimsOf(t, tok)["roles"].([]any); len(roles) != 1 || roles[0] != "Mail.Read" {
		t.Errorf("roles after consent = %v", roles)
	}
}

func TestAdminConsentPage(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppNotConsentedName)
	admin := id.Users()[0]
	cb := newCallback(t)
	path := id.TenantID() + "/v2.0/adminconsent"
	v := url.Values{"client_id": {app.ClientID}, "redirect_uri": {cb.URL}, "state": {"pg"}}
	code, page := browse(t, s.BrowserAuthorityHost()+path+"?"+v.Encode())
	m := promptField.FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, "Global Administrator") || !strings.Contains(page, "Mail.Read") {
		t.Fatalf("admin consent page: %d %s", code, page)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).PostForm(s.BrowserAuthorityHost()+path, url.Values{"prompt": {m[1]}, "action": {"accept"}, "user": {admin.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := cb.wait(t); got.Get("admin_consent") != "True" || got.Get("state") != "pg" || !id.AdminConsented(app.ClientID) {
		t.Errorf("callback = %v", got)
	}
	// The page's prompt is single use.
	resp, err = (&http.Client{Timeout: 10 * time.Second}).PostForm(s.BrowserAuthorityHost()+path, url.Values{"prompt": {m[1]}, "action": {"accept"}, "user": {admin.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed consent form: %d", resp.StatusCode)
	}
}

// TestAdminConsentPageWhileRolesChange renders the admin consent page (which lists the
// app's application permissions) while another goroutine adds and removes the app's
// roles, as an admin script does: run under -race, the page (and Info, which lists
// every app's roles) must read the roles under the identity's lock.
func TestAdminConsentPageWhileRolesChange(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppNotConsentedName)
	cb := newCallback(t)
	v := url.Values{"client_id": {app.ClientID}, "redirect_uri": {cb.URL}, "state": {"race"}}
	pageURL := s.BrowserAuthorityHost() + id.TenantID() + "/v2.0/adminconsent?" + v.Encode()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			id.AddAppRoles(app.ClientID, "User.Read.All")
			id.RemoveAppRoles(app.ClientID, "User.Read.All")
		}
	}()
	defer func() { close(stop); <-done }()
	for range 20 {
		code, page := browse(t, pageURL)
		if code != http.StatusOK || !strings.Contains(page, "Mail.Read") {
			t.Fatalf("admin consent page: %d %s", code, page)
		}
		if info := s.Info(); len(info.Apps) == 0 {
			t.Fatal("info lists no apps")
		}
	}
}
