package ui

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// This file holds no Fyne code: it turns the wizard's values into package graph's
// inputs and graph's results back into the wizard's words. The verify subcommand uses
// the same functions, so the window and the command run exactly the same checks.

// The config-to-graph conversions live in package connection (no Fyne), shared with the
// subcommands; these names keep the screens' code short.
var (
	CloudFor         = conn.CloudFor
	GraphFeatures    = conn.GraphFeatures
	SettingsFor      = conn.SettingsFor
	SecretsFor       = conn.SecretsFor
	CheckFrom        = conn.CheckFrom
	AdviceText       = conn.AdviceText
	VerificationFrom = conn.VerificationFrom
)

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

// verifyConfig runs every check for a config with its secrets (window and command).
func verifyConfig(ctx context.Context, c *wizard.Config, sec graph.Secrets, progress graph.Progress) ([]graph.CheckResult, error) {
	s, err := SettingsFor(c)
	if err != nil {
		return nil, err
	}
	return graph.Verify(ctx, s, sec, progress)
}

// VerifyConfig is the headless verification used by `m365connect verify`.
func VerifyConfig(ctx context.Context, c *wizard.Config, src SecretSource, progress graph.Progress) ([]graph.CheckResult, error) {
	return conn.Verify(ctx, c, src, progress)
}
