package graph

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Exchange Online scoping of an app-only connection: RBAC for Applications, following
// Microsoft's steps (https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac):
//  1. New-ServicePrincipal with the Enterprise application's Application ID and
//     Object ID (the service principal's, not the app registration's Object ID);
//  2. New-ManagementScope with a recipient filter: members of a mail-enabled
//     security group (MemberOfGroup needs the group's distinguished name), the chosen
//     addresses, or an attribute such as CustomAttribute1;
//  3. New-ManagementRoleAssignment -App -Role "Application Mail.Read" (and the other
//     roles the features need) -CustomResourceScope;
//  4. remove the tenant-wide Microsoft Graph grant of the same permissions in Entra ID:
//     Entra and Exchange grants add up, so with the unscoped Entra permission still
//     granted the scope has no effect;
//  5. Test-ServicePrincipalAuthorization for a mailbox inside (InScope True) and one
//     outside (InScope False).

// RBACScope says which mailboxes the scope covers: exactly one of Group, Mailboxes,
// or Attribute with Value.
type RBACScope struct {
	// Group is a mail-enabled security group (address or name) whose members are in scope.
	Group string
	// Mailboxes are the primary SMTP addresses in scope.
	Mailboxes []string
	// Attribute is a recipient property such as CustomAttribute1 or Department that
	// equals Value on every mailbox in scope.
	Attribute, Value string
}

// RBACScriptInput is what the RBAC for Applications script needs.
type RBACScriptInput struct {
	Cloud    Cloud
	AppName  string
	ClientID string // Application (client) ID
	// ServicePrincipalID is the Enterprise application's Object ID; "" makes the script
	// look it up by the client ID with Microsoft Graph PowerShell.
	ServicePrincipalID string
	Features           Features
	Scope              RBACScope
	// Inside and Outside name a mailbox in and one out of the scope for the check lines.
	Inside, Outside string
}

// recipientAttributes are the recipient properties an attribute scope may name.
// https://learn.microsoft.com/en-us/powershell/exchange/recipientfilter-properties
func recipientAttributes() []string {
	a := []string{"Department", "Company", "Office", "City", "StateOrProvince", "CountryOrRegion", "Title"}
	for i := 1; i <= 15; i++ {
		a = append(a, fmt.Sprintf("CustomAttribute%d", i))
	}
	return a
}

// rbacPermissions are the Graph application permissions the features need that RBAC for
// Applications can grant (Mail.* and MailboxSettings.*): the roles to assign and the
// Entra grants to remove.
func rbacPermissions(f Features) []string {
	var out []string
	for _, p := range RequestedPermissions(ModeSecret, f) {
		if strings.HasPrefix(p, "Mail.") || strings.HasPrefix(p, "MailboxSettings.") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// ExchangeRBACScopeScript renders the Exchange Online PowerShell script that limits the
// app to the scope with RBAC for Applications, removes the tenant-wide Entra grant and
// tests one mailbox inside and one outside. Values are quoted for PowerShell.
func ExchangeRBACScopeScript(in RBACScriptInput) (string, error) {
	if err := in.Scope.check(); err != nil {
		return "", err
	}
	perms := rbacPermissions(in.Features)
	if len(perms) == 0 {
		return "", errors.New("the features need no mailbox permission to scope")
	}
	name := in.AppName
	if name == "" {
		name = DefaultAppName
	}
	scope := name + " mailboxes"
	var b strings.Builder
	startEXO(&b, in.Cloud, `# Limits the app to some mailboxes: Exchange Online RBAC for Applications.
# https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
# Changes take effect after 30 minutes to 2 hours (cache).
# Install-Module ExchangeOnlineManagement, Microsoft.Graph.Applications -Scope CurrentUser
`)
	fmt.Fprintf(&b, "Connect-MgGraph -Environment %s -Scopes 'Application.Read.All','AppRoleAssignment.ReadWrite.All'\n\n", mgEnvironment(in.Cloud))
	rbacServicePrincipal(&b, in, name)
	in.Scope.write(&b, scope)
	b.WriteString("# 3. The application roles, limited to that scope.\n")
	for _, p := range perms {
		fmt.Fprintf(&b, "New-ManagementRoleAssignment -App $spObjectId -Role %s -CustomResourceScope %s\n", psQuote("Application "+p), psQuote(scope))
	}
	rbacRemoveEntraGrant(&b, perms)
	rbacTest(&b, in)
	return b.String(), nil
}

// check says whether the scope names exactly one kind: a group, mailboxes, or a known
// recipient attribute with its value.
func (sc RBACScope) check() error {
	kinds := 0
	if sc.Group != "" {
		kinds++
	}
	if len(sc.Mailboxes) > 0 {
		kinds++
	}
	if sc.Attribute != "" {
		kinds++
		if !containsFold(recipientAttributes(), sc.Attribute) {
			return fmt.Errorf("scope attribute %q is not one of %s", sc.Attribute, strings.Join(recipientAttributes(), ", "))
		}
		if sc.Value == "" {
			return errors.New("scope attribute needs a value")
		}
	}
	if kinds != 1 {
		return errors.New("name exactly one scope: a group, mailboxes, or an attribute and its value")
	}
	return nil
}

// rbacServicePrincipal is step 1: Exchange's record of the app's service principal.
func rbacServicePrincipal(b *strings.Builder, in RBACScriptInput, name string) {
	clientID := in.ClientID
	if clientID == "" {
		clientID = "<Application (client) ID>"
	}
	b.WriteString("# 1. Exchange's record of the app: the ENTERPRISE APPLICATION's Application ID and\n")
	b.WriteString("#    Object ID (Entra admin center > Enterprise applications > (app) > Overview),\n")
	b.WriteString("#    not the Object ID shown under App registrations.\n")
	fmt.Fprintf(b, "$appId = %s\n", psQuote(clientID))
	if in.ServicePrincipalID != "" {
		fmt.Fprintf(b, "$spObjectId = %s\n", psQuote(in.ServicePrincipalID))
	} else {
		b.WriteString("$spObjectId = (Get-MgServicePrincipal -Filter \"appId eq '$appId'\").Id\n")
	}
	fmt.Fprintf(b, "New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName %s\n\n", psQuote(name))
}

// write is step 2: the management scope named scope, from the group, the mailboxes or
// the attribute.
func (sc RBACScope) write(b *strings.Builder, scope string) {
	b.WriteString("# 2. The management scope: which mailboxes the app may reach.\n")
	switch {
	case sc.Group != "":
		b.WriteString("#    Members of a mail-enabled security group; MemberOfGroup needs its distinguished name.\n")
		fmt.Fprintf(b, "$groupDN = (Get-Group -Identity %s).DistinguishedName\n", psQuote(sc.Group))
		fmt.Fprintf(b, "New-ManagementScope -Name %s -RecipientRestrictionFilter \"MemberOfGroup -eq '$groupDN'\"\n\n", psQuote(scope))
	case len(sc.Mailboxes) > 0:
		fmt.Fprintf(b, "New-ManagementScope -Name %s -RecipientRestrictionFilter %s\n\n", psQuote(scope), psDQuote(recipientFilter(sc.Mailboxes)))
	default:
		filter := sc.Attribute + " -eq '" + strings.ReplaceAll(sc.Value, "'", "''") + "'"
		fmt.Fprintf(b, "New-ManagementScope -Name %s -RecipientRestrictionFilter %s\n\n", psQuote(scope), psDQuote(filter))
	}
}

// rbacRemoveEntraGrant is step 4: remove the tenant-wide Entra grant of perms, which
// would otherwise reach every mailbox whatever the scope.
func rbacRemoveEntraGrant(b *strings.Builder, perms []string) {
	b.WriteString("\n# 4. Remove the tenant-wide grant of the same permissions in Entra ID. Entra and\n")
	b.WriteString("#    Exchange grants add up: while the app keeps them, it still reaches EVERY\n")
	b.WriteString("#    mailbox and the scope has no effect. Also remove them under App registrations >\n")
	b.WriteString("#    (app) > API permissions, so nobody grants them again.\n")
	b.WriteString("$graphSp = Get-MgServicePrincipal -Filter \"appId eq '00000003-0000-0000-c000-000000000000'\"\n")
	quoted := make([]string, len(perms))
	for i, p := range perms {
		quoted[i] = psQuote(p)
	}
	fmt.Fprintf(b, "$scopedRoles = $graphSp.AppRoles | Where-Object { $_.Value -in @(%s) } | ForEach-Object { $_.Id }\n", strings.Join(quoted, ","))
	b.WriteString("Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId |\n")
	b.WriteString("  Where-Object { $_.ResourceId -eq $graphSp.Id -and $_.AppRoleId -in $scopedRoles } |\n")
	b.WriteString("  ForEach-Object { Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId -AppRoleAssignmentId $_.Id }\n\n")
}

// rbacTest is step 5: Test-ServicePrincipalAuthorization on a mailbox inside the scope
// and one outside.
func rbacTest(b *strings.Builder, in RBACScriptInput) {
	b.WriteString("# 5. Check: InScope True inside the scope, False outside.\n")
	inside, outside := in.Inside, in.Outside
	if inside == "" && len(in.Scope.Mailboxes) > 0 {
		inside = in.Scope.Mailboxes[0]
	}
	if inside == "" {
		inside = "<a mailbox in the scope>"
	}
	if outside == "" {
		outside = "<a mailbox outside the scope>"
	}
	fmt.Fprintf(b, "Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource %s | Format-Table\n", psQuote(inside))
	fmt.Fprintf(b, "Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource %s | Format-Table\n", psQuote(outside))
}

// scopingAdvice explains a mailbox outside the chosen ones that the app could read.
// When the token still carries a tenant-wide Mail permission from Entra ID, the reason
// is known: any Exchange scope (RBAC for Applications) adds to that grant and has no
// effect until it is removed.
func scopingAdvice(c Claims) Advice {
	var held []string
	for _, r := range c.Roles {
		if strings.HasPrefix(r, "Mail.") || strings.HasPrefix(r, "MailboxSettings.") {
			held = append(held, r)
		}
	}
	if len(held) == 0 {
		return unscopedAdvice()
	}
	sort.Strings(held)
	return Advice{Code: "entra_grant_remains", Title: "Not scoped: the tenant-wide Entra permission lets this app read every mailbox",
		Cause: "The app's token still carries " + strings.Join(held, ", ") + " granted tenant-wide in Entra ID. Exchange RBAC for Applications grants add to it, so every mailbox stays readable whatever the management scope (an application access policy would restrict it instead).",
		Fix:   "Run step 4 of the RBAC script (Remove-MgServicePrincipalAppRoleAssignment for those permissions), or Entra admin center > Enterprise applications > (your app) > Permissions > revoke them, and remove them under App registrations > API permissions; allow 30 minutes to 2 hours.",
		Step:  StepMailboxes}
}

// scopingSeen reports both sides of the scoping check in words.
func scopingSeen(d ScopingData) string {
	in := "no chosen mailbox was reachable"
	if d.InsideOK {
		in = "inside: " + d.Inside + " reachable"
	}
	out := "outside: no mailbox outside the chosen ones to test with"
	switch {
	case d.Outside != "" && d.OutsideRefused:
		out = "outside: " + d.Outside + " refused (403)"
	case d.Outside != "":
		out = "outside: " + d.Outside + " readable"
	}
	return in + "; " + out
}

// exchangeRBACSteps is the RBAC for Applications script of GenerateScripts: Microsoft's
// full steps over the chosen mailboxes (ExchangeRBACScopeScript); the short form when
// there is nothing to scope.
func exchangeRBACSteps(in ScriptInput, clientID string) string {
	s, err := ExchangeRBACScopeScript(RBACScriptInput{Cloud: in.Cloud, AppName: in.AppName, ClientID: clientID, Features: in.Features,
		Scope: RBACScope{Mailboxes: in.Mailboxes}})
	if err != nil {
		return exchangeRBAC(in, clientID)
	}
	return s
}
