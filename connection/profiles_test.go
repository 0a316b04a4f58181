package connection

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

func profileConfig(tenant string, exp time.Time) *wizard.Config {
	c := &wizard.Config{
		Schema: wizard.SchemaVersion, Cloud: wizard.CloudGlobal, TenantID: tenant, ClientID: "00000000-1111-2222-3333-444444444444",
		AccessMode: wizard.ModeSecret, Features: wizard.Features{Read: true}, Permissions: []string{"Mail.Read"},
		Credential: wizard.Credential{ExpiresAt: &exp}, Locked: true,
		Mailboxes:    []wizard.Mailbox{{Address: "anna@" + tenant, Kind: wizard.KindUser}},
		Verification: &wizard.Verification{At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Passed: true},
	}
	for _, id := range c.RequiredChecks() {
		c.Verification.Checks = append(c.Verification.Checks, wizard.Check{ID: id, Name: id, Status: wizard.StatusPass, At: c.Verification.At})
	}
	return c
}

func newProfiles(t *testing.T) *Profiles {
	t.Helper()
	keyring.MockInit()
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	return &Profiles{Dir: dir, Secrets: secretstore.New("m365connect-test-"+filepath.Base(dir), ""), Now: func() time.Time { return now }}
}

// TestProfilesLifecycle: three customers side by side — add, list with their
// summaries (tenant, mode, mailboxes, last verified, expiry with the 30-day warning),
// open by name or default, rename, duplicate, delete, export; secrets per profile.
func TestProfilesLifecycle(t *testing.T) {
	p := newProfiles(t)
	now := p.Now()
	if _, err := p.Resolve(""); !errors.Is(err, ErrNoProfiles) {
		t.Fatalf("empty store: %v", err)
	}
	cfgs := []struct {
		name, tenant string
		exp          time.Time
	}{
		{"Contoso", "contoso.com", now.AddDate(0, 6, 0)},
		{"Fabrikam", "fabrikam.com", now.AddDate(0, 0, 10)},
		{"Northwind", "northwind.com", now.AddDate(0, 0, -1)},
	}
	entries := map[string]ProfileEntry{}
	for _, c := range cfgs {
		e, err := p.Add(c.name, profileConfig(c.tenant, c.exp))
		if err != nil {
			t.Fatal(err)
		}
		entries[c.name] = e
		if _, err := p.SetSecret(e, wizard.SecretClientSecret, "secret-of-"+c.name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Add("contoso ", profileConfig("x.com", now)); !errors.Is(err, ErrProfileExists) {
		t.Fatalf("duplicate name (case, spaces): %v", err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", MaxProfileName+1), "a\x00b"} {
		if _, err := p.Add(bad, profileConfig("y.com", now)); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}

	list, err := p.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || !list[0].Default || list[1].Default {
		t.Fatalf("list %+v", list)
	}
	want := []struct{ tenant, warn string }{{"contoso.com", ""}, {"fabrikam.com", "in 10 days"}, {"northwind.com", "expired on"}}
	for i, w := range want {
		s := list[i]
		if s.Err != nil || s.Tenant != w.tenant || s.Mode != wizard.ModeSecret || len(s.Mailboxes) != 1 || s.Mailboxes[0] != "anna@"+w.tenant ||
			!s.Passed || s.LastVerified.IsZero() || s.SecretExpires == nil {
			t.Errorf("summary %d: %+v", i, s)
		}
		if (w.warn == "") != (s.ExpiryWarning == "") || !strings.Contains(s.ExpiryWarning, w.warn) {
			t.Errorf("%s: expiry warning %q, want %q", s.Name, s.ExpiryWarning, w.warn)
		}
	}

	// Each profile reads its own secret through the same SecretsFor the checks use.
	for _, c := range cfgs {
		e, cfg, err := p.Open(strings.ToUpper(c.name))
		if err != nil {
			t.Fatal(err)
		}
		sec, err := SecretsFor(cfg, ProfileSecrets(e, Chain{Store: p.Secrets.(*secretstore.Store)}))
		if err != nil || sec.ClientSecret != "secret-of-"+c.name {
			t.Fatalf("%s: secret %q, %v", c.name, sec.ClientSecret, err)
		}
	}
	// The environment still wins for CI, through the profile's keys.
	e0, cfg0, _ := p.Open("")
	env := Chain{Env: func(k string) string { return map[string]string{EnvClientSecret: "from-env"}[k] }, Store: p.Secrets.(*secretstore.Store)}
	if sec, _ := SecretsFor(cfg0, ProfileSecrets(e0, env)); sec.ClientSecret != "from-env" || e0.Name != "Contoso" {
		t.Fatalf("default %s, env secret %q", e0.Name, sec.ClientSecret)
	}

	// Rename keeps config and secret.
	if err := p.Rename("Fabrikam", "Fabrikam Ltd"); err != nil {
		t.Fatal(err)
	}
	if err := p.Rename("Contoso", "northwind"); !errors.Is(err, ErrProfileExists) {
		t.Fatalf("rename onto another: %v", err)
	}
	if err := p.Rename("contoso", "CONTOSO"); err != nil {
		t.Fatalf("rename changing case only: %v", err)
	}
	e, cfg, err := p.Open("fabrikam ltd")
	if err != nil || e.ID != entries["Fabrikam"].ID || cfg.TenantID != "fabrikam.com" {
		t.Fatalf("after rename: %+v %v", e, err)
	}
	if v, _ := p.Secrets.Get(profileKey(e.ID, wizard.SecretClientSecret)); v != "secret-of-Fabrikam" {
		t.Fatalf("secret lost on rename: %q", v)
	}

	// Duplicate: unlocked, unverified, no secret.
	d, err := p.Duplicate("Fabrikam Ltd", "Tailspin")
	if err != nil {
		t.Fatal(err)
	}
	_, dc, _ := p.Open("Tailspin")
	if dc.Locked || dc.Verification != nil || dc.TenantID != "fabrikam.com" {
		t.Fatalf("duplicate %+v", dc)
	}
	if _, err := p.Secrets.Get(profileKey(d.ID, wizard.SecretClientSecret)); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("duplicate has a secret: %v", err)
	}

	// Export: the config, no secret.
	b, err := p.Export("Northwind")
	if err != nil || !strings.Contains(string(b), `"tenantId": "northwind.com"`) || strings.Contains(string(b), "secret-of") {
		t.Fatalf("export: %v\n%s", err, b)
	}

	// Delete the default: config and secrets go, the next becomes default.
	if err := p.Delete("CONTOSO"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.ConfigPath(entries["Contoso"].ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("config left: %v", err)
	}
	if _, err := p.Secrets.Get(profileKey(entries["Contoso"].ID, wizard.SecretClientSecret)); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("secret left: %v", err)
	}
	if e, _ := p.Resolve(""); e.Name != "Fabrikam Ltd" {
		t.Fatalf("default after delete: %+v", e)
	}
	if err := p.SetDefault("tailspin"); err != nil {
		t.Fatal(err)
	}
	if e, _ := p.Resolve(""); e.Name != "Tailspin" {
		t.Fatalf("default: %+v", e)
	}
	if _, err := p.Resolve("Contoso"); !errors.Is(err, ErrProfileNotFound) || !strings.Contains(err.Error(), "Tailspin") {
		t.Fatalf("deleted profile: %v", err)
	}
	if runtime.GOOS != "windows" {
		for _, f := range []string{filepath.Join(p.Dir, "profiles.json"), p.ConfigPath(d.ID)} {
			if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v", f, st.Mode(), err)
			}
		}
	}
}

// TestProfilesDamagedIndexAndConfig: a damaged index is refused with its path; a
// damaged profile config is listed with its error, the others still are.
func TestProfilesDamagedIndexAndConfig(t *testing.T) {
	p := newProfiles(t)
	a, _ := p.Add("A", profileConfig("a.com", p.Now().AddDate(1, 0, 0)))
	if _, err := p.Add("B", profileConfig("b.com", p.Now().AddDate(1, 0, 0))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.ConfigPath(a.ID), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := p.List()
	if err != nil || len(list) != 2 || list[0].Err == nil || list[1].Err != nil || list[1].Tenant != "b.com" {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := os.WriteFile(filepath.Join(p.Dir, "profiles.json"), []byte(`{"schema":1,"profiles":[{"id":"../../etc/x","name":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.List(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("bad id accepted: %v", err)
	}
}

// TestMigrateLegacyConfig: the single config.json of earlier versions becomes the
// default profile, its secrets move from the old keys to the profile's, and the old
// file is renamed; a second run does nothing; a damaged old file is left alone.
func TestMigrateLegacyConfig(t *testing.T) {
	p := newProfiles(t)
	legacy := filepath.Join(p.Dir, "config.json")
	old := profileConfig("contoso.com", p.Now().AddDate(0, 0, 20))
	if err := old.Save(legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Secrets.Set(old.SecretKey(wizard.SecretClientSecret), "old-secret"); err != nil {
		t.Fatal(err)
	}
	// A certificate made by "Create it for me" (its private key) moves too.
	if _, err := p.Secrets.Set(old.SecretKey(SecretCertificate), "-----BEGIN PRIVATE KEY-----"); err != nil {
		t.Fatal(err)
	}
	e, moved, err := p.MigrateLegacy(legacy, "Default")
	if err != nil || !moved {
		t.Fatalf("migrate: %v %v", moved, err)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("old config.json still in place")
	}
	if _, err := os.Stat(legacy + ".migrated"); err != nil {
		t.Fatal(err)
	}
	got, cfg, err := p.Open("")
	if err != nil || got.ID != e.ID || got.Name != "Default" || cfg.TenantID != "contoso.com" || !cfg.Locked || cfg.Verification == nil {
		t.Fatalf("migrated profile %+v %+v %v", got, cfg, err)
	}
	sec, err := SecretsFor(cfg, ProfileSecrets(got, Chain{Store: p.Secrets.(*secretstore.Store)}))
	if err != nil || sec.ClientSecret != "old-secret" {
		t.Fatalf("secret not moved: %q %v", sec.ClientSecret, err)
	}
	if _, err := p.Secrets.Get(old.SecretKey(wizard.SecretClientSecret)); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("old key still holds the secret: %v", err)
	}
	if v, err := p.Secrets.Get(ProfileSecretKey(got, SecretCertificate)); err != nil || v == "" {
		t.Fatalf("certificate not moved: %v", err)
	}
	if _, err := p.Secrets.Get(old.SecretKey(SecretCertificate)); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("old key still holds the certificate: %v", err)
	}
	// Deleting the profile takes every kind of its secrets with it.
	if err := p.Delete("Default"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range secretKinds() {
		if _, err := p.Secrets.Get(ProfileSecretKey(got, kind)); !errors.Is(err, secretstore.ErrNotFound) {
			t.Errorf("%s left in the keyring after the profile was deleted: %v", kind, err)
		}
	}
	if err := old.Save(legacy); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.MigrateLegacy(legacy, "Default"); err != nil {
		t.Fatal(err)
	}
	// Nothing more to do the second time (even if an old file reappears).
	if err := old.Save(legacy); err != nil {
		t.Fatal(err)
	}
	if _, moved, err := p.MigrateLegacy(legacy, "Default"); moved || err != nil {
		t.Fatalf("second migration: %v %v", moved, err)
	}

	// A damaged old file: refused, left in place, no profile made.
	q := newProfiles(t)
	bad := filepath.Join(q.Dir, "config.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 2, "cloud": `), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, moved, err := q.MigrateLegacy(bad, "Default"); moved || err == nil || !strings.Contains(err.Error(), "line") {
		t.Fatalf("damaged: %v %v", moved, err)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatal("damaged file moved")
	}
	if l, _ := q.List(); len(l) != 0 {
		t.Fatalf("profile made from a damaged file: %+v", l)
	}
	// No old file: nothing.
	if _, moved, err := newProfiles(t).MigrateLegacy(filepath.Join(t.TempDir(), "config.json"), "Default"); moved || err != nil {
		t.Fatalf("no file: %v %v", moved, err)
	}
}

func TestOpenProfilesMigrates(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	store := secretstore.New("m365connect-test-open-"+filepath.Base(dir), "")
	old := profileConfig("contoso.com", time.Now().AddDate(1, 0, 0))
	if err := old.Save(filepath.Join(dir, LegacyConfigFile)); err != nil {
		t.Fatal(err)
	}
	p, err := OpenProfiles(dir, store)
	if err != nil {
		t.Fatal(err)
	}
	if e, c, err := p.Open(""); err != nil || e.Name != DefaultProfileName || c.TenantID != "contoso.com" {
		t.Fatalf("%+v %v", e, err)
	}
}

// TestCommandConfig: a command's --profile / --config choice: the default profile when
// neither is given, a named one (case-insensitive) with its own secret, a file, and the
// errors for both flags, an unknown name and no profiles at all.
func TestCommandConfig(t *testing.T) {
	p := newProfiles(t)
	store := p.Secrets.(*secretstore.Store)
	if _, _, err := p.CommandConfig("", "", Chain{Store: store}); !errors.Is(err, ErrNoProfiles) || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("no profiles: %v", err)
	}
	for _, n := range []string{"Contoso", "Fabrikam"} {
		e, err := p.Add(n, profileConfig(strings.ToLower(n)+".com", p.Now().AddDate(1, 0, 0)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.SetSecret(e, wizard.SecretClientSecret, "s-"+n); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ profile, tenant, secret string }{{"", "contoso.com", "s-Contoso"}, {"FABRIKAM", "fabrikam.com", "s-Fabrikam"}}
	for _, tc := range tests {
		c, src, err := p.CommandConfig(tc.profile, "", Chain{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		sec, err := SecretsFor(c, src)
		if c.TenantID != tc.tenant || err != nil || sec.ClientSecret != tc.secret {
			t.Errorf("--profile %q: %s %q %v", tc.profile, c.TenantID, sec.ClientSecret, err)
		}
	}
	file := filepath.Join(t.TempDir(), "x.json")
	if err := profileConfig("tailspin.com", p.Now()).Save(file); err != nil {
		t.Fatal(err)
	}
	if c, _, err := p.CommandConfig("", file, Chain{Store: store}); err != nil || c.TenantID != "tailspin.com" {
		t.Fatalf("--config: %v", err)
	}
	if _, _, err := p.CommandConfig("Contoso", file, Chain{Store: store}); err == nil {
		t.Fatal("both flags accepted")
	}
	if _, _, err := p.CommandConfig("Nope", "", Chain{Store: store}); !errors.Is(err, ErrProfileNotFound) || !strings.Contains(err.Error(), "Contoso, Fabrikam") {
		t.Fatalf("unknown: %v", err)
	}
}

// TestChainProfile: a Chain bound to a profile reads and writes the profile's own keys;
// the environment still answers (matched on the connection's key).
func TestChainProfile(t *testing.T) {
	p := newProfiles(t)
	store := p.Secrets.(*secretstore.Store)
	c := profileConfig("contoso.com", p.Now().AddDate(1, 0, 0))
	e, err := p.Add("Contoso", c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SetSecret(e, wizard.SecretClientSecret, "profile-secret"); err != nil {
		t.Fatal(err)
	}
	ch := Chain{Store: store, Profile: e.ID}
	if v, err := ch.Get(c.SecretKey(wizard.SecretClientSecret)); err != nil || v != "profile-secret" {
		t.Fatalf("get: %q %v", v, err)
	}
	if err := ch.Set(c.SecretKey(wizard.SecretRefreshToken), "rt"); err != nil {
		t.Fatal(err)
	}
	if v, _ := store.Get(ProfileSecretKey(e, wizard.SecretRefreshToken)); v != "rt" {
		t.Fatalf("set went elsewhere: %q", v)
	}
	if _, err := store.Get(c.SecretKey(wizard.SecretRefreshToken)); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("set also wrote the connection key: %v", err)
	}
	ch.Env = func(k string) string { return map[string]string{EnvClientSecret: "from-env"}[k] }
	if v, _ := ch.Get(c.SecretKey(wizard.SecretClientSecret)); v != "from-env" {
		t.Fatalf("environment not preferred: %q", v)
	}
}
