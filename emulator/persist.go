package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A practice tenant started with Options.StateFile keeps what it generated at random or
// was changed through Graph — every app's client secrets and certificates (rotated ones
// included), the issued certificates' keys, tenant-wide and per-user consent, the apps
// created through Graph and the refresh tokens it handed out — in that file, so a tenant started again (new ports,
// new TLS certificate) accepts the credentials a saved connection holds, as a real
// tenant would after a restart of the app. Tenant and client ids already follow the
// seed. The file holds secrets: it is written 0600, atomically, in a 0700 folder.

// stateVersion is the state file's format version. Version 1 kept one secret per
// ready-made app (persistedApp.Secret); version 2 keeps its credential lists. Both load.
const stateVersion = 2

// persistedState is the state file's content.
type persistedState struct {
	Version       int                         `json:"version"`
	TenantID      string                      `json:"tenant_id"`
	Apps          map[string]persistedApp     `json:"apps"` // by client id
	UserConsent   []string                    `json:"user_consent,omitempty"`
	RefreshTokens map[string]persistedRefresh `json:"refresh_tokens,omitempty"`
	// Registered are the apps created through Graph ("Create it for me").
	Registered []persistedRegistration `json:"registered,omitempty"`
}

// persistedApp is a ready-made app in the state file: its credentials and the
// certificate the tenant issued it with the private key (CertDER, KeyDER).
type persistedApp struct {
	Secret    string              `json:"secret,omitempty"` // version 1 only: the one secret
	Passwords []persistedPassword `json:"passwords,omitempty"`
	Keys      []persistedKey      `json:"keys,omitempty"`
	CertDER   []byte              `json:"cert_der,omitempty"`
	KeyDER    []byte              `json:"key_der,omitempty"` // PKCS#8
	Consented bool                `json:"consented"`
}

type persistedRefresh struct {
	ClientID string    `json:"client_id"`
	UserID   string    `json:"user_id"`
	Scopes   []string  `json:"scopes"`
	Expires  time.Time `json:"expires"`
}

// loadState applies the state file at path to the identity, if the file exists and
// belongs to this tenant (same seed). Apps it does not name keep what New generated.
func (id *Identity) loadState(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("practice tenant state: %w", err)
	}
	var st persistedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("practice tenant state %s is damaged: %w", filepath.Base(path), err)
	}
	if (st.Version != 1 && st.Version != stateVersion) || !strings.EqualFold(st.TenantID, id.dir.tenantID) {
		return nil // another seed or format: start afresh, the file is rewritten
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	for _, a := range id.Apps() { // a copy: RegisterAppWithout may add apps
		p, ok := st.Apps[strings.ToLower(a.ClientID)]
		if !ok {
			continue
		}
		a.consented = p.Consented
		if err := a.restoreCredentials(st.Version, p); err != nil {
			return fmt.Errorf("practice tenant state: %s: %w", a.Name, err)
		}
	}
	if err := id.dir.reg.restore(st.Registered); err != nil {
		return fmt.Errorf("practice tenant state: %w", err)
	}
	for _, k := range st.UserConsent {
		id.userConsent[k] = true
	}
	now := id.now()
	for tok, g := range st.RefreshTokens {
		if g.Expires.After(now) && id.dir.appByID(g.ClientID) != nil {
			id.refresh[tok] = &refreshGrant{clientID: g.ClientID, userID: g.UserID, scopes: g.Scopes, expires: g.Expires}
		}
	}
	return nil
}

// saveState writes the identity's generated credentials and grants to path.
func (id *Identity) saveState(path string) error {
	id.mu.Lock()
	st := persistedState{Version: stateVersion, TenantID: id.dir.tenantID, Apps: map[string]persistedApp{}, RefreshTokens: map[string]persistedRefresh{}}
	for _, a := range id.Apps() { // a copy: RegisterAppWithout may add apps
		passwords, keys := a.creds.snapshot()
		p := persistedApp{Passwords: passwordsToState(passwords), Keys: keysToState(keys), Consented: a.consented}
		if a.cert != nil {
			key, err := x509.MarshalPKCS8PrivateKey(a.certKey)
			if err != nil {
				id.mu.Unlock()
				return fmt.Errorf("practice tenant state: %w", err)
			}
			p.CertDER, p.KeyDER = a.cert.Raw, key
		}
		st.Apps[strings.ToLower(a.ClientID)] = p
	}
	st.Registered = id.dir.reg.export()
	for k, ok := range id.userConsent {
		if ok {
			st.UserConsent = append(st.UserConsent, k)
		}
	}
	now := id.now()
	for tok, g := range id.refresh {
		if g.expires.After(now) {
			st.RefreshTokens[tok] = persistedRefresh{ClientID: g.clientID, UserID: g.userID, Scopes: g.scopes, Expires: g.expires}
		}
	}
	id.mu.Unlock()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("practice tenant state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("practice tenant state: %w", err)
	}
	return writeFileAtomic(path, data)
}

// SaveState writes the state file now (Options.StateFile; a no-op without one). Close
// writes it too; call SaveState after a consent or sign-in to survive a crash.
func (s *Server) SaveState() error {
	if s.opts.StateFile == "" {
		return nil
	}
	s.saveMu.Lock() // the state taken last is the one written last
	defer s.saveMu.Unlock()
	return s.identity.saveState(s.opts.StateFile)
}

// credentialsChanged writes the state file and the info file after an app's
// credentials changed through Graph (a rotation, a deleted app), so the new secret is
// what a restart accepts — even after a crash — and what the info file hands out.
// Best effort, as Close: the change itself has succeeded.
func (s *Server) credentialsChanged() {
	_ = s.SaveState()
	s.mu.Lock()
	path := s.infoFiles.path
	s.mu.Unlock()
	if path == "" {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	data, err := json.MarshalIndent(s.Info(), "", "  ")
	if err != nil {
		return
	}
	_ = writeFileAtomic(path, append(data, '\n'))
}

// setCertificate replaces the app's certificate credential with a stored one.
func (a *App) setCertificate(certDER, keyDER []byte) error {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return err
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return errors.New("the stored key is not an RSA key")
	}
	a.fillCertificate(cert, key, keyDER)
	return nil
}

// persistedRegistration is a created app in the practice tenant's state file
// (persist.go), so a saved connection to a created app works after a restart.
type persistedRegistration struct {
	ObjectID       string                       `json:"object_id"`
	AppID          string                       `json:"app_id"`
	DisplayName    string                       `json:"display_name"`
	Created        time.Time                    `json:"created"`
	Owner          string                       `json:"owner,omitempty"`
	SignInAudience string                       `json:"sign_in_audience,omitempty"`
	Required       []wireRequiredResourceAccess `json:"required,omitempty"`
	Web            []string                     `json:"web,omitempty"`
	Public         []string                     `json:"public,omitempty"`
	FallbackPublic bool                         `json:"fallback_public,omitempty"`
	Passwords      []persistedPassword          `json:"passwords,omitempty"`
	Keys           []persistedKey               `json:"keys,omitempty"`
	SPID           string                       `json:"sp_id,omitempty"`
	Assignments    []wireAppRoleAssignment      `json:"assignments,omitempty"`
	Grants         []wireOAuth2PermissionGrant  `json:"grants,omitempty"`
}

type persistedPassword struct {
	KeyID, DisplayName, Secret string
	Start, End                 time.Time
}

type persistedKey struct {
	KeyID, DisplayName string
	CertDER            []byte
}

// export lists the created apps for the state file (the ready-made ones are kept by
// saveState with their App).
func (g *registry) export() []persistedRegistration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []persistedRegistration
	for _, r := range g.apps {
		if r.readyMade {
			continue
		}
		p := persistedRegistration{ObjectID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, Created: r.created,
			Owner: r.owner, SignInAudience: r.signInAudience, Required: r.required, Web: r.web, Public: r.public,
			FallbackPublic: r.fallbackPublic, SPID: r.spID, Assignments: r.assignments, Grants: r.grants}
		passwords, keys := r.creds.snapshot()
		p.Passwords, p.Keys = passwordsToState(passwords), keysToState(keys)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b persistedRegistration) int { return strings.Compare(a.ObjectID, b.ObjectID) })
	return out
}

// restore brings back the created apps of the state file.
func (g *registry) restore(list []persistedRegistration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range list {
		keys, err := keysFromState(p.Keys)
		if err != nil {
			return fmt.Errorf("created app %s: %w", p.DisplayName, err)
		}
		creds := &appCredentials{passwords: passwordsFromState(p.Passwords), keys: keys}
		r := &registration{app: &App{ClientID: p.AppID, creds: creds}, creds: creds, objectID: p.ObjectID, created: p.Created,
			owner: p.Owner, displayName: p.DisplayName, signInAudience: p.SignInAudience, required: p.Required, web: p.Web,
			public: p.Public, fallbackPublic: p.FallbackPublic, spID: p.SPID, assignments: p.Assignments, grants: p.Grants}
		g.refresh(r)
		g.apps[strings.ToLower(p.AppID)] = r
	}
	return nil
}

// restoreCredentials brings back a ready-made app's credentials from the state file:
// the certificate it was issued (with its key) and, from version 2, its secrets and
// certificates as Graph left them; a version 1 file held only the one secret and the
// issued certificate, which replace those generated at start.
func (a *App) restoreCredentials(version int, p persistedApp) error {
	if len(p.CertDER) > 0 && a.cert != nil {
		if err := a.setCertificate(p.CertDER, p.KeyDER); err != nil {
			return err
		}
	}
	if version >= 2 {
		keys, err := keysFromState(p.Keys)
		if err != nil {
			return err
		}
		a.creds.set(passwordsFromState(p.Passwords), keys)
		return nil
	}
	passwords, keys := a.creds.snapshot()
	if p.Secret != "" && len(passwords) == 1 {
		passwords[0].secret = p.Secret
	}
	if a.cert != nil && len(keys) == 1 {
		keys[0] = newKeyCred(keys[0].keyID, keys[0].displayName, a.cert)
	}
	a.creds.set(passwords, keys)
	return nil
}

func passwordsToState(in []passwordCred) []persistedPassword {
	var out []persistedPassword
	for _, p := range in {
		out = append(out, persistedPassword{KeyID: p.keyID, DisplayName: p.displayName, Secret: p.secret, Start: p.start, End: p.end})
	}
	return out
}

func passwordsFromState(in []persistedPassword) []passwordCred {
	var out []passwordCred
	for _, p := range in {
		out = append(out, passwordCred{keyID: p.KeyID, displayName: p.DisplayName, secret: p.Secret, start: p.Start, end: p.End})
	}
	return out
}

func keysToState(in []keyCred) []persistedKey {
	var out []persistedKey
	for _, k := range in {
		out = append(out, persistedKey{KeyID: k.keyID, DisplayName: k.displayName, CertDER: k.cert.Raw})
	}
	return out
}

func keysFromState(in []persistedKey) ([]keyCred, error) {
	var out []keyCred
	for _, k := range in {
		cert, err := x509.ParseCertificate(k.CertDER)
		if err != nil {
			return nil, err
		}
		out = append(out, newKeyCred(k.KeyID, k.DisplayName, cert))
	}
	return out, nil
}
