package emulator

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// The directory side of the practice tenant: the registry of app registrations
// (application objects) — those created through Graph and, registered at start, the
// ready-made practice apps (appcredentials.go) — with their service principals,
// credentials, app role assignments and delegated permission grants, written from
// Microsoft Graph's v1.0 reference:
// https://learn.microsoft.com/en-us/graph/api/resources/application
// https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipal
// Apps created here become ordinary practice apps: the token endpoint finds them, their
// secrets and certificates authenticate (clientauth.go), and their grants become the
// roles / scp of the tokens they get (refresh, below). The Graph handlers that change
// the registry are in applicationsapi.go, credentialsapi.go, serviceprincipalsapi.go and
// grantsapi.go; the directory roles of users in directoryroles.go.

// AdminToolClientID is the application id of "Microsoft Graph Command Line Tools"
// (Microsoft Graph PowerShell's public client, the id Connect-MgGraph signs in with),
// registered in the practice tenant so that an admin can sign in with a client id that
// exists before any app of ours does.
const AdminToolClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// AdminToolName is that app's display name.
const AdminToolName = "Microsoft Graph Command Line Tools"

// registry holds the app registrations (created through Graph, and the ready-made
// practice apps as application objects), the directory roles of
// the practice users and the directory-side faults. It has its own lock.
type registry struct {
	mu       sync.Mutex
	tenantID string
	apps     map[string]*registration // by lower-case appId
	tool     *App
	roles    map[string][]string // user id → role names (overrides the defaults)

	spDelay    int           // POST /servicePrincipals answers NoBackingApplicationObject this many times per new app
	tokenDelay int           // the token endpoint answers AADSTS700016 this many times per new app
	maxPwdLife time.Duration // app management policy: longest password lifetime (0 = none)
	policyID   string
	devices    map[string]*deviceCode // device_code → pending device sign-in
}

// registration is one application object (with its service principal once created):
// one created through Graph, or a ready-made practice app (readyMade, appcredentials.go).
type registration struct {
	app            *App
	readyMade      bool // a ready-made practice app: its permissions are not the registry's
	creds          *appCredentials
	objectID       string
	created        time.Time
	owner          string
	displayName    string
	signInAudience string
	required       []wireRequiredResourceAccess
	web, public    []string
	fallbackPublic bool
	spID           string // "" until POST /servicePrincipals succeeded
	spPending      int
	assignments    []wireAppRoleAssignment
	grants         []wireOAuth2PermissionGrant
}

func newRegistry(tenantID string) *registry {
	tool := &App{Name: AdminToolName, ClientID: AdminToolClientID, Access: AccessDelegated, Public: true,
		RedirectURIs: []string{"http://localhost"}, Scopes: adminToolScopes()}
	return &registry{tenantID: tenantID, apps: map[string]*registration{}, tool: tool, roles: map[string][]string{}}
}

// app finds an app of the registry (or the admin tool) by client id; nil if none.
func (g *registry) app(clientID string) *App {
	if g == nil {
		return nil
	}
	if strings.EqualFold(clientID, AdminToolClientID) {
		return g.tool
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.apps[strings.ToLower(clientID)]; r != nil {
		return r.app
	}
	return nil
}

// CreatedApp is what the practice tenant knows of an app registration created through
// Graph (for tests and the practice tenant's own display).
type CreatedApp struct {
	ObjectID, AppID, DisplayName string
	ServicePrincipalID           string // "" until created
	Roles                        []string
	Scopes                       []string // granted tenant-wide (AllPrincipals)
	RequiredRoles                []string
	RequiredScopes               []string
	RedirectURIs                 []string
	Passwords, Certificates      int
}

// CreatedApps lists the app registrations created through Graph, oldest first.
func (id *Identity) CreatedApps() []CreatedApp {
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []CreatedApp
	for _, r := range g.apps {
		if r.readyMade {
			continue
		}
		passwords, keys := r.creds.snapshot()
		c := CreatedApp{ObjectID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, ServicePrincipalID: r.spID,
			RedirectURIs: append(slices.Clone(r.web), r.public...), Passwords: len(passwords), Certificates: len(keys)}
		for _, a := range r.assignments {
			c.Roles = append(c.Roles, graphRoleValue(g.tenantID, a.AppRoleID))
		}
		for _, gr := range r.grants {
			c.Scopes = append(c.Scopes, strings.Fields(gr.Scope)...)
		}
		for _, rra := range r.required {
			for _, ra := range rra.ResourceAccess {
				if strings.EqualFold(ra.Type, "Role") {
					c.RequiredRoles = append(c.RequiredRoles, graphRoleValue(g.tenantID, ra.ID))
				} else {
					c.RequiredScopes = append(c.RequiredScopes, graphScopeValue(g.tenantID, ra.ID))
				}
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CreatedApp) int { return strings.Compare(a.ObjectID, b.ObjectID) })
	return out
}

// SetPropagationDelay makes every app created from now on invisible for a while, as
// Microsoft's directory replication does: POST /servicePrincipals answers 400
// NoBackingApplicationObject for the first spRequests attempts, and the token endpoint
// answers AADSTS700016 (application not found) for the first tokenRequests requests.
// https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals
func (id *Identity) SetPropagationDelay(spRequests, tokenRequests int) {
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	g.spDelay, g.tokenDelay = spRequests, tokenRequests
}

// SetPasswordLifetimePolicy applies a tenant app management policy: client secrets
// whose lifetime is longer than max are refused with 400
// CredentialInvalidLifetimeAsPerAppPolicy (0 removes the limit).
// https://learn.microsoft.com/en-us/graph/api/resources/appmanagementpolicy
func (id *Identity) SetPasswordLifetimePolicy(max time.Duration) {
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	g.maxPwdLife = max
	g.policyID = seededGUIDFromTenant(g.tenantID, "app-management-policy")
}

// refresh recomputes the identity-side view of a registration (caller holds g.mu):
// public client when it has mobile/desktop redirect URIs and no credential; roles from
// app role assignments; delegated scopes from the AllPrincipals grant (else the
// configured ones, which still need consent); consent when anything was granted.
//
// The App is replaced, never changed in place: the token endpoint and the browser pages
// read the App they looked up without the registry's lock. A ready-made app keeps the
// permissions and consent the practice tenant gave it (its credentials are shared, so
// there is nothing to recompute).
func (g *registry) refresh(r *registration) {
	if r.readyMade {
		return
	}
	passwords, keys := r.creds.snapshot()
	cp := *r.app
	a := &cp
	defer func() { r.app = a }()
	a.Name = r.displayName
	a.RedirectURIs = append(slices.Clone(r.public), r.web...)
	a.Public = (len(r.public) > 0 || r.fallbackPublic) && len(passwords) == 0 && len(keys) == 0
	a.Roles = nil
	for _, as := range r.assignments {
		if v := graphRoleValue(g.tenantID, as.AppRoleID); v != "" {
			a.Roles = append(a.Roles, v)
		}
	}
	var configured []string
	hasRole := false
	for _, rra := range r.required {
		for _, ra := range rra.ResourceAccess {
			if strings.EqualFold(ra.Type, "Scope") {
				if v := graphScopeValue(g.tenantID, ra.ID); v != "" {
					configured = append(configured, v)
				}
			} else {
				hasRole = true
			}
		}
	}
	a.Scopes = configured
	for _, gr := range r.grants {
		a.Scopes = strings.Fields(gr.Scope)
	}
	if !slices.Contains(a.Scopes, "offline_access") && len(a.Scopes) > 0 {
		a.Scopes = append(a.Scopes, "offline_access")
	}
	a.Access = AccessDelegated
	if hasRole || len(a.Roles) > 0 {
		a.Access = AccessApplication
	}
	a.consented = len(r.assignments) > 0 || len(r.grants) > 0
}
