package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/m365connect/m365connect/emulator"
)

// The practice tenant's ready-made apps are application objects, as every app of a real
// tenant is: Graph finds them by appId and by object id, with their passwordCredentials
// (hint = the secret's first three characters) and keyCredentials; they are not
// "created" apps, and a user without an administrator role may not change them.
// https://learn.microsoft.com/en-us/graph/api/application-get
// https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential
func TestReadyMadeAppsAreApplicationObjects(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 21, Users: 3, MessagesPerMailbox: 1})
	id := s.Identity()
	negative, err := id.RegisterAppWithout(emulator.AppBothSecret, "Mail.Send")
	if err != nil {
		t.Fatal(err)
	}
	users := id.Users()
	ga := adminToken(t, s, users[0].Address, adminScopes)
	apps := id.Apps()
	if len(apps) < 20 || apps[len(apps)-1] != negative {
		t.Fatalf("ready-made apps: %d, last %q", len(apps), apps[len(apps)-1].Name)
	}
	for _, a := range apps {
		st, byAppID := call(t, s, ga, "GET", "/applications(appId='"+a.ClientID+"')", nil)
		if st != 200 || byAppID["appId"] != a.ClientID || byAppID["displayName"] != a.Name {
			t.Fatalf("%s by appId: %d %v", a.Name, st, byAppID)
		}
		objID, _ := byAppID["id"].(string)
		st, byID := call(t, s, ga, "GET", "/applications/"+objID, nil)
		if st != 200 || byID["appId"] != a.ClientID || objID == a.ClientID {
			t.Fatalf("%s by object id %s: %d %v", a.Name, objID, st, byID)
		}
		pcs, _ := byID["passwordCredentials"].([]any)
		kcs, _ := byID["keyCredentials"].([]any)
		wantPw, wantKeys := 0, 0
		if a.ClientSecret() != "" {
			wantPw = 1
		}
		if a.CertificatePEM() != nil {
			wantKeys = 1
		}
		if len(pcs) != wantPw || len(kcs) != wantKeys {
			t.Errorf("%s: %d secrets %d certificates, want %d and %d", a.Name, len(pcs), len(kcs), wantPw, wantKeys)
		}
		if wantPw == 1 {
			pc := pcs[0].(map[string]any)
			if pc["hint"] != a.ClientSecret()[:3] || pc["keyId"] == "" || pc["secretText"] != nil {
				t.Errorf("%s: passwordCredential %v", a.Name, pc)
			}
		}
		if wantKeys == 1 && kcs[0].(map[string]any)["type"] != "AsymmetricX509Cert" {
			t.Errorf("%s: keyCredential %v", a.Name, kcs[0])
		}
		if rra, _ := byID["requiredResourceAccess"].([]any); len(rra) != 1 {
			t.Errorf("%s: requiredResourceAccess %v", a.Name, byID["requiredResourceAccess"])
		}
	}
	if len(id.CreatedApps()) != 0 {
		t.Errorf("ready-made apps listed as created: %+v", id.CreatedApps())
	}
	// A user holding the scopes but no administrator role may not add a secret to an app
	// they do not own (they own none of the ready-made ones).
	id.SetDirectoryRoles(users[2].Address, emulator.RoleApplicationAdministrator)
	plain := adminToken(t, s, users[2].Address, adminScopes)
	id.SetDirectoryRoles(users[2].Address)
	app := id.App(emulator.AppSecretName)
	if st, m := call(t, s, plain, "POST", "/applications(appId='"+app.ClientID+"')/addPassword", map[string]any{}); st != 403 {
		t.Errorf("plain user added a secret to a ready-made app: %d %v", st, m)
	}
}

// passwordKeyID is the keyId of the app's secret whose hint is the secret's start.
func passwordKeyID(t *testing.T, s *emulator.Server, tok, appID, secret string) (string, int) {
	t.Helper()
	st, m := call(t, s, tok, "GET", "/applications(appId='"+appID+"')", nil)
	if st != 200 {
		t.Fatalf("get app: %d %v", st, m)
	}
	pcs, _ := m["passwordCredentials"].([]any)
	keyID := ""
	for _, p := range pcs {
		if pc := p.(map[string]any); pc["hint"] == secret[:3] {
			keyID, _ = pc["keyId"].(string)
		}
	}
	return keyID, len(pcs)
}

// Rotating a ready-made app's secret through Graph, as the app's Reset does: the new
// secret (addPassword) gets a token at once, the old one too until removePassword,
// then the old one is refused with AADSTS7000215 and the new one still works; the
// practice tenant hands out the new one (its info file too). A rotated secret survives
// a restart, even one after a crash (the first tenant is never closed before it).
// https://learn.microsoft.com/en-us/graph/api/application-addpassword
// https://learn.microsoft.com/en-us/graph/api/application-removepassword
func TestReadyMadeAppSecretRotation(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	opts := emulator.Options{Seed: 22, Users: 2, MessagesPerMailbox: 1, StateFile: state}
	first, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	if err := first.WriteInfo(infoPath); err != nil {
		t.Fatal(err)
	}
	id := first.Identity()
	app := id.App("Practice app (read mail)")
	old := app.ClientSecret()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tokenErr := func(s *emulator.Server, secret string) error {
		_, err := getToken(ctx, secretCredential(t, s, s.Identity().TenantID(), app, secret))
		return err
	}
	ga := adminToken(t, first, id.Users()[0].Address, adminScopes)
	oldKey, n := passwordKeyID(t, first, ga, app.ClientID, old)
	if oldKey == "" || n != 1 {
		t.Fatalf("before rotation: key %q of %d secrets", oldKey, n)
	}
	st, pc := call(t, first, ga, "POST", "/applications(appId='"+app.ClientID+"')/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "rotated"}})
	fresh, _ := pc["secretText"].(string)
	if st != 200 || fresh == "" || fresh == old || pc["hint"] != fresh[:3] {
		t.Fatalf("addPassword: %d %v", st, pc)
	}
	if err := tokenErr(first, fresh); err != nil {
		t.Fatalf("the new secret gets no token: %v", err)
	}
	if err := tokenErr(first, old); err != nil {
		t.Fatalf("the old secret stopped working before it was removed: %v", err)
	}
	if st, m := call(t, first, ga, "POST", "/applications(appId='"+app.ClientID+"')/removePassword", map[string]any{"keyId": oldKey}); st != 204 {
		t.Fatalf("removePassword: %d %v", st, m)
	}
	if status, body := authFailure(t, tokenErr(first, old)); status != 401 || !strings.Contains(body, "AADSTS7000215") {
		t.Errorf("the removed secret: %d %s", status, body)
	}
	if err := tokenErr(first, fresh); err != nil {
		t.Errorf("the new secret after removing the old one: %v", err)
	}
	if app.ClientSecret() != fresh || first.Info().Apps[indexOf(first.Info().Apps, app.Name)].ClientSecret != fresh {
		t.Error("the practice tenant still hands out the removed secret")
	}
	if st, m := call(t, first, ga, "POST", "/applications(appId='"+app.ClientID+"')/removePassword", map[string]any{"keyId": oldKey}); st != 404 {
		t.Errorf("removing it twice: %d %v", st, m)
	}
	if info, err := os.ReadFile(infoPath); err != nil || !strings.Contains(string(info), fresh) || strings.Contains(string(info), old) {
		t.Errorf("the info file does not hand out the rotated secret (read: %v)", err)
	}

	second := newServer(t, opts)
	if err := tokenErr(second, fresh); err != nil {
		t.Errorf("the rotated secret is refused after a restart: %v", err)
	}
	if status, body := authFailure(t, tokenErr(second, old)); status != 401 || !strings.Contains(body, "AADSTS7000215") {
		t.Errorf("the removed secret after a restart: %d %s", status, body)
	}
	if got := second.Identity().App(app.Name).ClientSecret(); got != fresh {
		t.Error("after a restart the practice tenant hands out another secret than the rotated one")
	}
}

func indexOf(apps []emulator.InfoApp, name string) int {
	for i, a := range apps {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// newTestCertificate makes a self-signed certificate and its key.
func newTestCertificate(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "rotated"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// Replacing a ready-made app's certificate with PATCH keyCredentials (the collection is
// replaced as a whole): the new certificate signs in, the issued one is refused
// (AADSTS700027) and no longer handed out.
// https://learn.microsoft.com/en-us/graph/api/application-update
func TestReadyMadeAppCertificateReplaced(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 23, Users: 2, MessagesPerMailbox: 1})
	id := s.Identity()
	app := id.App(emulator.AppCertificateName)
	oldCerts, oldKey, err := azidentity.ParseCertificates(app.CertificatePEM(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := newTestCertificate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tokenErr := func(certs []*x509.Certificate, k any) error {
		cred, err := azidentity.NewClientCertificateCredential(id.TenantID(), app.ClientID, certs, k,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: credOpts(s), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = getToken(ctx, cred)
		return err
	}
	ga := adminToken(t, s, id.Users()[0].Address, adminScopes)
	der := base64.StdEncoding.EncodeToString(cert.Raw)
	body := map[string]any{"keyCredentials": []any{map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": der, "displayName": "rotated"}}}
	if st, m := call(t, s, ga, "PATCH", "/applications(appId='"+app.ClientID+"')", body); st != 204 {
		t.Fatalf("PATCH keyCredentials: %d %v", st, m)
	}
	if err := tokenErr([]*x509.Certificate{cert}, key); err != nil {
		t.Errorf("the new certificate gets no token: %v", err)
	}
	if status, body := authFailure(t, tokenErr(oldCerts, oldKey)); status != 401 || !strings.Contains(body, "AADSTS700027") {
		t.Errorf("the replaced certificate: %d %s", status, body)
	}
	if app.CertificatePEM() != nil {
		t.Error("the practice tenant still hands out the replaced certificate")
	}
	_, m := call(t, s, ga, "GET", "/applications(appId='"+app.ClientID+"')", nil)
	if kcs, _ := m["keyCredentials"].([]any); len(kcs) != 1 || kcs[0].(map[string]any)["displayName"] != "rotated" {
		t.Errorf("keyCredentials after PATCH: %v", m["keyCredentials"])
	}
}

// A state file of version 1 (one secret per ready-made app, no credential lists) still
// loads: the app keeps the secret it held.
func TestStateFileVersion1StillLoads(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	opts := emulator.Options{Seed: 24, Users: 2, MessagesPerMailbox: 1, StateFile: state}
	first, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	secret := first.Identity().App(emulator.AppSecretName).ClientSecret()
	first.Close()
	raw, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st["version"] != float64(2) {
		t.Fatalf("state file version %v", st["version"])
	}
	st["version"] = 1
	for _, v := range st["apps"].(map[string]any) {
		a := v.(map[string]any)
		if pws, ok := a["passwords"].([]any); ok && len(pws) == 1 {
			a["secret"] = pws[0].(map[string]any)["Secret"]
		}
		delete(a, "passwords")
		delete(a, "keys")
	}
	raw, _ = json.Marshal(st)
	if err := os.WriteFile(state, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	second := newServer(t, opts)
	id := second.Identity()
	app := id.App(emulator.AppSecretName)
	if app.ClientSecret() != secret {
		t.Fatal("the version 1 file's secret was not restored")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := getToken(ctx, secretCredential(t, second, id.TenantID(), app, secret)); err != nil {
		t.Errorf("the version 1 file's secret gets no token: %v", err)
	}
	if certApp := id.App(emulator.AppCertificateName); certApp.CertificatePEM() == nil {
		t.Error("the certificate app lost its certificate loading a version 1 file")
	}
}

// Deleting a ready-made app through Graph takes it off the practice tenant: its tokens
// stop (AADSTS700016) and it is no longer listed.
// https://learn.microsoft.com/en-us/graph/api/application-delete
func TestReadyMadeAppDeleted(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 25, Users: 2, MessagesPerMailbox: 1})
	id := s.Identity()
	app := id.App(emulator.AppIncomingSecret)
	secret := app.ClientSecret()
	ga := adminToken(t, s, id.Users()[0].Address, adminScopes)
	if st, m := call(t, s, ga, "DELETE", "/applications(appId='"+app.ClientID+"')", nil); st != 204 {
		t.Fatalf("delete: %d %v", st, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := getToken(ctx, secretCredential(t, s, id.TenantID(), app, secret))
	if status, body := authFailure(t, err); status != 400 || !strings.Contains(body, "AADSTS700016") {
		t.Errorf("deleted app: %d %s", status, body)
	}
	if id.App(app.Name) != nil {
		t.Error("the deleted app is still listed")
	}
	if st, _ := call(t, s, ga, "GET", "/applications(appId='"+app.ClientID+"')", nil); st != 404 {
		t.Errorf("the deleted app is still found: %d", st)
	}
}
