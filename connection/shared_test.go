package connection

import (
	"slices"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// TestTurnOnSharedIfNeeded: only a delegated connection with a mailbox other than the
// signed-in account's own turns Shared on, adds the .Shared permissions and asks for
// a new sign-in.
func TestTurnOnSharedIfNeeded(t *testing.T) {
	mb := func(a ...string) []wizard.Mailbox {
		var out []wizard.Mailbox
		for _, x := range a {
			out = append(out, wizard.Mailbox{Address: x, Kind: wizard.KindUser})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		st        wizard.State
		wantOn    bool
		wantAdded bool
	}{
		{"own mailbox", wizard.State{Mode: wizard.ModeDelegated, Incoming: true, ServiceAccount: "a@x.com", Mailboxes: mb("A@x.com")}, false, false},
		{"shared mailbox", wizard.State{Mode: wizard.ModeDelegated, Incoming: true, ServiceAccount: "a@x.com", Mailboxes: mb("a@x.com", "info@x.com")}, true, true},
		{"already on", wizard.State{Mode: wizard.ModeDelegated, Incoming: true, Shared: true, ServiceAccount: "a@x.com", Mailboxes: mb("info@x.com")}, true, false},
		{"application mode", wizard.State{Mode: wizard.ModeSecret, Incoming: true, Mailboxes: mb("info@x.com")}, false, false},
		{"not signed in yet", wizard.State{Mode: wizard.ModeDelegated, Incoming: true, Mailboxes: mb("info@x.com")}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			st.SignedIn = st.ServiceAccount != ""
			added := TurnOnSharedIfNeeded(&st)
			if st.Shared != tc.wantOn || (len(added) > 0) != tc.wantAdded {
				t.Fatalf("Shared %v, added %v", st.Shared, added)
			}
			if tc.wantAdded && (!slices.Contains(st.Permissions, "Mail.Read.Shared") || st.SignedIn) {
				t.Fatalf("permissions %v, still signed in %v", st.Permissions, st.SignedIn)
			}
		})
	}
}
