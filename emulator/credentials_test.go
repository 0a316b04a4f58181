package emulator_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/m365connect/m365connect/emulator"
)

func TestClientSecretCredentialGetsAppToken(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 7})
	id := s.Identity()
	app := id.App(emulator.AppSecretName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Both the tenant GUID and the domain name work as {tenant}.
	for _, tenant := range []string{id.TenantID(), id.TenantDomain()} {
		tok, err := getToken(ctx, secretCredential(t, s, tenant, app, app.ClientSecret()))
		if err != nil {
			t.Fatalf("tenant %s: GetToken: %v", tenant, err)
		}
		c := claimsOf(t, tok)
		if c["aud"] != "https://graph.microsoft.com" || c["tid"] != id.TenantID() || c["appid"] != app.ClientID ||
			c["idtyp"] != "app" || c["iss"] != "https://sts.windows.net/"+id.TenantID()+"/" || c["appidacr"] != "1" {
			t.Errorf("claims = %v", c)
		}
		roles, _ := c["roles"].([]any)
		if len(roles) != 4 || !slices.Contains(roles, any("Mail.ReadWrite")) {
			t.Errorf("roles = %v, want the four consented app roles", roles)
		}
		for _, k := range []string{"exp", "iat", "nbf", "uti", "oid"} {
			if _, ok := c[k]; !ok {
				t.Errorf("claim %s missing", k)
			}
		}
	}
	// Same seed → same tenant and client ids.
	s2 := newServer(t, emulator.Options{Seed: 7})
	if s2.Identity().TenantID() != id.TenantID() || s2.Identity().App(emulator.AppSecretName).ClientID != app.ClientID {
		t.Error("tenant/app ids not stable for a seed")
	}
}

func TestClientCertificateCredentialGetsAppToken(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppCertificateName)
	certs, key, err := azidentity.ParseCertificates(app.CertificatePEM(), nil)
	if err != nil {
		t.Fatalf("ParseCertificates: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, chain := range []bool{false, true} {
		cred, err := azidentity.NewClientCertificateCredential(id.TenantID(), app.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: credOpts(s), DisableInstanceDiscovery: true, SendCertificateChain: chain})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := getToken(ctx, cred)
		if err != nil {
			t.Fatalf("chain=%v: GetToken: %v", chain, err)
		}
		if c := claimsOf(t, tok); c["appid"] != app.ClientID || c["appidacr"] != "2" {
			t.Errorf("claims = %v", c)
		}
	}
	// A certificate that is not registered on the app is refused (AADSTS700027).
	other := id.App(emulator.AppSecretName)
	cred, err := azidentity.NewClientCertificateCredential(id.TenantID(), other.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: credOpts(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = getToken(ctx, cred)
	if status, body := authFailure(t, err); status != 401 || !strings.Contains(body, "AADSTS700027") {
		t.Errorf("unregistered certificate: %d %s", status, body)
	}
}

func TestIdentityFaultsThroughAzidentity(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	app := id.App(emulator.AppSecretName)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cases := []struct {
		name   string
		fault  emulator.FaultKind
		tenant string
		secret string
		status int
		code   string
		errStr string
	}{
		{"wrong secret", "", "", "not-the-secret", 401, "AADSTS7000215", "invalid_client"},
		{"invalid secret fault", emulator.FaultInvalidSecret, "", "", 401, "AADSTS7000215", "invalid_client"},
		{"expired secret", emulator.FaultExpiredSecret, "", "", 401, "AADSTS7000222", "invalid_client"},
		{"app not in tenant", emulator.FaultAppNotFound, "", "", 400, "AADSTS700016", "unauthorized_client"},
		{"consent missing", emulator.FaultConsentMissing, "", "", 400, "AADSTS65001", "invalid_grant"},
		{"conditional access", emulator.FaultConditionalAccess, "", "", 400, "AADSTS53003", "invalid_grant"},
		{"unknown tenant guid", "", "11111111-2222-4333-8444-555555555555", "", 400, "AADSTS90002", "invalid_tenant"},
		{"unknown tenant fault", emulator.FaultUnknownTenant, "", "", 400, "AADSTS90002", "invalid_tenant"},
		{"client credentials on organizations", "", "organizations", "", 400, "AADSTS50059", "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id.ClearFaults()
			if tc.fault != "" {
				id.InjectFault(emulator.Fault{Kind: tc.fault, ClientID: app.ClientID})
			}
			defer id.ClearFaults()
			tenant, secret := id.TenantID(), app.ClientSecret()
			if tc.tenant != "" {
				tenant = tc.tenant
			}
			if tc.secret != "" {
				secret = tc.secret
			}
			_, err := getToken(ctx, secretCredential(t, s, tenant, app, secret))
			if err == nil {
				t.Fatal("GetToken succeeded, want failure")
			}
			if strings.Contains(err.Error(), app.ClientSecret()) {
				t.Fatal("error text contains the client secret")
			}
			var afe *azidentity.AuthenticationFailedError
			if errorsAs(err, &afe) && afe.RawResponse != nil {
				status, body := authFailure(t, err)
				if status != tc.status || !strings.Contains(body, tc.code) || !strings.Contains(body, `"error":"`+tc.errStr+`"`) {
					t.Errorf("got %d %s; want %d %s %s", status, body, tc.status, tc.code, tc.errStr)
				}
				for _, field := range []string{`"error_codes":[`, `"trace_id"`, `"correlation_id"`, `"timestamp"`, `Trace ID: `, `Timestamp: `} {
					if !strings.Contains(body, field) {
						t.Errorf("body lacks %s: %s", field, body)
					}
				}
				return
			}
			// Discovery failures surface as plain errors from MSAL; the code must still show.
			if !strings.Contains(err.Error(), tc.code) {
				t.Errorf("error %v does not carry %s", err, tc.code)
			}
		})
	}
	// A fault with a count switches itself off.
	id.InjectFault(emulator.Fault{Kind: emulator.FaultConditionalAccess, Count: 1})
	if _, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret())); err == nil {
		t.Error("first call after a Count=1 fault succeeded")
	}
	if _, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret())); err != nil {
		t.Errorf("second call after a Count=1 fault: %v", err)
	}
}

func TestGraphRejectsBadTokens(t *testing.T) {
	clk := &clock{}
	s := newServer(t, emulator.Options{Now: clk.Now})
	id := s.Identity()
	app := id.App(emulator.AppSecretName)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) (int, string, http.Header) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.GraphBaseURL()+"/users", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("client-request-id", "11111111-1111-4111-8111-111111111111")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = ioCopy(&b, resp)
		return resp.StatusCode, b.String(), resp.Header
	}
	if code, body, _ := get(tok); code != 200 {
		t.Fatalf("valid token: %d %s", code, body)
	}
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	// A token signed by another key: a token from a second practice tenant.
	s2 := newServer(t, emulator.Options{})
	app2 := s2.Identity().App(emulator.AppSecretName)
	foreign, err := getToken(ctx, secretCredential(t, s2, s2.Identity().TenantID(), app2, app2.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name, token, wantMsg string) {
		t.Helper()
		code, body, h := get(token)
		if code != 401 || !strings.Contains(body, `"code":"InvalidAuthenticationToken"`) || !strings.Contains(body, wantMsg) ||
			!strings.Contains(body, `"request-id"`) || !strings.Contains(body, `"client-request-id":"11111111-1111-4111-8111-111111111111"`) ||
			!strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: %d %s %v", name, code, body, h)
		}
	}
	check("no token", "", "Access token is empty.")
	check("garbage", "not-a-jwt", "JWT is not well formed")
	check("forged signature", forged, "Invalid signature")
	check("other tenant's token", foreign, "Access token validation failure")

	id.RevokeTokens(app.ClientID)
	check("revoked", tok, "TokenIssuedBeforeRevocation")
	fresh, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, app.ClientSecret()))
	if err != nil {
		t.Fatal(err)
	}
	if code, body, _ := get(fresh); code != 200 {
		t.Fatalf("token issued after revocation: %d %s", code, body)
	}
	clk.Advance(2 * time.Hour)
	check("expired", fresh, "Lifetime validation failed, the token is expired.")
}
