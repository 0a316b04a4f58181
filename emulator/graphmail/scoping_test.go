package graphmail

import (
	"net/url"
	"strings"
	"testing"
)

// TestAccessPolicyGroup: an application access policy scoped to a mail-enabled security
// group covers exactly its members (RestrictAccess), or everyone but them (DenyAccess).
func TestAccessPolicyGroup(t *testing.T) {
	f := newFixture(t, 3)
	u0, u1, u2 := f.users[0], f.users[1], f.users[2]
	f.s.AddGroup(Group{ID: "a0a0a0a0-0000-0000-0000-000000000001", Address: "sync-mailboxes@contoso.test", DisplayName: "Sync mailboxes", Members: []string{u0.Address, u1.ID}})
	tests := []struct {
		mode AccessMode
		want map[string]int
	}{
		{RestrictAccess, map[string]int{u0.ID: 200, u1.ID: 200, u2.ID: 403}},
		{DenyAccess, map[string]int{u0.ID: 403, u1.ID: 403, u2.ID: 200}},
	}
	for _, tc := range tests {
		f.s.SetAccessPolicy(appFull.AppID, AccessPolicy{Mode: tc.mode, MailboxIDs: []string{"sync-mailboxes@contoso.test"}})
		for id, want := range tc.want {
			r := f.do(t, &appFull, "GET", "/v1.0/users/"+id+"/messages", nil)
			if r.status != want || (want == 403 && !strings.Contains(string(r.body), "[RAOP]")) {
				t.Errorf("%s %s: %d %s", tc.mode, id, r.status, r.body)
			}
		}
	}
}

// TestRBACForApplications: with RBAC role assignments over a management scope, an app
// without the Entra grant reaches the mailboxes in scope and gets 403 ErrorAccessDenied
// outside; scopes over a group (MemberOfGroup + DN) and over an attribute both work;
// with the unscoped Entra grant still in the token the scope has no effect; the
// cmdlets refuse what Exchange refuses (no service principal, unknown role or scope,
// a bad filter, ids that are not GUIDs).
func TestRBACForApplications(t *testing.T) {
	f := newFixture(t, 3)
	u0, u1, u2 := f.users[0], f.users[1], f.users[2]
	const appID, spID = "c0ffee00-1111-2222-3333-444444444444", "5b5b5b5b-1111-2222-3333-444444444444"
	noEntra := Principal{TenantID: "t", AppID: appID, AppOnly: true} // tenant-wide Mail.Read removed in Entra
	withEntra := Principal{TenantID: "t", AppID: appID, AppOnly: true, Roles: []string{"Mail.Read"}}

	if err := f.s.NewManagementRoleAssignment(appID, "Application Mail.Read", ""); err == nil || !strings.Contains(err.Error(), "New-ServicePrincipal") {
		t.Fatalf("assignment before New-ServicePrincipal: %v", err)
	}
	if err := f.s.NewServicePrincipal(ServicePrincipal{AppID: appID, ObjectID: "not-a-guid"}); err == nil {
		t.Fatal("object id not a GUID accepted")
	}
	if err := f.s.NewServicePrincipal(ServicePrincipal{AppID: appID, ObjectID: spID, DisplayName: "Mail sync"}); err != nil {
		t.Fatal(err)
	}
	f.s.AddGroup(Group{ID: "a0a0a0a0-0000-0000-0000-000000000002", Address: "scoped@contoso.test", Members: []string{u0.ID}})
	dn, ok := f.s.GroupDN("scoped@contoso.test")
	if !ok || !strings.HasPrefix(dn, "CN=scoped,") {
		t.Fatalf("DN %q", dn)
	}
	for _, bad := range []string{"", "Department = 'x'", "Colour -eq 'red'", "CustomAttribute16 -eq 'x'"} {
		if err := f.s.NewManagementScope("bad", bad); err == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}
	if err := f.s.NewManagementScope("Group scope", "MemberOfGroup -eq '"+dn+"'"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.NewManagementRoleAssignment(spID, "Application Mail.Reed", "Group scope"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if err := f.s.NewManagementRoleAssignment(spID, "Application Mail.Read", "No such scope"); err == nil {
		t.Fatal("unknown scope accepted")
	}
	if err := f.s.NewManagementRoleAssignment(spID, "Application Mail.Read", "Group scope"); err != nil {
		t.Fatal(err)
	}
	get := func(p Principal, id string) resp {
		return f.do(t, &p, "GET", "/v1.0/users/"+id+"/mailFolders/inbox/messages", nil)
	}
	if r := get(noEntra, u0.ID); r.status != 200 {
		t.Fatalf("in scope: %d %s", r.status, r.body)
	}
	if r := get(noEntra, u1.ID); r.status != 403 || r.errCode(t) != "ErrorAccessDenied" {
		t.Fatalf("out of scope: %d %s", r.status, r.body)
	}
	// Mail.Read from RBAC does not allow sending.
	if r := f.do(t, &noEntra, "POST", "/v1.0/users/"+u0.ID+"/sendMail", `{"message":{"subject":"x","toRecipients":[{"emailAddress":{"address":"`+u0.Address+`"}}]}}`); r.status != 403 {
		t.Fatalf("send with a read role: %d", r.status)
	}
	// The unscoped Entra grant still in the token: every mailbox is readable.
	if r := get(withEntra, u1.ID); r.status != 200 {
		t.Fatalf("entra grant + scope: %d", r.status)
	}

	// An attribute scope (Department), tested like Test-ServicePrincipalAuthorization.
	mb2, _ := f.s.Lookup(u2.ID)
	mb2.Department = "Sales"
	f.s.AddMailbox(mb2)
	if err := f.s.NewManagementScope("Sales", "Department -eq 'Sales' -and RecipientTypeDetails -eq 'UserMailbox'"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.NewManagementRoleAssignment("Mail sync", "Application Mail.Send", "Sales"); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.TestServicePrincipalAuthorization(appID, u2.Address)
	if err != nil || len(res) != 2 || res[0].InScope || !res[1].InScope || res[1].GrantedPermissions != "Mail.Send" || res[1].ScopeType != "CustomRecipientScope" {
		t.Fatalf("Test-ServicePrincipalAuthorization: %+v %v", res, err)
	}
	if r := f.do(t, &noEntra, "POST", "/v1.0/users/"+u2.ID+"/sendMail", `{"message":{"subject":"x","toRecipients":[{"emailAddress":{"address":"`+u2.Address+`"}}]}}`); r.status != 202 {
		t.Fatalf("send in the Sales scope: %d %s", r.status, r.body)
	}
	f.s.RemoveManagementRoleAssignments(spID)
	if r := get(noEntra, u0.ID); r.status != 403 {
		t.Fatalf("after removing the assignments: %d", r.status)
	}
}

func TestRecipientFilterClauses(t *testing.T) {
	s := NewStore(StoreOptions{TenantID: "t", TenantDomain: "contoso.test"})
	s.AddMailbox(Mailbox{ID: "11111111-0000-0000-0000-000000000001", Address: "anna@contoso.test", DisplayName: "Anna Berg", UPN: "anna.berg@contoso.test",
		Aliases: []string{"sales@contoso.test"}, CustomAttributes: map[string]string{"CustomAttribute7": "sync"}})
	s.AddMailbox(Mailbox{ID: "11111111-0000-0000-0000-000000000002", Address: "room1@contoso.test", DisplayName: "Room 1", Kind: KindRoom})
	tests := []struct {
		filter string
		anna   bool
		room   bool
	}{
		{"PrimarySmtpAddress -eq 'anna@contoso.test'", true, false},
		{"EmailAddresses -eq 'smtp:sales@contoso.test'", true, false},
		{"UserPrincipalName -eq 'anna.berg@contoso.test'", true, false},
		{"Alias -like 'ro*'", false, true},
		{"CustomAttribute7 -eq 'sync'", true, false},
		{"RecipientTypeDetails -eq 'RoomMailbox'", false, true},
		{"RecipientTypeDetails -ne 'RoomMailbox'", true, false},
		{"(DisplayName -like '*berg') -or (Name -eq 'Room 1')", true, true},
		{`Department -eq "Nowhere"`, false, false},
	}
	for _, tc := range tests {
		p, err := parseRecipientFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		s.mu.RLock()
		a, r := p(s, s.lookupLocked("anna@contoso.test")), p(s, s.lookupLocked("room1@contoso.test"))
		s.mu.RUnlock()
		if a != tc.anna || r != tc.room {
			t.Errorf("%s: anna %v room %v, want %v %v", tc.filter, a, r, tc.anna, tc.room)
		}
	}
}

// TestUserLookupShapes: a user by UPN (differing from the address), by an SMTP alias
// through proxyAddresses/any, the $select-only proxyAddresses and assignedLicenses, and
// mailboxSettings.userPurpose for user, shared and room mailboxes.
func TestUserLookupShapes(t *testing.T) {
	f := newFixture(t, 1)
	room := Mailbox{ID: "22222222-0000-0000-0000-000000000001", Address: "boardroom@contoso.test", DisplayName: "Board room", Kind: KindRoom}
	f.s.AddMailbox(room)
	anna := Mailbox{ID: "22222222-0000-0000-0000-000000000002", Address: "anna@contoso.test", UPN: "anna.berg@contoso.test", DisplayName: "Anna Berg",
		Aliases: []string{"sales@contoso.test"}, Unlicensed: true}
	f.s.AddMailbox(anna)
	r := f.do(t, &appFull, "GET", "/v1.0/users/anna.berg@contoso.test?$select=id,userPrincipalName,mail,proxyAddresses,assignedLicenses", nil)
	m := r.json(t)
	if r.status != 200 || m["id"] != anna.ID || m["userPrincipalName"] != "anna.berg@contoso.test" || m["mail"] != "anna@contoso.test" {
		t.Fatalf("by UPN: %d %s", r.status, r.body)
	}
	if pa, _ := m["proxyAddresses"].([]any); len(pa) != 2 || pa[0] != "SMTP:anna@contoso.test" || pa[1] != "smtp:sales@contoso.test" {
		t.Fatalf("proxyAddresses %v", m["proxyAddresses"])
	}
	if al, ok := m["assignedLicenses"].([]any); !ok || len(al) != 0 {
		t.Fatalf("unlicensed: %v", m["assignedLicenses"])
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users?$filter="+url.QueryEscape("proxyAddresses/any(x:x eq 'smtp:SALES@contoso.test')")+"&$select=id", nil)
	if v, _ := r.json(t)["value"].([]any); r.status != 200 || len(v) != 1 || v[0].(map[string]any)["id"] != anna.ID {
		t.Fatalf("by alias: %d %s", r.status, r.body)
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+f.users[0].ID+"?$select=assignedLicenses", nil)
	if al, _ := r.json(t)["assignedLicenses"].([]any); len(al) != 1 || al[0].(map[string]any)["skuId"] == "" {
		t.Fatalf("licensed user: %s", r.body)
	}
	for id, want := range map[string]string{f.users[0].ID: "user", f.shared.ID: "shared", room.ID: "room"} {
		r := f.do(t, &appFull, "GET", "/v1.0/users/"+id+"/mailboxSettings", nil)
		if got := r.json(t)["userPurpose"]; r.status != 200 || got != want {
			t.Errorf("%s userPurpose %v, want %s", id, got, want)
		}
	}
}
