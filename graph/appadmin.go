package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// The admin signs in once, before our app exists, with Microsoft Graph PowerShell's
// public client "Microsoft Graph Command Line Tools": a first-party, multi-tenant public
// client that Microsoft documents for exactly this kind of interactive admin work
// (Connect-MgGraph -Scopes ..., redirect http://localhost, device code supported), that
// asks for scopes dynamically (so we ask only for what creating the app needs) and whose
// id is the same in every cloud. See docs/ARCHITECTURE.md ("Create it for me") for the
// reasons and the risks. One constant per cloud, so a cloud can diverge.
// https://learn.microsoft.com/en-us/powershell/microsoftgraph/authentication-commands
const (
	adminClientGlobal = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	adminClientUSGov  = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	adminClientUSDoD  = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	adminClientChina  = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	// The practice tenant registers the same id (emulator.AdminToolClientID).
	adminClientPractice = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
)

// graphAppID is Microsoft Graph's application id, the same in every tenant and cloud.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// AdminClientID returns the public client id the admin signs in with to create the app.
func AdminClientID(cloudName string) string {
	switch cloudName {
	case CloudUSGov:
		return adminClientUSGov
	case CloudUSDoD:
		return adminClientUSDoD
	case CloudChina:
		return adminClientChina
	case CloudPractice:
		return adminClientPractice
	}
	return adminClientGlobal
}

// AdminScopes are the delegated permissions the admin's sign-in asks for, each the
// least privileged one Microsoft documents for a call the creation makes:
// Application.ReadWrite.All: POST /applications, addPassword, PATCH, DELETE, POST
// /servicePrincipals (https://learn.microsoft.com/en-us/graph/api/application-post-applications);
// AppRoleAssignment.ReadWrite.All: appRoleAssignedTo
// (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto,
// with Application.Read.All, which Application.ReadWrite.All includes);
// DelegatedPermissionGrant.ReadWrite.All: POST /oauth2PermissionGrants
// (https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post);
// User.Read: GET /me/memberOf for the role check
// (https://learn.microsoft.com/en-us/graph/api/user-list-memberof).
func AdminScopes() []string {
	return []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "User.Read"}
}

// AdminSignIn signs the admin in through the system browser (auth code + PKCE on the
// loopback listener) with AdminClientID and AdminScopes. o.ClientID and o.Permissions
// are set here.
func AdminSignIn(ctx context.Context, o SignInOptions) (*DelegatedCredential, error) {
	o.ClientID = AdminClientID(o.Cloud.Name)
	o.Permissions = AdminScopes()
	return SignIn(ctx, o)
}

// Directory roles that matter for creating the app (built-in role template ids,
// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference).
const (
	RoleGlobalAdministrator           = "Global Administrator"
	RolePrivilegedRoleAdministrator   = "Privileged Role Administrator"
	RoleApplicationAdministrator      = "Application Administrator"
	RoleCloudApplicationAdministrator = "Cloud Application Administrator"
)

func roleByTemplate(id string) string {
	switch strings.ToLower(id) {
	case "62e90394-69f5-4237-9190-012177145e10":
		return RoleGlobalAdministrator
	case "e8611ab8-c189-46e8-94e1-60213ab1f814":
		return RolePrivilegedRoleAdministrator
	case "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3":
		return RoleApplicationAdministrator
	case "158c047a-c907-4556-b7ef-446551a6b5f7":
		return RoleCloudApplicationAdministrator
	}
	return ""
}

// AdminRoles are the signed-in admin's directory roles that matter here.
type AdminRoles struct {
	Roles []string
}

// CanGrant reports whether these roles may grant the mode's permissions: Microsoft
// Graph application permissions (app roles) need a Privileged Role Administrator or
// Global Administrator; delegated permissions also an Application or Cloud Application
// Administrator. https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent
func (a AdminRoles) CanGrant(mode Mode) bool {
	ok := []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator}
	if !mode.AppOnly() {
		ok = append(ok, RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
	}
	return slices.ContainsFunc(a.Roles, func(r string) bool { return slices.Contains(ok, r) })
}

// RolesThatCanGrant names the roles that may grant the mode's permissions, for advice.
func RolesThatCanGrant(mode Mode) []string {
	if mode.AppOnly() {
		return []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator}
	}
	return []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator}
}

// directory is raw HTTP to Graph's directory endpoints with the admin's delegated
// token (keeps the heavy applications/servicePrincipals SDK packages out of the build).
type directory struct {
	cloud Cloud
	cred  azcore.TokenCredential
}

// do sends one request; out (if not nil) receives the JSON answer. A non-2xx answer is
// an *Error whose Code is the detail code when Graph gives one
// (NoBackingApplicationObject), else error.code.
func (d directory) do(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	tok, err := d.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{d.cloud.DefaultScope()}})
	if err != nil {
		return fmt.Errorf("getting the admin's token: %w", err)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.cloud.GraphBaseURL+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.cloud.HTTPClient().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details []struct {
					Code string `json:"code"`
				} `json:"details"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Error.Code
		if len(e.Error.Details) > 0 && e.Error.Details[0].Code != "" && code == "Request_BadRequest" {
			code = e.Error.Details[0].Code
		}
		ge := graphError(method+" "+redactURL(path), resp.StatusCode, resp.Header, data, time.Now())
		ge.Code = code
		return ge
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
		}
	}
	return nil
}

// CheckAdminRoles reads the signed-in admin's directory roles (GET /me/memberOf, the
// directoryRole entries). Roles activated through PIM only when needed do not show
// until activated.
func CheckAdminRoles(ctx context.Context, c Cloud, admin azcore.TokenCredential) (AdminRoles, error) {
	var page struct {
		Value []struct {
			Type           string `json:"@odata.type"`
			RoleTemplateID string `json:"roleTemplateId"`
		} `json:"value"`
	}
	if err := (directory{c, admin}).do(ctx, http.MethodGet, "/me/memberOf", nil, &page); err != nil {
		return AdminRoles{}, fmt.Errorf("reading your directory roles: %w", err)
	}
	var out AdminRoles
	for _, v := range page.Value {
		if v.Type != "#microsoft.graph.directoryRole" {
			continue
		}
		if r := roleByTemplate(v.RoleTemplateID); r != "" && !slices.Contains(out.Roles, r) {
			out.Roles = append(out.Roles, r)
		}
	}
	return out, nil
}

// graphPermissionIDs are Microsoft Graph's app role and delegated scope ids in this
// tenant, by permission name, read from its service principal.
type graphPermissionIDs struct {
	spID   string
	roles  map[string]string
	scopes map[string]string
}

// lookupGraphPermissions reads Microsoft Graph's service principal
// (GET /servicePrincipals?$filter=appId eq '00000003-…'): its object id, appRoles and
// oauth2PermissionScopes. Ids are never hard-coded.
// https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph
func lookupGraphPermissions(ctx context.Context, d directory) (graphPermissionIDs, error) {
	var page struct {
		Value []struct {
			ID       string `json:"id"`
			AppRoles []struct {
				ID, Value string
				IsEnabled bool
			} `json:"appRoles"`
			Scopes []struct {
				ID, Value string
				IsEnabled bool
			} `json:"oauth2PermissionScopes"`
		} `json:"value"`
	}
	if err := d.do(ctx, http.MethodGet, "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+graphAppID+"'"), nil, &page); err != nil {
		return graphPermissionIDs{}, fmt.Errorf("looking up Microsoft Graph's permissions: %w", err)
	}
	if len(page.Value) == 0 {
		return graphPermissionIDs{}, errors.New("looking up Microsoft Graph's permissions: its service principal is not in the tenant")
	}
	sp := page.Value[0]
	out := graphPermissionIDs{spID: sp.ID, roles: map[string]string{}, scopes: map[string]string{}}
	for _, r := range sp.AppRoles {
		if r.IsEnabled {
			out.roles[strings.ToLower(r.Value)] = r.ID
		}
	}
	for _, s := range sp.Scopes {
		if s.IsEnabled {
			out.scopes[strings.ToLower(s.Value)] = s.ID
		}
	}
	return out, nil
}
