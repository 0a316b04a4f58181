package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// The directory roles of practice users (Global Administrator, Application
// Administrator, ...): which user holds which, what they allow (consenting for the
// organisation, a user's own consent to the admin tool) and GET /me/memberOf.

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

// Directory role names (built-in roles) given to practice users.
// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference
const (
	RoleGlobalAdministrator           = "Global Administrator"
	RoleApplicationAdministrator      = "Application Administrator"
	RoleCloudApplicationAdministrator = "Cloud Application Administrator"
	RolePrivilegedRoleAdministrator   = "Privileged Role Administrator"
)

// roleTemplateID is the immutable template id of a built-in role (same page).
func roleTemplateID(name string) string {
	switch name {
	case RoleGlobalAdministrator:
		return "62e90394-69f5-4237-9190-012177145e10"
	case RoleApplicationAdministrator:
		return "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	case RoleCloudApplicationAdministrator:
		return "158c047a-c907-4556-b7ef-446551a6b5f7"
	case RolePrivilegedRoleAdministrator:
		return "e8611ab8-c189-46e8-94e1-60213ab1f814"
	}
	return ""
}

// SetDirectoryRoles gives a practice user (id or address) exactly these directory
// roles (Role* constants; none = a plain user). By default the first user is a Global
// Administrator, the second an Application Administrator, the rest plain users.
func (id *Identity) SetDirectoryRoles(user string, roles ...string) {
	u, ok := id.findUser(user)
	if !ok {
		return
	}
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roles[u.ID] = append([]string{}, roles...)
}

// DirectoryRoles returns the directory roles of a practice user (id or address).
func (id *Identity) DirectoryRoles(user string) []string {
	u, ok := id.findUser(user)
	if !ok {
		return nil
	}
	g := id.dir.reg
	g.mu.Lock()
	r, set := g.roles[u.ID]
	g.mu.Unlock()
	if set {
		return slices.Clone(r)
	}
	for i, x := range id.users() {
		if x.ID != u.ID {
			continue
		}
		switch i {
		case 0:
			return []string{RoleGlobalAdministrator}
		case 1:
			return []string{RoleApplicationAdministrator}
		}
	}
	return nil
}

// adminOnlyScopes are the admin tool's permissions that need an administrator's consent
// ("Admin consent required: Yes" in
// https://learn.microsoft.com/en-us/graph/permissions-reference).
func adminOnlyScopes() []string {
	return []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All"}
}

// userMayConsent reports whether a user may consent for themselves to scopes of app:
// for Microsoft Graph Command Line Tools, scopes that need admin consent are refused to
// a user without an administrator role (AADSTS90094, admin approval required) unless the
// tool already has tenant-wide consent. Other apps keep the practice tenant's default
// (users may consent).
func (id *Identity) userMayConsent(app *App, scopes []string, userID string) bool {
	if !strings.EqualFold(app.ClientID, AdminToolClientID) {
		return true
	}
	needsAdmin := slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(adminOnlyScopes(), s) })
	if !needsAdmin {
		return true
	}
	for _, r := range id.DirectoryRoles(userID) {
		switch r {
		case RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator:
			return true
		}
	}
	return false
}
