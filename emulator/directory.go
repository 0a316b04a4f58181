package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Names of the apps registered in the practice tenant.
const (
	AppSecretName       = "Practice app (secret)"
	AppCertificateName  = "Practice app (certificate)"
	AppDelegatedName    = "Practice app (delegated)"
	AppNotConsentedName = "Practice app (not consented)"
)

// Access kinds of an app, as in the info file.
const (
	AccessApplication = "application"
	AccessDelegated   = "delegated"
)

// graphResource is the resource id (application ID URI) of Microsoft Graph; the token
// audience stays this even though the emulator's Graph base URL differs.
const graphResource = "https://graph.microsoft.com"

// graphAppID is Microsoft Graph's well-known application id, also accepted as audience.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// App is one app registration (with its service principal) in the practice tenant.
type App struct {
	Name         string
	ClientID     string
	Access       string   // AccessApplication or AccessDelegated
	Roles        []string // application permissions (app roles on Graph)
	Scopes       []string // delegated permissions on Graph (plus offline_access)
	RedirectURIs []string
	// Public is true for a public client (no credential; PKCE required).
	Public bool

	// creds are the app's client secrets and certificates, the one list the token
	// endpoint checks and the directory API changes (appcredentials.go).
	creds *appCredentials
	// cert, certKey and certPEM are the certificate the practice tenant issued the app
	// and its private key (which Microsoft never holds): what it hands out in the info
	// file. The certificate counts only while it is among creds' keys.
	cert        *x509.Certificate
	certKey     *rsa.PrivateKey
	certPEM     []byte // certificate + PKCS#8 private key
	consented   bool   // admin consent granted tenant-wide
	displayName string
}

// ClientSecret returns the app's newest client secret ("" if it has none): the one the
// practice tenant issued at start, or the last one added through Graph (addPassword).
func (a *App) ClientSecret() string { return a.creds.newestSecret() }

// CertificatePEM returns the certificate the practice tenant issued the app and its
// private key as PEM (nil if none, or once that certificate was removed from the app).
func (a *App) CertificatePEM() []byte {
	if !a.creds.hasCertificate(a.cert) {
		return nil
	}
	return a.certPEM
}

// directory is the practice tenant's static data.
type directory struct {
	tenantID   string
	domain     string
	tenantName string
	appsMu     sync.RWMutex // guards apps (RegisterApp adds at run time)
	apps       []*App
	reg        *registry // every app as an application object (appregistry.go)
}

// seededGUID derives a stable GUID (version-4 layout) from the seed and a label.
func seededGUID(seed int64, label string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("m365connect-practice/%d/%s", seed, label)))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// newGUID returns a random GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// newClientSecret returns a random 40-character secret in the shape Entra ID shows
// ("xxx8Q~" followed by 34 characters).
func newClientSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~"
	var b [37]byte
	_, _ = rand.Read(b[:])
	var s strings.Builder
	for i, c := range b {
		if i == 3 {
			s.WriteString("8Q~")
		}
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()[:40]
}

// randomToken returns an opaque random token (auth codes, refresh tokens).
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newDirectory builds the default tenant and its ready-made apps, each registered as
// an application object with its credentials (appcredentials.go).
func newDirectory(seed int64, now time.Time) (*directory, error) {
	d := &directory{
		tenantID:   seededGUID(seed, "tenant"),
		domain:     "contoso-practice.onmicrosoft.com",
		tenantName: "Contoso (practice)",
	}
	d.reg = newRegistry(d.tenantID)
	appRoles := []string{"Mail.Read", "Mail.ReadWrite", "Mail.Send", "User.Read.All"}
	// The general-purpose apps hold every permission any mode may request (the per-mode
	// apps in practiceapps.go hold exactly one mode's set).
	delegated := []string{"Mail.Read", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "User.Read", "User.ReadBasic.All", "offline_access"}
	secretApp := &App{Name: AppSecretName, ClientID: seededGUID(seed, "app-secret"), Access: AccessApplication,
		Roles: appRoles, consented: true}
	certApp := &App{Name: AppCertificateName, ClientID: seededGUID(seed, "app-certificate"), Access: AccessApplication,
		Roles: appRoles, consented: true}
	if err := certApp.makeCertificate(now); err != nil {
		return nil, err
	}
	delegatedApp := &App{Name: AppDelegatedName, ClientID: seededGUID(seed, "app-delegated"), Access: AccessDelegated,
		Scopes: delegated, RedirectURIs: []string{"http://localhost"}, Public: true, consented: true}
	// The unconsented app can be used both ways: client credentials get a token without
	// roles (Graph then answers 403), delegated sign-in needs consent first.
	notConsented := &App{Name: AppNotConsentedName, ClientID: seededGUID(seed, "app-not-consented"), Access: AccessApplication,
		Roles: []string{"Mail.Read"}, Scopes: delegated, RedirectURIs: []string{"http://localhost"}}
	newReadyMadeCredentials(secretApp, true, now)
	newReadyMadeCredentials(certApp, false, now)
	newReadyMadeCredentials(delegatedApp, false, now)
	newReadyMadeCredentials(notConsented, true, now)
	exact, err := exactApps(seed, now, certApp.certKey)
	if err != nil {
		return nil, err
	}
	d.apps = append(append([]*App{secretApp, certApp, delegatedApp, notConsented}, modeApps(seed, now)...), exact...)
	// Every app is registered with the redirect URI the wizard tells admins to add
	// (Authentication > Mobile and desktop applications > http://localhost), so the
	// admin-consent page can return to the app whatever its access mode. Loopback
	// redirect URIs match on any port:
	// https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
	for _, a := range d.apps {
		if len(a.RedirectURIs) == 0 {
			a.RedirectURIs = []string{"http://localhost"}
		}
		d.reg.addReadyMade(a, now)
	}
	return d, nil
}

// makeCertificate gives the app a self-signed RSA certificate credential.
func (a *App) makeCertificate(now time.Time) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate app key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      pkix.Name{CommonName: a.Name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create app certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parse app certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal app key: %w", err)
	}
	a.fillCertificate(cert, key, keyDER)
	return nil
}

// fillCertificate sets the certificate the practice tenant issued the app and its key
// (registered as a key credential by newReadyMadeCredentials).
func (a *App) fillCertificate(cert *x509.Certificate, key *rsa.PrivateKey, keyDER []byte) {
	a.cert, a.certKey = cert, key
	a.certPEM = append(pemBlock("CERTIFICATE", cert.Raw), pemBlock("PRIVATE KEY", keyDER)...)
}

// removeApp takes a ready-made app off the practice tenant's list (its application
// object was deleted through Graph).
func (d *directory) removeApp(clientID string) {
	d.appsMu.Lock()
	defer d.appsMu.Unlock()
	d.apps = slices.DeleteFunc(d.apps, func(a *App) bool { return strings.EqualFold(a.ClientID, clientID) })
}

// appByID finds an app by client id.
func (d *directory) appByID(id string) *App {
	d.appsMu.RLock()
	defer d.appsMu.RUnlock()
	for _, a := range d.apps {
		if strings.EqualFold(a.ClientID, id) {
			return a
		}
	}
	return d.reg.app(id)
}
