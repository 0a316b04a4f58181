package graph

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// NewCredential is the one credential builder: the credential of the settings' access
// mode from its secrets (client secret, certificate, or the delegated refresh token), or
// sec.Credential as is when set (e.g. the result of SignIn). The checks (Verify, Connect)
// and the window's mailbox picker all build theirs here. It sends nothing.
func NewCredential(s Settings, sec Secrets) (azcore.TokenCredential, error) {
	switch {
	case sec.Credential != nil:
		return sec.Credential, nil
	case s.Mode == ModeSecret:
		return NewSecretCredential(s.Cloud, s.TenantID, s.ClientID, sec.ClientSecret)
	case s.Mode == ModeCertificate:
		return NewCertificateCredential(s.Cloud, s.TenantID, s.ClientID, sec.Certificate, sec.CertificatePassword)
	case s.Mode == ModeDelegated:
		if sec.RefreshToken == "" {
			return nil, ErrNoRefreshToken
		}
		return NewDelegatedCredential(s.Cloud, s.TenantID, s.ClientID, RequestedPermissions(s.Mode, s.Features), sec.RefreshToken, sec.OnRefreshToken), nil
	}
	return nil, fmt.Errorf("unknown access mode %q", s.Mode)
}
