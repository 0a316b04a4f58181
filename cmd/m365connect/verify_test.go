package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/wizard"
)

// practiceConfig starts a practice tenant, writes its info file and a config for its
// secret app, as the wizard would export it.
func practiceConfig(t *testing.T) (srv *emulator.Server, infoPath, cfgPath string) {
	t.Helper()
	keyring.MockInit()
	t.Setenv("HOME", t.TempDir()) // keep the fallback secrets file away from the real one
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, err := emulator.New(emulator.Options{Seed: 1, MessagesPerMailbox: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	infoPath = filepath.Join(dir, "sandbox.json")
	if err := srv.WriteInfo(infoPath); err != nil {
		t.Fatal(err)
	}
	info := srv.Info()
	var clientID string
	for _, a := range info.Apps {
		if a.Name == emulator.AppSecretName {
			clientID = a.ClientID
		}
	}
	var mb string
	for _, m := range info.Mailboxes {
		if m.Kind == wizard.KindUser && mb == "" {
			mb = m.Address
		}
	}
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: "test", Cloud: wizard.CloudPractice,
		// Hosts of an earlier run: --sandbox-info must replace them.
		Practice: &wizard.PracticeHosts{AuthorityHost: "https://127.0.0.1:1/", GraphBaseURL: "https://127.0.0.1:1/v1.0", CACertFile: filepath.Join(dir, "gone.pem")},
		TenantID: info.TenantID, ClientID: clientID, AccessMode: wizard.ModeSecret,
		Features: wizard.Features{Read: true, Send: true}, Permissions: []string{"Mail.Read", "Mail.Send"},
		Mailboxes: []wizard.Mailbox{{Address: mb, Kind: wizard.KindUser}}}
	cfgPath = filepath.Join(dir, "config.json")
	if err := c.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	return srv, infoPath, cfgPath
}

func TestVerifyAgainstSandbox(t *testing.T) {
	_, infoPath, cfgPath := practiceConfig(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"verify", "--config", cfgPath, "--sandbox-info", infoPath}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"PASS", "Test read", "Test send", "\nVerify: passed for the configured mode ("} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// JSON, and a wrong secret from the environment: non-zero exit, failure with advice.
	const wrong = "Wr0ng~secret-value-that-is-long-enough"
	t.Setenv(connection.EnvClientSecret, wrong)
	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"verify", "--json", "--config", cfgPath, "--sandbox-info", infoPath}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "checks failed") {
		t.Fatalf("wrong secret: exit %d, stderr %s", code, errb.String())
	}
	var res struct {
		Verification wizard.Verification `json:"verification"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	var failed *wizard.Check
	for i, c := range res.Verification.Checks {
		if c.Status == wizard.StatusFail && failed == nil {
			failed = &res.Verification.Checks[i]
		}
	}
	if res.Verification.Passed || failed == nil || failed.Advice == "" {
		t.Fatalf("want a failed check with advice: %+v", res.Verification)
	}
	if strings.Contains(out.String()+errb.String(), wrong) {
		t.Fatal("the secret reached the output")
	}
}

func TestVerifyUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"verify"}, &out, &errb); code != 2 {
		t.Fatalf("no --config: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{\n  \"schema\": 2,,\n}"), 0o600)
	errb.Reset()
	if code := run(context.Background(), []string{"verify", "--config", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 2 column") {
		t.Fatalf("corrupt config: exit %d, %s", code, errb.String())
	}
}

func TestExportImport(t *testing.T) {
	_, _, cfgPath := practiceConfig(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "export.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"export", "--config", cfgPath, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("export: %d %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "export-report.html")); err != nil {
		t.Fatalf("no report: %v", err)
	}
	dest := filepath.Join(dir, "installed", "config.json")
	stdout.Reset()
	if code := run(context.Background(), []string{"import", "--config", dest, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("import: %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "No client-secret") {
		t.Errorf("import should say the secret is missing: %s", stdout.String())
	}
	if _, err := wizard.Load(dest); err != nil {
		t.Fatal(err)
	}
	// A hand-edited file is refused whole, with the field.
	b, _ := os.ReadFile(out)
	os.WriteFile(out, bytes.Replace(b, []byte(`"locked"`), []byte(`"lockd"`), 1), 0o600)
	stderr.Reset()
	before, _ := os.ReadFile(dest)
	if code := run(context.Background(), []string{"import", "--config", dest, out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "field lockd") {
		t.Fatalf("hand-edited import: %d %s", code, stderr.String())
	}
	if after, _ := os.ReadFile(dest); !bytes.Equal(before, after) {
		t.Fatal("a refused import changed the installed config")
	}
}
