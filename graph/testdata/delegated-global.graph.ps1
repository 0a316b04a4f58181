# Creates the "m365connect" app registration for m365connect (Microsoft Graph PowerShell).
# Permissions (delegated): Mail.ReadWrite.Shared, Mail.Send.Shared, offline_access, openid, profile
#   Mail.ReadWrite.Shared: the outbox saves each message as a draft first, so that it is sent exactly once; it also covers reading incoming mail (also in the shared mailboxes the signed-in account may open)
#   Mail.Send.Shared: sends each approved draft (also in the shared mailboxes the signed-in account may open)
#   offline_access: keeps the sign-in (a refresh token), so sync and the outbox run without asking again
#   openid, profile: sign-in (who is signed in)
# Install-Module Microsoft.Graph.Applications -Scope CurrentUser
Connect-MgGraph -TenantId 'contoso.com' -Environment Global -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'

$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$access = @(
  @{ Id = '5df07973-7d5d-46ed-9847-1271055cbd51'; Type = 'Scope' } # Mail.ReadWrite.Shared
  @{ Id = 'a367ab51-6b49-43bf-a716-a1fb06d2a174'; Type = 'Scope' } # Mail.Send.Shared
  @{ Id = '7427e0e9-2fba-42fe-b0c0-848c9e6a8182'; Type = 'Scope' } # offline_access
  @{ Id = '37f7f235-527c-4136-accd-4a02d197296e'; Type = 'Scope' } # openid
  @{ Id = '14dad69e-099b-42c9-810b-d002981feec1'; Type = 'Scope' } # profile
)
$app = New-MgApplication -DisplayName 'm365connect' -SignInAudience AzureADMyOrg `
  -PublicClient @{ RedirectUris = @('http://localhost') } `
  -IsFallbackPublicClient:$true `
  -RequiredResourceAccess @(@{ ResourceAppId = '00000003-0000-0000-c000-000000000000'; ResourceAccess = $access })
$sp = New-MgServicePrincipal -AppId $app.AppId

# Admin consent
New-MgOauth2PermissionGrant -ClientId $sp.Id -ConsentType AllPrincipals -ResourceId $graphSp.Id -Scope 'Mail.ReadWrite.Shared Mail.Send.Shared offline_access openid profile' | Out-Null
"Application (client) ID: $($app.AppId)"
'Directory (tenant) ID: ' + 'contoso.com'
