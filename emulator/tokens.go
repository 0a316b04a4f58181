package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes. Access tokens live 60-90 minutes at Microsoft (we use a fixed
// 3599 s); authorization codes about 10 minutes; refresh tokens 90 days.
// https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#token-lifetime
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
const (
	accessTokenLifetime  = 3599 * time.Second
	authCodeLifetime     = 10 * time.Minute
	refreshTokenLifetime = 90 * 24 * time.Hour
)

// newIdentity creates the identity side with a fresh RS256 signing key (published in
// the JWKS with a self-signed certificate as x5c, as Entra ID does).
func newIdentity(dir *directory, now func() time.Time) (*Identity, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    t.Add(-time.Hour),
		NotAfter:     t.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create signing certificate: %w", err)
	}
	s1 := sha1.Sum(der)
	return &Identity{
		dir:         dir,
		now:         now,
		users:       func() []User { return nil },
		signingKey:  key,
		signingKid:  base64.RawURLEncoding.EncodeToString(s1[:]),
		signingDER:  der,
		userConsent: map[string]bool{},
		codes:       map[string]*authCode{},
		refresh:     map[string]*refreshGrant{},
		issued:      map[string]*issuedToken{},
		revokedSeq:  map[string]uint64{},
		userRevoked: map[string]uint64{},
		pending:     map[string]*pendingPrompt{},
	}, nil
}

// stsIssuer is the issuer of v1.0 access tokens for Graph.
// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
func (id *Identity) stsIssuer() string { return "https://sts.windows.net/" + id.dir.tenantID + "/" }

// sign signs claims as an RS256 JWT with the kid/x5t header Entra ID uses.
func (id *Identity) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = id.signingKid
	tok.Header["x5t"] = id.signingKid
	return tok.SignedString(id.signingKey)
}

// servicePrincipalID is the object id of an app's service principal in the tenant.
func (id *Identity) servicePrincipalID(clientID string) string { return servicePrincipalID(clientID) }

// servicePrincipalID derives the object id of an app's service principal from its
// client id.
func servicePrincipalID(clientID string) string {
	h := sha256.Sum256([]byte("sp/" + strings.ToLower(clientID)))
	return guidFromBytes(h[:16])
}

// tokenGrant describes an access token to issue.
type tokenGrant struct {
	app       *App
	user      *User // nil for app-only
	scopes    []string
	roles     []string
	appidacr  string // "0" public, "1" secret, "2" certificate
	nonce     string
	wantID    bool // openid requested: add an id_token
	authority string
}

// issueAccessToken mints an access token (v1.0 shape, which is what Graph receives)
// with the claims documented at
// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
func (id *Identity) issueAccessToken(g tokenGrant) (token string, expires time.Time, err error) {
	now := id.now()
	expires = now.Add(accessTokenLifetime)
	uti := randomToken(16)
	claims := jwt.MapClaims{
		"aud":             graphResource,
		"iss":             id.stsIssuer(),
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             expires.Unix(),
		"aio":             randomToken(24),
		"app_displayname": g.app.Name,
		"appid":           g.app.ClientID,
		"appidacr":        g.appidacr,
		"idp":             id.stsIssuer(),
		"rh":              "0." + randomToken(12) + ".",
		"tid":             id.dir.tenantID,
		"uti":             uti,
		"ver":             "1.0",
		"xms_tcdt":        1700000000,
	}
	var userID string
	if g.user == nil {
		sp := id.servicePrincipalID(g.app.ClientID)
		claims["idtyp"] = "app"
		claims["oid"] = sp
		claims["sub"] = sp
		if len(g.roles) > 0 {
			claims["roles"] = g.roles
		}
	} else {
		userID = g.user.ID
		claims["idtyp"] = "user"
		claims["oid"] = g.user.ID
		h := sha256.Sum256([]byte(g.app.ClientID + "/" + g.user.ID))
		claims["sub"] = base64.RawURLEncoding.EncodeToString(h[:])
		claims["scp"] = strings.Join(g.scopes, " ")
		claims["upn"] = g.user.Address
		claims["unique_name"] = g.user.Address
		claims["name"] = g.user.DisplayName
		claims["amr"] = []string{"pwd"}
		claims["ipaddr"] = "127.0.0.1"
	}
	token, err = id.sign(claims)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	id.mu.Lock()
	// Forget expired tokens so a long-running sandbox does not grow without bound.
	for k, t := range id.issued {
		if now.After(t.expires) {
			delete(id.issued, k)
		}
	}
	id.issued[uti] = &issuedToken{clientID: g.app.ClientID, userID: userID, seq: id.nextSeq(), expires: expires}
	id.mu.Unlock()
	return token, expires, nil
}

// issueIDToken mints a v2.0 ID token for a delegated sign-in.
// https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
func (id *Identity) issueIDToken(g tokenGrant) (string, error) {
	now := id.now()
	claims := jwt.MapClaims{
		"aud":                g.app.ClientID,
		"iss":                g.authority + id.dir.tenantID + "/v2.0",
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"name":               g.user.DisplayName,
		"oid":                g.user.ID,
		"preferred_username": g.user.Address,
		"sub":                g.user.ID,
		"tid":                id.dir.tenantID,
		"uti":                randomToken(16),
		"ver":                "2.0",
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	return id.sign(claims)
}

// guidFromBytes formats 16 bytes as a GUID.
func guidFromBytes(b []byte) string {
	x := fmt.Sprintf("%x", b[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
