package connection

import (
	"path/filepath"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/secretstore"
)

// SecretService is the keyring service name under which every secret is stored.
const SecretService = "m365connect"

// DefaultConfigDir is where the app keeps its config: os.UserConfigDir()/m365connect
// (appdirs.ConfigDir). Without a home folder it fails (appdirs.ErrNoHome), never falling
// back to a shared folder such as /tmp. The window and the subcommands read the same place.
func DefaultConfigDir() (string, error) { return appdirs.ConfigDir() }

// DefaultSecrets is the secret store the app and the subcommands share: the OS keyring,
// with configDir/secrets.json as the user-only fallback.
func DefaultSecrets(configDir string) *secretstore.Store {
	return secretstore.New(SecretService, filepath.Join(configDir, "secrets.json"))
}
