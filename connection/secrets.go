package connection

import (
	"errors"
	"fmt"
	"strings"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// Environment variables that supply secrets in CI instead of the keyring. The config
// never holds a secret.
const (
	EnvClientSecret = "M365CONNECT_CLIENT_SECRET"
	EnvCertPassword = "M365CONNECT_CERT_PASSWORD"
	EnvRefreshToken = "M365CONNECT_REFRESH_TOKEN"
	// EnvConnection binds the secrets above to one connection, "cloud/tenant/clientId"
	// as in the config (e.g. "global/contoso.onmicrosoft.com/0000…"): when it is set they
	// are used for that connection only, never for a config naming another.
	EnvConnection = "M365CONNECT_CONNECTION"
)

// Chain finds a secret: environment variable, then the keyring (or its fallback file),
// then — practice tenant only — the practice app's secret from the sandbox info file.
//
// Keyring keys name the cloud, tenant and app they were saved for
// (wizard.Config.SecretKey); environment secrets can be bound the same way with
// M365CONNECT_CONNECTION. Where a secret may travel is decided by the config's
// validation: practice hosts are loopback only, real clouds use Microsoft's hosts.
type Chain struct {
	Env            func(string) string
	Store          *secretstore.Store
	PracticeSecret string
	// InsecureStorage is the user's consent (the command line's --insecure-storage) to
	// keep secrets in the store's fallback file when the keyring fails; without it Set
	// refuses with an error saying how to agree.
	InsecureStorage bool
	// Warn, when set, is told where a secret went when it went to the fallback file.
	Warn func(msg string)
	// Profile, when set, is the saved connection (ProfileEntry.ID) whose own keys the
	// store holds: the store is asked for "profile/<id>/<kind>" (profiles.go); the
	// environment is matched on the connection's key as before.
	Profile string
}

// storeKey is the key the store holds a secret under.
func (s Chain) storeKey(key string) string {
	if s.Profile == "" {
		return key
	}
	return profileKey(s.Profile, key[strings.LastIndex(key, "/")+1:])
}

// Get implements SecretSource.
func (s Chain) Get(key string) (string, error) {
	envName := map[string]string{wizard.SecretClientSecret: EnvClientSecret, wizard.SecretCertPassword: EnvCertPassword, wizard.SecretRefreshToken: EnvRefreshToken}
	bound := ""
	if s.Env != nil {
		bound = strings.ToLower(strings.Trim(strings.TrimSpace(s.Env(EnvConnection)), "/"))
	}
	for kind, name := range envName {
		if bound != "" && !strings.HasPrefix(key, bound+"/") {
			break // bound to another connection: never offered to this one
		}
		if strings.HasSuffix(key, "/"+kind) && s.Env != nil {
			if v := s.Env(name); v != "" {
				return v, nil
			}
		}
	}
	if s.Store == nil {
		return "", fmt.Errorf("%w: no secret store", secretstore.ErrNotFound)
	}
	v, err := s.Store.Get(s.storeKey(key))
	if err == nil {
		return v, nil
	}
	if s.PracticeSecret != "" && strings.HasSuffix(key, "/"+wizard.SecretClientSecret) {
		return s.PracticeSecret, nil
	}
	if errors.Is(err, secretstore.ErrNotFound) || errors.Is(err, secretstore.ErrNoKeyring) {
		return "", fmt.Errorf("%w: save the connection in the wizard, or set the environment variable for CI", err)
	}
	return "", err
}

// Set implements Setter: rotated refresh tokens go back to the keyring (never to the
// environment).
func (s Chain) Set(key, value string) error {
	if s.Store == nil {
		return nil
	}
	st := s.Store
	if s.InsecureStorage {
		st = st.AllowFileFallback()
	}
	where, err := st.Set(s.storeKey(key), value)
	if errors.Is(err, secretstore.ErrNeedsConsent) {
		err = fmt.Errorf("%w; pass --insecure-storage to agree", err)
		if s.Warn != nil { // a rotated refresh token is saved in the background: say it was not
			s.Warn("Not saved: " + err.Error())
		}
		return err
	}
	if err == nil && where == secretstore.BackendFile && s.Warn != nil {
		s.Warn("No keyring here: the secret was kept in " + st.FallbackPath() + " (mode 0600, readable only by your user account).")
	}
	return err
}
