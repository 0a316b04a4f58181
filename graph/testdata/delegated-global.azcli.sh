#!/usr/bin/env bash
# Creates the "m365connect" app registration for m365connect (Azure CLI).
# Permissions (delegated): Mail.ReadWrite.Shared, Mail.Send.Shared, offline_access, openid, profile
#   Mail.ReadWrite.Shared: the outbox saves each message as a draft first, so that it is sent exactly once; it also covers reading incoming mail (also in the shared mailboxes the signed-in account may open)
#   Mail.Send.Shared: sends each approved draft (also in the shared mailboxes the signed-in account may open)
#   offline_access: keeps the sign-in (a refresh token), so sync and the outbox run without asking again
#   openid, profile: sign-in (who is signed in)
set -euo pipefail

az cloud set --name AzureCloud
az login --tenant 'contoso.com' --allow-no-subscriptions

APP_ID=$(az ad app create --display-name 'm365connect' --sign-in-audience AzureADMyOrg \
  --public-client-redirect-uris http://localhost --query appId -o tsv)
az ad app update --id "$APP_ID" --is-fallback-public-client true
az ad sp create --id "$APP_ID" >/dev/null
az ad app permission add --id "$APP_ID" --api 00000003-0000-0000-c000-000000000000 \
  --api-permissions 5df07973-7d5d-46ed-9847-1271055cbd51=Scope a367ab51-6b49-43bf-a716-a1fb06d2a174=Scope 7427e0e9-2fba-42fe-b0c0-848c9e6a8182=Scope 37f7f235-527c-4136-accd-4a02d197296e=Scope 14dad69e-099b-42c9-810b-d002981feec1=Scope
# Admin consent (needs Global Administrator or Privileged Role Administrator).
sleep 20  # let the new service principal replicate
az ad app permission admin-consent --id "$APP_ID"

echo "Application (client) ID: $APP_ID"
echo "Directory (tenant) ID: "'contoso.com'
