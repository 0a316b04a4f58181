package emulator_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
)

// Every practice app has the redirect URI the wizard tells admins to register, so
// "Open admin consent" works for the secret and certificate apps too (it answered
// AADSTS50011 for them). The loopback port is ignored, as Entra ID ignores it.
func TestEveryAppAcceptsTheLoopbackRedirect(t *testing.T) {
	s := newServer(t, emulator.Options{})
	id := s.Identity()
	id.SetAutoSignIn(id.Users()[0].Address)
	for _, app := range id.Apps() {
		if !slicesContain(app.RedirectURIs, "http://localhost") {
			t.Errorf("%s: redirect URIs %v", app.Name, app.RedirectURIs)
		}
		cb := newCallback(t)
		v := url.Values{"client_id": {app.ClientID}, "redirect_uri": {strings.Replace(cb.URL, "127.0.0.1", "localhost", 1)}, "state": {"s"}, "scope": {graphDefault}}
		if code, body := browse(t, s.BrowserAuthorityHost()+id.TenantID()+"/v2.0/adminconsent?"+v.Encode()); strings.Contains(body, "AADSTS50011") {
			t.Errorf("%s: admin consent answered %d %s", app.Name, code, body)
			continue
		}
		if got := cb.wait(t); got.Get("admin_consent") != "True" {
			t.Errorf("%s: callback %v", app.Name, got)
		}
	}
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// A practice tenant started again with the same state file accepts the secrets,
// certificates, consent and refresh tokens of the previous run (new ports, new TLS),
// so a saved practice connection reopens like a real one.
func TestStateFileKeepsCredentialsAcrossRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "practice")
	state := filepath.Join(dir, "tenant-state.json")
	first, err := emulator.New(emulator.Options{Seed: 3, MessagesPerMailbox: 1, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	id := first.Identity()
	secretApp, certApp, other := id.App(emulator.AppSecretName), id.App(emulator.AppCertificateName), id.App(emulator.AppNotConsentedName)
	secret, certPEM := secretApp.ClientSecret(), certApp.CertificatePEM()
	id.SetAdminConsent(other.ClientID, true)
	firstAuthority := first.AuthorityHost()
	first.Close()

	for path, want := range map[string]os.FileMode{state: 0o600, dir: 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", filepath.Base(path), fi.Mode().Perm(), err, want)
		}
	}
	raw, _ := os.ReadFile(state)
	if !bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the state file does not hold the secret it must restore")
	}

	second := newServer(t, emulator.Options{Seed: 3, MessagesPerMailbox: 1, StateFile: state})
	id2 := second.Identity()
	if second.AuthorityHost() == firstAuthority {
		t.Log("same port twice (possible, not required)")
	}
	if got := id2.App(emulator.AppSecretName).ClientSecret(); got != secret {
		t.Error("the secret app's secret changed across runs")
	}
	if !bytes.Equal(id2.App(emulator.AppCertificateName).CertificatePEM(), certPEM) {
		t.Error("the certificate app's certificate changed across runs")
	}
	if !id2.AdminConsented(other.ClientID) {
		t.Error("admin consent granted in the first run was forgotten")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := getToken(ctx, secretCredential(t, second, id2.TenantID(), id2.App(emulator.AppSecretName), secret)); err != nil {
		t.Errorf("the first run's secret is refused by the second: %v", err)
	}

	// Another seed is another tenant: the file is not applied (and is rewritten).
	third := newServer(t, emulator.Options{Seed: 4, MessagesPerMailbox: 1, StateFile: state})
	if third.Identity().App(emulator.AppSecretName).ClientSecret() == secret {
		t.Error("a tenant of another seed took the state file's secret")
	}
	// A damaged file is an error, not a silent fresh start over the user's credentials.
	if err := os.WriteFile(state, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := emulator.New(emulator.Options{Seed: 3, StateFile: state}); err == nil {
		s.Close()
		t.Error("a damaged state file was accepted")
	}
}
