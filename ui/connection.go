package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// This file holds no Fyne code: it turns the wizard's values into package graph's
// inputs and graph's results back into the wizard's words. The verify subcommand uses
// the same functions, so the window and the command run exactly the same checks.

// CloudFor returns the graph cloud for a config. For the practice tenant the hosts and
// the CA file come from the config (as `m365connect sandbox --info` wrote them).
func CloudFor(cloud string, practice *wizard.PracticeHosts) (graph.Cloud, error) {
	if cloud == wizard.CloudPractice {
		if practice == nil {
			return graph.Cloud{}, errors.New("the practice tenant's hosts are not in the config; start `m365connect sandbox --info FILE` and pass --sandbox-info FILE")
		}
		pem, err := os.ReadFile(practice.CACertFile)
		if err != nil {
			return graph.Cloud{}, fmt.Errorf("practice tenant CA certificate: %w (is the practice tenant still running?)", err)
		}
		return graph.PracticeCloud(practice.AuthorityHost, practice.BrowserAuthorityHost, practice.GraphBaseURL, pem)
	}
	c, ok := graph.CloudByName(cloud)
	if !ok {
		return graph.Cloud{}, fmt.Errorf("unknown cloud %q", cloud)
	}
	return c, nil
}

// GraphFeatures converts the config's features.
func GraphFeatures(f wizard.Features) graph.Features {
	return graph.Features{Read: f.Read, Write: f.Write, Send: f.Send, ListUsers: f.ListUsers, Shared: f.Shared}
}

// SettingsFor builds the checks' non-secret inputs from a config.
func SettingsFor(c *wizard.Config) (graph.Settings, error) {
	cl, err := CloudFor(c.Cloud, c.Practice)
	if err != nil {
		return graph.Settings{}, err
	}
	s := graph.Settings{Cloud: cl, TenantID: c.TenantID, ClientID: c.ClientID, Mode: graph.Mode(c.AccessMode), Features: GraphFeatures(c.Features)}
	for _, m := range c.Mailboxes {
		s.Mailboxes = append(s.Mailboxes, m.Address)
	}
	return s, nil
}

// SecretSource finds the secrets of a connection; the keyring in the app, the keyring
// or an environment variable in `verify`.
type SecretSource interface {
	Get(key string) (string, error)
}

// SecretsFor gathers the secret inputs for a config: client secret, certificate file
// and its password, or the delegated refresh token.
func SecretsFor(c *wizard.Config, src SecretSource) (graph.Secrets, error) {
	var sec graph.Secrets
	var err error
	switch c.AccessMode {
	case wizard.ModeSecret:
		sec.ClientSecret, err = src.Get(c.SecretKey(wizard.SecretClientSecret))
		if err != nil {
			return sec, fmt.Errorf("client secret: %w", err)
		}
	case wizard.ModeCertificate:
		sec.Certificate, err = os.ReadFile(c.Credential.CertificateFile)
		if err != nil {
			return sec, fmt.Errorf("certificate file: %w", err)
		}
		sec.CertificatePassword, _ = src.Get(c.SecretKey(wizard.SecretCertPassword)) // none = empty password
	case wizard.ModeDelegated:
		sec.RefreshToken, err = src.Get(c.SecretKey(wizard.SecretRefreshToken))
		if err != nil {
			return sec, fmt.Errorf("saved sign-in: %w", err)
		}
	}
	return sec, nil
}

// CheckFrom turns one graph result into the wizard's record of it.
func CheckFrom(r graph.CheckResult) wizard.Check {
	c := wizard.Check{ID: r.ID, Name: r.Title, Seen: r.Seen, At: r.Started.UTC(), Duration: r.Duration.Milliseconds()}
	switch r.Status {
	case graph.StatusPass:
		c.Status = wizard.StatusPass
	case graph.StatusWarn:
		c.Status = wizard.StatusWarn
	case graph.StatusFail:
		c.Status = wizard.StatusFail
	default:
		c.Status = wizard.StatusSkipped
	}
	if a := r.Advice; a != nil {
		c.Advice = AdviceText(*a)
		c.Step = wizard.StepID(a.Step)
	}
	return c
}

// AdviceText is one paragraph of advice: what happened and the fix.
func AdviceText(a graph.Advice) string {
	parts := []string{}
	for _, p := range []string{a.Title, a.Cause, a.Fix} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, strings.TrimSuffix(p, ".")+".")
		}
	}
	if a.Retryable && a.RetryAfter > 0 {
		parts = append(parts, fmt.Sprintf("Try again in %s.", a.RetryAfter.Round(time.Second)))
	}
	return strings.Join(parts, " ")
}

// VerificationFrom summarises a run.
func VerificationFrom(rs []graph.CheckResult, at time.Time) *wizard.Verification {
	v := &wizard.Verification{At: at.UTC(), Passed: !graph.Failed(rs) && len(rs) > 0}
	for _, r := range rs {
		v.Checks = append(v.Checks, CheckFrom(r))
	}
	return v
}

// credentialFor builds the credential for the state's mode (secret or certificate);
// delegated credentials come from the sign-in.
func credentialFor(cl graph.Cloud, st *wizard.State, delegated azcore.TokenCredential) (azcore.TokenCredential, error) {
	switch st.Mode {
	case wizard.ModeSecret:
		return graph.NewSecretCredential(cl, st.TenantID, st.ClientID, st.ClientSecret)
	case wizard.ModeCertificate:
		data, err := os.ReadFile(st.CertFile)
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
	sec, err := SecretsFor(c, src)
	if err != nil {
		return nil, err
	}
	return verifyConfig(ctx, c, sec, progress)
}
