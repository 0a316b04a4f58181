package emulator

import (
	"crypto/sha256"
	"strings"
)

// Microsoft Graph's permissions as the practice tenant publishes them: the app roles
// and delegated scopes of its Microsoft Graph service principal, their per-tenant ids,
// and the delegated scopes of the admin tool.

// graphAppRoleValues and graphScopeValues are the Microsoft Graph permissions the
// practice tenant's Microsoft Graph service principal publishes (a subset of
// https://learn.microsoft.com/en-us/graph/permissions-reference). Their ids are derived
// per tenant, so a client that hard-codes Microsoft's ids fails here as it should not
// rely on them: ids are looked up from the service principal at run time.
func graphAppRoleValues() []string {
	return []string{"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite", "Mail.Send",
		"MailboxSettings.Read", "User.Read.All", "User.ReadBasic.All", "Directory.Read.All",
		"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
}

func graphScopeValues() []string {
	return []string{"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.Shared", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared",
		"Mail.ReadWrite.Shared", "Mail.Send.Shared", "MailboxSettings.Read", "User.Read", "User.ReadBasic.All",
		"User.Read.All", "Directory.Read.All", "offline_access", "openid", "profile", "email",
		"Application.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
		"DelegatedPermissionGrant.ReadWrite.All"}
}

// adminToolScopes are the delegated permissions the practice copy of Microsoft Graph
// Command Line Tools may be consented to (Graph PowerShell asks for scopes dynamically).
func adminToolScopes() []string {
	return []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All",
		"Directory.Read.All", "User.Read", "offline_access"}
}

// seededGUIDFromTenant derives a stable GUID from the tenant id and a label.
func seededGUIDFromTenant(tenantID, label string) string {
	h := sha256.Sum256([]byte(strings.ToLower(tenantID) + "/" + label))
	return guidFromBytes(h[:16])
}

// graphRoleID / graphScopeID are the per-tenant ids of Microsoft Graph's app roles and
// delegated permission scopes in the practice tenant.
func graphRoleID(tenantID, value string) string {
	return seededGUIDFromTenant(tenantID, "graph-approle/"+value)
}

func graphScopeID(tenantID, value string) string {
	return seededGUIDFromTenant(tenantID, "graph-scope/"+value)
}

func graphRoleValue(tenantID, roleID string) string {
	for _, v := range graphAppRoleValues() {
		if strings.EqualFold(graphRoleID(tenantID, v), roleID) {
			return v
		}
	}
	return ""
}

func graphScopeValue(tenantID, scopeID string) string {
	for _, v := range graphScopeValues() {
		if strings.EqualFold(graphScopeID(tenantID, v), scopeID) {
			return v
		}
	}
	return ""
}
