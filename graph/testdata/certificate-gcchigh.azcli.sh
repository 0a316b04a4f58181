#!/usr/bin/env bash
# Creates the "m365connect" app registration for m365connect (Azure CLI).
# Permissions (application): Mail.ReadWrite
#   Mail.ReadWrite: reads incoming mail and moves, flags and deletes it, as chosen
set -euo pipefail

az cloud set --name AzureUSGovernment
az login --tenant '11111111-2222-3333-4444-555555555555' --allow-no-subscriptions

APP_ID=$(az ad app create --display-name 'm365connect' --sign-in-audience AzureADMyOrg \
  --public-client-redirect-uris http://localhost --query appId -o tsv)
az ad sp create --id "$APP_ID" >/dev/null
az ad app permission add --id "$APP_ID" --api 00000003-0000-0000-c000-000000000000 \
  --api-permissions e2a3a72e-5f79-4c64-b1b1-878b674786c9=Role
# Admin consent (needs Global Administrator or Privileged Role Administrator).
sleep 20  # let the new service principal replicate
az ad app permission admin-consent --id "$APP_ID"

# Certificate: upload the public part (cert.pem) of the certificate you give m365connect.
az ad app credential reset --id "$APP_ID" --cert @cert.pem --append
echo "Application (client) ID: $APP_ID"
echo "Directory (tenant) ID: "'11111111-2222-3333-4444-555555555555'
