package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/wizard"
)

// TestProfileFlag: commands take --profile NAME (saved connections of the window), the
// default profile when neither --profile nor --config is given, and each profile's own
// secret: a wrong one saved for Contoso fails Contoso only. Mistakes are usage errors.
func TestProfileFlag(t *testing.T) {
	srv, infoPath, cfgPath := practiceConfig(t) // isolates HOME and XDG_CONFIG_HOME
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing saved yet: a usage error that says so.
	if _, errs, code := runCmd(t, "verify"); code != exitUsage || !strings.Contains(errs, "--config FILE is required") {
		t.Fatalf("no profiles: exit %d %s", code, errs)
	}
	dir, err := connection.DefaultConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	ps := &connection.Profiles{Dir: dir, Secrets: connection.DefaultSecrets(dir)}
	secret := srv.Identity().App(emulator.AppSecretName).ClientSecret()
	for name, sec := range map[string]string{"Contoso": "Wr0ng~secret-value-that-is-long-enough", "Fabrikam": secret} {
		e, err := ps.Add(name, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SetSecret(e, wizard.SecretClientSecret, sec); err != nil {
			t.Fatal(err)
		}
	}
	if err := ps.SetDefault("Fabrikam"); err != nil {
		t.Fatal(err)
	}

	out, errs, code := runCmd(t, "verify", "--profile", "fabrikam", "--sandbox-info", infoPath)
	// The expiry is a line of verify's output too.
	if code != exitOK || !strings.Contains(out, "PASS  Mailbox") || !strings.Contains(out, "Secret or certificate is not about to expire") {
		t.Fatalf("--profile fabrikam: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = runCmd(t, "verify", "--profile", "Contoso", "--sandbox-info", infoPath)
	if code != exitFail || !strings.Contains(out+errs, "AADSTS7000215") {
		t.Fatalf("--profile Contoso (wrong secret saved): exit %d\n%s\n%s", code, out, errs)
	}
	// Neither flag: the default profile (export needs no tenant).
	exported := filepath.Join(t.TempDir(), "out.json")
	if _, errs, code := runCmd(t, "export", "--out", exported); code != exitOK {
		t.Fatalf("export of the default profile: exit %d %s", code, errs)
	}
	if b, err := os.ReadFile(exported); err != nil || !strings.Contains(string(b), c.TenantID) {
		t.Fatalf("exported %v %s", err, b)
	}
	// Import adds a saved connection (named by --profile, else after the tenant).
	if out, errs, code := runCmd(t, "import", "--profile", "Tailspin", exported); code != exitOK || !strings.Contains(out, `"Tailspin"`) {
		t.Fatalf("import: exit %d %s %s", code, out, errs)
	}
	if out, _, code := runCmd(t, "import", exported); code != exitOK || !strings.Contains(out, c.TenantID) {
		t.Fatalf("import named after the tenant: exit %d %s", code, out)
	}
	if list, err := ps.List(); err != nil || len(list) != 4 || list[2].Name != "Tailspin" || list[3].Name != c.TenantID || list[2].Locked {
		t.Fatalf("after import: %+v %v", list, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--profile", "Nope"}, "Contoso"},
		{[]string{"verify", "--profile", "Fabrikam", "--config", cfgPath}, "not both"},
		{[]string{"outbox", "list", "--profile", "Nope"}, "Fabrikam"},
	} {
		if _, errs, code := runCmd(t, tc.args...); code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", tc.args, code, tc.want, errs)
		}
	}
}
