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

	"golang.org/x/oauth2"

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

// A delegated sign-in survives a restart of a tenant with a state file: the refresh
// token handed out in the first run is redeemed by the second (as Entra ID keeps
// refresh tokens valid across restarts of the app).
func TestStateFileKeepsRefreshTokens(t *testing.T) {
	state := filepath.Join(t.TempDir(), "practice", "tenant-state.json")
	first, err := emulator.New(emulator.Options{Seed: 5, MessagesPerMailbox: 1, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	id := first.Identity()
	app, user := id.App(emulator.AppDelegatedName), id.Users()[1]
	cb := newCallback(t)
	cfg := oauthConfig(first, app, cb.URL)
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, first.Client()), 30*time.Second)
	defer cancel()
	verifier := oauth2.GenerateVerifier()
	got := signIn(t, cfg, cb, "st", verifier, oauth2.SetAuthURLParam("login_hint", user.Address), oauth2.SetAuthURLParam("prompt", "none"))
	tok, err := cfg.Exchange(ctx, got.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("sign-in: %v", err)
	}
	first.Close()

	second := newServer(t, emulator.Options{Seed: 5, MessagesPerMailbox: 1, StateFile: state})
	cfg2 := oauthConfig(second, second.Identity().App(emulator.AppDelegatedName), cb.URL)
	ctx2 := context.WithValue(ctx, oauth2.HTTPClient, second.Client())
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg2.TokenSource(ctx2, &old).Token()
	if err != nil {
		t.Fatalf("the first run's refresh token is refused after a restart: %v", err)
	}
	if c := claimsOf(t, fresh.AccessToken); c["upn"] != user.Address {
		t.Errorf("claims after restart: %v", c)
	}
}
