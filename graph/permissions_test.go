package graph

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The sets each mode must request, written out from Microsoft's permission tables
// (see CallTable's Doc links): what the call table's union must come to.
func TestModePermissionsExactSets(t *testing.T) {
	cases := []struct {
		name string
		mode Mode
		f    Features
		want []string
	}{
		{"incoming app", ModeSecret, Features{Read: true}, []string{"Mail.Read"}},
		{"outgoing app", ModeSecret, Features{Send: true}, []string{"Mail.ReadWrite", "Mail.Send"}},
		{"both app", ModeCertificate, Features{Read: true, Send: true}, []string{"Mail.ReadWrite", "Mail.Send"}},
		{"both app + picker", ModeSecret, Features{Read: true, Send: true, ListUsers: true}, []string{"Mail.ReadWrite", "Mail.Send", "User.Read.All"}},
		{"incoming organise app", ModeSecret, Features{Read: true, Write: true}, []string{"Mail.ReadWrite"}},
		{"incoming delegated", ModeDelegated, Features{Read: true}, []string{"Mail.Read", "offline_access"}},
		{"outgoing delegated", ModeDelegated, Features{Send: true}, []string{"Mail.ReadWrite", "Mail.Send", "offline_access"}},
		{"both delegated + picker", ModeDelegated, Features{Read: true, Send: true, ListUsers: true}, []string{"Mail.ReadWrite", "Mail.Send", "User.ReadBasic.All", "offline_access"}},
		{"incoming shared", ModeDelegated, Features{Read: true, Shared: true}, []string{"Mail.Read.Shared", "offline_access"}},
		{"outgoing shared", ModeDelegated, Features{Send: true, Shared: true}, []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared", "offline_access"}},
		{"both shared", ModeDelegated, Features{Read: true, Send: true, Shared: true}, []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared", "offline_access"}},
		{"shared ignored app-only", ModeSecret, Features{Read: true, Shared: true}, []string{"Mail.Read"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RequestedPermissions(c.mode, c.f)
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for _, g := range ModePermissions(c.mode, c.f) {
				if g.Reason == "" || strings.Contains(g.Reason, "\n") {
					t.Errorf("%s: reason must be one line, got %q", g.Permission, g.Reason)
				}
			}
		})
	}
	if r := ModePermissions(ModeSecret, Features{Send: true})[0]; r.Permission != "Mail.ReadWrite" ||
		!strings.Contains(r.Reason, "draft first, so that it is sent exactly once") {
		t.Errorf("Mail.ReadWrite reason = %q", r)
	}
}

// Every requested permission is needed by a call of the mode, and every call of the
// mode is covered by a requested permission (exactly the union, nothing more).
func TestModePermissionsCoverCalls(t *testing.T) {
	for _, mode := range []Mode{ModeSecret, ModeDelegated} {
		for _, f := range []Features{{Read: true}, {Send: true}, {Read: true, Send: true}, {Read: true, Write: true, Send: true, ListUsers: true},
			{Read: true, Shared: true}, {Send: true, Shared: true, ListUsers: true}} {
			req := RequestedPermissions(mode, f)
			shared := f.Shared && !mode.AppOnly()
			used := map[string]bool{}
			for _, c := range ModeCalls(f) {
				p := c.application()
				if !mode.AppOnly() {
					p = c.delegated(shared)
				}
				i := slices.IndexFunc(req, func(r string) bool { return slices.Contains(Higher(p), r) })
				if i < 0 {
					t.Errorf("%s %+v: call %s needs %s, not covered by %v", mode, f, c.Call, p, req)
					continue
				}
				used[req[i]] = true
			}
			for _, r := range req {
				if r != "offline_access" && !used[r] {
					t.Errorf("%s %+v: %s requested but no call needs it", mode, f, r)
				}
			}
		}
	}
}

func TestCallTableCitesDocs(t *testing.T) {
	for _, c := range CallTable() {
		if !strings.HasPrefix(c.Doc, "https://learn.microsoft.com/en-us/graph/api/") || !strings.HasSuffix(c.Doc, "#permissions") {
			t.Errorf("%s: doc %q", c.Call, c.Doc)
		}
		if c.Application == "" || c.Delegated == "" || c.Why == "" {
			t.Errorf("%s: incomplete row %+v", c.Call, c)
		}
	}
	// List users: applications need User.Read.All (User.ReadBasic.All is not accepted).
	if c := CallTable()[0]; c.Call != CallListUsers || c.Application != "User.Read.All" {
		t.Errorf("list users row %+v", c)
	}
}

// The generated scripts grant exactly the table's set (by GUID) and carry each reason.
func TestScriptsMatchTable(t *testing.T) {
	g, _ := CloudByName(CloudGlobal)
	guid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	for _, mode := range []Mode{ModeSecret, ModeCertificate, ModeDelegated} {
		for _, f := range []Features{{Read: true}, {Send: true}, {Read: true, Send: true, ListUsers: true}, {Read: true, Send: true, Shared: true}} {
			in := ScriptInput{Cloud: g, TenantID: "contoso.onmicrosoft.com", Mode: mode, Features: f}
			s := GenerateScripts(in)
			want := map[string]bool{}
			for _, p := range RequestedPermissions(mode, f) {
				id, ok := permissionID(p, mode.AppOnly())
				if !ok {
					t.Fatalf("%s: no GUID for %s", mode, p)
				}
				want[id] = true
			}
			if !mode.AppOnly() {
				for _, p := range []string{"openid", "profile"} {
					id, _ := permissionID(p, false)
					want[id] = true
				}
			}
			for name, text := range map[string]string{"az": s.AzureCLI, "pwsh": s.GraphPowerShell} {
				got := map[string]bool{}
				for _, id := range guid.FindAllString(text, -1) {
					if id != GraphAppID {
						got[id] = true
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s %+v %s: %d permission ids, want %d", mode, f, name, len(got), len(want))
				}
				for id := range want {
					if !got[id] {
						t.Errorf("%s %+v %s: missing %s", mode, f, name, id)
					}
				}
				for _, gr := range ModePermissions(mode, f) {
					if !strings.Contains(text, gr.String()) {
						t.Errorf("%s %+v %s: no reason line for %s", mode, f, name, gr.Permission)
					}
				}
			}
		}
	}
}

func TestNeedsShared(t *testing.T) {
	for _, c := range []struct {
		acct string
		mbs  []string
		want bool
	}{
		{"svc@contoso.com", []string{"svc@contoso.com"}, false},
		{"svc@contoso.com", []string{"SVC@contoso.com "}, false},
		{"svc@contoso.com", []string{"svc@contoso.com", "info@contoso.com"}, true},
		{"svc@contoso.com", nil, false},
	} {
		if got := NeedsShared(c.acct, c.mbs); got != c.want {
			t.Errorf("%s %v: %v", c.acct, c.mbs, got)
		}
	}
	// Only a picked shared mailbox brings the .Shared permissions in.
	if p := RequestedPermissions(ModeDelegated, Features{Read: true, Send: true, Shared: NeedsShared("a@x", []string{"a@x"})}); slices.ContainsFunc(p, func(s string) bool { return strings.HasSuffix(s, ".Shared") }) {
		t.Errorf("own mailbox only: %v", p)
	}
}
