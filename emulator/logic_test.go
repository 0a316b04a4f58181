package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"testing"
	"time"
)

func TestRedirectAllowed(t *testing.T) {
	app := &App{RedirectURIs: []string{"http://localhost", "https://app.example.com/cb"}}
	cases := []struct {
		uri  string
		want bool
	}{
		{"http://localhost", true},
		{"http://localhost/", true},
		{"http://localhost:53100", true},
		{"http://localhost:53100/", true},
		{"http://127.0.0.1:53100/", true},
		{"http://127.0.0.1", true},
		{"http://[::1]:53100/", false},
		{"https://localhost:53100/", false},
		{"http://localhost:53100/other", false},
		{"http://localhost:53100/?x=1", false},
		{"http://localhost.evil.com/", false},
		{"https://app.example.com/cb", true},
		{"https://app.example.com:8443/cb", false},
		{"https://app.example.com/cb/", false},
		{"", false},
		{"http://localhost/#frag", false},
	}
	for _, tc := range cases {
		if got := redirectAllowed(app, tc.uri); got != tc.want {
			t.Errorf("redirectAllowed(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
}

func TestNormaliseScopes(t *testing.T) {
	app := &App{Scopes: []string{"Mail.Read", "Mail.Send", "User.Read", "offline_access"}}
	cases := []struct {
		param      string
		graph      []string
		oidc       []string
		wantErrNum int
	}{
		{"Mail.Read", []string{"Mail.Read"}, nil, 0},
		{"https://graph.microsoft.com/mail.read openid offline_access", []string{"Mail.Read"}, []string{"openid", "offline_access"}, 0},
		{"00000003-0000-0000-c000-000000000000/Mail.Send", []string{"Mail.Send"}, nil, 0},
		{"https://graph.microsoft.com/.default", []string{"Mail.Read", "Mail.Send", "User.Read"}, nil, 0},
		{"Mail.Read Mail.Read", []string{"Mail.Read"}, nil, 0},
		{"Calendars.Read", nil, nil, 70011},
		{"", nil, nil, 0},
	}
	for _, tc := range cases {
		g, o, err := normaliseScopes(app, tc.param)
		if tc.wantErrNum != 0 {
			if err == nil || err.Code != tc.wantErrNum {
				t.Errorf("%q: err = %v, want AADSTS%d", tc.param, err, tc.wantErrNum)
			}
			continue
		}
		if err != nil || !slices.Equal(g, tc.graph) || !slices.Equal(o, tc.oidc) {
			t.Errorf("%q: got %v %v %v, want %v %v", tc.param, g, o, err, tc.graph, tc.oidc)
		}
	}
}

func TestPKCEMatches(t *testing.T) {
	v := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	// RFC 7636 appendix B test vector.
	if !pkceMatches(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") {
		t.Error("RFC 7636 vector does not match")
	}
	sum := sha256.Sum256([]byte("other"))
	for _, tc := range []struct{ v, c string }{{"", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, {v, base64.RawURLEncoding.EncodeToString(sum[:])}, {v, v}} {
		if pkceMatches(tc.v, tc.c) {
			t.Errorf("pkceMatches(%q, %q) = true", tc.v, tc.c)
		}
	}
}

func TestResolveTenant(t *testing.T) {
	dir, err := newDirectory(3, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := &Identity{dir: dir}
	cases := []struct {
		seg, kind string
		code      int
	}{
		{dir.tenantID, "tenant", 0},
		{dir.domain, "tenant", 0},
		{"CONTOSO-PRACTICE.onmicrosoft.com", "tenant", 0},
		{"common", "common", 0},
		{"Organizations", "organizations", 0},
		{"consumers", "consumers", 0},
		{"11111111-2222-4333-8444-555555555555", "", 90002},
		{"fabrikam.onmicrosoft.com", "", 90002},
		{"not_a_tenant", "", 900023},
	}
	for _, tc := range cases {
		kind, e := id.resolveTenant(tc.seg)
		if kind != tc.kind || (e == nil) != (tc.code == 0) || (e != nil && e.Code != tc.code) {
			t.Errorf("resolveTenant(%q) = %q, %v; want %q, AADSTS%d", tc.seg, kind, e, tc.kind, tc.code)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := appSlug("Practice app (certificate)"); got != "practice-app-certificate" {
		t.Errorf("appSlug = %q", got)
	}
	if !thumbprintEqual("ab+/cd==", "ab-_cd") || thumbprintEqual("", "") || thumbprintEqual("abc", "abd") {
		t.Error("thumbprintEqual")
	}
	if seededGUID(1, "x") != seededGUID(1, "x") || seededGUID(1, "x") == seededGUID(2, "x") || !isGUID(seededGUID(1, "x")) {
		t.Error("seededGUID not stable or not a GUID")
	}
	s := newClientSecret()
	if len(s) != 40 || s[3:6] != "8Q~" || s == newClientSecret() {
		t.Errorf("client secret of length %d has the wrong shape", len(s))
	}
	e := errInvalidSecret("app")
	if d := e.description("t", "c", time.Date(2024, 5, 1, 12, 3, 4, 0, time.UTC)); d != "AADSTS7000215: "+e.Desc+"\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2024-05-01 12:03:04Z" {
		t.Errorf("description = %q", d)
	}
}
