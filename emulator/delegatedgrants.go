package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// The token endpoint's delegated grants: redeeming an authorization code (with PKCE),
// refreshing, and issuing the delegated answer (access token with scp, id_token,
// refresh token), with the scope parsing and consent checks they share.

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
		e = new(errBadGrant("authorization code"))
	case c.redeemed:
		e = new(errCodeRedeemed())
	case now.After(c.expires):
		e = new(errCodeExpired())
	case f.Get("redirect_uri") != c.redirectURI:
		e = new(errRedirectGrantMismatch())
	case c.challenge != "" && !pkceMatches(f.Get("code_verifier"), c.challenge):
		e = new(errPKCEMismatch())
	default:
		c.redeemed = true
	}
	id.mu.Unlock()
	if e != nil {
		e.write(w, r, now)
		return
	}
	s.issueDelegated(w, r, app, auth, redeemed{kind: "authorization code", userID: c.userID, scopes: c.scopes, nonce: c.nonce, wantID: c.requestedOIDC})
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
		e = new(errBadGrant("refresh token"))
	case id.revoked(g.clientID, g.userID, g.seq):
		e = new(errRevokedGrant())
	case now.After(g.expires):
		e = new(errCodeExpired())
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
	s.issueDelegated(w, r, app, auth, redeemed{kind: "refresh token", userID: grant.userID, scopes: scopes, wantID: slices.Contains(scopes, "openid")})
}

// redeemed is what a redeemed authorization code, refresh token or device code grants.
type redeemed struct {
	kind   string // what was redeemed, as invalid_grant names it
	userID string
	scopes []string
	nonce  string
	wantID bool // openid was asked for: an id_token too
}

// issueDelegated answers a delegated grant: access token with scp, an id_token when
// openid was requested, a refresh token when offline_access was; invalid_grant when
// the user is gone.
func (s *Server) issueDelegated(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth, grant redeemed) {
	id := s.identity
	now := id.now()
	u, ok := id.findUser(grant.userID)
	if !ok {
		errBadGrant(grant.kind).write(w, r, now)
		return
	}
	scopes := grant.scopes
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
	g := tokenGrant{app: app, user: &u, scopes: graphScopes, appidacr: acr, nonce: grant.nonce, authority: "https://" + r.Host + "/"}
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
	if grant.wantID {
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
			return nil, nil, new(errInvalidScope(raw))
		}
		if !slices.Contains(graph, app.Scopes[i]) {
			graph = append(graph, app.Scopes[i])
		}
	}
	return graph, oidc, nil
}
