package graphmail

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Exchange Online's two ways to limit an app's app-only access to some mailboxes, as
// the practice tenant's Exchange side:
//
//   - Application access policies (legacy): New-ApplicationAccessPolicy -AppId
//     -PolicyScopeGroupId -AccessRight RestrictAccess|DenyAccess, where the scope is a
//     mailbox or a mail-enabled security group whose members it covers. The policy
//     narrows what Entra granted; calls outside it get 403 ErrorAccessDenied
//     "...Blocked by tenant configured AppOnly AccessPolicy settings."
//     https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
//     https://learn.microsoft.com/en-us/powershell/module/exchange/new-applicationaccesspolicy
//   - RBAC for Applications: New-ServicePrincipal (Exchange's pointer to the Entra
//     service principal: the Enterprise application's AppId and ObjectId),
//     New-ManagementScope -RecipientRestrictionFilter (a group via MemberOfGroup and
//     the group's distinguished name, or recipient attributes), and
//     New-ManagementRoleAssignment -App -Role "Application Mail.Read"
//     -CustomResourceScope. The grant is added to what Entra grants: while the app
//     still holds the unscoped Microsoft Graph permission tenant-wide in Entra ID, the
//     union reaches every mailbox and the scope has no effect. Outside the scope (and
//     without the Entra grant) Graph answers 403 ErrorAccessDenied.
//     https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
//     https://learn.microsoft.com/en-us/powershell/module/exchange/new-managementscope
//     https://learn.microsoft.com/en-us/powershell/module/exchange/test-serviceprincipalauthorization

// KindRoom is a room mailbox (a resource mailbox; mailboxSettings userPurpose "room").
// https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings
const KindRoom = "room"

// Group is a mail-enabled security group (New-DistributionGroup -Type Security).
type Group struct {
	ID, Address, DisplayName string
	Members                  []string // mailbox ids or addresses
}

// ServicePrincipal is Exchange's record of an Entra service principal
// (New-ServicePrincipal): the Enterprise application's application id and object id.
type ServicePrincipal struct {
	AppID, ObjectID, DisplayName string
}

// AuthorizationResult is one line of Test-ServicePrincipalAuthorization.
type AuthorizationResult struct {
	RoleName             string // "Application Mail.Read"
	GrantedPermissions   string // "Mail.Read"
	AllowedResourceScope string // the management scope's name, or "Organization"
	ScopeType            string // "CustomRecipientScope" or "Organization"
	InScope              bool
}

// exoState is the Exchange side of scoping in the Store (guarded by Store.mu).
type exoState struct {
	groups      []*Group
	sps         []ServicePrincipal
	scopes      map[string]*mgmtScope // lower-cased name
	assignments []roleAssignment
}

type mgmtScope struct {
	name, filter string
	match        func(s *Store, mb *mailbox) bool
}

type roleAssignment struct {
	appID, role, scope string // scope "" = the whole organisation
}

// applicationRoles maps the supported application roles of RBAC for Applications to
// the Graph permission each grants (the Mail and MailboxSettings ones this app uses,
// plus their neighbours).
// https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac#supported-application-roles
func applicationRoles() map[string]string {
	return map[string]string{
		"application mail.read":                 "Mail.Read",
		"application mail.readbasic":            "Mail.ReadBasic",
		"application mail.readwrite":            "Mail.ReadWrite",
		"application mail.send":                 "Mail.Send",
		"application mailboxsettings.read":      "MailboxSettings.Read",
		"application mailboxsettings.readwrite": "MailboxSettings.ReadWrite",
		"application calendars.read":            "Calendars.Read",
		"application calendars.readwrite":       "Calendars.ReadWrite",
		"application contacts.read":             "Contacts.Read",
		"application contacts.readwrite":        "Contacts.ReadWrite",
	}
}

// AddGroup adds (or replaces, by id) a mail-enabled security group.
func (s *Store) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Members = slices.Clone(g.Members)
	for i, old := range s.exo.groups {
		if strings.EqualFold(old.ID, g.ID) {
			s.exo.groups[i] = &g
			return
		}
	}
	s.exo.groups = append(s.exo.groups, &g)
}

// GroupDN is a group's distinguished name, as Get-Group shows it and MemberOfGroup
// filters need it.
func (s *Store) GroupDN(idOrAddress string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupLocked(idOrAddress)
	if g == nil {
		return "", false
	}
	return s.groupDN(g), true
}

func (s *Store) groupDN(g *Group) string {
	alias, _, _ := strings.Cut(g.Address, "@")
	return "CN=" + alias + ",OU=" + s.opts.TenantDomain + ",OU=Microsoft Exchange Hosted Organizations,DC=PRACTICE,DC=PROD,DC=OUTLOOK,DC=COM"
}

func (s *Store) groupLocked(key string) *Group {
	for _, g := range s.exo.groups {
		if strings.EqualFold(g.ID, key) || strings.EqualFold(g.Address, key) || strings.EqualFold(s.groupDN(g), key) || strings.EqualFold(g.DisplayName, key) {
			return g
		}
	}
	return nil
}

func (s *Store) memberLocked(g *Group, mb *mailbox) bool {
	return slices.ContainsFunc(g.Members, func(k string) bool { return mb.names(k) })
}

// names reports whether k names this mailbox: id, primary address, UPN or an alias.
func (mb *mailbox) names(k string) bool {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "smtp:"), "SMTP:")
	if strings.EqualFold(k, mb.ID) || strings.EqualFold(k, mb.Address) || (mb.UPN != "" && strings.EqualFold(k, mb.UPN)) {
		return true
	}
	return slices.ContainsFunc(mb.Aliases, func(a string) bool { return strings.EqualFold(a, k) })
}

// policyTargetLocked reports whether an application access policy's scope entry (a
// mailbox or a mail-enabled security group) covers mb.
func (s *Store) policyTargetLocked(key string, mb *mailbox) bool {
	if mb.names(key) {
		return true
	}
	if g := s.groupLocked(key); g != nil {
		return s.memberLocked(g, mb)
	}
	return false
}

// NewServicePrincipal records the Entra service principal in Exchange. Both ids are
// required; the object id is the Enterprise application's (service principal's), not
// the app registration's.
func (s *Store) NewServicePrincipal(sp ServicePrincipal) error {
	if !guidRE.MatchString(sp.AppID) || !guidRE.MatchString(sp.ObjectID) {
		return errors.New("New-ServicePrincipal: -AppId and -ObjectId must be the Enterprise application's Application ID and Object ID (GUIDs)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.exo.sps {
		if strings.EqualFold(old.AppID, sp.AppID) || strings.EqualFold(old.ObjectID, sp.ObjectID) {
			return fmt.Errorf("New-ServicePrincipal: a service principal for %s already exists", sp.AppID)
		}
	}
	s.exo.sps = append(s.exo.sps, sp)
	return nil
}

func (s *Store) spLocked(key string) (ServicePrincipal, bool) {
	for _, sp := range s.exo.sps {
		if strings.EqualFold(sp.AppID, key) || strings.EqualFold(sp.ObjectID, key) || strings.EqualFold(sp.DisplayName, key) {
			return sp, true
		}
	}
	return ServicePrincipal{}, false
}

// NewManagementScope defines a management scope with a recipient filter (OPATH):
// Property -eq|-ne|-like 'value' joined by -and / -or. Properties: MemberOfGroup (the
// group's distinguished name), PrimarySmtpAddress, EmailAddresses, UserPrincipalName,
// Alias, Name, DisplayName, Department, CustomAttribute1..15, RecipientTypeDetails
// (UserMailbox, SharedMailbox, RoomMailbox).
// https://learn.microsoft.com/en-us/powershell/exchange/recipientfilter-properties
func (s *Store) NewManagementScope(name, recipientFilter string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("New-ManagementScope: -Name is required")
	}
	match, err := parseRecipientFilter(recipientFilter)
	if err != nil {
		return fmt.Errorf("New-ManagementScope: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exo.scopes == nil {
		s.exo.scopes = map[string]*mgmtScope{}
	}
	key := strings.ToLower(name)
	if _, ok := s.exo.scopes[key]; ok {
		return fmt.Errorf("New-ManagementScope: the scope %q already exists", name)
	}
	s.exo.scopes[key] = &mgmtScope{name: name, filter: recipientFilter, match: match}
	return nil
}

// NewManagementRoleAssignment assigns an application role to a service principal
// (app: its AppId, ObjectId or display name, after New-ServicePrincipal), limited to a
// management scope (scope "" = the whole organisation, no -CustomResourceScope).
func (s *Store) NewManagementRoleAssignment(app, role, scope string) error {
	if _, ok := applicationRoles()[strings.ToLower(role)]; !ok {
		return fmt.Errorf("New-ManagementRoleAssignment: %q is not an application role (such as \"Application Mail.Read\")", role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spLocked(app)
	if !ok {
		return fmt.Errorf("New-ManagementRoleAssignment: no service principal %q; run New-ServicePrincipal first", app)
	}
	if scope != "" {
		if _, ok := s.exo.scopes[strings.ToLower(scope)]; !ok {
			return fmt.Errorf("New-ManagementRoleAssignment: no management scope %q", scope)
		}
	}
	s.exo.assignments = append(s.exo.assignments, roleAssignment{appID: sp.AppID, role: role, scope: scope})
	return nil
}

// RemoveManagementRoleAssignments removes every role assignment of an app.
func (s *Store) RemoveManagementRoleAssignments(app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	appID := app
	if sp, ok := s.spLocked(app); ok {
		appID = sp.AppID
	}
	s.exo.assignments = slices.DeleteFunc(s.exo.assignments, func(a roleAssignment) bool { return strings.EqualFold(a.appID, appID) })
}

// TestServicePrincipalAuthorization lists an app's role assignments and whether each
// covers the mailbox (by id, address or UPN).
func (s *Store) TestServicePrincipalAuthorization(app, mailboxKey string) ([]AuthorizationResult, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp, ok := s.spLocked(app)
	if !ok {
		return nil, fmt.Errorf("no service principal %q", app)
	}
	mb := s.lookupLocked(mailboxKey)
	if mb == nil {
		return nil, fmt.Errorf("no mailbox %q", mailboxKey)
	}
	var out []AuthorizationResult
	for _, a := range s.exo.assignments {
		if !strings.EqualFold(a.appID, sp.AppID) {
			continue
		}
		r := AuthorizationResult{RoleName: a.role, GrantedPermissions: applicationRoles()[strings.ToLower(a.role)],
			AllowedResourceScope: "Organization", ScopeType: "Organization", InScope: true}
		if a.scope != "" {
			r.AllowedResourceScope, r.ScopeType, r.InScope = a.scope, "CustomRecipientScope", s.inScopeLocked(a.scope, mb)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Store) inScopeLocked(scope string, mb *mailbox) bool {
	sc := s.exo.scopes[strings.ToLower(scope)]
	return sc != nil && sc.match(s, mb)
}

// rbacPrincipal adds to an app-only principal the permissions its RBAC role
// assignments grant on mb (those whose scope covers mb). The Entra roles stay: the
// two are a union, so an unscoped Entra grant reaches every mailbox whatever the scope.
func (s *Store) rbacPrincipal(p Principal, mb *mailbox) Principal {
	if !p.AppOnly {
		return p
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var add []string
	for _, a := range s.exo.assignments {
		if !strings.EqualFold(a.appID, p.AppID) || (a.scope != "" && !s.inScopeLocked(a.scope, mb)) {
			continue
		}
		add = append(add, applicationRoles()[strings.ToLower(a.role)])
	}
	if len(add) == 0 {
		return p
	}
	p.Roles = append(slices.Clone(p.Roles), add...)
	return p
}

// ---- recipient filters (OPATH subset) ----

var (
	orRE     = regexp.MustCompile(`(?i)\s+-or\s+`)
	andRE    = regexp.MustCompile(`(?i)\s+-and\s+`)
	clauseRE = regexp.MustCompile(`(?i)^([A-Za-z0-9]+)\s+-(eq|ne|like)\s+(?:'((?:[^']|'')*)'|"([^"]*)")$`)
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

type recipientPred func(s *Store, mb *mailbox) bool

func parseRecipientFilter(f string) (recipientPred, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, errors.New("-RecipientRestrictionFilter is required")
	}
	var ors [][]recipientPred
	for _, alt := range orRE.Split(f, -1) {
		var ands []recipientPred
		for _, c := range andRE.Split(alt, -1) {
			p, err := parseRecipientClause(strings.Trim(strings.TrimSpace(c), "()"))
			if err != nil {
				return nil, err
			}
			ands = append(ands, p)
		}
		ors = append(ors, ands)
	}
	return func(s *Store, mb *mailbox) bool {
		for _, ands := range ors {
			all := true
			for _, p := range ands {
				if !p(s, mb) {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	}, nil
}

func parseRecipientClause(c string) (recipientPred, error) {
	m := clauseRE.FindStringSubmatch(strings.TrimSpace(c))
	if m == nil {
		return nil, fmt.Errorf("cannot read the filter clause %q (use Property -eq 'value')", c)
	}
	prop, op := strings.ToLower(m[1]), strings.ToLower(m[2])
	val := m[4]
	if m[3] != "" || m[4] == "" {
		val = strings.ReplaceAll(m[3], "''", "'")
	}
	cmp := func(got string) bool {
		switch op {
		case "like":
			return likeMatch(got, val)
		case "ne":
			return !strings.EqualFold(got, val)
		}
		return strings.EqualFold(got, val)
	}
	anyOf := func(vals []string) bool {
		hit := slices.ContainsFunc(vals, func(v string) bool {
			if op == "like" {
				return likeMatch(v, val)
			}
			return strings.EqualFold(v, val)
		})
		if op == "ne" {
			return !hit
		}
		return hit
	}
	switch {
	case prop == "memberofgroup":
		return func(s *Store, mb *mailbox) bool {
			hit := false
			for _, g := range s.exo.groups {
				if strings.EqualFold(s.groupDN(g), val) && s.memberLocked(g, mb) {
					hit = true
				}
			}
			return hit != (op == "ne")
		}, nil
	case prop == "primarysmtpaddress":
		return func(_ *Store, mb *mailbox) bool { return cmp(mb.Address) }, nil
	case prop == "emailaddresses":
		return func(_ *Store, mb *mailbox) bool {
			vals := []string{mb.Address, "smtp:" + mb.Address}
			for _, a := range mb.Aliases {
				vals = append(vals, a, "smtp:"+a)
			}
			return anyOf(vals)
		}, nil
	case prop == "userprincipalname":
		return func(_ *Store, mb *mailbox) bool { return cmp(upnOf(mb)) }, nil
	case prop == "alias":
		return func(_ *Store, mb *mailbox) bool { a, _, _ := strings.Cut(mb.Address, "@"); return cmp(a) }, nil
	case prop == "name" || prop == "displayname":
		return func(_ *Store, mb *mailbox) bool { return cmp(mb.DisplayName) }, nil
	case prop == "department":
		return func(_ *Store, mb *mailbox) bool { return cmp(mb.Department) }, nil
	case prop == "recipienttypedetails":
		return func(_ *Store, mb *mailbox) bool { return cmp(recipientTypeDetails(mb.Kind)) }, nil
	case strings.HasPrefix(prop, "customattribute"):
		n := strings.TrimPrefix(prop, "customattribute")
		if !slices.Contains([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"}, n) {
			return nil, fmt.Errorf("unknown property %q", m[1])
		}
		return func(_ *Store, mb *mailbox) bool { return cmp(mb.CustomAttributes["CustomAttribute"+n]) }, nil
	}
	return nil, fmt.Errorf("unknown or unsupported filter property %q", m[1])
}

// likeMatch is OPATH -like: * matches any run of characters, case-insensitive.
func likeMatch(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func recipientTypeDetails(kind string) string {
	switch kind {
	case KindShared:
		return "SharedMailbox"
	case KindRoom:
		return "RoomMailbox"
	}
	return "UserMailbox"
}

func upnOf(mb *mailbox) string {
	if mb.UPN != "" {
		return mb.UPN
	}
	return mb.Address
}
