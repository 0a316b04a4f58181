# Alternative (legacy): an application access policy limits the app to the
# members of a mail-enabled security group. Microsoft recommends RBAC for
# Applications instead. Here the Entra grant stays; the policy restricts it.
# Changes take effect after 30 minutes to 2 hours.
# https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
Connect-ExchangeOnline

$appId = 'aaaaaaaa-1111-2222-3333-444444444444'
$group = 'mailsync@contoso.com'
New-DistributionGroup -Name 'Contoso mail sync mailboxes' -Type Security -PrimarySmtpAddress $group
Add-DistributionGroupMember -Identity $group -Member 'sales@contoso.com'
Add-DistributionGroupMember -Identity $group -Member 'o''brien@contoso.com'
New-ApplicationAccessPolicy -AppId $appId -PolicyScopeGroupId $group -AccessRight RestrictAccess -Description 'Restrict Contoso mail sync to its mailboxes'

# Check (AccessCheckResult should be Granted):
Test-ApplicationAccessPolicy -Identity 'sales@contoso.com' -AppId $appId
Test-ApplicationAccessPolicy -Identity 'o''brien@contoso.com' -AppId $appId
