package emulator

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The directory side of the practice tenant: app registrations (application objects),
// their service principals, credentials, app role assignments and delegated permission
// grants, written from Microsoft Graph's v1.0 reference:
// https://learn.microsoft.com/en-us/graph/api/resources/application
// https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipal
// Apps created here become ordinary practice apps: the token endpoint finds them, their
// secrets and certificates authenticate, and their grants become the roles / scp of
// the tokens they get.

// AdminToolClientID is the application id of "Microsoft Graph Command Line Tools"
// (Microsoft Graph PowerShell's public client, the id Connect-MgGraph signs in with),
// registered in the practice tenant so that an admin can sign in with a client id that
// exists before any app of ours does.
const AdminToolClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// AdminToolName is that app's display name.
const AdminToolName = "Microsoft Graph Command Line Tools"

// Directory role names (built-in roles) given to practice users.
// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference
const (
	RoleGlobalAdministrator           = "Global Administrator"
	RoleApplicationAdministrator      = "Application Administrator"
	RoleCloudApplicationAdministrator = "Cloud Application Administrator"
	RolePrivilegedRoleAdministrator   = "Privileged Role Administrator"
)

// roleTemplateID is the immutable template id of a built-in role (same page).
func roleTemplateID(name string) string {
	switch name {
	case RoleGlobalAdministrator:
		return "62e90394-69f5-4237-9190-012177145e10"
	case RoleApplicationAdministrator:
		return "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	case RoleCloudApplicationAdministrator:
		return "158c047a-c907-4556-b7ef-446551a6b5f7"
	case RolePrivilegedRoleAdministrator:
		return "e8611ab8-c189-46e8-94e1-60213ab1f814"
	}
	return ""
}

// graphAppRoleValues and graphScopeValues are the Microsoft Graph permissions the
// practice tenant's Microsoft Graph service principal publishes (a subset of
// https://learn.microsoft.com/en-us/graph/permissions-reference). Their ids are derived
// per tenant, so a client that hard-codes Microsoft's ids fails here as it should not
// rely on them: ids are looked up from the service principal at run time.
func graphAppRoleValues() []string {
	return []string{"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite", "Mail.Send",
		"MailboxSettings.Read", "User.Read.All", "User.ReadBasic.All", "Directory.Read.All",
		"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
}

func graphScopeValues() []string {
	return []string{"Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.Shared", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared",
		"Mail.ReadWrite.Shared", "Mail.Send.Shared", "MailboxSettings.Read", "User.Read", "User.ReadBasic.All",
		"User.Read.All", "Directory.Read.All", "offline_access", "openid", "profile", "email",
		"Application.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
		"DelegatedPermissionGrant.ReadWrite.All"}
}

// adminToolScopes are the delegated permissions the practice copy of Microsoft Graph
// Command Line Tools may be consented to (Graph PowerShell asks for scopes dynamically).
func adminToolScopes() []string {
	return []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All",
		"Directory.Read.All", "User.Read", "offline_access"}
}

// registry holds the app registrations created through Graph, the directory roles of
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

// registration is one application object (with its service principal once created).
type registration struct {
	app            *App
	objectID       string
	created        time.Time
	owner          string
	displayName    string
	signInAudience string
	required       []wireRequiredResourceAccess
	web, public    []string
	fallbackPublic bool
	passwords      []passwordCred
	keys           []keyCred
	spID           string // "" until POST /servicePrincipals succeeded
	spPending      int
	assignments    []wireAppRoleAssignment
	grants         []wireOAuth2PermissionGrant
}

// passwordCred is a client secret of a registration.
type passwordCred struct {
	keyID, displayName, secret string
	start, end                 time.Time
}

// keyCred is a certificate of a registration.
type keyCred struct {
	keyID, displayName string
	cert               *x509.Certificate
	x5tS256, x5tS1     string
	start, end         time.Time
}

func newRegistry(tenantID string) *registry {
	tool := &App{Name: AdminToolName, ClientID: AdminToolClientID, Access: AccessDelegated, Public: true,
		RedirectURIs: []string{"http://localhost"}, Scopes: adminToolScopes()}
	return &registry{tenantID: tenantID, apps: map[string]*registration{}, tool: tool, roles: map[string][]string{}}
}

// app finds a created app (or the admin tool) by client id; nil if none.
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
		c := CreatedApp{ObjectID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, ServicePrincipalID: r.spID,
			RedirectURIs: append(slices.Clone(r.web), r.public...), Passwords: len(r.passwords), Certificates: len(r.keys)}
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

// SetDirectoryRoles gives a practice user (id or address) exactly these directory
// roles (Role* constants; none = a plain user). By default the first user is a Global
// Administrator, the second an Application Administrator, the rest plain users.
func (id *Identity) SetDirectoryRoles(user string, roles ...string) {
	u, ok := id.findUser(user)
	if !ok {
		return
	}
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roles[u.ID] = append([]string{}, roles...)
}

// DirectoryRoles returns the directory roles of a practice user (id or address).
func (id *Identity) DirectoryRoles(user string) []string {
	u, ok := id.findUser(user)
	if !ok {
		return nil
	}
	g := id.dir.reg
	g.mu.Lock()
	r, set := g.roles[u.ID]
	g.mu.Unlock()
	if set {
		return slices.Clone(r)
	}
	for i, x := range id.users() {
		if x.ID != u.ID {
			continue
		}
		switch i {
		case 0:
			return []string{RoleGlobalAdministrator}
		case 1:
			return []string{RoleApplicationAdministrator}
		}
	}
	return nil
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

// seededGUIDFromTenant derives a stable GUID from the tenant id and a label.
func seededGUIDFromTenant(tenantID, label string) string {
	h := sha256.Sum256([]byte(strings.ToLower(tenantID) + "/" + label))
	return guidFromBytes(h[:16])
}

// graphRoleID / graphScopeID are the per-tenant ids of Microsoft Graph's app roles and
// delegated permission scopes in the practice tenant.
func graphRoleID(tenantID, value string) string {
	return seededGUIDFromTenant(tenantID, "graph-approle/"+value)
}

func graphScopeID(tenantID, value string) string {
	return seededGUIDFromTenant(tenantID, "graph-scope/"+value)
}

func graphRoleValue(tenantID, roleID string) string {
	for _, v := range graphAppRoleValues() {
		if strings.EqualFold(graphRoleID(tenantID, v), roleID) {
			return v
		}
	}
	return ""
}

func graphScopeValue(tenantID, scopeID string) string {
	for _, v := range graphScopeValues() {
		if strings.EqualFold(graphScopeID(tenantID, v), scopeID) {
			return v
		}
	}
	return ""
}

// secretValid checks a client secret against the app's secrets: the ready-made app's
// own, or a created app's password credentials (expired ones answer AADSTS7000222).
func (id *Identity) secretValid(app *App, secret string) *stsError {
	if app.secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.secret)) == 1 {
		return nil
	}
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.apps[strings.ToLower(app.ClientID)]; r != nil {
		now := id.now()
		for _, p := range r.passwords {
			if subtle.ConstantTimeCompare([]byte(secret), []byte(p.secret)) != 1 {
				continue
			}
			if !p.end.IsZero() && now.After(p.end) {
				e := errExpiredSecret(app.ClientID)
				return &e
			}
			return nil
		}
	}
	e := errInvalidSecret(app.ClientID)
	return &e
}

// certificateFor finds the registered certificate named by a client assertion's
// x5t#S256 / x5t header: the ready-made app's own or one of a created app's keys.
func (id *Identity) certificateFor(app *App, s256, s1 string) *x509.Certificate {
	if app.cert != nil && (thumbprintEqual(s256, app.x5tSHA256) || thumbprintEqual(s1, app.x5tSHA1)) {
		return app.cert
	}
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.apps[strings.ToLower(app.ClientID)]; r != nil {
		now := id.now()
		for _, k := range r.keys {
			if (thumbprintEqual(s256, k.x5tS256) || thumbprintEqual(s1, k.x5tS1)) && (k.end.IsZero() || now.Before(k.end)) {
				return k.cert
			}
		}
	}
	return nil
}

// hasCertificates reports whether the app has any certificate credential.
func (id *Identity) hasCertificates(app *App) bool {
	if app.cert != nil {
		return true
	}
	g := id.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.apps[strings.ToLower(app.ClientID)]
	return r != nil && len(r.keys) > 0
}

// thumbprints returns the x5t#S256 and x5t values of a certificate.
func thumbprints(cert *x509.Certificate) (s256, s1 string) {
	a := sha256.Sum256(cert.Raw)
	b := sha1.Sum(cert.Raw)
	return base64.StdEncoding.EncodeToString(a[:]), base64.StdEncoding.EncodeToString(b[:])
}

// refresh recomputes the identity-side view of a registration (caller holds g.mu):
// public client when it has mobile/desktop redirect URIs and no credential; roles from
// app role assignments; delegated scopes from the AllPrincipals grant (else the
// configured ones, which still need consent); consent when anything was granted.
//
// The App is replaced, never changed in place: the token endpoint and the browser pages
// read the App they looked up without the registry's lock.
func (g *registry) refresh(r *registration) {
	cp := *r.app
	a := &cp
	defer func() { r.app = a }()
	a.Name = r.displayName
	a.RedirectURIs = append(slices.Clone(r.public), r.web...)
	a.Public = (len(r.public) > 0 || r.fallbackPublic) && len(r.passwords) == 0 && len(r.keys) == 0
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

// adminOnlyScopes are the admin tool's permissions that need an administrator's consent
// ("Admin consent required: Yes" in
// https://learn.microsoft.com/en-us/graph/permissions-reference).
func adminOnlyScopes() []string {
	return []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All"}
}

// userMayConsent reports whether a user may consent for themselves to scopes of app:
// for Microsoft Graph Command Line Tools, scopes that need admin consent are refused to
// a user without an administrator role (AADSTS90094, admin approval required) unless the
// tool already has tenant-wide consent. Other apps keep the practice tenant's default
// (users may consent).
func (id *Identity) userMayConsent(app *App, scopes []string, userID string) bool {
	if !strings.EqualFold(app.ClientID, AdminToolClientID) {
		return true
	}
	needsAdmin := slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(adminOnlyScopes(), s) })
	if !needsAdmin {
		return true
	}
	for _, r := range id.DirectoryRoles(userID) {
		switch r {
		case RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator:
			return true
		}
	}
	return false
}

// persistedRegistration is a created app in the practice tenant's state file
// (persist.go), so a saved connection to a created app works after a restart.
type persistedRegistration struct {
	ObjectID       string                       `json:"object_id"`
	AppID          string                       `json:"app_id"`
	DisplayName    string                       `json:"display_name"`
	Created        time.Time                    `json:"created"`
	Owner          string                       `json:"owner,omitempty"`
	SignInAudience string                       `json:"sign_in_audience,omitempty"`
	Required       []wireRequiredResourceAccess `json:"required,omitempty"`
	Web            []string                     `json:"web,omitempty"`
	Public         []string                     `json:"public,omitempty"`
	FallbackPublic bool                         `json:"fallback_public,omitempty"`
	Passwords      []persistedPassword          `json:"passwords,omitempty"`
	Keys           []persistedKey               `json:"keys,omitempty"`
	SPID           string                       `json:"sp_id,omitempty"`
	Assignments    []wireAppRoleAssignment      `json:"assignments,omitempty"`
	Grants         []wireOAuth2PermissionGrant  `json:"grants,omitempty"`
}

type persistedPassword struct {
	KeyID, DisplayName, Secret string
	Start, End                 time.Time
}

type persistedKey struct {
	KeyID, DisplayName string
	CertDER            []byte
}

// export lists the created apps for the state file.
func (g *registry) export() []persistedRegistration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []persistedRegistration
	for _, r := range g.apps {
		p := persistedRegistration{ObjectID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, Created: r.created,
			Owner: r.owner, SignInAudience: r.signInAudience, Required: r.required, Web: r.web, Public: r.public,
			FallbackPublic: r.fallbackPublic, SPID: r.spID, Assignments: r.assignments, Grants: r.grants}
		for _, pw := range r.passwords {
			p.Passwords = append(p.Passwords, persistedPassword{KeyID: pw.keyID, DisplayName: pw.displayName, Secret: pw.secret, Start: pw.start, End: pw.end})
		}
		for _, k := range r.keys {
			p.Keys = append(p.Keys, persistedKey{KeyID: k.keyID, DisplayName: k.displayName, CertDER: k.cert.Raw})
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b persistedRegistration) int { return strings.Compare(a.ObjectID, b.ObjectID) })
	return out
}

// restore brings back the created apps of the state file.
func (g *registry) restore(list []persistedRegistration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range list {
		r := &registration{app: &App{ClientID: p.AppID}, objectID: p.ObjectID, created: p.Created, owner: p.Owner,
			displayName: p.DisplayName, signInAudience: p.SignInAudience, required: p.Required, web: p.Web, public: p.Public,
			fallbackPublic: p.FallbackPublic, spID: p.SPID, assignments: p.Assignments, grants: p.Grants}
		for _, pw := range p.Passwords {
			r.passwords = append(r.passwords, passwordCred{keyID: pw.KeyID, displayName: pw.DisplayName, secret: pw.Secret, start: pw.Start, end: pw.End})
		}
		for _, k := range p.Keys {
			cert, err := x509.ParseCertificate(k.CertDER)
			if err != nil {
				return fmt.Errorf("created app %s: %w", p.DisplayName, err)
			}
			s256, s1 := thumbprints(cert)
			r.keys = append(r.keys, keyCred{keyID: k.KeyID, displayName: k.DisplayName, cert: cert, x5tS256: s256, x5tS1: s1,
				start: cert.NotBefore, end: cert.NotAfter})
		}
		g.refresh(r)
		g.apps[strings.ToLower(p.AppID)] = r
	}
	return nil
}
