package graph

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Scripts -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file:\n%s", name, got)
	}
}

func TestScriptsGolden(t *testing.T) {
	g, _ := CloudByName(CloudGlobal)
	gov, _ := CloudByName(CloudUSGov)
	cases := []struct {
		name string
		in   ScriptInput
	}{
		{"secret-global", ScriptInput{Cloud: g, TenantID: "contoso.onmicrosoft.com", AppName: "Contoso mail sync", ClientID: "aaaaaaaa-1111-2222-3333-444444444444",
			Mode: ModeSecret, Features: Features{Read: true, Send: true, ListUsers: true}, Mailboxes: []string{"sales@contoso.com", "o'brien@contoso.com"}, GroupAddress: "mailsync@contoso.com"}},
		{"certificate-gcchigh", ScriptInput{Cloud: gov, TenantID: "11111111-2222-3333-4444-555555555555", Mode: ModeCertificate,
			Features: Features{Read: true, Write: true}, Mailboxes: []string{"ops@agency.us"}}},
		{"delegated-global", ScriptInput{Cloud: g, TenantID: "contoso.com", AppName: "m365connect", Mode: ModeDelegated,
			Features: Features{Read: true, Send: true, Shared: true}, Account: "svc@contoso.com", Mailboxes: []string{"svc@contoso.com", "info@contoso.com"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := GenerateScripts(c.in)
			golden(t, c.name+".azcli.sh", s.AzureCLI)
			golden(t, c.name+".graph.ps1", s.GraphPowerShell)
			golden(t, c.name+".exo-rbac.ps1", s.ExchangeRBAC)
			golden(t, c.name+".exo-policy.ps1", s.ExchangeLegacy)
			if c.in.Mode.AppOnly() && !strings.Contains(s.ExchangeRBAC, "30 minutes to 2 hours") {
				t.Error("RBAC script must state the delay")
			}
			if c.in.Mode.AppOnly() && !strings.Contains(s.ExchangeRBAC, "Remove the tenant-wide") {
				t.Error("RBAC script must say the Entra grant must be removed")
			}
			for _, p := range scriptPermissions(c.in) {
				id, ok := permissionID(p, c.in.Mode.AppOnly())
				if !ok || !strings.Contains(s.AzureCLI, id) || !strings.Contains(s.GraphPowerShell, id) {
					t.Errorf("permission %s (%s) missing from scripts", p, id)
				}
			}
		})
	}
}
