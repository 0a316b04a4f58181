package graph

import (
	"fmt"
	"sort"
	"strings"
)

// GraphAppID is Microsoft Graph's application id in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// permissionID returns the Microsoft Graph permission GUID: app roles for
// application permissions, oauth2PermissionScopes for delegated ones.
// https://learn.microsoft.com/en-us/graph/permissions-reference
func permissionID(name string, appOnly bool) (string, bool) {
	roles := map[string]string{
		"Mail.Read":          "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
		"Mail.ReadWrite":     "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
		"Mail.Send":          "b633e1c5-b582-4048-a93e-9f11b44c7e96",
		"User.Read.All":      "df021288-bdef-4463-88db-98f22de89214",
		"User.ReadBasic.All": "97235f07-e226-4f63-ace3-39588e11d3a1",
	}
	scopes := map[string]string{
		"Mail.Read":             "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
		"Mail.ReadWrite":        "024d486e-b451-40bb-833d-3e66d98c5c73",
		"Mail.Send":             "e383f46e-2787-4529-855e-0e479a3ffac0",
		"Mail.Read.Shared":      "7b9103a5-4610-446b-9670-80643382c1fa",
		"Mail.ReadWrite.Shared": "5df07973-7d5d-46ed-9847-1271055cbd51",
		"Mail.Send.Shared":      "a367ab51-6b49-43bf-a716-a1fb06d2a174",
		"User.Read":             "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
		"User.ReadBasic.All":    "b340eb25-3456-403f-be2f-af7a0d370277",
		"User.Read.All":         "a154be20-db9c-4678-8ab7-66f6cc099a59",
		"offline_access":        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
		"openid":                "37f7f235-527c-4136-accd-4a02d197296e",
		"profile":               "14dad69e-099b-42c9-810b-d002981feec1",
	}
	m := scopes
	if appOnly {
		m = roles
	}
	id, ok := m[name]
	return id, ok
}

// ScriptInput describes the app the admin scripts create or scope.
type ScriptInput struct {
	Cloud     Cloud
	TenantID  string
	AppName   string
	ClientID  string // for the Exchange scripts; "" → placeholder
	Mode      Mode
	Features  Features
	Mailboxes []string // mailboxes the app may reach (Exchange scoping)
	// Account is the signed-in (service) account for delegated mode; the
	// Exchange script grants it access to the shared mailboxes.
	Account string
	// GroupAddress is the mail-enabled security group for the legacy
	// application access policy (created by the script).
	GroupAddress string
}

// Scripts are pasteable admin scripts.
type Scripts struct {
	AzureCLI        string // bash, Azure CLI: app registration + consent
	GraphPowerShell string // Microsoft Graph PowerShell: the same
	// ExchangeRBAC: Exchange Online PowerShell, RBAC for Applications scoping
	// (app-only); for delegated mode, the account's mailbox permissions.
	ExchangeRBAC string
	// ExchangeLegacy: application access policy (legacy alternative, app-only; "" for delegated).
	ExchangeLegacy string
}

// scriptPermissions is the permission list for the app registration (the call
// table's set for the mode, ModePermissions), with openid/profile for delegated mode.
func scriptPermissions(in ScriptInput) []string {
	p := RequestedPermissions(in.Mode, in.Features)
	if !in.Mode.AppOnly() {
		p = append(p, "openid", "profile")
	}
	return p
}

// scriptReasons is one comment line per permission: "#   Mail.Send: sends ...".
func scriptReasons(in ScriptInput) string {
	var b strings.Builder
	for _, g := range ModePermissions(in.Mode, in.Features) {
		fmt.Fprintf(&b, "#   %s\n", g)
	}
	if !in.Mode.AppOnly() {
		b.WriteString("#   openid, profile: sign-in (who is signed in)\n")
	}
	return b.String()
}

func azCloudName(c Cloud) string {
	switch c.Name {
	case CloudUSGov, CloudUSDoD:
		return "AzureUSGovernment"
	case CloudChina:
		return "AzureChinaCloud"
	}
	return "AzureCloud"
}

func mgEnvironment(c Cloud) string {
	switch c.Name {
	case CloudUSGov:
		return "USGov"
	case CloudUSDoD:
		return "USGovDoD"
	case CloudChina:
		return "China"
	}
	return "Global"
}

func exoEnvironment(c Cloud) string {
	switch c.Name {
	case CloudUSGov:
		return " -ExchangeEnvironmentName O365USGovGCCHigh"
	case CloudUSDoD:
		return " -ExchangeEnvironmentName O365USGovDoD"
	case CloudChina:
		return " -ExchangeEnvironmentName O365China"
	}
	return ""
}

// psQuote, psDQuote and shQuote are in quote.go.

// startEXO opens an Exchange Online PowerShell script: its comment header (whole
// lines), then Connect-ExchangeOnline for the cloud.
func startEXO(b *strings.Builder, cl Cloud, header string) {
	b.WriteString(header)
	fmt.Fprintf(b, "Connect-ExchangeOnline%s\n", exoEnvironment(cl))
}

// GenerateScripts renders the admin scripts. Output is deterministic
// (golden-file tested).
func GenerateScripts(in ScriptInput) Scripts {
	if in.AppName == "" {
		in.AppName = DefaultAppName
	}
	clientID := in.ClientID
	if clientID == "" {
		clientID = "<application-client-id>"
	}
	if !in.Mode.AppOnly() {
		return Scripts{AzureCLI: azureCLI(in), GraphPowerShell: graphPowerShell(in), ExchangeRBAC: exchangeDelegated(in)}
	}
	return Scripts{
		AzureCLI:        azureCLI(in),
		GraphPowerShell: graphPowerShell(in),
		ExchangeRBAC:    exchangeRBACSteps(in, clientID), // scoping.go
		ExchangeLegacy:  exchangeLegacy(in, clientID),
	}
}

// exchangeDelegated grants the signed-in account access to the other
// mailboxes (delegated mode reaches only what the account itself can).
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
func exchangeDelegated(in ScriptInput) string {
	acct := in.Account
	if acct == "" {
		acct = "<service-account@your-domain>"
	}
	var b strings.Builder
	startEXO(&b, in.Cloud, `# Gives the signed-in account access to the chosen mailboxes (delegated mode).
# Delegated access reaches only mailboxes the account itself may open.
# Changes can take up to 2 hours to apply.
`)
	b.WriteString("\n")
	fmt.Fprintf(&b, "$account = %s\n", psQuote(acct))
	for _, m := range in.Mailboxes {
		if strings.EqualFold(m, acct) {
			continue
		}
		fmt.Fprintf(&b, "Add-MailboxPermission -Identity %s -User $account -AccessRights FullAccess -AutoMapping $false\n", psQuote(m))
		if in.Features.Send {
			fmt.Fprintf(&b, "Add-RecipientPermission -Identity %s -Trustee $account -AccessRights SendAs -Confirm:$false\n", psQuote(m))
		}
	}
	return b.String()
}

// grantType is how Graph names a permission kind in requiredResourceAccess: Role for an
// application permission, Scope for a delegated one.
func grantType(app bool) string {
	if app {
		return "Role"
	}
	return "Scope"
}

// permissionsHeader is the comment that opens the app-creating scripts: the
// permissions requested, each with its reason.
func permissionsHeader(in ScriptInput) string {
	kind := "delegated"
	if in.Mode.AppOnly() {
		kind = "application"
	}
	return fmt.Sprintf("# Permissions (%s): %s\n", kind, strings.Join(scriptPermissions(in), ", ")) + scriptReasons(in)
}

func azureCLI(in ScriptInput) string {
	app := in.Mode.AppOnly()
	typ := grantType(app)
	var perms []string
	for _, p := range scriptPermissions(in) {
		if id, ok := permissionID(p, app); ok {
			perms = append(perms, id+"="+typ)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/usr/bin/env bash\n# Creates the %q app registration for m365connect (Azure CLI).\n", in.AppName)
	b.WriteString(permissionsHeader(in))
	b.WriteString("set -euo pipefail\n\n")
	fmt.Fprintf(&b, "az cloud set --name %s\n", azCloudName(in.Cloud))
	fmt.Fprintf(&b, "az login --tenant %s --allow-no-subscriptions\n\n", shQuote(in.TenantID))
	fmt.Fprintf(&b, "APP_ID=$(az ad app create --display-name %s --sign-in-audience AzureADMyOrg \\\n  --public-client-redirect-uris http://localhost --query appId -o tsv)\n", shQuote(in.AppName))
	if !app {
		b.WriteString("az ad app update --id \"$APP_ID\" --is-fallback-public-client true\n")
	}
	b.WriteString("az ad sp create --id \"$APP_ID\" >/dev/null\n")
	fmt.Fprintf(&b, "az ad app permission add --id \"$APP_ID\" --api %s \\\n  --api-permissions %s\n", GraphAppID, strings.Join(perms, " "))
	b.WriteString("# Admin consent (needs Global Administrator or Privileged Role Administrator).\n")
	b.WriteString("sleep 20  # let the new service principal replicate\n")
	b.WriteString("az ad app permission admin-consent --id \"$APP_ID\"\n\n")
	switch in.Mode {
	case ModeSecret:
		b.WriteString("# Client secret: shown once. Paste it into m365connect, nowhere else.\n")
		b.WriteString("az ad app credential reset --id \"$APP_ID\" --display-name m365connect --years 1 --query password -o tsv\n")
	case ModeCertificate:
		b.WriteString("# Certificate: upload the public part (cert.pem) of the certificate you give m365connect.\n")
		b.WriteString("az ad app credential reset --id \"$APP_ID\" --cert @cert.pem --append\n")
	}
	fmt.Fprintf(&b, "echo \"Application (client) ID: $APP_ID\"\necho \"Directory (tenant) ID: \"%s\n", shQuote(in.TenantID))
	return b.String()
}

func graphPowerShell(in ScriptInput) string {
	app := in.Mode.AppOnly()
	typ := grantType(app)
	var b strings.Builder
	fmt.Fprintf(&b, "# Creates the %q app registration for m365connect (Microsoft Graph PowerShell).\n", in.AppName)
	b.WriteString(permissionsHeader(in))
	b.WriteString("# Install-Module Microsoft.Graph.Applications -Scope CurrentUser\n")
	fmt.Fprintf(&b, "Connect-MgGraph -TenantId %s -Environment %s -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'\n\n",
		psQuote(in.TenantID), mgEnvironment(in.Cloud))
	fmt.Fprintf(&b, "$graphSp = Get-MgServicePrincipal -Filter \"appId eq '%s'\"\n", GraphAppID)
	b.WriteString("$access = @(\n")
	for _, p := range scriptPermissions(in) {
		if id, ok := permissionID(p, app); ok {
			fmt.Fprintf(&b, "  @{ Id = '%s'; Type = '%s' } # %s\n", id, typ, p)
		}
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "$app = New-MgApplication -DisplayName %s -SignInAudience AzureADMyOrg `\n  -PublicClient @{ RedirectUris = @('http://localhost') } `\n", psQuote(in.AppName))
	if !app {
		b.WriteString("  -IsFallbackPublicClient:$true `\n")
	}
	fmt.Fprintf(&b, "  -RequiredResourceAccess @(@{ ResourceAppId = '%s'; ResourceAccess = $access })\n", GraphAppID)
	b.WriteString("$sp = New-MgServicePrincipal -AppId $app.AppId\n\n")
	b.WriteString("# Admin consent\n")
	if app {
		b.WriteString("foreach ($a in $access) {\n  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graphSp.Id -AppRoleId $a.Id | Out-Null\n}\n")
	} else {
		fmt.Fprintf(&b, "New-MgOauth2PermissionGrant -ClientId $sp.Id -ConsentType AllPrincipals -ResourceId $graphSp.Id -Scope %s | Out-Null\n",
			psQuote(strings.Join(scriptPermissions(in), " ")))
	}
	switch in.Mode {
	case ModeSecret:
		b.WriteString("\n# Client secret: shown once. Paste it into m365connect, nowhere else.\n")
		b.WriteString("$pw = Add-MgApplicationPassword -ApplicationId $app.Id -PasswordCredential @{ DisplayName = 'm365connect'; EndDateTime = (Get-Date).AddYears(1) }\n$pw.SecretText\n")
	case ModeCertificate:
		b.WriteString("\n# Certificate: upload the public part (cert.cer, DER) of the certificate you give m365connect.\n")
		b.WriteString("Update-MgApplication -ApplicationId $app.Id -KeyCredentials @(@{ Type = 'AsymmetricX509Cert'; Usage = 'Verify'; Key = [System.IO.File]::ReadAllBytes('cert.cer') })\n")
	}
	fmt.Fprintf(&b, "\"Application (client) ID: $($app.AppId)\"\n'Directory (tenant) ID: ' + %s\n", psQuote(in.TenantID))
	return b.String()
}

// exchangeRoles maps application permissions to Exchange RBAC for
// Applications roles. https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
func exchangeRoles(in ScriptInput) []string {
	var r []string
	for _, p := range RequestedPermissions(ModeSecret, in.Features) {
		if strings.HasPrefix(p, "Mail.") {
			r = append(r, "Application "+p)
		}
	}
	sort.Strings(r)
	return r
}

func recipientFilter(mailboxes []string) string {
	var parts []string
	for _, m := range mailboxes {
		parts = append(parts, "PrimarySmtpAddress -eq "+psQuote(m))
	}
	return strings.Join(parts, " -or ")
}

const scopingWarning = `# IMPORTANT
# * RBAC for Applications ADDS to what Entra grants. Remove the tenant-wide
#   Microsoft Graph Mail.* application permissions from the app in Entra
#   (Entra admin center > App registrations > (app) > API permissions >
#   remove, then Enterprise applications > (app) > Permissions), otherwise the
#   app can still read every mailbox.
# * Changes take effect after 30 minutes to 2 hours (cache). Test with
#   Test-ServicePrincipalAuthorization before relying on them.
`

func exchangeRBAC(in ScriptInput, clientID string) string {
	var b strings.Builder
	startEXO(&b, in.Cloud, "# Limits the app to the chosen mailboxes: Exchange Online RBAC for Applications.\n"+
		"# https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac\n"+
		scopingWarning+"# Install-Module ExchangeOnlineManagement -Scope CurrentUser\n")
	b.WriteString("\n")
	fmt.Fprintf(&b, "$appId = %s\n", psQuote(clientID))
	b.WriteString("# Object ID of the app's service principal (Enterprise applications > (app) > Object ID)\n")
	fmt.Fprintf(&b, "$spObjectId = (Get-MgServicePrincipal -Filter \"appId eq '$appId'\").Id  # or paste it\n")
	fmt.Fprintf(&b, "New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName %s\n\n", psQuote(in.AppName))
	scope := in.AppName + " mailboxes"
	fmt.Fprintf(&b, "New-ManagementScope -Name %s -RecipientRestrictionFilter %s\n\n", psQuote(scope), psDQuote(recipientFilter(in.Mailboxes)))
	for _, r := range exchangeRoles(in) {
		fmt.Fprintf(&b, "New-ManagementRoleAssignment -App $appId -Role %s -CustomResourceScope %s\n", psQuote(r), psQuote(scope))
	}
	b.WriteString("\n# Check (InScope should be True for each chosen mailbox):\n")
	for _, m := range in.Mailboxes {
		fmt.Fprintf(&b, "Test-ServicePrincipalAuthorization -Identity $appId -Resource %s | Format-Table\n", psQuote(m))
	}
	return b.String()
}

func exchangeLegacy(in ScriptInput, clientID string) string {
	group := in.GroupAddress
	if group == "" {
		group = "m365connect-mailboxes@<your-domain>"
	}
	var b strings.Builder
	startEXO(&b, in.Cloud, `# Alternative (legacy): an application access policy limits the app to the
# members of a mail-enabled security group. Microsoft recommends RBAC for
# Applications instead. Here the Entra grant stays; the policy restricts it.
# Changes take effect after 30 minutes to 2 hours.
# https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
`)
	b.WriteString("\n")
	fmt.Fprintf(&b, "$appId = %s\n", psQuote(clientID))
	fmt.Fprintf(&b, "$group = %s\n", psQuote(group))
	fmt.Fprintf(&b, "New-DistributionGroup -Name %s -Type Security -PrimarySmtpAddress $group\n", psQuote(in.AppName+" mailboxes"))
	for _, m := range in.Mailboxes {
		fmt.Fprintf(&b, "Add-DistributionGroupMember -Identity $group -Member %s\n", psQuote(m))
	}
	fmt.Fprintf(&b, "New-ApplicationAccessPolicy -AppId $appId -PolicyScopeGroupId $group -AccessRight RestrictAccess -Description %s\n\n", psQuote("Restrict "+in.AppName+" to its mailboxes"))
	b.WriteString("# Check (AccessCheckResult should be Granted):\n")
	for _, m := range in.Mailboxes {
		fmt.Fprintf(&b, "Test-ApplicationAccessPolicy -Identity %s -AppId $appId\n", psQuote(m))
	}
	return b.String()
}
