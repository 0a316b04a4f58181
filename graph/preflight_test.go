package graph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLooksLikeSecretID(t *testing.T) {
	for s, want := range map[string]bool{
		"1b2c3d4e-0000-4000-8000-0123456789ab":     true,
		" 1B2C3D4E-0000-4000-8000-0123456789AB\n":  true,
		"Xy8Q~abcdefghijklmnopqrstuvwxyz012345678": false,
		"": false,
		"1b2c3d4e-0000-4000-8000-0123456789ab-extra": false,
	} {
		if got := LooksLikeSecretID(s); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

func TestCloudMismatch(t *testing.T) {
	g, _ := CloudByName(CloudGlobal)
	gov, _ := CloudByName(CloudUSGov)
	dod, _ := CloudByName(CloudUSDoD)
	cn, _ := CloudByName(CloudChina)
	tests := []struct {
		name    string
		c       Cloud
		o       OpenIDConfig
		suggest string
		bad     bool
	}{
		{"global ok", g, OpenIDConfig{CloudInstanceName: "microsoftonline.com", TenantRegionScope: "EU"}, "", false},
		{"gcc moderate is global", g, OpenIDConfig{CloudInstanceName: "microsoftonline.com", TenantRegionScope: "NA", TenantRegionSubScope: "GCC"}, "", false},
		{"gcc high entered as global", g, OpenIDConfig{CloudInstanceName: "microsoftonline.us", TenantRegionScope: "USGov"}, CloudUSGov, true},
		{"dod entered as global", g, OpenIDConfig{CloudInstanceName: "microsoftonline.us", TenantRegionScope: "USGov", TenantRegionSubScope: "DOD"}, CloudUSDoD, true},
		{"dod entered as gcc high", gov, OpenIDConfig{CloudInstanceName: "microsoftonline.us", TenantRegionSubScope: "DOD"}, CloudUSDoD, true},
		{"gcc high entered as dod", dod, OpenIDConfig{CloudInstanceName: "microsoftonline.us", TenantRegionSubScope: "DODCON"}, CloudUSGov, true},
		{"china entered as global", g, OpenIDConfig{CloudInstanceName: "partner.microsoftonline.cn"}, CloudChina, true},
		{"global entered as china", cn, OpenIDConfig{CloudInstanceName: "microsoftonline.com"}, CloudGlobal, true},
		{"unknown field", g, OpenIDConfig{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, bad := CloudMismatch(tt.c, tt.o)
			if s != tt.suggest || bad != tt.bad {
				t.Fatalf("got %q %v", s, bad)
			}
		})
	}
}

// TestFetchOpenIDConfig: shapes per
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
func TestFetchOpenIDConfig(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/nope.example/") {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'nope.example' not found.","error_codes":[90002]}`))
			return
		}
		w.Write([]byte(`{"issuer":"https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0","cloud_instance_name":"microsoftonline.us","tenant_region_scope":"USGov","token_endpoint":"x"}`))
	}))
	defer srv.Close()
	c := Cloud{Name: "test", AuthorityHost: srv.URL + "/", client: srv.Client(), InstanceName: "microsoftonline.com"}
	o, err := FetchOpenIDConfig(context.Background(), c, "contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if o.TenantID() != "11111111-2222-3333-4444-555555555555" || o.CloudInstanceName != "microsoftonline.us" {
		t.Fatalf("%+v", o)
	}
	_, err = FetchOpenIDConfig(context.Background(), c, "nope.example")
	if a := AdviceFor(err); a.Code != "AADSTS90002" || a.Step != StepEnvironment {
		t.Fatalf("%v → %+v", err, a)
	}
	if _, err := FetchOpenIDConfig(context.Background(), c, "common"); !errors.Is(err, ErrCommonTenant) {
		t.Fatal(err)
	}
	// The check reports the wrong cloud with the suggested one.
	c.Name = CloudGlobal
	s := NewSession(Settings{Cloud: c, TenantID: "contoso.com"}, Secrets{})
	r := checkOpenID(context.Background(), s)
	if r.Status != StatusFail || r.Advice == nil || r.Advice.Code != "wrong_cloud" || !strings.Contains(r.Advice.Fix, "GCC High") {
		t.Fatalf("%+v", r)
	}
}

func TestCloudsTable(t *testing.T) {
	want := map[string][2]string{
		CloudGlobal: {"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
		CloudUSGov:  {"https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"},
		CloudUSDoD:  {"https://login.microsoftonline.us/", "https://dod-graph.microsoft.us/v1.0"},
		CloudChina:  {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
	}
	for _, c := range Clouds() {
		w, ok := want[c.Name]
		if !ok || c.AuthorityHost != w[0] || c.GraphBaseURL != w[1] || c.browserHost() != w[0] {
			t.Errorf("%+v", c)
		}
		if c.DefaultScope() != strings.TrimSuffix(w[1], "/v1.0")+"/.default" {
			t.Errorf("%s scope %s", c.Name, c.DefaultScope())
		}
	}
	if _, err := PracticeCloud("https://127.0.0.1:1/", "", "https://127.0.0.1:1/v1.0", []byte("nope")); err == nil {
		t.Fatal("bad PEM accepted")
	}
}
