package connection_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

func startPractice(t *testing.T) (*connection.Practice, *emulator.Server, string) {
	t.Helper()
	dir := t.TempDir()
	var srv *emulator.Server
	p, err := connection.StartPractice(func() (*emulator.Server, error) {
		s, err := emulator.New(emulator.Options{Seed: 3, MessagesPerMailbox: 1})
		srv = s
		return s, err
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, srv, dir
}

// StartPractice writes the info file (user-only) where the handle says, and the handle
// reports the tenant the emulator runs.
func TestStartPracticeHandle(t *testing.T) {
	p, srv, dir := startPractice(t)
	if want := filepath.Join(dir, "practice", "sandbox.json"); p.InfoFile() != want {
		t.Fatalf("info file %s, want %s", p.InfoFile(), want)
	}
	fi, err := os.Stat(p.InfoFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("info file: %v, mode %v", err, fi.Mode())
	}
	h := p.Hosts()
	if h.GraphBaseURL != srv.GraphBaseURL() || h.AuthorityHost != srv.AuthorityHost() || h.CACertFile == "" {
		t.Fatalf("hosts %+v", h)
	}
	if !p.IsTenant(strings.ToUpper(srv.Identity().TenantDomain())) || !p.IsTenant(srv.Identity().TenantID()) || p.IsTenant("contoso.onmicrosoft.com") {
		t.Fatal("IsTenant does not recognise the practice tenant by id and domain only")
	}
	if p.Mailboxes() != len(srv.Mail().Mailboxes()) || p.Mailboxes() == 0 {
		t.Fatalf("%d mailboxes", p.Mailboxes())
	}
	nc := srv.Identity().App(emulator.AppNotConsentedName)
	if p.AdminConsented(nc.ClientID) || !p.AdminConsented(srv.Identity().App(emulator.AppSecretName).ClientID) {
		t.Fatal("AdminConsented does not follow the tenant")
	}
	for _, a := range p.Apps() {
		if a.Purpose == "" || a.ClientID == "" {
			t.Errorf("app %q listed without its purpose or client id", a.Name)
		}
	}
	if _, err := connection.StartPractice(func() (*emulator.Server, error) { return nil, errors.New("boom") }, dir); err == nil {
		t.Fatal("a starter's failure is not reported")
	}
}

// For every choice of the Prerequisites step, the practice app filled in holds exactly
// the permissions the mode requests (so verify finds nothing more than needed) and the
// credential the mode uses; delegated choices without an exact app get the general
// delegated app (a delegated token carries only the scopes requested).
func TestPracticeAppForEveryChoice(t *testing.T) {
	p, _, _ := startPractice(t)
	for _, mode := range []string{wizard.ModeSecret, wizard.ModeCertificate, wizard.ModeDelegated} {
		for bits := 0; bits < 32; bits++ {
			st := wizard.State{Mode: mode, Incoming: bits&1 != 0, Outgoing: bits&2 != 0, ReadWrite: bits&4 != 0, ListUsers: bits&8 != 0, Shared: bits&16 != 0}
			if !st.Incoming && !st.Outgoing || st.Shared && mode != wizard.ModeDelegated {
				continue
			}
			f := st.Features()
			want := graph.RequestedPermissions(graph.Mode(mode), connection.GraphFeatures(f))
			a, ok := p.AppFor(mode, f)
			if !ok {
				t.Fatalf("%s %+v: no practice app", mode, f)
			}
			exact := slices.EqualFunc(slices.Sorted(slices.Values(a.Permissions)), slices.Sorted(slices.Values(want)), strings.EqualFold)
			switch {
			case mode == wizard.ModeSecret && (!exact || a.ClientSecret == ""),
				mode == wizard.ModeCertificate && (!exact || a.CertificateFile == ""):
				t.Errorf("%s %+v: %q holds %v (secret %v, certificate %q), want exactly %v", mode, f, a.Name, a.Permissions, a.ClientSecret != "", a.CertificateFile, want)
			case mode == wizard.ModeDelegated && !a.Delegated:
				t.Errorf("%s %+v: %q is not a delegated app", mode, f, a.Name)
			case mode == wizard.ModeDelegated && !exact && a.Name != emulator.AppDelegatedName:
				t.Errorf("%s %+v: %q neither exact nor the general delegated app", mode, f, a.Name)
			case mode == wizard.ModeDelegated && f.ListUsers && !f.Write && !exact:
				t.Errorf("%s %+v: the per-mode app was not chosen (got %q)", mode, f, a.Name)
			}
		}
	}
	// The per-mode app named for the choices wins over another with the same set.
	both := wizard.Features{Read: true, Send: true, ListUsers: true}
	if a, _ := p.AppFor(wizard.ModeSecret, both); a.Name != emulator.AppBothSecret {
		t.Errorf("incoming and outgoing with the picker: %q, want %q", a.Name, emulator.AppBothSecret)
	}
	for _, mode := range []string{wizard.ModeSecret, wizard.ModeCertificate} {
		if a, _ := p.AppFor(mode, wizard.Features{Read: true, Send: true}); a.Name != "Practice app (send mail)" {
			t.Errorf("%s, the wizard's default choices: %q", mode, a.Name)
		}
	}
}

// CheckCertificateFile reads the practice tenant's certificate (thumbprint as the admin
// center shows it) and tells a file that is not one from a file that is missing.
func TestCheckCertificateFile(t *testing.T) {
	p, _, dir := startPractice(t)
	var file string
	for _, a := range p.Apps() {
		if a.Name == emulator.AppCertificateName {
			file = a.CertificateFile
		}
	}
	ci, err := connection.CheckCertificateFile(file, "")
	if err != nil || len(ci.Thumbprint) != 40 || ci.Thumbprint != strings.ToUpper(ci.Thumbprint) || ci.NotAfter.IsZero() {
		t.Fatalf("practice certificate: %+v %v", ci, err)
	}
	if _, err := connection.CheckCertificateFile(p.InfoFile(), ""); !errors.Is(err, connection.ErrNotCertificate) {
		t.Fatalf("a JSON file: %v", err)
	}
	if _, err := connection.CheckCertificateFile(filepath.Join(dir, "missing.pfx"), ""); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}
