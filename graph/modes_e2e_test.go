package graph

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

// modeSettings are the wizard's settings for a practice mode app.
func modeSettings(m emulator.ModeApp) (Mode, Features) {
	mode := ModeSecret
	if m.Delegated {
		mode = ModeDelegated
	}
	return mode, Features{Read: m.Incoming, Send: m.Outgoing, ListUsers: true, Shared: m.Shared}
}

// The emulator's per-mode apps (written from Microsoft's pages by the emulator's own
// hand) hold exactly the set the call table requests for the mode.
func TestModeAppsHoldTheTablesSet(t *testing.T) {
	for _, m := range emulator.ModeApps() {
		mode, f := modeSettings(m)
		want := slices.Sorted(slices.Values(RequestedPermissions(mode, f)))
		got := slices.Sorted(slices.Values(m.Permissions))
		if !slices.Equal(got, want) {
			t.Errorf("%s: practice app holds %v, the table requests %v", m.Name, got, want)
		}
	}
}

// modeRun is one verify of a mode app (or a copy lacking one permission).
type modeRun struct {
	as    string   // delegated: who signs in (default: the first user)
	mbs   []string // mailboxes to check (default: the mode's own)
	srv   *emulator.Server
	c     Cloud
	users []string
	shrd  []string
}

func (r modeRun) verify(t *testing.T, m emulator.ModeApp, app *emulator.App, granted []string) []CheckResult {
	t.Helper()
	mode, f := modeSettings(m)
	id := r.srv.Identity()
	s := Settings{Cloud: r.c, TenantID: id.TenantID(), ClientID: app.ClientID, Mode: mode, Features: f,
		DeliveryWait: 5 * time.Second, DeliveryPoll: 50 * time.Millisecond}
	var sec Secrets
	switch {
	case !m.Delegated:
		s.Mailboxes = []string{r.users[0]}
		s.Scoped = true
		r.srv.Mail().SetAccessPolicy(app.ClientID, graphmail.AccessPolicy{Mode: graphmail.RestrictAccess, MailboxIDs: s.Mailboxes})
		sec.ClientSecret = app.ClientSecret()
	default:
		// The first user has Full Access and Send As on the shared mailbox.
		who := r.as
		if who == "" {
			who = r.users[0]
		}
		id.SetAutoSignIn(who)
		s.Mailboxes = []string{who}
		if m.Shared {
			s.Mailboxes = []string{r.shrd[0]}
		}
		if r.mbs != nil {
			s.Mailboxes = r.mbs
		}
		cred, err := SignIn(context.Background(), SignInOptions{Cloud: r.c, TenantID: id.TenantID(), ClientID: app.ClientID,
			Permissions: granted, OpenBrowser: fakeBrowser(t), Timeout: 20 * time.Second})
		if err != nil {
			t.Fatalf("sign-in: %v → %+v", err, AdviceFor(err))
		}
		sec.Credential = cred
	}
	rs, err := Verify(context.Background(), s, sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// Every mode's practice app, holding exactly the wizard's set, passes every check of
// its plan; and each check the plan holds is one the mode needs.
func TestE2EEveryModeExactSetPassesVerify(t *testing.T) {
	srv, c := practice(t)
	users, shared := userMailboxes(srv)
	r := modeRun{srv: srv, c: c, users: users, shrd: shared}
	for _, m := range emulator.ModeApps() {
		t.Run(m.Name, func(t *testing.T) {
			mode, f := modeSettings(m)
			rs := r.verify(t, m, srv.Identity().App(m.Name), RequestedPermissions(mode, f))
			sum := Summarize(rs)
			if !sum.AllPassed() {
				for _, x := range rs {
					if x.Status != StatusPass {
						t.Errorf("%s: %s %s %+v", x.ID, x.Status, x.Seen, x.Advice)
					}
				}
			}
			ids := map[string]bool{}
			for _, x := range rs {
				ids[x.ID] = true
			}
			if ids["read"] != m.Incoming || ids["delta"] != m.Incoming || ids["send"] != m.Outgoing {
				t.Errorf("plan %v does not match the mode (incoming %v, outgoing %v)", slices.Sorted(func(yield func(string) bool) {
					for k := range ids {
						if !yield(k) {
							return
						}
					}
				}), m.Incoming, m.Outgoing)
			}
			if sum.AllPassed() && sum.String() != "All "+strconv.Itoa(sum.Total)+" checks passed." {
				t.Errorf("verdict %q", sum)
			}
		})
	}
}

// For each mode, an app lacking any one permission of the set fails verify, and the
// permissions check names the missing permission and the fix.
func TestE2ENegativeAppsNameTheMissingPermission(t *testing.T) {
	if testing.Short() {
		t.Skip("many apps")
	}
	srv, c := practice(t)
	users, shared := userMailboxes(srv)
	r := modeRun{srv: srv, c: c, users: users, shrd: shared}
	for _, m := range emulator.ModeApps() {
		for _, p := range m.Permissions {
			if p == "offline_access" {
				continue // not a Graph permission: its absence shows at sign-in (no refresh token)
			}
			t.Run(m.Name+" without "+p, func(t *testing.T) {
				app, err := srv.Identity().RegisterAppWithout(m.Name, p)
				if err != nil {
					t.Fatal(err)
				}
				mode, f := modeSettings(m)
				granted := slices.DeleteFunc(RequestedPermissions(mode, f), func(x string) bool { return x == p })
				rs := r.verify(t, m, app, granted)
				if !Failed(rs) || Summarize(rs).AllPassed() {
					t.Fatalf("verify passed without %s", p)
				}
				pc := byID(rs)["permissions"]
				if pc.Status != StatusFail || pc.Advice == nil || !strings.Contains(pc.Advice.Title, p) || !strings.Contains(pc.Advice.Fix, p) ||
					!strings.Contains(pc.Advice.Fix, "Grant admin consent") {
					t.Fatalf("permissions check: %s %s %+v", pc.Status, pc.Seen, pc.Advice)
				}
				// The operation that needs it fails too (the check of that operation ran).
				op := map[string]string{"Mail.Read": "read", "Mail.Read.Shared": "read", "Mail.Send": "send", "Mail.Send.Shared": "send",
					"Mail.ReadWrite": "send", "Mail.ReadWrite.Shared": "send", "User.Read.All": "directory", "User.ReadBasic.All": "directory"}[p]
				if op == "send" && !m.Outgoing {
					op = "read"
				}
				if x := byID(rs)[op]; x.Status != StatusFail {
					t.Errorf("check %s: %s %s", op, x.Status, x.Seen)
				}
				// A refused test send is told as not sent (the Verify row shows the
				// SendDetail of its data above the advice).
				if x := byID(rs)["send"]; x.Status == StatusFail {
					if d, ok := x.Data.(SendResult); ok && !strings.HasPrefix(SendDetail(d), "not sent ") {
						t.Errorf("failed send reads %q", SendDetail(d))
					}
				}
			})
		}
	}
}

// A shared mailbox the signed-in account lacks Exchange rights on gets the
// Exchange-side advice: who runs which cmdlet. The practice tenant's shared mailbox
// gives the first user Full Access and Send As, the second Full Access only, the
// third nothing.
func TestE2ESharedMailboxExchangeAdvice(t *testing.T) {
	srv, c := practice(t)
	users, shared := userMailboxes(srv)
	byName := func(n string) emulator.ModeApp {
		for _, m := range emulator.ModeApps() {
			if m.Name == n {
				return m
			}
		}
		t.Fatalf("no %s", n)
		return emulator.ModeApp{}
	}
	run := func(as, appName string) []CheckResult {
		m := byName(appName)
		mode, f := modeSettings(m)
		r := modeRun{as: as, srv: srv, c: c, users: users, shrd: shared}
		rs := r.verify(t, m, srv.Identity().App(appName), RequestedPermissions(mode, f))
		return rs
	}
	// No Full Access: the mailbox check fails with Add-MailboxPermission advice.
	rs := run(users[2], emulator.AppSharedBoth)
	mc := byID(rs)["mailbox:"+shared[0]]
	if mc.Status != StatusFail || mc.Advice == nil || mc.Advice.Code != "full_access_missing" ||
		!strings.Contains(mc.Advice.Fix, "Exchange administrator") || !strings.Contains(mc.Advice.Fix, "Add-MailboxPermission -Identity '"+shared[0]+"' -User '"+users[2]+"' -AccessRights FullAccess") {
		t.Fatalf("no Full Access: %s %s %+v", mc.Status, mc.Seen, mc.Advice)
	}
	// A shared mailbox picked in a delegated mode without the .Shared permissions: the
	// advice says to choose shared mailboxes (which requests them) and sign in again.
	r := modeRun{srv: srv, c: c, users: users, shrd: shared, mbs: []string{shared[0]}}
	rs = r.verify(t, byName(emulator.AppBothDelegated), srv.Identity().App(emulator.AppBothDelegated), RequestedPermissions(ModeDelegated, Features{Read: true, Send: true, ListUsers: true}))
	if mc := byID(rs)["mailbox:"+shared[0]]; mc.Status != StatusFail || mc.Advice == nil || mc.Advice.Code != "shared_not_chosen" {
		t.Fatalf("shared mailbox without .Shared: %s %s %+v", mc.Status, mc.Seen, mc.Advice)
	}
	// Full Access without Send As: reading passes, the test send fails with
	// Add-RecipientPermission advice.
	rs = run(users[1], emulator.AppSharedBoth)
	m := byID(rs)
	if m["read"].Status != StatusPass {
		t.Errorf("read with Full Access: %s %s", m["read"].Status, m["read"].Seen)
	}
	if sc := m["send"]; sc.Status != StatusFail || sc.Advice == nil || sc.Advice.Code != "ErrorSendAsDenied" ||
		!strings.Contains(sc.Advice.Fix, "Add-RecipientPermission") || !strings.Contains(sc.Advice.Fix, "Exchange administrator") {
		t.Fatalf("no Send As: %s %s %+v", sc.Status, sc.Seen, sc.Advice)
	}
}
