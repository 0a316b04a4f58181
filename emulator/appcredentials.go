package emulator

import (
	"bytes"
	"crypto/x509"
	"slices"
	"strings"
	"sync"
	"time"
)

// An application's credentials — its client secrets (passwordCredentials) and
// certificates (keyCredentials) — held once per app, whether the app was created
// through Graph or is one of the practice tenant's ready-made apps. The directory API
// lists and changes them (addPassword, removePassword, PATCH keyCredentials), the token
// endpoint checks a request against them (clientauth.go), the state file keeps them
// (persist.go). Microsoft Graph's shapes:
// https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential
// https://learn.microsoft.com/en-us/graph/api/resources/keycredential

// appCredentials is one app's credentials, shared by its registration and every copy
// of its App (registry.refresh replaces the App, never the credentials). It has its own
// lock because the token endpoint reads it without the registry's.
type appCredentials struct {
	mu        sync.Mutex
	passwords []passwordCred
	keys      []keyCred
}

// passwordCred is a client secret of an app.
type passwordCred struct {
	keyID, displayName, secret string
	start, end                 time.Time
}

// keyCred is a certificate of an app.
type keyCred struct {
	keyID, displayName string
	cert               *x509.Certificate
	x5tS256, x5tS1     string
	start, end         time.Time
}

// newKeyCred registers cert as a key credential.
func newKeyCred(keyID, displayName string, cert *x509.Certificate) keyCred {
	s256, s1 := thumbprints(cert)
	return keyCred{keyID: keyID, displayName: displayName, cert: cert, x5tS256: s256, x5tS1: s1,
		start: cert.NotBefore, end: cert.NotAfter}
}

// snapshot returns copies of the secrets and certificates (none for a nil set: an
// app without credentials, such as a public client).
func (c *appCredentials) snapshot() ([]passwordCred, []keyCred) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.passwords), slices.Clone(c.keys)
}

// addPassword appends a client secret.
func (c *appCredentials) addPassword(p passwordCred) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.passwords = append(c.passwords, p)
}

// removePassword removes the client secret with this keyId; false if there is none.
func (c *appCredentials) removePassword(keyID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.passwords, func(p passwordCred) bool { return strings.EqualFold(p.keyID, keyID) })
	if i < 0 {
		return false
	}
	c.passwords = slices.Delete(c.passwords, i, i+1)
	return true
}

// setKeys replaces the certificates (PATCH keyCredentials replaces the collection).
func (c *appCredentials) setKeys(keys []keyCred) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = keys
}

// set replaces both lists (restoring the state file).
func (c *appCredentials) set(passwords []passwordCred, keys []keyCred) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.passwords, c.keys = passwords, keys
}

// newestSecret is the text of the most recently added client secret ("" if none).
func (c *appCredentials) newestSecret() string {
	passwords, _ := c.snapshot()
	if len(passwords) == 0 {
		return ""
	}
	return passwords[len(passwords)-1].secret
}

// hasCertificate reports whether cert is one of the registered certificates.
func (c *appCredentials) hasCertificate(cert *x509.Certificate) bool {
	_, keys := c.snapshot()
	return cert != nil && slices.ContainsFunc(keys, func(k keyCred) bool { return bytes.Equal(k.cert.Raw, cert.Raw) })
}

// readyMadeSecretLifetime is how long a ready-made app's first client secret is valid:
// addPassword's default, two years
// (https://learn.microsoft.com/en-us/graph/api/application-addpassword).
const readyMadeSecretLifetime = 2 * 365 * 24 * time.Hour

// newReadyMadeCredentials gives a ready-made app its credentials at start: one client
// secret (app-only apps) and the certificate it was issued (if any). Public clients
// get an empty set.
func newReadyMadeCredentials(a *App, withSecret bool, now time.Time) {
	a.creds = &appCredentials{}
	if withSecret {
		a.creds.addPassword(passwordCred{keyID: newGUID(), displayName: "Practice secret", secret: newClientSecret(),
			start: now, end: now.Add(readyMadeSecretLifetime)})
	}
	if a.cert != nil {
		a.creds.setKeys([]keyCred{newKeyCred(newGUID(), "Practice certificate", a.cert)})
	}
}

// addReadyMade registers a ready-made practice app as an application object, so the
// directory API answers for it as Microsoft Graph does for every app of a real tenant
// (https://learn.microsoft.com/en-us/graph/api/resources/application): found by object
// id or appId, its credentials listed and changed through Graph. Its permissions and
// consent stay as the practice tenant set them (refresh leaves them alone); it has no
// owner, so an Application, Cloud Application or Global Administrator manages it.
func (g *registry) addReadyMade(a *App, now time.Time) {
	if a.creds == nil {
		a.creds = &appCredentials{}
	}
	r := &registration{app: a, readyMade: true, creds: a.creds, created: now, displayName: a.Name,
		objectID:       seededGUIDFromTenant(g.tenantID, "application/"+strings.ToLower(a.ClientID)),
		signInAudience: "AzureADMyOrg", public: slices.Clone(a.RedirectURIs), fallbackPublic: a.Public,
		spID: servicePrincipalID(a.ClientID)}
	var access []wireResourceAccess
	for _, v := range a.Roles {
		access = append(access, wireResourceAccess{ID: graphRoleID(g.tenantID, v), Type: "Role"})
	}
	for _, v := range a.Scopes {
		access = append(access, wireResourceAccess{ID: graphScopeID(g.tenantID, v), Type: "Scope"})
	}
	if len(access) > 0 {
		r.required = []wireRequiredResourceAccess{{ResourceAppID: graphAppID, ResourceAccess: access}}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.apps[strings.ToLower(a.ClientID)] = r
}
