# Gives the signed-in account access to the chosen mailboxes (delegated mode).
# Delegated access reaches only mailboxes the account itself may open.
# Changes can take up to 2 hours to apply.
Connect-ExchangeOnline

$account = 'svc@contoso.com'
Add-MailboxPermission -Identity 'info@contoso.com' -User $account -AccessRights FullAccess -AutoMapping $false
Add-RecipientPermission -Identity 'info@contoso.com' -Trustee $account -AccessRights SendAs -Confirm:$false
