# Limits the app to the chosen mailboxes: Exchange Online RBAC for Applications.
# https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
# IMPORTANT
# * RBAC for Applications ADDS to what Entra grants. Remove the tenant-wide
#   Microsoft Graph Mail.* application permissions from the app in Entra
#   (Entra admin center > App registrations > (app) > API permissions >
#   remove, then Enterprise applications > (app) > Permissions), otherwise the
#   app can still read every mailbox.
# * Changes take effect after 30 minutes to 2 hours (cache). Test with
#   Test-ServicePrincipalAuthorization before relying on them.
# Install-Module ExchangeOnlineManagement -Scope CurrentUser
Connect-ExchangeOnline

$appId = 'aaaaaaaa-1111-2222-3333-444444444444'
# Object ID of the app's service principal (Enterprise applications > (app) > Object ID)
$spObjectId = (Get-MgServicePrincipal -Filter "appId eq '$appId'").Id  # or paste it
New-ServicePrincipal -AppId $appId -ObjectId $spObjectId -DisplayName 'Contoso mail sync'

New-ManagementScope -Name 'Contoso mail sync mailboxes' -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'sales@contoso.com' -or PrimarySmtpAddress -eq 'o''brien@contoso.com'"

New-ManagementRoleAssignment -App $appId -Role 'Application Mail.ReadWrite' -CustomResourceScope 'Contoso mail sync mailboxes'
New-ManagementRoleAssignment -App $appId -Role 'Application Mail.Send' -CustomResourceScope 'Contoso mail sync mailboxes'

# Check (InScope should be True for each chosen mailbox):
Test-ServicePrincipalAuthorization -Identity $appId -Resource 'sales@contoso.com' | Format-Table
Test-ServicePrincipalAuthorization -Identity $appId -Resource 'o''brien@contoso.com' | Format-Table
