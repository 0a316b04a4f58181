#!/usr/bin/env bash
# Creates the "Contoso mail sync" app registration for m365connect (Azure CLI).
# Permissions (application): Mail.ReadWrite, Mail.Send, User.Read.All
#   Mail.ReadWrite: the outbox saves each message as a draft first, so that it is sent exactly once; it also covers reading incoming mail
#   Mail.Send: sends each approved draft
#   User.Read.All: lists the directory for the mailbox picker (List users accepts nothing less for an application)
set -euo pipefail

az cloud set --name AzureCloud
az login --tenant 'contoso.onmicrosoft.com' --allow-no-subscriptions

APP_ID=$(az ad app create --display-name 'Contoso mail sync' --sign-in-audience AzureADMyOrg \
  --public-client-redirect-uris http://localhost --query appId -o tsv)
az ad sp create --id "$APP_ID" >/dev/null
az ad app permission add --id "$APP_ID" --api 00000003-0000-0000-c000-000000000000 \
  --api-permissions e2a3a72e-5f79-4c64-b1b1-878b674786c9=Role b633e1c5-b582-4048-a93e-9f11b44c7e96=Role df021288-bdef-4463-88db-98f22de89214=Role
# Admin consent (needs Global Administrator or Privileged Role Administrator).
sleep 20  # let the new service principal replicate
az ad app permission admin-consent --id "$APP_ID"

# Client secret: shown once. Paste it into m365connect, nowhere else.
az ad app credential reset --id "$APP_ID" --display-name m365connect --years 1 --query password -o tsv
echo "Application (client) ID: $APP_ID"
echo "Directory (tenant) ID: "'contoso.onmicrosoft.com'
