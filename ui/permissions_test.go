package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The permission screens show exactly the call table's set for the chosen mode, one
// "Permission: reason" line each (the same lines the Copy button copies).
func TestPermissionScreensShowTheTablesSet(t *testing.T) {
	h := newHarnessNoWait(t)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	lines := func(text string) []string { return strings.Split(text, "\n")[1:] }
	for _, mode := range []string{wizard.ModeSecret, wizard.ModeCertificate, wizard.ModeDelegated} {
		for _, c := range []struct{ in, out, list, shared bool }{{true, false, false, false}, {false, true, false, false}, {true, true, true, false}, {true, true, false, true}} {
			h.do(func() {
				st := h.z.state
				st.Mode, st.Incoming, st.Outgoing, st.ListUsers, st.Shared = mode, c.in, c.out, c.list, c.shared
				pre.update()
				reg.enter()
				want := graph.PermissionLines(graph.Mode(mode), GraphFeatures(st.Features()))
				if got := lines(pre.perms.Text); !slices.Equal(got, want) {
					t.Errorf("%s %+v prerequisites shows %q, table %q", mode, c, got, want)
				}
				if got := lines(reg.perms.Text); !slices.Equal(got, want) {
					t.Errorf("%s %+v app registration shows %q, table %q", mode, c, got, want)
				}
				var names []string
				for _, l := range want {
					names = append(names, strings.SplitN(l, ":", 2)[0])
				}
				if !slices.Equal(names, st.Permissions) || !slices.Equal(names, graph.RequestedPermissions(graph.Mode(mode), GraphFeatures(st.Features()))) {
					t.Errorf("%s %+v requested %v, shown %v", mode, c, st.Permissions, names)
				}
			})
		}
	}
}
