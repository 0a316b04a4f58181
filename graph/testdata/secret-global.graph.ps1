# Creates the "Contoso mail sync" app registration for m365connect (Microsoft Graph PowerShell).
# Install-Module Microsoft.Graph.Applications -Scope CurrentUser
Connect-MgGraph -TenantId 'contoso.onmicrosoft.com' -Environment Global -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'

$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$access = @(
  @{ Id = '810c84a8-4a9e-49e6-bf7d-12d183f40d01'; Type = 'Role' } # Mail.Read
  @{ Id = 'b633e1c5-b582-4048-a93e-9f11b44c7e96'; Type = 'Role' } # Mail.Send
  @{ Id = '97235f07-e226-4f63-ace3-39588e11d3a1'; Type = 'Role' } # User.ReadBasic.All
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
