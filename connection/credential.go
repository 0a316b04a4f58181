package connection

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The values being entered in the window (wizard.State, not yet a saved config) as
// package graph takes them: settings, secrets, a Graph client. The credential itself is
// built by graph.NewCredential, the same builder the checks and the subcommands use.

// StateSettings are the checks' non-secret inputs for the values being entered.
func StateSettings(st *wizard.State) (graph.Settings, error) {
	cl, err := CloudFor(st.Cloud, st.Practice)
	if err != nil {
		return graph.Settings{}, err
	}
	s := graph.Settings{Cloud: cl, TenantID: st.TenantID, ClientID: st.ClientID, Mode: graph.Mode(st.Mode), Features: GraphFeatures(st.Features())}
	for _, m := range st.Mailboxes {
		s.Mailboxes = append(s.Mailboxes, m.Address)
	}
	return s, nil
}

// StateSecrets gathers the secrets of the values being entered: the typed client
// secret, the certificate (its file, or the keyring when "Create it for me" made it)
// and its password, the refresh token; delegated, when set, is the sign-in's credential
// and is used as is. src reads the keyring (nil: none here).
func StateSecrets(st *wizard.State, delegated *graph.DelegatedCredential, src SecretSource) (graph.Secrets, error) {
	sec := graph.Secrets{ClientSecret: st.ClientSecret, CertificatePassword: st.CertPassword, RefreshToken: st.RefreshToken}
	switch st.Mode {
	case wizard.ModeCertificate:
		b, err := ReadCertificate(st, src)
		if err != nil {
			return sec, fmt.Errorf("certificate file: %w", err)
		}
		sec.Certificate = b
	case wizard.ModeDelegated:
		if delegated != nil {
			sec.Credential = delegated
		}
	}
	return sec, nil
}

// stateClient is a Graph client for the values being entered (the mailbox step's
// Directory). It sends nothing until used.
func stateClient(st *wizard.State, delegated *graph.DelegatedCredential, src SecretSource) (*graph.Client, error) {
	s, err := StateSettings(st)
	if err != nil {
		return nil, err
	}
	sec, err := StateSecrets(st, delegated, src)
	if err != nil {
		return nil, err
	}
	cred, err := graph.NewCredential(s, sec)
	if err != nil {
		return nil, err
	}
	return graph.NewClient(s.Cloud, cred)
}

// ReadCertificate returns the state's certificate: from the keyring when "Create it for
// me" made it, else from its file.
func ReadCertificate(st *wizard.State, src SecretSource) ([]byte, error) {
	if st.CertFile != wizard.CertFileInKeyring {
		return os.ReadFile(st.CertFile)
	}
	if src == nil {
		return nil, errors.New("the certificate is in the keyring, which is not available here")
	}
	c := wizard.Config{Cloud: st.Cloud, TenantID: st.TenantID, ClientID: st.ClientID}
	v, err := src.Get(c.SecretKey(SecretCertificate))
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// CertificateInfo is what the App registration step shows of a certificate file.
type CertificateInfo struct {
	// Thumbprint is the SHA-1 hex thumbprint the Entra admin center shows.
	Thumbprint string
	NotAfter   time.Time
}

// ErrNotCertificate means the file holds no certificate with its private key, or the
// password does not open it.
var ErrNotCertificate = errors.New("not a certificate with its private key, or the password is wrong")

// CheckCertificateFile reads a .pfx or .pem file and checks that it holds a certificate
// with its private key (as azidentity will load it). A file that cannot be read fails
// with the os error; one that holds no usable certificate with ErrNotCertificate.
func CheckCertificateFile(path, password string) (CertificateInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CertificateInfo{}, err
	}
	var pw []byte
	if password != "" {
		pw = []byte(password)
	}
	certs, _, err := azidentity.ParseCertificates(data, pw)
	if err != nil || len(certs) == 0 {
		return CertificateInfo{}, ErrNotCertificate
	}
	sum := sha1.Sum(certs[0].Raw)
	return CertificateInfo{Thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])), NotAfter: certs[0].NotAfter}, nil
}
