package emulator

import (
	"net/http"
	"strings"
)

// Service principals through Graph: creating an app's service principal (with
// Microsoft's replication delay), listing them by appId, and Microsoft Graph's own
// service principal that publishes the app roles and scopes apps are granted.

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
	admin := s.appAdmin(p)
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
	if !mayManage(p, admin, reg) {
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

// spOwner finds the created app whose service principal has this object id (caller
// holds g.mu). The ready-made apps' permissions are the practice tenant's own
// (SetAdminConsent, AddAppRoles), not granted through Graph, so their service
// principals are not found here.
func (g *registry) spOwner(spID string) *registration {
	for _, r := range g.apps {
		if !r.readyMade && r.spID != "" && strings.EqualFold(r.spID, spID) {
			return r
		}
	}
	return nil
}
