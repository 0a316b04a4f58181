# Limits the app to some mailboxes: Exchange Online RBAC for Applications.
# https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
# Changes take effect after 30 minutes to 2 hours (cache).
# Install-Module ExchangeOnlineManagement, Microsoft.Graph.Applications -Scope CurrentUser
Connect-ExchangeOnline
Connect-MgGraph -Environment Global -Scopes 'Application.Read.All','AppRoleAssignment.ReadWrite.All'

# 1. Exchange's record of the app: the ENTERPRISE APPLICATION's Application ID and
#    Object ID (Entra admin center > Enterprise applications > (app) > Overview),
#    not the Object ID shown under App registrations.
$appId = 'aaaaaaaa-1111-2222-3333-444444444444'
$spObjectId = (Get-MgServicePrincipal -Filter "appId eq '$appId'").Id
New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName 'Contoso mail sync'

# 2. The management scope: which mailboxes the app may reach.
New-ManagementScope -Name 'Contoso mail sync mailboxes' -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'sales@contoso.com' -or PrimarySmtpAddress -eq 'o''brien@contoso.com'"

# 3. The application roles, limited to that scope.
New-ManagementRoleAssignment -App $spObjectId -Role 'Application Mail.ReadWrite' -CustomResourceScope 'Contoso mail sync mailboxes'
New-ManagementRoleAssignment -App $spObjectId -Role 'Application Mail.Send' -CustomResourceScope 'Contoso mail sync mailboxes'

# 4. Remove the tenant-wide grant of the same permissions in Entra ID. Entra and
#    Exchange grants add up: while the app keeps them, it still reaches EVERY
#    mailbox and the scope has no effect. Also remove them under App registrations >
#    (app) > API permissions, so nobody grants them again.
$graphSp = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
$scopedRoles = $graphSp.AppRoles | Where-Object { $_.Value -in @('Mail.ReadWrite','Mail.Send') } | ForEach-Object { $_.Id }
Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId |
  Where-Object { $_.ResourceId -eq $graphSp.Id -and $_.AppRoleId -in $scopedRoles } |
  ForEach-Object { Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $spObjectId -AppRoleAssignmentId $_.Id }

# 5. Check: InScope True inside the scope, False outside.
Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource 'sales@contoso.com' | Format-Table
Test-ServicePrincipalAuthorization -Identity $spObjectId -Resource '<a mailbox outside the scope>' | Format-Table
