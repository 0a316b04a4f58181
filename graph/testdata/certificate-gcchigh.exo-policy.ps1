# Alternative (legacy): an application access policy limits the app to the
# members of a mail-enabled security group. Microsoft recommends RBAC for
# Applications instead. Here the Entra grant stays; the policy restricts it.
# Changes take effect after 30 minutes to 2 hours.
# https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh

$appId = '<application-client-id>'
$group = 'm365connect-mailboxes@<your-domain>'
New-DistributionGroup -Name 'm365connect mailboxes' -Type Security -PrimarySmtpAddress $group
Add-DistributionGroupMember -Identity $group -Member 'ops@agency.us'
New-ApplicationAccessPolicy -AppId $appId -PolicyScopeGroupId $group -AccessRight RestrictAccess -Description 'Restrict m365connect to its mailboxes'

# Check (AccessCheckResult should be Granted):
Test-ApplicationAccessPolicy -Identity 'ops@agency.us' -AppId $appId
