package emulator

import (
	"net/http"
	"strings"
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
