package connection

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The practice tenant as the window uses it: started beside the app, its info file
// written under the config folder, its apps listed with what each is for, and the app
// whose permissions are exactly what a mode requests. This is the one place where the
// practice tenant (package emulator) and the app meet outside tests: the emulator and
// package graph never import each other.

// PracticeSeed is the practice tenant's seed in the app; `m365connect sandbox` uses the
// same default, so tenant and client IDs match and a config made in the window
// verifies against a sandbox started later (with --sandbox-info).
const PracticeSeed = 1

// PracticeStarter starts a practice tenant (listening when it returns). Tests pass one
// that builds the tenant they need.
type PracticeStarter func() (*emulator.Server, error)

// DefaultPracticeStarter starts the app's practice tenant (PracticeSeed). It keeps its
// generated secrets, certificates and consent in configDir/practice, so a saved
// practice connection works after a restart.
func DefaultPracticeStarter(configDir string) PracticeStarter {
	state := filepath.Join(configDir, "practice", "tenant-state.json")
	return func() (*emulator.Server, error) {
		return emulator.New(emulator.Options{Seed: PracticeSeed, StateFile: state})
	}
}

// Practice is a running practice tenant. Its methods may be called from any goroutine.
type Practice struct {
	srv      *emulator.Server
	infoFile string
}

// StartPractice starts a practice tenant with start and writes its info file (with the
// CA and the apps' certificates beside it) as configDir/practice/sandbox.json.
func StartPractice(start PracticeStarter, configDir string) (*Practice, error) {
	if start == nil {
		start = DefaultPracticeStarter(configDir)
	}
	srv, err := start()
	if err != nil {
		return nil, err
	}
	if srv == nil {
		return nil, errors.New("the practice tenant did not start")
	}
	dir := filepath.Join(configDir, "practice")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		srv.Close()
		return nil, fmt.Errorf("practice tenant folder: %w", err)
	}
	p := &Practice{srv: srv, infoFile: filepath.Join(dir, "sandbox.json")}
	if err := srv.WriteInfo(p.infoFile); err != nil {
		srv.Close()
		return nil, fmt.Errorf("practice tenant info file: %w", err)
	}
	return p, nil
}

// Close stops the practice tenant.
func (p *Practice) Close() { p.srv.Close() }

// Hosts are where the practice tenant listens (new ports each run), for the config.
func (p *Practice) Hosts() *wizard.PracticeHosts {
	info := p.srv.Info()
	return &wizard.PracticeHosts{
		AuthorityHost: info.AuthorityHost, BrowserAuthorityHost: info.BrowserAuthorityHost,
		GraphBaseURL: info.GraphBaseURL, CACertFile: info.CACertFile,
	}
}

// TenantID is the practice tenant's directory (tenant) ID.
func (p *Practice) TenantID() string { return p.srv.Identity().TenantID() }

// TenantDomain is the practice tenant's verified domain.
func (p *Practice) TenantDomain() string { return p.srv.Identity().TenantDomain() }

// IsTenant reports whether tenant names this practice tenant (its ID or its domain).
func (p *Practice) IsTenant(tenant string) bool {
	return strings.EqualFold(tenant, p.TenantID()) || strings.EqualFold(tenant, p.TenantDomain())
}

// Mailboxes is how many mailboxes the practice tenant holds.
func (p *Practice) Mailboxes() int { return len(p.srv.Info().Mailboxes) }

// InfoFile is the info file StartPractice wrote: the apps' secrets and certificates.
func (p *Practice) InfoFile() string { return p.infoFile }

// AdminConsented reports whether the practice tenant's administrator approved the app.
func (p *Practice) AdminConsented(clientID string) bool {
	return p.srv.Identity().AdminConsented(clientID)
}

// SaveState writes the practice tenant's state file (apps created since, consent), so
// it keeps them across restarts. Slow: call it off the UI goroutine.
func (p *Practice) SaveState() error { return p.srv.SaveState() }

// PracticeApp is one practice app registration, with what it is for.
type PracticeApp struct {
	Name            string
	ClientID        string
	ClientSecret    string // app-only apps with a secret
	CertificateFile string // PEM (certificate + private key), app-only apps with a certificate
	Delegated       bool
	// Permissions are what the app was granted (roles, or delegated scopes).
	Permissions []string
	// Purpose says in the wizard's words what the app is for.
	Purpose string
}

// Apps lists the practice tenant's apps in the info file's order.
func (p *Practice) Apps() []PracticeApp {
	info := p.srv.Info()
	out := make([]PracticeApp, 0, len(info.Apps))
	for _, a := range info.Apps {
		pa := PracticeApp{Name: a.Name, ClientID: a.ClientID, ClientSecret: a.ClientSecret, CertificateFile: a.CertificateFile,
			Delegated: a.Access == emulator.AccessDelegated, Permissions: slices.Clone(a.Roles)}
		if pa.Delegated {
			pa.Permissions = slices.Clone(a.Scopes)
		}
		pa.Purpose = practicePurpose(pa)
		out = append(out, pa)
	}
	return out
}

// practicePurpose says what a practice app is for, in the App registration step's words.
func practicePurpose(a PracticeApp) string {
	switch a.Name {
	case emulator.AppSecretName:
		return "application access with a client secret, every permission; admin consent already granted"
	case emulator.AppCertificateName:
		return "application access with a certificate, every permission; admin consent already granted"
	case emulator.AppDelegatedName:
		return "delegated access with every permission: a practice user signs in; consent already granted"
	case emulator.AppNotConsentedName:
		return "no consent yet: use it to try the admin-consent page (Consent step)"
	}
	if a.Delegated {
		return "delegated access, exactly " + strings.Join(a.Permissions, ", ")
	}
	return "application access, exactly " + strings.Join(a.Permissions, ", ")
}

// AppFor is the practice app whose values fill in the App registration step for an
// access mode and features: the app holding exactly the permissions the mode requests
// (graph.RequestedPermissions) when the practice tenant has one, so verify reports
// nothing "more than needed"; else the general app of the access mode, which holds
// every permission any mode may request.
func (p *Practice) AppFor(mode string, f wizard.Features) (PracticeApp, bool) {
	apps := p.Apps()
	want := graph.RequestedPermissions(graph.Mode(mode), GraphFeatures(f))
	certificate := mode == wizard.ModeCertificate
	usable := func(a PracticeApp) bool {
		return a.Delegated == (mode == wizard.ModeDelegated) && samePermissions(a.Permissions, want) &&
			(!certificate && (a.Delegated || a.ClientSecret != "") || certificate && a.CertificateFile != "")
	}
	// The per-mode app named for these choices first ("incoming and outgoing" for both,
	// though "outgoing" holds the same set), then any app with exactly the set.
	for _, m := range emulator.ModeApps() {
		if m.Incoming != f.Read || m.Outgoing != f.Send || m.Shared != f.Shared {
			continue
		}
		for _, a := range apps {
			if a.Name == m.Name && usable(a) {
				return a, true
			}
		}
	}
	for _, a := range apps {
		if usable(a) {
			return a, true
		}
	}
	general := map[string]string{wizard.ModeSecret: emulator.AppSecretName, wizard.ModeCertificate: emulator.AppCertificateName,
		wizard.ModeDelegated: emulator.AppDelegatedName}[mode]
	for _, a := range apps {
		if a.Name == general {
			return a, true
		}
	}
	return PracticeApp{}, false
}

// samePermissions reports whether a and b hold the same permissions, in any order and
// case.
func samePermissions(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for _, p := range b {
		if !slices.ContainsFunc(a, func(q string) bool { return strings.EqualFold(p, q) }) {
			return false
		}
	}
	return true
}
