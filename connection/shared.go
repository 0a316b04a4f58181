package connection

import (
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// TurnOnSharedIfNeeded is the Mailboxes step's rule for delegated connections: once a
// chosen mailbox is not the signed-in account's own, the connection needs the .Shared
// permissions (graph.NeedsShared). It turns Shared on, recomputes the permissions the
// sign-in asks for, and clears the sign-in, whose token lacks them: the account signs
// in again (and consents to the .Shared permissions) before verify, instead of verify
// failing with "choose shared mailboxes and sign in again". It reports the permissions
// added (none when nothing changed).
// https://learn.microsoft.com/en-us/graph/outlook-share-messages-folders
func TurnOnSharedIfNeeded(st *wizard.State) (added []string) {
	if st.Mode != wizard.ModeDelegated || st.Shared {
		return nil
	}
	var addrs []string
	for _, m := range st.Mailboxes {
		addrs = append(addrs, m.Address)
	}
	if st.ServiceAccount == "" || !graph.NeedsShared(st.ServiceAccount, addrs) {
		return nil
	}
	before := map[string]bool{}
	for _, p := range st.Permissions {
		before[p] = true
	}
	st.Shared = true
	st.Permissions = graph.RequestedPermissions(graph.ModeDelegated, GraphFeatures(st.Features()))
	for _, p := range st.Permissions {
		if !before[p] {
			added = append(added, p)
		}
	}
	st.SignedIn = false
	st.Verification = nil
	return added
}
