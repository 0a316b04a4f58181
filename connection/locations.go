package connection

import (
	"os"
	"path/filepath"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/secretstore"
)

// SecretService is the keyring service name under which every secret is stored.
const SecretService = "m365connect"

// DefaultConfigDir is where the app keeps its config: os.UserConfigDir()/m365connect
// (appdirs.ConfigDir), or the temp folder's m365connect when the system has no config
// folder. The window and the subcommands read the same place.
func DefaultConfigDir() string {
	d, err := appdirs.ConfigDir()
	if err != nil {
		return filepath.Join(os.TempDir(), appdirs.Name)
	}
	return d
}

// DefaultSecrets is the secret store the app and the subcommands share: the OS keyring,
// with configDir/secrets.json as the user-only fallback.
func DefaultSecrets(configDir string) *secretstore.Store {
	return secretstore.New(SecretService, filepath.Join(configDir, "secrets.json"))
}
