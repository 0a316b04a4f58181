# Limits the app to some mailboxes: Exchange Online RBAC for Applications.
# https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
# Changes take effect after 30 minutes to 2 hours (cache).
# Install-Module ExchangeOnlineManagement, Microsoft.Graph.Applications -Scope CurrentUser
Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh
Connect-MgGraph -Environment USGov -Scopes 'Application.Read.All','AppRoleAssignment.ReadWrite.All'

# 1. Exchange's record of the app: the ENTERPRISE APPLICATION's Application ID and
#    Object ID (Entra admin center > Enterprise applications > (app) > Overview),
#    not the Object ID shown under App registrations.
$appId = '<application-client-id>'
$spObjectId = (Get-MgServicePrincipal -Filter "appId eq '$appId'").Id
New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName 'm365connect'

# 2. The management scope: which mailboxes the app may reach.
New-ManagementScope -Name 'm365connect mailboxes' -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'ops@agency.us'"

# 3. The application roles, limited to that scope.
New-ManagementRoleAssignment -App $spObjectId -Role 'Application Mail.ReadWrite' -CustomResourceScope 'm365connect mailboxes'

# 4. Remove the tenant-wide grant of the same permissions in Entra ID. Entra and
#    Exchange grants add up: while the app keeps them, it still reaches EVERY
#    mailbox and the scope has no effect. Also remove them under App registrations >
#    (app) > API permissions, so nobody grants them again.
$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$scopedRoles = $graphSp.AppRoles | Where-Object { $_.Value -in @('Mail.ReadWrite') } | ForEach-Object { $_.Id }
Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId |
  Where-Object { $_.ResourceId -eq $graphSp.Id -and $_.AppRoleId -in $scopedRoles } |
  ForEach-Object { Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId -AppRoleAssignmentId $_.Id }

# 5. Check: InScope True inside the scope, False outside.
Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource 'ops@agency.us' | Format-Table
Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource '<a mailbox outside the scope>' | Format-Table
