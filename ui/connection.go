package ui

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// This file holds no Fyne code: it builds the credential for the values being entered.
// The config-to-graph conversions live in package connection, shared with the
// subcommands, so the window and the command run exactly the same checks.

// SecretSource finds the secrets of a connection (see connection.SecretSource).
type SecretSource = conn.SecretSource

// credentialFor builds the credential for the state's mode (secret or certificate);
// delegated credentials come from the sign-in.
func credentialFor(cl graph.Cloud, st *wizard.State, delegated azcore.TokenCredential, secrets SecretSource) (azcore.TokenCredential, error) {
	switch st.Mode {
	case wizard.ModeSecret:
		return graph.NewSecretCredential(cl, st.TenantID, st.ClientID, st.ClientSecret)
	case wizard.ModeCertificate:
		data, err := readCertificate(st, secrets)
		if err != nil {
			return nil, fmt.Errorf("certificate file: %w", err)
		}
		return graph.NewCertificateCredential(cl, st.TenantID, st.ClientID, data, st.CertPassword)
	case wizard.ModeDelegated:
		if delegated == nil {
			return nil, graph.ErrNoRefreshToken
		}
		return delegated, nil
	}
	return nil, fmt.Errorf("no access mode chosen")
}
