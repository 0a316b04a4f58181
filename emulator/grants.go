package emulator

import (
	"slices"
	"strings"
)

// RemoveAppRoles withdraws some of an app's tenant-wide application permissions (its
// app role assignments on Microsoft Graph), as Remove-MgServicePrincipalAppRoleAssignment
// does: tokens issued afterwards no longer carry them. Exchange RBAC for Applications
// grants are unaffected (they live in graphmail's Exchange side).
// https://learn.microsoft.com/en-us/graph/api/serviceprincipal-delete-approleassignments
func (id *Identity) RemoveAppRoles(clientID string, roles ...string) {
	id.changeRoles(clientID, func(have []string) []string {
		return slices.DeleteFunc(have, func(r string) bool {
			return slices.ContainsFunc(roles, func(x string) bool { return strings.EqualFold(x, r) })
		})
	})
}

// changeRoles replaces an app's application permissions with change(a copy of them),
// under the lock: readers take their own copy with grantedRoles.
func (id *Identity) changeRoles(clientID string, change func(roles []string) []string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	a := id.dir.appByID(clientID)
	if a == nil {
		return
	}
	a.Roles = change(slices.Clone(a.Roles))
}

// grantedRoles is the app's application permissions as of now, read under the lock.
func (id *Identity) grantedRoles(a *App) []string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return slices.Clone(a.Roles)
}

// AddAppRoles grants further application permissions to an app tenant-wide (as an
// admin consenting to added API permissions does).
func (id *Identity) AddAppRoles(clientID string, roles ...string) {
	id.changeRoles(clientID, func(have []string) []string {
		for _, r := range roles {
			if !slices.ContainsFunc(have, func(x string) bool { return strings.EqualFold(x, r) }) {
				have = append(have, r)
			}
		}
		return have
	})
}
