package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/m365connect/m365connect/emulator"
)

func TestWriteInfo(t *testing.T) {
	s := newServer(t, emulator.Options{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 2})
	dir := t.TempDir()
	path := filepath.Join(dir, "practice.json")
	if err := s.WriteInfo(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range generic {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"apps", "authority_host", "browser_authority_host", "ca_cert_file", "graph_base_url", "mailboxes", "tenant_domain", "tenant_id"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	var info emulator.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	if info.AuthorityHost != s.AuthorityHost() || info.GraphBaseURL != s.GraphBaseURL() || !strings.HasPrefix(info.AuthorityHost, "https://127.0.0.1:") ||
		!strings.HasPrefix(info.BrowserAuthorityHost, "http://127.0.0.1:") || !strings.HasSuffix(info.GraphBaseURL, "/v1.0") ||
		!strings.HasSuffix(info.TenantDomain, ".onmicrosoft.com") || len(info.TenantID) != 36 {
		t.Errorf("info = %+v", info)
	}
	if len(info.Mailboxes) != 4 || info.Mailboxes[3].Kind != "shared" || info.Mailboxes[0].Kind != "user" {
		t.Errorf("mailboxes = %+v", info.Mailboxes)
	}
	for _, f := range []string{path, info.CACertFile} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 || !filepath.IsAbs(f) {
			t.Errorf("%s: %v %v", f, st, err)
		}
	}
	ca, _ := os.ReadFile(info.CACertFile)
	if string(ca) != string(s.CACertPEM()) {
		t.Error("ca_cert_file differs from CACertPEM")
	}
	byName := map[string]emulator.InfoApp{}
	for _, a := range info.Apps {
		byName[a.Name] = a
	}
	sec := byName[emulator.AppSecretName]
	if sec.ClientSecret == "" || sec.Access != "application" || len(sec.Roles) != 4 || sec.CertificateFile != "" {
		t.Errorf("secret app = %+v", sec)
	}
	cert := byName[emulator.AppCertificateName]
	pemData, err := os.ReadFile(cert.CertificateFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := azidentity.ParseCertificates(pemData, nil); err != nil {
		t.Errorf("certificate_file not usable by azidentity: %v", err)
	}
	pfx, err := os.ReadFile(strings.TrimSuffix(cert.CertificateFile, ".pem") + ".pfx")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := azidentity.ParseCertificates(pfx, nil); err != nil {
		t.Errorf("pfx not usable by azidentity: %v", err)
	}
	del := byName[emulator.AppDelegatedName]
	if del.Access != "delegated" || del.ClientSecret != "" || !slices.Contains(del.Scopes, "Mail.Send.Shared") || !slices.Contains(del.RedirectURIs, "http://localhost") {
		t.Errorf("delegated app = %+v", del)
	}
	if _, ok := byName[emulator.AppNotConsentedName]; !ok {
		t.Error("no unconsented app in the info file")
	}
	// No temp files left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left-over temp file %s", e.Name())
		}
	}
}
