package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/m365connect/m365connect/emulator"
)

// adminToken signs user in with the practice copy of Microsoft Graph Command Line Tools.
func adminToken(t *testing.T, s *emulator.Server, user, scopes string) string {
	t.Helper()
	s.Identity().SetAutoSignIn(user)
	cb := newCallback(t)
	tenant := s.Identity().TenantID()
	cfg := &oauth2.Config{ClientID: emulator.AdminToolClientID, RedirectURL: cb.URL, Scopes: strings.Fields(scopes),
		Endpoint: oauth2.Endpoint{AuthURL: s.BrowserAuthorityHost() + tenant + "/oauth2/v2.0/authorize",
			TokenURL: s.AuthorityHost() + tenant + "/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams}}
	v := oauth2.GenerateVerifier()
	q := signIn(t, cfg, cb, "st", v)
	tok, err := cfg.Exchange(context.WithValue(context.Background(), oauth2.HTTPClient, s.Client()), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	return tok.AccessToken
}

// call sends a Graph request with a bearer token and decodes the JSON answer.
func call(t *testing.T, s *emulator.Server, tok, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, s.GraphBaseURL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errCode(m map[string]any) (code, detail string) {
	e, _ := m["error"].(map[string]any)
	code, _ = e["code"].(string)
	if ds, ok := e["details"].([]any); ok && len(ds) > 0 {
		d, _ := ds[0].(map[string]any)
		detail, _ = d["code"].(string)
	}
	return code, detail
}

const adminScopes = "Application.ReadWrite.All AppRoleAssignment.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All User.Read"

func TestDirectoryAppRegistrationWireShapes(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 11, Users: 4, MessagesPerMailbox: 2})
	id := s.Identity()
	users := id.Users()

	// A token without Application.ReadWrite.All may not create apps.
	weak := adminToken(t, s, users[0].Address, "User.Read")
	if st, m := call(t, s, weak, "POST", "/applications", map[string]any{"displayName": "x"}); st != 403 {
		t.Fatalf("no scope: %d %v", st, m)
	} else if c, _ := errCode(m); c != "Authorization_RequestDenied" {
		t.Errorf("code %q", c)
	}

	// Roles: the first user is a Global Administrator, the second an Application Administrator.
	ga := adminToken(t, s, users[0].Address, adminScopes)
	st, m := call(t, s, ga, "GET", "/me/memberOf", nil)
	if vals, _ := m["value"].([]any); st != 200 || len(vals) != 1 || vals[0].(map[string]any)["roleTemplateId"] != "62e90394-69f5-4237-9190-012177145e10" {
		t.Fatalf("memberOf: %d %v", st, m)
	}

	// Microsoft Graph's service principal publishes its app roles.
	st, m = call(t, s, ga, "GET", "/servicePrincipals?$filter=appId%20eq%20'00000003-0000-0000-c000-000000000000'", nil)
	sps, _ := m["value"].([]any)
	if st != 200 || len(sps) != 1 {
		t.Fatalf("graph sp: %d %v", st, m)
	}
	graphSP := sps[0].(map[string]any)
	var mailRead string
	for _, r := range graphSP["appRoles"].([]any) {
		if r.(map[string]any)["value"] == "Mail.Read" {
			mailRead = r.(map[string]any)["id"].(string)
		}
	}
	if mailRead == "" {
		t.Fatal("no Mail.Read app role")
	}

	id.SetPropagationDelay(1, 0)
	st, app := call(t, s, ga, "POST", "/applications", map[string]any{"displayName": "probe",
		"requiredResourceAccess": []any{map[string]any{"resourceAppId": "00000003-0000-0000-c000-000000000000",
			"resourceAccess": []any{map[string]any{"id": mailRead, "type": "Role"}}}}})
	appID, _ := app["appId"].(string)
	objID, _ := app["id"].(string)
	if st != 201 || appID == "" || objID == "" {
		t.Fatalf("create: %d %v", st, app)
	}
	st, m = call(t, s, ga, "POST", "/servicePrincipals", map[string]any{"appId": appID})
	if c, d := errCode(m); st != 400 || c != "Request_BadRequest" || d != "NoBackingApplicationObject" {
		t.Fatalf("propagation: %d %v", st, m)
	}
	st, sp := call(t, s, ga, "POST", "/servicePrincipals", map[string]any{"appId": appID})
	if st != 201 {
		t.Fatalf("sp: %d %v", st, sp)
	}

	id.SetPasswordLifetimePolicy(90 * 24 * time.Hour)
	st, m = call(t, s, ga, "POST", "/applications/"+objID+"/addPassword", map[string]any{"passwordCredential": map[string]any{}})
	if c, d := errCode(m); st != 400 || c != "CredentialInvalidLifetimeAsPerAppPolicy" || d != "InvalidKeyEndDate" {
		t.Fatalf("policy: %d %v", st, m)
	}
	end := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	st, pc := call(t, s, ga, "POST", "/applications/"+objID+"/addPassword", map[string]any{"passwordCredential": map[string]any{"endDateTime": end}})
	secret, _ := pc["secretText"].(string)
	if st != 200 || len(secret) < 16 || pc["hint"] != secret[:3] || pc["keyId"] == "" {
		t.Fatalf("addPassword: %d %v", st, pc)
	}

	// The Application Administrator may not grant Microsoft Graph app roles.
	aa := adminToken(t, s, users[1].Address, adminScopes)
	grant := map[string]any{"principalId": sp["id"], "resourceId": graphSP["id"], "appRoleId": mailRead}
	if st, m := call(t, s, aa, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo", grant); st != 403 {
		t.Fatalf("application administrator granted: %d %v", st, m)
	}
	if st, m := call(t, s, ga, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo", grant); st != 201 || m["appRoleId"] != mailRead {
		t.Fatalf("grant: %d %v", st, m)
	}

	// The new app gets tokens with its grant as roles, like the ready-made apps.
	app2 := &emulator.App{ClientID: appID}
	cred := secretCredential(t, s, id.TenantID(), app2, secret)
	tok, err := getToken(context.Background(), cred)
	if err != nil {
		t.Fatal(err)
	}
	if roles, _ := claimsOf(t, tok)["roles"].([]any); len(roles) != 1 || roles[0] != "Mail.Read" {
		t.Errorf("roles %v", claimsOf(t, tok)["roles"])
	}

	if st, _ := call(t, s, ga, "DELETE", "/applications/"+objID, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	cred = secretCredential(t, s, id.TenantID(), app2, secret)
	if _, err := getToken(context.Background(), cred); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Errorf("deleted app still gets tokens: %v", err)
	}
	if len(id.CreatedApps()) != 0 {
		t.Errorf("left: %+v", id.CreatedApps())
	}
}

// A created app survives a restart of a practice tenant that keeps its state: its
// secret still authenticates and its grant is still in the token.
func TestDirectoryCreatedAppSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	first, err := emulator.New(emulator.Options{Seed: 12, Users: 3, MessagesPerMailbox: 1, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	users := first.Identity().Users()
	ga := adminToken(t, first, users[0].Address, adminScopes)
	_, m := call(t, first, ga, "GET", "/servicePrincipals?$filter=appId%20eq%20'00000003-0000-0000-c000-000000000000'", nil)
	graphSP := m["value"].([]any)[0].(map[string]any)
	var mailRead string
	for _, r := range graphSP["appRoles"].([]any) {
		if r.(map[string]any)["value"] == "Mail.Read" {
			mailRead = r.(map[string]any)["id"].(string)
		}
	}
	_, app := call(t, first, ga, "POST", "/applications", map[string]any{"displayName": "kept"})
	_, sp := call(t, first, ga, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	_, pc := call(t, first, ga, "POST", "/applications/"+app["id"].(string)+"/addPassword", map[string]any{})
	if st, _ := call(t, first, ga, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo",
		map[string]any{"principalId": sp["id"], "resourceId": graphSP["id"], "appRoleId": mailRead}); st != 201 {
		t.Fatalf("grant: %d", st)
	}
	first.Close()

	second := newServer(t, emulator.Options{Seed: 12, Users: 3, MessagesPerMailbox: 1, StateFile: state})
	if apps := second.Identity().CreatedApps(); len(apps) != 1 || apps[0].AppID != app["appId"] || apps[0].Passwords != 1 {
		t.Fatalf("after restart: %+v", apps)
	}
	cred := secretCredential(t, second, second.Identity().TenantID(), &emulator.App{ClientID: app["appId"].(string)}, pc["secretText"].(string))
	tok, err := getToken(context.Background(), cred)
	if err != nil {
		t.Fatal(err)
	}
	if roles, _ := claimsOf(t, tok)["roles"].([]any); len(roles) != 1 || roles[0] != "Mail.Read" {
		t.Errorf("roles after restart: %v", claimsOf(t, tok)["roles"])
	}
}

// An administrator who did not create an app may still manage it
// (https://learn.microsoft.com/en-us/graph/api/application-update): the role check runs
// while the registry is locked, so it must not take the registry's lock again.
func TestDirectoryAdministratorManagesAnotherUsersApp(t *testing.T) {
	s := newServer(t, emulator.Options{Seed: 13, Users: 3, MessagesPerMailbox: 1})
	users := s.Identity().Users()
	ga := adminToken(t, s, users[0].Address, adminScopes)
	aa := adminToken(t, s, users[1].Address, adminScopes)
	// A plain user holding the scopes (signed in while an administrator, then demoted).
	s.Identity().SetDirectoryRoles(users[2].Address, emulator.RoleApplicationAdministrator)
	plain := adminToken(t, s, users[2].Address, adminScopes)
	s.Identity().SetDirectoryRoles(users[2].Address)
	st, app := call(t, s, ga, "POST", "/applications", map[string]any{"displayName": "owned by the global admin"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, app)
	}
	path := "/applications/" + app["id"].(string)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if st, m := call(t, s, aa, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]}); st != 201 {
			t.Errorf("application administrator creates the service principal: %d %v", st, m)
		}
		if st, m := call(t, s, plain, "PATCH", path, map[string]any{"displayName": "not theirs"}); st != 403 {
			t.Errorf("plain user patched another user's app: %d %v", st, m)
		}
		if st, m := call(t, s, aa, "PATCH", path, map[string]any{"displayName": "renamed"}); st != 204 {
			t.Errorf("application administrator patch: %d %v", st, m)
		}
		if st, m := call(t, s, aa, "POST", path+"/addPassword", map[string]any{}); st != 200 {
			t.Errorf("application administrator addPassword: %d %v", st, m)
		}
		if st, m := call(t, s, aa, "DELETE", path, nil); st != 204 {
			t.Errorf("application administrator delete: %d %v", st, m)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the directory API did not answer an administrator managing another user's app (deadlock)")
	}
}
