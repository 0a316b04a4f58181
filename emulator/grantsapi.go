package emulator

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Granting an app permissions through Graph, as an administrator consenting does:
// app role assignments (application permissions) and tenant-wide
// oauth2PermissionGrants (delegated permissions). Their effect on tokens is
// registry.refresh (appregistry.go).

// handleAppRoleAssignedTo is POST /servicePrincipals/{resource}/appRoleAssignedTo
// (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto):
// needs AppRoleAssignment.ReadWrite.All; granting Microsoft Graph's app roles needs a
// Privileged Role Administrator or Global Administrator
// (https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent).
// 201 with the appRoleAssignment.
func (s *Server) handleAppRoleAssignedTo(w http.ResponseWriter, r *http.Request) {
	var in wireAppRoleAssignment
	p, ok := s.callerWithBody(w, r, &in, "AppRoleAssignment.ReadWrite.All")
	if !ok {
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
	var in wireOAuth2PermissionGrant
	p, ok := s.callerWithBody(w, r, &in, "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
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
