package graph

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

// TestExchangeRBACScopeScript: the script follows Microsoft's steps for each kind of
// scope — the cmdlets and parameters it must contain, in order — and quotes values.
// https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
func TestExchangeRBACScopeScript(t *testing.T) {
	global, _ := CloudByName(CloudGlobal)
	gcch, _ := CloudByName(CloudUSGov)
	base := RBACScriptInput{Cloud: global, AppName: "O'Brien mail sync", ClientID: "aaaaaaaa-1111-2222-3333-444444444444",
		ServicePrincipalID: "bbbbbbbb-1111-2222-3333-444444444444", Features: Features{Read: true, Send: true}, Inside: "anna@contoso.com", Outside: "ceo@contoso.com"}
	// Every script: these, in this order.
	steps := []string{
		`Connect-ExchangeOnline`,
		`Connect-MgGraph -Environment Global -Scopes 'Application.Read.All','AppRoleAssignment.ReadWrite.All'`,
		`$appId = 'aaaaaaaa-1111-2222-3333-444444444444'`,
		`$spObjectId = 'bbbbbbbb-1111-2222-3333-444444444444'`,
		`New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName 'O''Brien mail sync'`,
		`New-ManagementScope -Name 'O''Brien mail sync mailboxes' -RecipientRestrictionFilter `,
		`New-ManagementRoleAssignment -App $spObjectId -Role 'Application Mail.ReadWrite' -CustomResourceScope 'O''Brien mail sync mailboxes'`,
		`New-ManagementRoleAssignment -App $spObjectId -Role 'Application Mail.Send' -CustomResourceScope 'O''Brien mail sync mailboxes'`,
		`$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"`,
		`$_.Value -in @('Mail.ReadWrite','Mail.Send')`,
		`Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId`,
		`Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId -AppRoleAssignmentId $_.Id`,
		`Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource 'anna@contoso.com' | Format-Table`,
		`Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource 'ceo@contoso.com' | Format-Table`,
	}
	tests := []struct {
		name   string
		mutate func(*RBACScriptInput)
		want   []string // further lines, in order, between the scope and the roles
		not    []string
	}{
		{"group", func(in *RBACScriptInput) { in.Scope = RBACScope{Group: "sync-mailboxes@contoso.com"} },
			[]string{`$groupDN = (Get-Group -Identity 'sync-mailboxes@contoso.com').DistinguishedName`, `-RecipientRestrictionFilter "MemberOfGroup -eq '$groupDN'"`}, nil},
		{"mailboxes", func(in *RBACScriptInput) {
			in.Scope = RBACScope{Mailboxes: []string{"anna@contoso.com", "o'neil@contoso.com"}}
		},
			[]string{`-RecipientRestrictionFilter "PrimarySmtpAddress -eq 'anna@contoso.com' -or PrimarySmtpAddress -eq 'o''neil@contoso.com'"`}, []string{"Get-Group"}},
		{"attribute", func(in *RBACScriptInput) {
			in.Scope = RBACScope{Attribute: "CustomAttribute1", Value: "m365connect $x"}
		},
			[]string{"-RecipientRestrictionFilter \"CustomAttribute1 -eq 'm365connect `$x'\""}, []string{"Get-Group", "PrimarySmtpAddress"}},
		{"sp looked up", func(in *RBACScriptInput) { in.Scope = RBACScope{Group: "g@contoso.com"}; in.ServicePrincipalID = "" },
			[]string{}, []string{"$spObjectId = 'bbbb"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.mutate(&in)
			s, err := ExchangeRBACScopeScript(in)
			if err != nil {
				t.Fatal(err)
			}
			want := steps
			if in.ServicePrincipalID == "" {
				want = append(append([]string{}, steps[:3]...), append([]string{`$spObjectId = (Get-MgServicePrincipal -Filter "appId eq '$appId'").Id`}, steps[4:]...)...)
			}
			pos := 0
			for _, w := range want {
				i := strings.Index(s[pos:], w)
				if i < 0 {
					t.Fatalf("missing or out of order: %s\n---\n%s", w, s)
				}
				pos += i + len(w)
			}
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("missing %s\n---\n%s", w, s)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(s, n) {
					t.Errorf("unexpected %s", n)
				}
			}
			// Every role assigned is a grant removed, and nothing else is removed.
			roles := regexp.MustCompile(`-Role 'Application ([A-Za-z.]+)'`).FindAllStringSubmatch(s, -1)
			// Read and send: the outbox sends through drafts, so Mail.ReadWrite (which
			// covers reading) and Mail.Send (graph.ModePermissions).
			if len(roles) != 2 || roles[0][1] != "Mail.ReadWrite" || roles[1][1] != "Mail.Send" {
				t.Errorf("roles %v", roles)
			}
		})
	}
	in := base
	in.Cloud = gcch
	in.Scope = RBACScope{Group: "g@contoso.com"}
	s, _ := ExchangeRBACScopeScript(in)
	if !strings.Contains(s, "Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh") || !strings.Contains(s, "Connect-MgGraph -Environment USGov") {
		t.Errorf("GCC High connections:\n%s", s)
	}
	for _, bad := range []RBACScope{{}, {Group: "g", Mailboxes: []string{"a@b.c"}}, {Attribute: "Colour", Value: "x"}, {Attribute: "CustomAttribute2"}} {
		in := base
		in.Scope = bad
		if _, err := ExchangeRBACScopeScript(in); err == nil {
			t.Errorf("scope %+v accepted", bad)
		}
	}
}

// TestE2EScopingInsideOutside: verify checks one mailbox inside and one outside the
// scope against the practice tenant's Exchange side and reports each — for an
// application access policy over a group, for RBAC for Applications over a group scope
// without the Entra grant, and for RBAC with the tenant-wide Entra grant left in place
// (the scope then has no effect, and the advice says why).
func TestE2EScopingInsideOutside(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	mail := srv.Mail()
	mail.AddGroup(graphmail.Group{ID: "9e9e9e9e-0000-0000-0000-000000000001", Address: "m365connect-scope@" + mail.TenantDomain(), DisplayName: "m365connect scope", Members: []string{users[0]}})
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret, Features: Features{Read: true},
		Mailboxes: users[:1], OutsideMailbox: users[1], Scoped: true}
	verify := func() CheckResult {
		t.Helper()
		rs, err := Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return byID(rs)["scoping"]
	}
	check := func(name string, r CheckResult, status Status, refused bool, advice string) {
		t.Helper()
		d := r.Data.(ScopingData)
		if r.Status != status || d.Inside != users[0] || !d.InsideOK || d.Outside != users[1] || d.OutsideRefused != refused ||
			!strings.Contains(r.Seen, "inside: "+users[0]) || !strings.Contains(r.Seen, "outside: "+users[1]) {
			t.Errorf("%s: %s %q %+v", name, r.Status, r.Seen, d)
		}
		if (advice == "") != (r.Advice == nil) || (r.Advice != nil && r.Advice.Code != advice) {
			t.Errorf("%s: advice %+v, want %q", name, r.Advice, advice)
		}
	}

	check("unscoped", verify(), StatusFail, false, "entra_grant_remains")

	mail.SetAccessPolicy(app.ClientID, graphmail.AccessPolicy{Mode: graphmail.RestrictAccess, MailboxIDs: []string{"m365connect-scope@" + mail.TenantDomain()}})
	check("access policy over a group", verify(), StatusPass, true, "")
	mail.SetAccessPolicy(app.ClientID, graphmail.AccessPolicy{})

	// RBAC for Applications, as the script does it.
	const spObjectID = "7d7d7d7d-0000-0000-0000-000000000001"
	if err := mail.NewServicePrincipal(graphmail.ServicePrincipal{AppID: app.ClientID, ObjectID: spObjectID, DisplayName: app.Name}); err != nil {
		t.Fatal(err)
	}
	dn, _ := mail.GroupDN("m365connect-scope@" + mail.TenantDomain())
	if err := mail.NewManagementScope("m365connect mailboxes", "MemberOfGroup -eq '"+dn+"'"); err != nil {
		t.Fatal(err)
	}
	if err := mail.NewManagementRoleAssignment(spObjectID, "Application Mail.Read", "m365connect mailboxes"); err != nil {
		t.Fatal(err)
	}
	// Tenant-wide Entra grant still there: the scope has no effect.
	check("rbac with the entra grant", verify(), StatusFail, false, "entra_grant_remains")

	// Remove the Entra Mail.* grant (keep the directory permission): scoped for real.
	srv.Identity().RemoveAppRoles(app.ClientID, "Mail.Read", "Mail.ReadWrite", "Mail.Send", "Mail.ReadBasic.All")
	srv.Identity().RevokeTokens(app.ClientID)
	check("rbac without the entra grant", verify(), StatusPass, true, "")
	// The token now carries no Mail role: the permissions check sees Exchange grant it
	// per mailbox (the mailbox answers) instead of failing, and verify is not failed.
	rs, err := Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pc := byID(rs)["permissions"]; pc.Status == StatusFail || !strings.Contains(pc.Seen, "RBAC for Applications") {
		t.Fatalf("permissions check of a scoped app: %s %q", pc.Status, pc.Seen)
	}
	if Failed(rs) {
		for _, r := range rs {
			t.Logf("%s %s %s", r.ID, r.Status, r.Seen)
		}
		t.Fatal("a correctly scoped app fails verify")
	}
}
