package emulator_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/m365connect/m365connect/emulator"
	"golang.org/x/oauth2"
)

func getJSON(t *testing.T, c *http.Client, u string) (int, map[string]any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return resp.StatusCode, m
}

func TestDiscoveryDocuments(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	c := s.Client()
	host := s.AuthorityHost()
	code, doc := getJSON(t, c, host+id.TenantDomain()+"/v2.0/.well-known/openid-configuration")
	if code != 200 || doc["issuer"] != host+id.TenantID()+"/v2.0" || doc["token_endpoint"] != host+id.TenantID()+"/oauth2/v2.0/token" ||
		doc["authorization_endpoint"] != host+id.TenantID()+"/oauth2/v2.0/authorize" || doc["cloud_instance_name"] != "microsoftonline.com" ||
		doc["tenant_region_scope"] == nil || doc["jwks_uri"] == nil {
		t.Errorf("tenant document = %d %v", code, doc)
	}
	if _, common := getJSON(t, c, host+"common/v2.0/.well-known/openid-configuration"); common["issuer"] != host+"{tenantid}/v2.0" {
		t.Errorf("common issuer = %v", common["issuer"])
	}
	if code, bad := getJSON(t, c, host+"fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration"); code != 400 ||
		bad["error"] != "invalid_tenant" || !strings.HasPrefix(bad["error_description"].(string), "AADSTS90002:") {
		t.Errorf("unknown tenant = %d %v", code, bad)
	}
	_, inst := getJSON(t, c, host+"common/discovery/instance?api-version=1.1&authorization_endpoint="+url.QueryEscape(host+"common/oauth2/v2.0/authorize"))
	if inst["tenant_discovery_endpoint"] != host+"common/v2.0/.well-known/openid-configuration" || inst["metadata"] == nil {
		t.Errorf("instance discovery = %v", inst)
	}

	// The JWKS key verifies an issued access token.
	app := id.App(emulator.AppSecretName)
	tok, err := getToken(context.Background(), secretCredential(t, s, id.TenantID(), app, app.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	_, jwks := getJSON(t, c, doc["jwks_uri"].(string))
	k := jwks["keys"].([]any)[0].(map[string]any)
	n, _ := base64.RawURLEncoding.DecodeString(k["n"].(string))
	e, _ := base64.RawURLEncoding.DecodeString(k["e"].(string))
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	parsed, err := jwt.Parse(tok, func(t *jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || parsed.Header["kid"] != k["kid"] {
		t.Errorf("token does not verify with the JWKS key: %v (kid %v vs %v)", err, parsed.Header["kid"], k["kid"])
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	secretApp := id.App(emulator.AppSecretName)
	pub := id.App(emulator.AppDelegatedName)
	tokenURL := func(tenant string) string { return s.AuthorityHost() + tenant + "/oauth2/v2.0/token" }
	cc := func(app *emulator.App, scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret()}, "scope": {scope}}
	}
	cases := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		err    string
		code   int
	}{
		{"scope without .default", id.TenantID(), cc(secretApp, "https://graph.microsoft.com/Mail.Read"), 400, "invalid_scope", 1002012},
		{"unknown resource", id.TenantID(), cc(secretApp, "https://vault.azure.net/.default"), 400, "invalid_resource", 500011},
		{"client credentials on common", "common", cc(secretApp, graphDefault), 400, "invalid_request", 50059},
		{"consumers", "consumers", cc(secretApp, graphDefault), 400, "invalid_request", 9002331},
		{"unknown client", id.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"99999999-9999-4999-8999-999999999999"}, "client_secret": {"x"}, "scope": {graphDefault}}, 400, "unauthorized_client", 700016},
		{"public client with secret", id.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {pub.ClientID}, "client_secret": {"x"}, "refresh_token": {"y"}}, 400, "invalid_request", 700025},
		{"public client, client credentials", id.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {pub.ClientID}, "scope": {graphDefault}}, 401, "invalid_client", 7000218},
		{"unknown refresh token", id.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {pub.ClientID}, "refresh_token": {"nope"}}, 400, "invalid_grant", 9002313},
		{"unknown code", id.TenantID(), url.Values{"grant_type": {"authorization_code"}, "client_id": {pub.ClientID}, "code": {"nope"}, "redirect_uri": {"http://localhost"}}, 400, "invalid_grant", 9002313},
		{"password grant", id.TenantID(), url.Values{"grant_type": {"password"}, "client_id": {pub.ClientID}}, 400, "unsupported_grant_type", 70003},
		{"no grant type", id.TenantID(), url.Values{"client_id": {pub.ClientID}}, 400, "invalid_request", 900144},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.Client().PostForm(tokenURL(tc.tenant), tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
				ErrorCodes       []int  `json:"error_codes"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || body.Error != tc.err || len(body.ErrorCodes) != 1 || body.ErrorCodes[0] != tc.code {
				t.Errorf("got %d %+v; want %d %s %d", resp.StatusCode, body, tc.status, tc.err, tc.code)
			}
			if sec := tc.form.Get("client_secret"); sec != "" && strings.Contains(body.ErrorDescription, sec) {
				t.Error("error echoes the client secret")
			}
		})
	}
	// client_secret_basic works too.
	req, _ := http.NewRequest(http.MethodPost, tokenURL(id.TenantID()), strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {graphDefault}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(secretApp.ClientID, secretApp.ClientSecret())
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("client_secret_basic: %d", resp.StatusCode)
	}
}

func TestFormPostAndOrganizations(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppDelegatedName)
	id.SetAutoSignIn(id.Users()[0].Address)
	cfg := oauthConfig(s, app, "http://localhost:1/")
	cfg.Endpoint.AuthURL = s.BrowserAuthorityHost() + "organizations/oauth2/v2.0/authorize"
	cfg.Endpoint.TokenURL = s.AuthorityHost() + "organizations/oauth2/v2.0/token"
	verifier := oauth2.GenerateVerifier()
	code, page := browse(t, cfg.AuthCodeURL("fp", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("response_mode", "form_post")))
	if code != 200 || !strings.Contains(page, `<form method="POST" action="http://localhost:1/">`) || !strings.Contains(page, `name="state" value="fp"`) {
		t.Fatalf("form_post page: %d %s", code, page)
	}
	m := regexpFind(`name="code" value="([^"]+)"`, page)
	if m == "" {
		t.Fatal("no code in the form_post page")
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	tok, err := cfg.Exchange(ctx, m, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange via organizations: %v", err)
	}
	if claimsOf(t, tok.AccessToken)["tid"] != id.TenantID() {
		t.Error("token from organizations lacks the tenant id")
	}
}
