package emulator

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// How a token request proves which client it comes from: nothing for a public
// client, a client secret, or a client assertion signed with a registered
// certificate — checked against the app's password and key credentials, the one list
// the directory API shows and changes for ready-made and created apps alike
// (appcredentials.go, credentialsapi.go).

// clientAuth is how a token request authenticated its client.
type clientAuth int

const (
	authNone clientAuth = iota // public client
	authSecret
	authCertificate
)

// authenticateClient checks the client's credential: none for our public client, a
// secret (client_secret_post / client_secret_basic), or a certificate-signed
// client assertion (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials).
func (s *Server) authenticateClient(r *http.Request, app *App, secret, tenantSeg string) (clientAuth, *stsError) {
	assertion := r.PostForm.Get("client_assertion")
	if app.Public {
		if secret != "" || assertion != "" {
			return 0, new(errPublicClientSecret())
		}
		return authNone, nil
	}
	switch {
	case secret != "":
		if e := s.identity.secretValid(app, secret); e != nil {
			return 0, e
		}
		return authSecret, nil
	case assertion != "":
		if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return 0, new(errMissingParam("client_assertion_type"))
		}
		if e := s.verifyAssertion(r, app, assertion, tenantSeg); e != nil {
			return 0, e
		}
		return authCertificate, nil
	}
	return 0, new(errConfidentialNoCredential())
}

// verifyAssertion checks a client assertion JWT: header x5t#S256 (or x5t) names the
// registered certificate, PS256/RS256 signature by its key, aud = this token endpoint,
// iss = sub = client id, exp/nbf in range.
// https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials#assertion-format
func (s *Server) verifyAssertion(r *http.Request, app *App, assertion, tenantSeg string) *stsError {
	if !s.identity.hasCertificates(app) {
		return new(errBadAssertion("The application has no certificate credential registered."))
	}
	id := s.identity
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
		s256, _ := t.Header["x5t#S256"].(string)
		s1, _ := t.Header["x5t"].(string)
		cert := id.certificateFor(app, s256, s1)
		if cert == nil {
			return nil, errKeyNotFound
		}
		return cert.PublicKey, nil
	}, jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithTimeFunc(id.now), jwt.WithLeeway(5*time.Minute),
		jwt.WithExpirationRequired(), jwt.WithIssuer(app.ClientID), jwt.WithSubject(app.ClientID))
	switch {
	case err == nil:
	case strings.Contains(err.Error(), errKeyNotFound.Error()):
		return new(errBadAssertion("The certificate with identifier used to sign the client assertion is not registered on application."))
	case strings.Contains(err.Error(), "expired") || strings.Contains(err.Error(), "not valid yet"):
		return new(errAssertionTime())
	default:
		return new(errBadAssertion(""))
	}
	aud, _ := claims.GetAudience()
	base := "https://" + r.Host + "/"
	valid := []string{
		base + tenantSeg + "/oauth2/v2.0/token",
		base + id.TenantID() + "/oauth2/v2.0/token",
		base + id.TenantDomain() + "/oauth2/v2.0/token",
	}
	ok := slices.ContainsFunc(aud, func(a string) bool {
		return slices.ContainsFunc(valid, func(v string) bool { return strings.EqualFold(a, v) })
	})
	if !ok {
		e := stsError{Status: 401, Error: "invalid_client", Code: 700021,
			Desc: "Client assertion application identifier doesn't match 'client_id' parameter or the audience is not this token endpoint."}
		return &e
	}
	return nil
}

type assertionError string

// Error returns the marker text.
func (e assertionError) Error() string { return string(e) }

// errKeyNotFound marks an assertion signed with an unregistered certificate.
const errKeyNotFound = assertionError("assertion key not registered")

func thumbprintEqual(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	// Accept standard or URL-safe base64, padded or not.
	norm := func(s string) string {
		s = strings.TrimRight(s, "=")
		s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
		return s
	}
	return norm(got) == norm(want)
}

// secretValid checks a client secret against the app's password credentials: none
// matching answers AADSTS7000215, an expired one AADSTS7000222
// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
func (id *Identity) secretValid(app *App, secret string) *stsError {
	passwords, _ := app.creds.snapshot()
	now := id.now()
	for _, p := range passwords {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(p.secret)) != 1 {
			continue
		}
		if !p.end.IsZero() && now.After(p.end) {
			return new(errExpiredSecret(app.ClientID))
		}
		return nil
	}
	return new(errInvalidSecret(app.ClientID))
}

// certificateFor finds the registered certificate named by a client assertion's
// x5t#S256 / x5t header among the app's key credentials (not expired).
func (id *Identity) certificateFor(app *App, s256, s1 string) *x509.Certificate {
	_, keys := app.creds.snapshot()
	now := id.now()
	for _, k := range keys {
		if (thumbprintEqual(s256, k.x5tS256) || thumbprintEqual(s1, k.x5tS1)) && (k.end.IsZero() || now.Before(k.end)) {
			return k.cert
		}
	}
	return nil
}

// hasCertificates reports whether the app has any certificate credential.
func (id *Identity) hasCertificates(app *App) bool {
	_, keys := app.creds.snapshot()
	return len(keys) > 0
}

// thumbprints returns the x5t#S256 and x5t values of a certificate.
func thumbprints(cert *x509.Certificate) (s256, s1 string) {
	a := sha256.Sum256(cert.Raw)
	b := sha1.Sum(cert.Raw)
	return base64.StdEncoding.EncodeToString(a[:]), base64.StdEncoding.EncodeToString(b[:])
}
