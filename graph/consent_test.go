package graph

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestAdminConsentURL(t *testing.T) {
	c, _ := CloudByName(CloudUSGov)
	for _, bad := range []string{"common", "Organizations", "consumers", " "} {
		if _, err := AdminConsentURL(c, bad, "cid", "http://localhost", "s", nil); !errors.Is(err, ErrCommonTenant) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	u, err := AdminConsentURL(c, "contoso.onmicrosoft.us", "cid", "http://localhost:1234", "st", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	if p.Host != "login.microsoftonline.us" || p.Path != "/contoso.onmicrosoft.us/v2.0/adminconsent" ||
		p.Query().Get("scope") != "https://graph.microsoft.us/.default" || p.Query().Get("state") != "st" || p.Query().Get("client_id") != "cid" {
		t.Fatal(u)
	}
}

func TestClassifyConsent(t *testing.T) {
	const tid = "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name  string
		query string
		want  ConsentOutcome
	}{
		{"granted", "admin_consent=True&tenant=" + tid + "&scope=x", ConsentGranted},
		{"other tenant", "admin_consent=True&tenant=99999999-2222-3333-4444-555555555555", ConsentWrongTenant},
		{"declined", "error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent", ConsentDeclined},
		{"cancelled (docs)", "error=permission_denied&error_description=The+admin+canceled+the+request", ConsentDeclined},
		{"approval", "error=access_denied&error_description=AADSTS90094%3A+Admin+consent+is+required", ConsentApprovalRequired},
		{"personal", "error=access_denied&error_description=AADSTS50020%3A+User+account+from+identity+provider", ConsentWrongTenant},
		{"ca", "error=access_denied&error_description=AADSTS53003%3A+Blocked", ConsentFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			r := classifyConsent(q, tid)
			if r.Outcome != tt.want {
				t.Fatalf("%s, want %s", r.Outcome, tt.want)
			}
			if tt.want != ConsentGranted && r.Advice == nil {
				t.Fatal("no advice")
			}
		})
	}
}

func TestHandoffAndPaste(t *testing.T) {
	c, _ := CloudByName(CloudGlobal)
	h, err := AdminHandoff(c, "contoso.com", "cid", "Mail sync", []string{"Mail.Read"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Message, h.URL) || !strings.Contains(h.Message, "Mail.Read") || !strings.Contains(h.URL, "redirect_uri=http%3A%2F%2Flocalhost") {
		t.Fatal(h.Message)
	}
	r, err := ParseConsentRedirect("  http://localhost/?admin_consent=True&tenant=t&state="+h.State+" ", "", h.State)
	if err != nil || r.Outcome != ConsentGranted || r.Tenant != "t" {
		t.Fatal(r, err)
	}
	if _, err := ParseConsentRedirect("http://localhost/?admin_consent=True&state=other", "", h.State); !errors.Is(err, ErrStateMismatch) {
		t.Fatal(err)
	}
	if _, err := ParseConsentRedirect("hello", "", ""); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, err := AdminHandoff(c, "common", "cid", "", nil); !errors.Is(err, ErrCommonTenant) {
		t.Fatal(err)
	}
}
