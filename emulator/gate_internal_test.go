package emulator

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestValidateBearerClaims mints tokens with the tenant's own key but wrong claims:
// only the signature is right, so each must still be refused.
func TestValidateBearerClaims(t *testing.T) {
	s, err := New(Options{MessagesPerMailbox: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := s.identity
	good, _, err := id.issueAccessToken(tokenGrant{app: id.App(AppSecretName), roles: []string{"Mail.Read"}, appidacr: "1"})
	if err != nil {
		t.Fatal(err)
	}
	goodClaims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(good, goodClaims); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cases := []struct {
		name   string
		change func(jwt.MapClaims)
		want   string
	}{
		{"valid", func(jwt.MapClaims) {}, ""},
		{"other audience", func(c jwt.MapClaims) { c["aud"] = "https://management.azure.com" }, "Invalid audience"},
		{"other issuer", func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/00000000-0000-4000-8000-000000000000/" }, "Invalid issuer"},
		{"no expiry", func(c jwt.MapClaims) { delete(c, "exp") }, "validation failure"},
		{"not yet valid", func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }, "Lifetime validation failed"},
		{"unknown uti", func(c jwt.MapClaims) { c["uti"] = "never-issued" }, "TokenIssuedBeforeRevocation"},
	}
	for _, tc := range cases {
		c := jwt.MapClaims{}
		for k, v := range goodClaims {
			c[k] = v
		}
		tc.change(c)
		tok, err := id.sign(c)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/v1.0/users", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, msg := s.validateBearer(r)
		if tc.want == "" {
			if msg != "" || !p.appOnly || p.appID != id.App(AppSecretName).ClientID || len(p.roles) != 1 {
				t.Errorf("%s: %q %+v", tc.name, msg, p)
			}
			continue
		}
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q, want %q", tc.name, msg, tc.want)
		}
	}
}
