package connection

import (
	"context"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The App registration step's "Test these values": the typed values only (no mailbox,
// no sign-in), checked against the tenant with graph.TestValues: the tenant in the
// chosen cloud, then for the app-only modes a token with the typed secret or
// certificate.

// CertificateError says the certificate of the values being entered cannot be read (its
// file, or the keyring when "Create it for me" made it); Err says why.
type CertificateError struct{ Err error }

// Error implements error.
func (e *CertificateError) Error() string { return "certificate file: " + e.Err.Error() }

// Unwrap returns the reason.
func (e *CertificateError) Unwrap() error { return e.Err }

// ValuesTest is one "Test these values" run, read from the wizard's state by
// NewValuesTest (on the goroutine that owns the state) and run off it by Run.
type ValuesTest struct {
	settings graph.Settings
	secrets  graph.Secrets
}

// NewValuesTest reads the values to test from st: the settings without the mailboxes
// and the secrets without the refresh token (the next steps prove those). src reads the
// keyring for a certificate "Create it for me" made (nil: none here). A certificate that
// cannot be read fails with *CertificateError.
func NewValuesTest(st *wizard.State, src SecretSource) (*ValuesTest, error) {
	s, err := StateSettings(st)
	if err != nil {
		return nil, err
	}
	s.Mailboxes = nil
	sec := graph.Secrets{ClientSecret: st.ClientSecret, CertificatePassword: st.CertPassword}
	if st.Mode == wizard.ModeCertificate {
		b, err := ReadCertificate(st, src)
		if err != nil {
			return nil, &CertificateError{Err: err}
		}
		sec.Certificate = b
	}
	return &ValuesTest{settings: s, secrets: sec}, nil
}

// Run checks the values against the tenant (graph.TestValues); progress, when set, gets
// each result.
func (v *ValuesTest) Run(ctx context.Context, progress graph.Progress) ([]graph.CheckResult, error) {
	return graph.TestValues(ctx, v.settings, v.secrets, progress)
}
