package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clientAuth is how a token request authenticated its client.
type clientAuth int

const (
	authNone clientAuth = iota // public client
	authSecret
	authCertificate
)

// handleToken is POST /{tenant}/oauth2/v2.0/token with the grants documented at
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
// (redeem a code; refresh the access token). Successful answers follow the same pages:
// token_type, expires_in, ext_expires_in, access_token (+ scope, refresh_token, id_token).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	now := id.now()
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		errMissingParam("grant_type").write(w, r, now)
		return
	}
	f := r.PostForm
	seg := r.PathValue("tenant")
	kind, terr := id.resolveTenant(seg)
	if terr != nil {
		terr.write(w, r, now)
		return
	}
	grant := f.Get("grant_type")
	if grant == "" {
		errMissingParam("grant_type").write(w, r, now)
		return
	}
	clientID := f.Get("client_id")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if clientID == "" && hasBasic {
		clientID = basicID
	}
	if clientID == "" {
		errMissingParam("client_id").write(w, r, now)
		return
	}
	if kind == "consumers" {
		errConsumers(clientID).write(w, r, now)
		return
	}
	if grant == "client_credentials" && kind != "tenant" {
		errNoTenant().write(w, r, now)
		return
	}
	app := id.dir.appByID(clientID)
	if app == nil {
		errAppNotFound(clientID, id.TenantID()).write(w, r, now)
		return
	}
	secret := f.Get("client_secret")
	if secret == "" && hasBasic {
		secret = basicSecret
	}
	delegated := grant != "client_credentials"
	if fl := id.takeFault(stageToken, app.ClientID, secret != "", delegated); fl != nil {
		s.faultError(fl, app, "").write(w, r, now)
		return
	}
	auth, aerr := s.authenticateClient(r, app, secret, seg)
	if aerr != nil {
		aerr.write(w, r, now)
		return
	}
	switch grant {
	case "client_credentials":
		s.grantClientCredentials(w, r, app, auth)
	case "authorization_code":
		s.grantAuthCode(w, r, app, auth)
	case "refresh_token":
		s.grantRefresh(w, r, app, auth)
	case deviceCodeGrant:
		s.grantDeviceCode(w, r, app, auth)
	default:
		errUnsupportedGrant(grant).write(w, r, now)
	}
}

// faultError maps a switched-on fault to its STS error.
func (s *Server) faultError(f *Fault, app *App, user string) stsError {
	id := s.identity
	switch f.Kind {
	case FaultInvalidSecret:
		return errInvalidSecret(app.ClientID)
	case FaultExpiredSecret:
		return errExpiredSecret(app.ClientID)
	case FaultAppNotFound:
		return errAppNotFound(app.ClientID, id.TenantID())
	case FaultUnknownTenant:
		return errUnknownTenant(id.TenantID())
	case FaultConsentMissing:
		return errConsentMissing(app.ClientID, app.Name)
	case FaultConsentDeclined:
		return errConsentDeclined()
	case FaultAdminApprovalRequired:
		return errAdminApprovalRequired(app.Name)
	case FaultUserNotAssigned:
		return errUserNotAssigned(user, app.ClientID)
	case FaultConditionalAccess:
		return errConditionalAccess()
	case FaultRedirectMismatch:
		return errRedirectMismatch("", app.ClientID)
	case FaultPersonalAccount:
		return errPersonalAccount(user, id.TenantID())
	}
	return errConditionalAccess()
}

// authenticateClient checks the client's credential: none for our public client, a
// secret (client_secret_post / client_secret_basic), or a certificate-signed
// client assertion (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials).
func (s *Server) authenticateClient(r *http.Request, app *App, secret, tenantSeg string) (clientAuth, *stsError) {
	assertion := r.PostForm.Get("client_assertion")
	if app.Public {
		if secret != "" || assertion != "" {
			e := errPublicClientSecret()
			return 0, &e
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
			e := errMissingParam("client_assertion_type")
			return 0, &e
		}
		if e := s.verifyAssertion(r, app, assertion, tenantSeg); e != nil {
			return 0, e
		}
		return authCertificate, nil
	}
	e := errConfidentialNoCredential()
	return 0, &e
}

// verifyAssertion checks a client assertion JWT: header x5t#S256 (or x5t) names the
// registered certificate, PS256/RS256 signature by its key, aud = this token endpoint,
// iss = sub = client id, exp/nbf in range.
// https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials#assertion-format
func (s *Server) verifyAssertion(r *http.Request, app *App, assertion, tenantSeg string) *stsError {
	if !s.identity.hasCertificates(app) {
		e := errBadAssertion("The application has no certificate credential registered.")
		return &e
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
		e := errBadAssertion("The certificate with identifier used to sign the client assertion is not registered on application.")
		return &e
	case strings.Contains(err.Error(), "expired") || strings.Contains(err.Error(), "not valid yet"):
		e := errAssertionTime()
		return &e
	default:
		e := errBadAssertion("")
		return &e
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

// tokenResponse is a successful token endpoint answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// grantClientCredentials: scope must be {resource}/.default for Graph; roles are the
// app's admin-consented application permissions (none without consent: Graph answers 403).
func (s *Server) grantClientCredentials(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth) {
	id := s.identity
	now := id.now()
	if auth == authNone {
		errConfidentialNoCredential().write(w, r, now)
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	var resource []string
	for _, sc := range scopes {
		switch strings.ToLower(sc) {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		resource = append(resource, sc)
	}
	if len(resource) == 0 {
		errMissingParam("scope").write(w, r, now)
		return
	}
	for _, sc := range resource {
		res, ok := strings.CutSuffix(sc, "/.default")
		if !ok {
			errClientCredsScope(sc).write(w, r, now)
			return
		}
		if !strings.EqualFold(strings.TrimSuffix(res, "/"), graphResource) && !strings.EqualFold(res, graphAppID) {
			e := stsError{Status: 400, Error: "invalid_resource", Code: 500011,
				Desc: "The resource principal named " + res + " was not found in the tenant named " + id.dir.tenantName + ". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."}
			e.write(w, r, now)
			return
		}
	}
	var roles []string
	if id.AdminConsented(app.ClientID) {
		roles = id.grantedRoles(app) // under the lock: RemoveAppRoles may change them (grants.go)
	}
	acr := "1"
	if auth == authCertificate {
		acr = "2"
	}
	tok, _, err := id.issueAccessToken(tokenGrant{app: app, roles: roles, appidacr: acr})
	if err != nil {
		http.Error(w, "token signing failed", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{TokenType: "Bearer", ExpiresIn: int(accessTokenLifetime.Seconds()),
		ExtExpiresIn: int(accessTokenLifetime.Seconds()), AccessToken: tok})
}

// grantAuthCode redeems an authorization code: single use, short-lived, bound to the
// client, redirect_uri and PKCE challenge (S256) of the authorize request.
func (s *Server) grantAuthCode(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth) {
	id := s.identity
	now := id.now()
	f := r.PostForm
	code := f.Get("code")
	if code == "" {
		errMissingParam("code").write(w, r, now)
		return
	}
	id.mu.Lock()
	c := id.codes[code]
	var e *stsError
	switch {
	case c == nil || !strings.EqualFold(c.clientID, app.ClientID):
		x := errBadGrant("authorization code")
		e = &x
	case c.redeemed:
		x := errCodeRedeemed()
		e = &x
	case now.After(c.expires):
		x := errCodeExpired()
		e = &x
	case f.Get("redirect_uri") != c.redirectURI:
		x := errRedirectGrantMismatch()
		e = &x
	case c.challenge != "" && !pkceMatches(f.Get("code_verifier"), c.challenge):
		x := errPKCEMismatch()
		e = &x
	default:
		c.redeemed = true
	}
	id.mu.Unlock()
	if e != nil {
		e.write(w, r, now)
		return
	}
	u, ok := id.findUser(c.userID)
	if !ok {
		errBadGrant("authorization code").write(w, r, now)
		return
	}
	s.issueDelegated(w, r, app, auth, &u, c.scopes, c.nonce, c.requestedOIDC)
}

// pkceMatches checks BASE64URL(SHA256(verifier)) == challenge (RFC 7636 S256).
func pkceMatches(verifier, challenge string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// grantRefresh redeems a refresh token. A new refresh token is returned every time;
// as at Microsoft, the old one stays valid until it expires or is revoked
// (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens).
// Scopes may be narrowed, not widened (widening needs consent: AADSTS65001).
func (s *Server) grantRefresh(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth) {
	id := s.identity
	now := id.now()
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		errMissingParam("refresh_token").write(w, r, now)
		return
	}
	id.mu.Lock()
	g := id.refresh[rt]
	var e *stsError
	switch {
	case g == nil || !strings.EqualFold(g.clientID, app.ClientID):
		x := errBadGrant("refresh token")
		e = &x
	case id.revoked(g.clientID, g.userID, g.seq):
		x := errRevokedGrant()
		e = &x
	case now.After(g.expires):
		x := errCodeExpired()
		e = &x
	}
	var grant refreshGrant
	if g != nil {
		grant = *g
	}
	id.mu.Unlock()
	if e != nil {
		e.write(w, r, now)
		return
	}
	scopes := grant.scopes
	if req := r.PostForm.Get("scope"); req != "" {
		want, oidc, serr := normaliseScopes(app, req)
		if serr != nil {
			serr.write(w, r, now)
			return
		}
		for _, sc := range want {
			if !slices.Contains(grant.scopes, sc) {
				errConsentMissing(app.ClientID, app.Name).write(w, r, now)
				return
			}
		}
		scopes = append(want, oidc...)
	}
	u, ok := id.findUser(grant.userID)
	if !ok {
		errBadGrant("refresh token").write(w, r, now)
		return
	}
	s.issueDelegated(w, r, app, auth, &u, scopes, "", slices.Contains(scopes, "openid"))
}

// issueDelegated answers a delegated grant: access token with scp, an id_token when
// openid was requested, a refresh token when offline_access was.
func (s *Server) issueDelegated(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth, u *User, scopes []string, nonce string, wantID bool) {
	id := s.identity
	now := id.now()
	var graphScopes []string
	offline := false
	for _, sc := range scopes {
		switch sc {
		case "offline_access":
			offline = true
		case "openid", "profile", "email":
		default:
			graphScopes = append(graphScopes, sc)
		}
	}
	if !id.consentedFor(app, u.ID) {
		errConsentMissing(app.ClientID, app.Name).write(w, r, now)
		return
	}
	acr := map[clientAuth]string{authNone: "0", authSecret: "1", authCertificate: "2"}[auth]
	g := tokenGrant{app: app, user: u, scopes: graphScopes, appidacr: acr, nonce: nonce, authority: "https://" + r.Host + "/"}
	tok, _, err := id.issueAccessToken(g)
	if err != nil {
		http.Error(w, "token signing failed", http.StatusInternalServerError)
		return
	}
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: int(accessTokenLifetime.Seconds()),
		ExtExpiresIn: int(accessTokenLifetime.Seconds()), AccessToken: tok}
	qualified := make([]string, 0, len(scopes))
	for _, sc := range graphScopes {
		qualified = append(qualified, graphResource+"/"+sc)
	}
	if offline {
		qualified = append(qualified, "offline_access")
		rt := randomToken(48)
		id.mu.Lock()
		id.refresh[rt] = &refreshGrant{clientID: app.ClientID, userID: u.ID, scopes: slices.Clone(scopes), seq: id.nextSeq(), expires: now.Add(refreshTokenLifetime)}
		id.mu.Unlock()
		resp.RefreshToken = rt
	}
	resp.Scope = strings.Join(qualified, " ")
	if wantID {
		idt, err := id.issueIDToken(g)
		if err != nil {
			http.Error(w, "token signing failed", http.StatusInternalServerError)
			return
		}
		resp.IDToken = idt
	}
	writeJSON(w, http.StatusOK, resp)
}

// consentedFor reports whether delegated access of app for user is consented (tenant-
// wide admin consent or the user's own consent).
func (id *Identity) consentedFor(app *App, userID string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	return app.consented || id.userConsent[strings.ToLower(app.ClientID)+"|"+userID]
}

// normaliseScopes parses a delegated scope parameter: Graph permissions (bare or
// prefixed with https://graph.microsoft.com/, .default = all configured) in the app's
// canonical spelling, and the OIDC scopes apart.
// https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc
func normaliseScopes(app *App, param string) (graph, oidc []string, err *stsError) {
	for _, raw := range strings.Fields(param) {
		sc := raw
		if len(sc) > len(graphResource)+1 && strings.EqualFold(sc[:len(graphResource)+1], graphResource+"/") {
			sc = sc[len(graphResource)+1:]
		} else if len(sc) > len(graphAppID)+1 && strings.EqualFold(sc[:len(graphAppID)+1], graphAppID+"/") {
			sc = sc[len(graphAppID)+1:]
		}
		switch strings.ToLower(sc) {
		case "openid", "profile", "email", "offline_access":
			if !slices.Contains(oidc, strings.ToLower(sc)) {
				oidc = append(oidc, strings.ToLower(sc))
			}
			continue
		case ".default":
			for _, c := range app.Scopes {
				if c != "offline_access" && !slices.Contains(graph, c) {
					graph = append(graph, c)
				}
			}
			continue
		}
		i := slices.IndexFunc(app.Scopes, func(c string) bool { return strings.EqualFold(c, sc) })
		if i < 0 {
			e := errInvalidScope(raw)
			return nil, nil, &e
		}
		if !slices.Contains(graph, app.Scopes[i]) {
			graph = append(graph, app.Scopes[i])
		}
	}
	return graph, oidc, nil
}
