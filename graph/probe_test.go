package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/emulator"
)

// The values typed on App registration are tested against the practice tenant through
// the real SDK: a tenant typo fails at the OpenID configuration with AADSTS90002 (and
// nothing else runs), a wrong 40-character secret fails at the token with AADSTS7000215.
func TestTestValuesAgainstThePracticeTenant(t *testing.T) {
	srv, c := practice(t)
	id := srv.Identity()
	app := id.App(emulator.AppSecretName)
	wrongSecret := strings.Repeat("x", 3) + "8Q~" + strings.Repeat("y", 34) // Entra's shape, 40 characters
	cases := []struct {
		name                string
		tenant, client, sec string
		mode                Mode
		wantCode            string // "" = every check passes
		wantRun             int    // checks that ran (not skipped)
	}{
		{"good secret app", id.TenantID(), app.ClientID, app.ClientSecret(), ModeSecret, "", 4},
		{"good by domain", id.TenantDomain(), app.ClientID, app.ClientSecret(), ModeSecret, "", 4},
		{"tenant domain typo", "contoso-practise.onmicrosoft.com", app.ClientID, app.ClientSecret(), ModeSecret, "AADSTS90002", 1},
		{"unknown tenant id", "11111111-2222-4333-8444-555555555555", app.ClientID, app.ClientSecret(), ModeSecret, "AADSTS90002", 1},
		{"wrong 40-character secret", id.TenantID(), app.ClientID, wrongSecret, ModeSecret, "AADSTS7000215", 3},
		{"secret id pasted", id.TenantID(), app.ClientID, "11111111-2222-4333-8444-555555555555", ModeSecret, "secret_id", 2},
		{"unknown client id", id.TenantID(), "11111111-2222-4333-8444-555555555555", app.ClientSecret(), ModeSecret, "AADSTS700016", 3},
		{"delegated: tenant only", id.TenantID(), id.App(emulator.AppDelegatedName).ClientID, "", ModeDelegated, "", 1},
		{"delegated tenant typo", "contoso-practise.onmicrosoft.com", id.App(emulator.AppDelegatedName).ClientID, "", ModeDelegated, "AADSTS90002", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := TestValues(context.Background(), Settings{Cloud: c, TenantID: tc.tenant, ClientID: tc.client, Mode: tc.mode},
				Secrets{ClientSecret: tc.sec}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ran, failed := 0, []CheckResult{}
			for _, r := range rs {
				if r.Status != StatusSkip {
					ran++
				}
				if r.Status == StatusFail {
					failed = append(failed, r)
				}
			}
			if ran != tc.wantRun {
				t.Errorf("%d checks ran, want %d: %+v", ran, tc.wantRun, rs)
			}
			switch {
			case tc.wantCode == "" && len(failed) > 0:
				t.Errorf("failed: %+v", failed)
			case tc.wantCode != "" && len(failed) != 1:
				t.Errorf("want one failure %s, got %+v", tc.wantCode, failed)
			case tc.wantCode != "":
				if a := failed[0].Advice; a == nil || a.Code != tc.wantCode || a.Fix == "" || a.Cause == "" {
					t.Errorf("advice %+v, want code %s with cause and fix", a, tc.wantCode)
				}
			}
			for _, r := range rs {
				if tc.sec != "" && strings.Contains(r.Seen, tc.sec) {
					t.Errorf("the secret reached Seen: %q", r.Seen)
				}
			}
		})
	}
	if _, err := TestValues(context.Background(), Settings{Cloud: c, TenantID: "common", ClientID: app.ClientID, Mode: ModeSecret}, Secrets{}, nil); err == nil {
		t.Error("tenant common was accepted")
	}
}

// ProbeTenant is what the Consent step runs before the browser opens.
func TestProbeTenant(t *testing.T) {
	srv, c := practice(t)
	if r := ProbeTenant(context.Background(), c, srv.Identity().TenantDomain()); r.Status != StatusPass || !strings.Contains(r.Seen, srv.Identity().TenantID()) {
		t.Errorf("practice domain: %+v", r)
	}
	r := ProbeTenant(context.Background(), c, "contoso-practise.onmicrosoft.com")
	if r.Status != StatusFail || r.Advice == nil || r.Advice.Code != "AADSTS90002" {
		t.Errorf("typo: %+v", r)
	}
	if r := ProbeTenant(context.Background(), c, "organizations"); r.Status != StatusFail || r.Advice == nil {
		t.Errorf("organizations: %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := ProbeTenant(ctx, c, srv.Identity().TenantID()); r.Status != StatusSkip {
		t.Errorf("cancelled: %+v", r)
	}
}
