package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Mode is how the app reaches mailboxes.
type Mode string

// Access modes.
const (
	// ModeSecret: application permissions, authenticated with a client secret.
	ModeSecret Mode = "secret"
	// ModeCertificate: application permissions, authenticated with a certificate.
	ModeCertificate Mode = "certificate"
	// ModeDelegated: delegated permissions of a signed-in (service) account.
	ModeDelegated Mode = "delegated"
)

// AppOnly reports whether the mode uses application permissions.
func (m Mode) AppOnly() bool { return m == ModeSecret || m == ModeCertificate }

func (c Cloud) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     c.azcoreConfig(),
		Transport: c.HTTPClient(),
		// No retries of auth failures; checks report them at once.
		Retry: policy.RetryOptions{MaxRetries: 1},
	}
}

// isPracticeOrCustom: instance discovery must be off for hosts MSAL does not
// know (it would call login.microsoftonline.com/common/discovery/instance).
func (c Cloud) disableInstanceDiscovery() bool { return c.Name == CloudPractice }

func checkTenant(tenant string) error {
	switch strings.ToLower(strings.TrimSpace(tenant)) {
	case "", "common", "organizations", "consumers":
		return ErrCommonTenant
	}
	return nil
}

// NewSecretCredential returns an app-only credential using a client secret.
// A secret that looks like a secret ID (a GUID) is refused with
// ErrSecretLooksLikeID before anything is sent.
func NewSecretCredential(c Cloud, tenantID, clientID, secret string) (azcore.TokenCredential, error) {
	if err := checkTenant(tenantID); err != nil {
		return nil, err
	}
	if LooksLikeSecretID(secret) {
		return nil, ErrSecretLooksLikeID
	}
	if strings.TrimSpace(secret) == "" {
		return nil, errors.New("client secret is empty")
	}
	cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, strings.TrimSpace(secret), &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            c.clientOptions(),
		DisableInstanceDiscovery: c.disableInstanceDiscovery(),
	})
	if err != nil {
		return nil, fmt.Errorf("client secret credential: %w", err)
	}
	return cred, nil
}

// NewCertificateCredential returns an app-only credential using a certificate
// and its private key, given as PEM or PKCS#12 (PFX) bytes with an optional
// password. The certificate chain is not sent (x5t#S256 identifies it).
func NewCertificateCredential(c Cloud, tenantID, clientID string, certData []byte, password string) (azcore.TokenCredential, error) {
	if err := checkTenant(tenantID); err != nil {
		return nil, err
	}
	var pw []byte
	if password != "" {
		pw = []byte(password)
	}
	certs, key, err := azidentity.ParseCertificates(certData, pw)
	if err != nil {
		// azidentity's message does not include the password or key.
		return nil, fmt.Errorf("reading the certificate: %w", err)
	}
	cred, err := azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, &azidentity.ClientCertificateCredentialOptions{
		ClientOptions:            c.clientOptions(),
		DisableInstanceDiscovery: c.disableInstanceDiscovery(),
	})
	if err != nil {
		return nil, fmt.Errorf("certificate credential: %w", err)
	}
	return cred, nil
}

// GetToken obtains an access token for Graph with cred and decodes its
// claims. The token string is returned for the caller's own use only.
func GetToken(ctx context.Context, c Cloud, cred azcore.TokenCredential, scopes ...string) (azcore.AccessToken, Claims, error) {
	if len(scopes) == 0 {
		scopes = []string{c.DefaultScope()}
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: scopes})
	if err != nil {
		return azcore.AccessToken{}, Claims{}, fmt.Errorf("getting a token: %w", err)
	}
	cl, err := DecodeClaims(tok.Token)
	if err != nil {
		return tok, Claims{}, err
	}
	return tok, cl, nil
}
