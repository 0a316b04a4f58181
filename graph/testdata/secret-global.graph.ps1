# Creates the "Contoso mail sync" app registration for m365connect (Microsoft Graph PowerShell).
# Permissions (application): Mail.ReadWrite, Mail.Send, User.Read.All
#   Mail.ReadWrite: the outbox saves each message as a draft first, so that it is sent exactly once; it also covers reading incoming mail
#   Mail.Send: sends each approved draft
#   User.Read.All: lists the directory for the mailbox picker (List users accepts nothing less for an application)
# Install-Module Microsoft.Graph.Applications -Scope CurrentUser
Connect-MgGraph -TenantId 'contoso.onmicrosoft.com' -Environment Global -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'

$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$access = @(
  @{ Id = 'e2a3a72e-5f79-4c64-b1b1-878b674786c9'; Type = 'Role' } # Mail.ReadWrite
  @{ Id = 'b633e1c5-b582-4048-a93e-9f11b44c7e96'; Type = 'Role' } # Mail.Send
  @{ Id = 'df021288-bdef-4463-88db-98f22de89214'; Type = 'Role' } # User.Read.All
)
$app = New-MgApplication -DisplayName 'Contoso mail sync' -SignInAudience AzureADMyOrg `
  -PublicClient @{ RedirectUris = @('http://localhost') } `
  -RequiredResourceAccess @(@{ ResourceAppId = '00000003-0000-0000-c000-000000000000'; ResourceAccess = $access })
$sp = New-MgServicePrincipal -AppId $app.AppId

# Admin consent
foreach ($a in $access) {
  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graphSp.Id -AppRoleId $a.Id | Out-Null
}

# Client secret: shown once. Paste it into m365connect, nowhere else.
$pw = Add-MgApplicationPassword -ApplicationId $app.Id -PasswordCredential @{ DisplayName = 'm365connect'; EndDateTime = (Get-Date).AddYears(1) }
$pw.SecretText
"Application (client) ID: $($app.AppId)"
'Directory (tenant) ID: ' + 'contoso.onmicrosoft.com'
