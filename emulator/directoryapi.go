package emulator

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/m365connect/m365connect/emulator/graphmail"
)

// Wire shapes of the directory resources, as in Microsoft Graph v1.0:
// application https://learn.microsoft.com/en-us/graph/api/resources/application
// requiredResourceAccess https://learn.microsoft.com/en-us/graph/api/resources/requiredresourceaccess
// keyCredential https://learn.microsoft.com/en-us/graph/api/resources/keycredential
// passwordCredential https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential
// servicePrincipal https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipal
// appRoleAssignment https://learn.microsoft.com/en-us/graph/api/resources/approleassignment
// oAuth2PermissionGrant https://learn.microsoft.com/en-us/graph/api/resources/oauth2permissiongrant

type wireRequiredResourceAccess struct {
	ResourceAppID  string               `json:"resourceAppId"`
	ResourceAccess []wireResourceAccess `json:"resourceAccess"`
}

type wireResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "Role" (application) or "Scope" (delegated)
}

type wireRedirects struct {
	RedirectURIs []string `json:"redirectUris"`
}

type wireKeyCredential struct {
	KeyID         string  `json:"keyId,omitempty"`
	DisplayName   string  `json:"displayName,omitempty"`
	Type          string  `json:"type"`
	Usage         string  `json:"usage"`
	Key           *string `json:"key"`
	StartDateTime string  `json:"startDateTime,omitempty"`
	EndDateTime   string  `json:"endDateTime,omitempty"`
}

type wirePasswordCredential struct {
	KeyID         string  `json:"keyId,omitempty"`
	DisplayName   string  `json:"displayName,omitempty"`
	Hint          string  `json:"hint,omitempty"`
	SecretText    *string `json:"secretText"`
	StartDateTime string  `json:"startDateTime,omitempty"`
	EndDateTime   string  `json:"endDateTime,omitempty"`
}

type wireApplication struct {
	OdataContext           string                       `json:"@odata.context,omitempty"`
	ID                     string                       `json:"id,omitempty"`
	AppID                  string                       `json:"appId,omitempty"`
	DisplayName            string                       `json:"displayName"`
	SignInAudience         string                       `json:"signInAudience,omitempty"`
	CreatedDateTime        string                       `json:"createdDateTime,omitempty"`
	IsFallbackPublicClient *bool                        `json:"isFallbackPublicClient"`
	RequiredResourceAccess []wireRequiredResourceAccess `json:"requiredResourceAccess"`
	Web                    *wireRedirects               `json:"web,omitempty"`
	PublicClient           *wireRedirects               `json:"publicClient,omitempty"`
	KeyCredentials         []wireKeyCredential          `json:"keyCredentials"`
	PasswordCredentials    []wirePasswordCredential     `json:"passwordCredentials"`
}

type wireAppRole struct {
	ID                 string   `json:"id"`
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	DisplayName        string   `json:"displayName"`
	Description        string   `json:"description"`
	IsEnabled          bool     `json:"isEnabled"`
	Value              string   `json:"value"`
}

type wirePermissionScope struct {
	ID                      string `json:"id"`
	AdminConsentDisplayName string `json:"adminConsentDisplayName"`
	IsEnabled               bool   `json:"isEnabled"`
	Type                    string `json:"type"` // "User" or "Admin"
	Value                   string `json:"value"`
}

type wireServicePrincipal struct {
	ID                     string                `json:"id"`
	AppID                  string                `json:"appId"`
	DisplayName            string                `json:"displayName"`
	ServicePrincipalType   string                `json:"servicePrincipalType"`
	AppRoles               []wireAppRole         `json:"appRoles"`
	OAuth2PermissionScopes []wirePermissionScope `json:"oauth2PermissionScopes"`
}

type wireAppRoleAssignment struct {
	ID                   string `json:"id,omitempty"`
	AppRoleID            string `json:"appRoleId"`
	PrincipalID          string `json:"principalId"`
	PrincipalType        string `json:"principalType,omitempty"`
	PrincipalDisplayName string `json:"principalDisplayName,omitempty"`
	ResourceID           string `json:"resourceId"`
	ResourceDisplayName  string `json:"resourceDisplayName,omitempty"`
	CreatedDateTime      string `json:"createdDateTime,omitempty"`
}

type wireOAuth2PermissionGrant struct {
	ID          string  `json:"id,omitempty"`
	ClientID    string  `json:"clientId"`
	ConsentType string  `json:"consentType"`
	PrincipalID *string `json:"principalId"`
	ResourceID  string  `json:"resourceId"`
	Scope       string  `json:"scope"`
}

// directoryRoutes serves the directory endpoints under /v1.0 and hands everything else
// to next (the mail surface). The caller is already validated by graphGate.
func (s *Server) directoryRoutes(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/applications", s.handleCreateApplication)
	mux.HandleFunc("GET /v1.0/applications/{id}", s.handleGetApplication)
	mux.HandleFunc("PATCH /v1.0/applications/{id}", s.handlePatchApplication)
	mux.HandleFunc("DELETE /v1.0/applications/{id}", s.handleDeleteApplication)
	mux.HandleFunc("POST /v1.0/applications/{id}/addPassword", s.handleAddPassword)
	mux.HandleFunc("POST /v1.0/applications/{id}/removePassword", s.handleRemovePassword)
	mux.HandleFunc("POST /v1.0/servicePrincipals", s.handleCreateServicePrincipal)
	mux.HandleFunc("GET /v1.0/servicePrincipals", s.handleListServicePrincipals)
	mux.HandleFunc("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.handleAppRoleAssignedTo)
	mux.HandleFunc("POST /v1.0/oauth2PermissionGrants", s.handleCreateGrant)
	mux.HandleFunc("GET /v1.0/me/memberOf", s.handleMemberOf)
	mux.Handle("/", next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /applications(appId='{appId}') addresses an application by its appId
		// (https://learn.microsoft.com/en-us/graph/api/application-get).
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/applications(appId='"); ok {
			if appID, tail, ok := strings.Cut(rest, "')"); ok {
				r.URL.Path = "/v1.0/applications/" + appID + tail
				r.URL.RawPath = ""
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// dirError answers Graph's error body, with one details entry when detail is set (as
// Entra's directory errors carry, e.g. NoBackingApplicationObject).
// https://learn.microsoft.com/en-us/graph/errors#json-representation
func (s *Server) dirError(w http.ResponseWriter, r *http.Request, status int, code, msg, detail, target string) {
	reqID := newGUID()
	body := map[string]any{"code": code, "message": msg, "innerError": map[string]string{
		"date": s.identity.now().UTC().Format("2006-01-02T15:04:05"), "request-id": reqID, "client-request-id": reqID}}
	if detail != "" {
		body["details"] = []map[string]string{{"code": detail, "message": msg, "target": target}}
	}
	w.Header().Set("request-id", reqID)
	writeJSON(w, status, map[string]any{"error": body})
}

// denied is the 403 Graph answers when the caller's permissions or directory role do
// not allow the operation.
func (s *Server) denied(w http.ResponseWriter, r *http.Request) {
	s.dirError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "", "")
}

// caller checks the token's permissions: a delegated caller needs one of scopes, an
// app-only caller one of the same names as roles. It answers 403 itself.
func (s *Server) caller(w http.ResponseWriter, r *http.Request, scopes ...string) (graphmail.Principal, bool) {
	p, ok := graphmail.PrincipalFrom(r.Context())
	if !ok {
		s.denied(w, r)
		return p, false
	}
	have := p.Scopes
	if p.AppOnly {
		have = p.Roles
	}
	for _, want := range scopes {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, want) }) {
			return p, true
		}
	}
	s.denied(w, r)
	return p, false
}

// hasRole reports whether a delegated caller holds one of roles (app-only callers are
// judged by their permissions alone).
func (s *Server) hasRole(p graphmail.Principal, roles ...string) bool {
	if p.AppOnly {
		return true
	}
	for _, have := range s.identity.DirectoryRoles(p.UserID) {
		if slices.Contains(roles, have) {
			return true
		}
	}
	return false
}

// decode reads a JSON body (1 MiB at most); keys match case-insensitively.
func decode(r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, msg string) {
	s.dirError(w, r, http.StatusBadRequest, "Request_BadRequest", msg, "", "")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, id string) {
	s.dirError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.", "", "")
}

// lookup finds a registration by object id or appId (caller holds g.mu).
func (g *registry) lookup(id string) *registration {
	id = strings.TrimSuffix(strings.TrimPrefix(id, "(appId='"), "')")
	if r := g.apps[strings.ToLower(id)]; r != nil {
		return r
	}
	for _, r := range g.apps {
		if strings.EqualFold(r.objectID, id) {
			return r
		}
	}
	return nil
}

// parseKeyCredentials turns keyCredentials of a request into certificates. Only
// AsymmetricX509Cert / Verify keys are accepted, key = base64 of the certificate.
func parseKeyCredentials(in []wireKeyCredential, now time.Time) ([]keyCred, string) {
	var out []keyCred
	for _, k := range in {
		if !strings.EqualFold(k.Type, "AsymmetricX509Cert") || !strings.EqualFold(k.Usage, "Verify") || k.Key == nil {
			return nil, "Invalid value specified for property 'keyCredentials' of resource 'Application'."
		}
		der, err := base64.StdEncoding.DecodeString(*k.Key)
		if err != nil {
			return nil, "Invalid value specified for property 'key' of resource 'keyCredential'."
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, "Key credential is not a valid X509 certificate."
		}
		id := k.KeyID
		if id == "" {
			id = newGUID()
		}
		s256, s1 := thumbprints(cert)
		out = append(out, keyCred{keyID: id, displayName: k.DisplayName, cert: cert, x5tS256: s256, x5tS1: s1,
			start: cert.NotBefore, end: cert.NotAfter})
	}
	_ = now
	return out, ""
}

// handleCreateApplication is POST /applications
// (https://learn.microsoft.com/en-us/graph/api/application-post-applications): needs
// Application.ReadWrite.All; any member may register apps by default. 201 with the
// application; displayName is required.
func (s *Server) handleCreateApplication(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in wireApplication
	if !decode(r, &in) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return
	}
	if strings.TrimSpace(in.DisplayName) == "" {
		s.badRequest(w, r, "Property displayName is required.")
		return
	}
	id := s.identity
	now := id.now()
	keys, msg := parseKeyCredentials(in.KeyCredentials, now)
	if msg != "" {
		s.badRequest(w, r, msg)
		return
	}
	if len(in.PasswordCredentials) > 0 {
		s.badRequest(w, r, "Property passwordCredentials is read-only on create; use addPassword.")
		return
	}
	for _, rra := range in.RequiredResourceAccess {
		if !strings.EqualFold(rra.ResourceAppID, graphAppID) {
			s.badRequest(w, r, "The resource application '"+rra.ResourceAppID+"' is not known in this tenant.")
			return
		}
	}
	g := id.dir.reg
	reg := &registration{objectID: newGUID(), created: now, owner: p.UserID, displayName: in.DisplayName,
		signInAudience: in.SignInAudience, required: in.RequiredResourceAccess, keys: keys}
	if reg.signInAudience == "" {
		reg.signInAudience = "AzureADandPersonalMicrosoftAccount"
	}
	if in.Web != nil {
		reg.web = in.Web.RedirectURIs
	}
	if in.PublicClient != nil {
		reg.public = in.PublicClient.RedirectURIs
	}
	if in.IsFallbackPublicClient != nil {
		reg.fallbackPublic = *in.IsFallbackPublicClient
	}
	reg.app = &App{ClientID: newGUID()}
	g.mu.Lock()
	reg.spPending = g.spDelay
	tokenDelay := g.tokenDelay
	g.refresh(reg)
	g.apps[strings.ToLower(reg.app.ClientID)] = reg
	out := g.wire(reg)
	g.mu.Unlock()
	if tokenDelay > 0 {
		id.InjectFault(Fault{Kind: FaultAppNotFound, ClientID: reg.app.ClientID, Count: tokenDelay})
	}
	out.OdataContext = s.GraphBaseURL() + "/$metadata#applications/$entity"
	w.Header().Set("Location", s.GraphBaseURL()+"/applications/"+reg.objectID)
	writeJSON(w, http.StatusCreated, out)
}

// wire renders a registration (caller holds g.mu). Secrets and keys are never returned.
func (g *registry) wire(r *registration) wireApplication {
	fb := r.fallbackPublic
	out := wireApplication{ID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, SignInAudience: r.signInAudience,
		CreatedDateTime: r.created.UTC().Format(time.RFC3339), IsFallbackPublicClient: &fb,
		RequiredResourceAccess: r.required, Web: &wireRedirects{RedirectURIs: nonNil(r.web)},
		PublicClient:   &wireRedirects{RedirectURIs: nonNil(r.public)},
		KeyCredentials: []wireKeyCredential{}, PasswordCredentials: []wirePasswordCredential{}}
	if out.RequiredResourceAccess == nil {
		out.RequiredResourceAccess = []wireRequiredResourceAccess{}
	}
	for _, k := range r.keys {
		out.KeyCredentials = append(out.KeyCredentials, wireKeyCredential{KeyID: k.keyID, DisplayName: k.displayName,
			Type: "AsymmetricX509Cert", Usage: "Verify", StartDateTime: k.start.UTC().Format(time.RFC3339), EndDateTime: k.end.UTC().Format(time.RFC3339)})
	}
	for _, p := range r.passwords {
		out.PasswordCredentials = append(out.PasswordCredentials, wirePasswordCredential{KeyID: p.keyID, DisplayName: p.displayName,
			Hint: p.secret[:3], StartDateTime: p.start.UTC().Format(time.RFC3339), EndDateTime: p.end.UTC().Format(time.RFC3339)})
	}
	return out
}

// mayManage: the owner (creator) of the app, or an Application / Cloud Application /
// Global Administrator, may change it
// (https://learn.microsoft.com/en-us/graph/api/application-update).
func (s *Server) mayManage(p graphmail.Principal, reg *registration) bool {
	return p.AppOnly || p.UserID == reg.owner ||
		s.hasRole(p, RoleGlobalAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
}

// handleGetApplication is GET /applications/{id}.
func (s *Server) handleGetApplication(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.caller(w, r, "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All"); !ok {
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	reg := g.lookup(r.PathValue("id"))
	var out wireApplication
	if reg != nil {
		out = g.wire(reg)
	}
	g.mu.Unlock()
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePatchApplication is PATCH /applications/{id}
// (https://learn.microsoft.com/en-us/graph/api/application-update): keyCredentials
// (replaces the whole collection: how a certificate is added or removed without a proof
// of possession), requiredResourceAccess, redirect URIs, displayName. 204.
func (s *Server) handlePatchApplication(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var raw map[string]json.RawMessage
	if !decode(r, &raw) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return
	}
	field := func(name string) (json.RawMessage, bool) {
		for k, v := range raw {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.lookup(r.PathValue("id"))
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	if !s.mayManage(p, reg) {
		s.denied(w, r)
		return
	}
	if v, ok := field("keyCredentials"); ok {
		var in []wireKeyCredential
		if json.Unmarshal(v, &in) != nil {
			s.badRequest(w, r, "Invalid value specified for property 'keyCredentials' of resource 'Application'.")
			return
		}
		keys, msg := parseKeyCredentials(in, s.identity.now())
		if msg != "" {
			s.badRequest(w, r, msg)
			return
		}
		reg.keys = keys
	}
	if v, ok := field("requiredResourceAccess"); ok {
		var in []wireRequiredResourceAccess
		if json.Unmarshal(v, &in) != nil {
			s.badRequest(w, r, "Invalid value specified for property 'requiredResourceAccess'.")
			return
		}
		reg.required = in
	}
	if v, ok := field("displayName"); ok {
		_ = json.Unmarshal(v, &reg.displayName)
	}
	g.refresh(reg)
	w.WriteHeader(http.StatusNoContent)
}

// handleDeleteApplication is DELETE /applications/{id}
// (https://learn.microsoft.com/en-us/graph/api/application-delete): 204; the app's
// service principal, its app role assignments and grants go with it, and its tokens
// stop working.
func (s *Server) handleDeleteApplication(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	reg := g.lookup(r.PathValue("id"))
	if reg == nil {
		g.mu.Unlock()
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	if !s.mayManage(p, reg) {
		g.mu.Unlock()
		s.denied(w, r)
		return
	}
	delete(g.apps, strings.ToLower(reg.app.ClientID))
	g.mu.Unlock()
	s.identity.RevokeTokens(reg.app.ClientID)
	w.WriteHeader(http.StatusNoContent)
}

// handleAddPassword is POST /applications/{id}/addPassword
// (https://learn.microsoft.com/en-us/graph/api/application-addpassword): 200 with the
// passwordCredential whose secretText is shown this once; endDateTime defaults to
// start + 2 years. A tenant app management policy may refuse the lifetime: 400
// CredentialInvalidLifetimeAsPerAppPolicy with an InvalidKeyEndDate detail, as Graph
// answers ("Credential lifetime exceeds the max value allowed as per assigned policy").
func (s *Server) handleAddPassword(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in struct {
		PasswordCredential wirePasswordCredential `json:"passwordCredential"`
	}
	if !decode(r, &in) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return
	}
	now := s.identity.now()
	start, end := now, now.AddDate(2, 0, 0)
	if t, err := time.Parse(time.RFC3339, in.PasswordCredential.StartDateTime); err == nil {
		start = t
	}
	if t, err := time.Parse(time.RFC3339, in.PasswordCredential.EndDateTime); err == nil {
		end = t
	} else if in.PasswordCredential.EndDateTime != "" {
		s.badRequest(w, r, "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.")
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.lookup(r.PathValue("id"))
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	if !s.mayManage(p, reg) {
		s.denied(w, r)
		return
	}
	if g.maxPwdLife > 0 && end.Sub(start) > g.maxPwdLife {
		s.dirError(w, r, http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy",
			"Credential lifetime exceeds the max value allowed as per assigned policy '"+g.policyID+"'.", "InvalidKeyEndDate", "EndDate")
		return
	}
	secret := newClientSecret()
	pc := passwordCred{keyID: newGUID(), displayName: in.PasswordCredential.DisplayName, secret: secret, start: start, end: end}
	reg.passwords = append(reg.passwords, pc)
	g.refresh(reg)
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context":      s.GraphBaseURL() + "/$metadata#microsoft.graph.passwordCredential",
		"customKeyIdentifier": nil, "displayName": pc.displayName, "endDateTime": end.UTC().Format(time.RFC3339),
		"hint": secret[:3], "keyId": pc.keyID, "secretText": secret, "startDateTime": start.UTC().Format(time.RFC3339)})
}

// handleRemovePassword is POST /applications/{id}/removePassword
// (https://learn.microsoft.com/en-us/graph/api/application-removepassword): {keyId}, 204.
func (s *Server) handleRemovePassword(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in struct {
		KeyID string `json:"keyId"`
	}
	if !decode(r, &in) || in.KeyID == "" {
		s.badRequest(w, r, "Property keyId is required.")
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.lookup(r.PathValue("id"))
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	if !s.mayManage(p, reg) {
		s.denied(w, r)
		return
	}
	i := slices.IndexFunc(reg.passwords, func(pc passwordCred) bool { return strings.EqualFold(pc.keyID, in.KeyID) })
	if i < 0 {
		s.dirError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "No password credential found with keyId '"+in.KeyID+"'.", "", "")
		return
	}
	reg.passwords = slices.Delete(reg.passwords, i, i+1)
	g.refresh(reg)
	w.WriteHeader(http.StatusNoContent)
}

// handleCreateServicePrincipal is POST /servicePrincipals {appId}
// (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals):
// 201. Right after the application was created the directory may not know it yet:
// 400 Request_BadRequest with a NoBackingApplicationObject detail ("The appId '…' of the
// service principal does not reference a valid application object.").
func (s *Server) handleCreateServicePrincipal(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in struct {
		AppID string `json:"appId"`
	}
	if !decode(r, &in) || in.AppID == "" {
		s.badRequest(w, r, "Property appId is required.")
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.apps[strings.ToLower(in.AppID)]
	msg := "The appId '" + in.AppID + "' of the service principal does not reference a valid application object."
	if reg == nil || reg.spPending > 0 {
		if reg != nil {
			reg.spPending--
		}
		s.dirError(w, r, http.StatusBadRequest, "Request_BadRequest", msg, "NoBackingApplicationObject", "appId")
		return
	}
	if !s.mayManage(p, reg) {
		s.denied(w, r)
		return
	}
	if reg.spID != "" {
		s.dirError(w, r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"The service principal cannot be created, updated, or restored because the service principal appId is already in use.", "", "")
		return
	}
	reg.spID = s.identity.servicePrincipalID(reg.app.ClientID)
	writeJSON(w, http.StatusCreated, wireServicePrincipal{ID: reg.spID, AppID: reg.app.ClientID, DisplayName: reg.displayName,
		ServicePrincipalType: "Application", AppRoles: []wireAppRole{}, OAuth2PermissionScopes: []wirePermissionScope{}})
}

// graphSP is Microsoft Graph's service principal in the practice tenant.
func (s *Server) graphSP() wireServicePrincipal {
	tid := s.identity.TenantID()
	sp := wireServicePrincipal{ID: s.identity.servicePrincipalID(graphAppID), AppID: graphAppID, DisplayName: "Microsoft Graph",
		ServicePrincipalType: "Application"}
	for _, v := range graphAppRoleValues() {
		sp.AppRoles = append(sp.AppRoles, wireAppRole{ID: graphRoleID(tid, v), AllowedMemberTypes: []string{"Application"},
			DisplayName: v, Description: "Application permission " + v, IsEnabled: true, Value: v})
	}
	for _, v := range graphScopeValues() {
		typ := "User"
		if strings.Contains(v, ".All") || strings.HasSuffix(v, ".Shared") {
			typ = "Admin"
		}
		sp.OAuth2PermissionScopes = append(sp.OAuth2PermissionScopes, wirePermissionScope{ID: graphScopeID(tid, v),
			AdminConsentDisplayName: v, IsEnabled: true, Type: typ, Value: v})
	}
	return sp
}

// handleListServicePrincipals is GET /servicePrincipals with $filter=appId eq '…'
// (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-list). Microsoft
// Graph's own service principal carries its appRoles and oauth2PermissionScopes.
func (s *Server) handleListServicePrincipals(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.caller(w, r, "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All"); !ok {
		return
	}
	filter := strings.TrimSpace(r.URL.Query().Get("$filter"))
	want, ok := strings.CutPrefix(filter, "appId eq '")
	want = strings.TrimSuffix(want, "'")
	if !ok || want == "" {
		s.badRequest(w, r, "Only $filter=appId eq '{appId}' is supported by the practice tenant.")
		return
	}
	list := []wireServicePrincipal{}
	if strings.EqualFold(want, graphAppID) {
		list = append(list, s.graphSP())
	} else {
		g := s.identity.dir.reg
		g.mu.Lock()
		if reg := g.apps[strings.ToLower(want)]; reg != nil && reg.spID != "" {
			list = append(list, wireServicePrincipal{ID: reg.spID, AppID: reg.app.ClientID, DisplayName: reg.displayName,
				ServicePrincipalType: "Application", AppRoles: []wireAppRole{}, OAuth2PermissionScopes: []wirePermissionScope{}})
		}
		g.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.GraphBaseURL() + "/$metadata#servicePrincipals", "value": list})
}

// spOwner finds the registration whose service principal has this object id (caller
// holds g.mu).
func (g *registry) spOwner(spID string) *registration {
	for _, r := range g.apps {
		if r.spID != "" && strings.EqualFold(r.spID, spID) {
			return r
		}
	}
	return nil
}

// handleAppRoleAssignedTo is POST /servicePrincipals/{resource}/appRoleAssignedTo
// (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto):
// needs AppRoleAssignment.ReadWrite.All; granting Microsoft Graph's app roles needs a
// Privileged Role Administrator or Global Administrator
// (https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent).
// 201 with the appRoleAssignment.
func (s *Server) handleAppRoleAssignedTo(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "AppRoleAssignment.ReadWrite.All")
	if !ok {
		return
	}
	var in wireAppRoleAssignment
	if !decode(r, &in) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return
	}
	graphSP := s.identity.servicePrincipalID(graphAppID)
	if !strings.EqualFold(r.PathValue("id"), graphSP) || !strings.EqualFold(in.ResourceID, graphSP) {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	if !s.hasRole(p, RoleGlobalAdministrator, RolePrivilegedRoleAdministrator) {
		s.denied(w, r)
		return
	}
	tid := s.identity.TenantID()
	value := graphRoleValue(tid, in.AppRoleID)
	if value == "" {
		s.badRequest(w, r, "Permission being assigned was not found on application '"+graphAppID+"'.")
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.spOwner(in.PrincipalID)
	if reg == nil {
		s.notFound(w, r, in.PrincipalID)
		return
	}
	for _, a := range reg.assignments {
		if strings.EqualFold(a.AppRoleID, in.AppRoleID) {
			s.badRequest(w, r, "Permission being assigned already exists on the object.")
			return
		}
	}
	a := wireAppRoleAssignment{ID: base64.RawURLEncoding.EncodeToString([]byte(newGUID()))[:43], AppRoleID: in.AppRoleID,
		PrincipalID: reg.spID, PrincipalType: "ServicePrincipal", PrincipalDisplayName: reg.displayName,
		ResourceID: graphSP, ResourceDisplayName: "Microsoft Graph", CreatedDateTime: s.identity.now().UTC().Format(time.RFC3339)}
	reg.assignments = append(reg.assignments, a)
	g.refresh(reg)
	writeJSON(w, http.StatusCreated, a)
}

// handleCreateGrant is POST /oauth2PermissionGrants
// (https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post): needs
// DelegatedPermissionGrant.ReadWrite.All and, for consentType AllPrincipals, a role that
// may consent to delegated permissions for the organisation (Global, Privileged Role,
// Cloud Application or Application Administrator). 201 with the grant.
func (s *Server) handleCreateGrant(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in wireOAuth2PermissionGrant
	if !decode(r, &in) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return
	}
	if in.ConsentType != "AllPrincipals" {
		s.badRequest(w, r, "The practice tenant supports consentType AllPrincipals only.")
		return
	}
	if !s.hasRole(p, RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleCloudApplicationAdministrator, RoleApplicationAdministrator) {
		s.denied(w, r)
		return
	}
	if !strings.EqualFold(in.ResourceID, s.identity.servicePrincipalID(graphAppID)) {
		s.notFound(w, r, in.ResourceID)
		return
	}
	for _, sc := range strings.Fields(in.Scope) {
		if !slices.Contains(graphScopeValues(), sc) {
			s.badRequest(w, r, "Invalid scope '"+sc+"' for resource Microsoft Graph.")
			return
		}
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.spOwner(in.ClientID)
	if reg == nil {
		s.notFound(w, r, in.ClientID)
		return
	}
	if len(reg.grants) > 0 {
		s.dirError(w, r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.", "", "")
		return
	}
	gr := wireOAuth2PermissionGrant{ID: base64.RawURLEncoding.EncodeToString([]byte(newGUID()))[:43], ClientID: reg.spID,
		ConsentType: "AllPrincipals", ResourceID: in.ResourceID, Scope: strings.Join(strings.Fields(in.Scope), " ")}
	reg.grants = append(reg.grants, gr)
	g.refresh(reg)
	writeJSON(w, http.StatusCreated, gr)
}

// handleMemberOf is GET /me/memberOf
// (https://learn.microsoft.com/en-us/graph/api/user-list-memberof, User.Read for the
// signed-in user): the directoryRole objects of the caller's roles.
func (s *Server) handleMemberOf(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "User.Read", "User.Read.All", "Directory.Read.All")
	if !ok {
		return
	}
	if p.AppOnly {
		s.badRequest(w, r, "/me request is only valid with delegated authentication flow.")
		return
	}
	list := []map[string]any{}
	for _, role := range s.identity.DirectoryRoles(p.UserID) {
		tmpl := roleTemplateID(role)
		list = append(list, map[string]any{"@odata.type": "#microsoft.graph.directoryRole",
			"id": seededGUIDFromTenant(s.identity.TenantID(), "role/"+tmpl), "displayName": role, "roleTemplateId": tmpl})
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.GraphBaseURL() + "/$metadata#directoryObjects", "value": list})
}
