# Creates the "m365connect" app registration for m365connect (Microsoft Graph PowerShell).
# Permissions (application): Mail.ReadWrite
#   Mail.ReadWrite: reads incoming mail and moves, flags and deletes it, as chosen
# Install-Module Microsoft.Graph.Applications -Scope CurrentUser
Connect-MgGraph -TenantId '11111111-2222-3333-4444-555555555555' -Environment USGov -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'

$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$access = @(
  @{ Id = 'e2a3a72e-5f79-4c64-b1b1-878b674786c9'; Type = 'Role' } # Mail.ReadWrite
)
$app = New-MgApplication -DisplayName 'm365connect' -SignInAudience AzureADMyOrg `
  -PublicClient @{ RedirectUris = @('http://localhost') } `
  -RequiredResourceAccess @(@{ ResourceAppId = '00000003-0000-0000-c000-000000000000'; ResourceAccess = $access })
$sp = New-MgServicePrincipal -AppId $app.AppId

# Admin consent
foreach ($a in $access) {
  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graphSp.Id -AppRoleId $a.Id | Out-Null
}

# Certificate: upload the public part (cert.cer, DER) of the certificate you give m365connect.
Update-MgApplication -ApplicationId $app.Id -KeyCredentials @(@{ Type = 'AsymmetricX509Cert'; Usage = 'Verify'; Key = [System.IO.File]::ReadAllBytes('cert.cer') })
"Application (client) ID: $($app.AppId)"
'Directory (tenant) ID: ' + '11111111-2222-3333-4444-555555555555'
