package connection

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// Finding 1 of issue 14: an imported practice-tenant config naming another host with its
// own CA got the client secret from M365CONNECT_CLIENT_SECRET. Now the config is refused
// at load, the cloud is refused at build (so nothing is sent), and an environment secret
// bound to a connection (M365CONNECT_CONNECTION) is offered to no other.
func TestPracticeConfigCannotSendTheSecretElsewhere(t *testing.T) {
	var hits atomic.Int64
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer evil.Close()
	caFile := filepath.Join(t.TempDir(), "evil-ca.pem")
	os.WriteFile(caFile, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // a name, not the loopback address
	c := &wizard.Config{Schema: wizard.SchemaVersion, Cloud: wizard.CloudPractice,
		Practice: &wizard.PracticeHosts{AuthorityHost: evilURL + "/", GraphBaseURL: "https://evil.example/v1.0", CACertFile: caFile},
		TenantID: "contoso.onmicrosoft.com", ClientID: "00000000-1111-2222-3333-444444444444", AccessMode: wizard.ModeSecret,
		Features: wizard.Features{Read: true}, Mailboxes: []wizard.Mailbox{{Address: "a@contoso.com", Kind: wizard.KindUser}}}
	b, _ := c.Marshal()
	if _, err := wizard.Parse(b); err == nil || !strings.Contains(err.Error(), "practice.authorityHost") || !strings.Contains(err.Error(), "practice.graphBaseUrl") {
		t.Fatalf("load: %v", err)
	}
	env := map[string]string{EnvClientSecret: "ci-secret-for-the-real-tenant"}
	src := Chain{Env: func(k string) string { return env[k] }}
	if _, err := Verify(context.Background(), c, src, nil); err == nil {
		t.Fatal("verify ran")
	}
	if _, err := Open(context.Background(), c, src); err == nil {
		t.Fatal("open ran")
	}
	if _, err := CloudFor(c.Cloud, c.Practice); err == nil || !strings.Contains(err.Error(), "CA") && !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("cloud: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the foreign host was contacted %d times", hits.Load())
	}
	// Bound to one connection, the environment's secret is offered to no other.
	env[EnvConnection] = "global/contoso.onmicrosoft.com/00000000-1111-2222-3333-444444444444"
	if v, err := src.Get(c.SecretKey(wizard.SecretClientSecret)); err == nil || v != "" {
		t.Fatalf("a bound secret was offered to another connection: %q", v)
	}
	c.Cloud = wizard.CloudGlobal
	if v, _ := src.Get(c.SecretKey(wizard.SecretClientSecret)); v != "ci-secret-for-the-real-tenant" {
		t.Fatalf("the bound connection: %q", v)
	}
}

// The command line refuses the plain-file fallback unless --insecure-storage was given;
// with it the file is 0600 and its location is said.
func TestChainFallbackNeedsInsecureStorage(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided"))
	defer keyring.MockInit()
	path := filepath.Join(t.TempDir(), "cfg", "secrets.json")
	key := "global/contoso.onmicrosoft.com/00000000-1111-2222-3333-444444444444/refresh-token"
	var warned string
	ch := Chain{Store: secretstore.New("m365connect-test", path), Warn: func(m string) { warned = m }}
	err := ch.Set(key, "refresh-token-value-0123456789")
	if !errors.Is(err, secretstore.ErrNeedsConsent) || !strings.Contains(err.Error(), "--insecure-storage") || !strings.Contains(err.Error(), path) {
		t.Fatalf("without the flag: %v", err)
	}
	if !strings.Contains(warned, "Not saved") || !strings.Contains(warned, "--insecure-storage") || strings.Contains(warned, "refresh-token-value") {
		t.Fatalf("the refusal was not said (or said the secret): %q", warned)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the file was written without consent")
	}
	ch.InsecureStorage = true
	if err := ch.Set(key, "refresh-token-value-0123456789"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warned, path) || !strings.Contains(warned, "0600") {
		t.Fatalf("location not said: %q", warned)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode().Perm())
		}
	}
}

// wizard.Config.RequiredChecks names checks graph's plan really runs, so a report can
// only say "passed" when they did.
func TestRequiredChecksArePlanned(t *testing.T) {
	for _, f := range []wizard.Features{{Read: true}, {Send: true}, {Read: true, Write: true, Send: true}} {
		c := &wizard.Config{Cloud: wizard.CloudGlobal, TenantID: "contoso.onmicrosoft.com", ClientID: "00000000-1111-2222-3333-444444444444",
			AccessMode: wizard.ModeSecret, Features: f, Mailboxes: []wizard.Mailbox{{Address: "a@contoso.com"}, {Address: "b@contoso.com"}}}
		s, err := SettingsFor(c)
		if err != nil {
			t.Fatal(err)
		}
		var planned []string
		for _, p := range graph.Plan(s) {
			planned = append(planned, p.ID)
		}
		for _, id := range c.RequiredChecks() {
			if !slices.Contains(planned, id) {
				t.Errorf("features %+v: required check %q is not in graph's plan %v", f, id, planned)
			}
		}
	}
}

// A run cut short is not a pass, even though nothing failed.
func TestVerificationFromCancelledRunIsNotPassed(t *testing.T) {
	rs := []graph.CheckResult{{ID: "preflight.secret", Status: graph.StatusSkip}, {ID: "credentials", Status: graph.StatusPass}, {ID: "tenant", Status: graph.StatusSkip, Seen: "cancelled"}}
	if v := VerificationFrom(rs, time.Now()); v.Passed {
		t.Fatal("a cancelled run passed")
	}
	rs[2].Status = graph.StatusPass
	if v := VerificationFrom(rs, time.Now()); !v.Passed {
		t.Fatal("a complete run with a skipped pre-flight check did not pass")
	}
	if v := VerificationFrom(nil, time.Now()); v.Passed {
		t.Fatal("zero checks passed")
	}
}
