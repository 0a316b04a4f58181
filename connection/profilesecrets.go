package connection

// This file holds where a saved profile's secrets and data live: the keyring keys
// "profile/<id>/<kind>" (ProfileSecrets, SetSecret, ProfileSecretKey) and its data folder.

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// DataDirFor is a profile's own folder under the app's data folder (its mail store and
// outbox), so two customers' mail never share a file.
func DataDirFor(dataDir string, e ProfileEntry) string {
	return filepath.Join(dataDir, "profiles", e.ID)
}

// ProfileSecrets returns the SecretSource of one profile: keys asked for by SecretsFor
// (cloud/tenant/app/kind) are looked up as "profile/<id>/<kind>" in src, which may be a
// Chain (environment first) or the keyring itself.
func ProfileSecrets(e ProfileEntry, src SecretSource) SecretSource {
	return profileSecrets{id: e.ID, src: src}
}

type profileSecrets struct {
	id  string
	src SecretSource
}

func (s profileSecrets) key(k string) string {
	return profileKey(s.id, k[strings.LastIndex(k, "/")+1:])
}

func (s profileSecrets) Get(key string) (string, error) { return s.src.Get(s.key(key)) }

// Set implements Setter when the wrapped source can store.
func (s profileSecrets) Set(key, value string) error {
	if st, ok := s.src.(Setter); ok {
		return st.Set(s.key(key), value)
	}
	return nil
}

// SetSecret stores one secret of a profile (kind is one of wizard's Secret* names).
func (p *Profiles) SetSecret(e ProfileEntry, kind, value string) (secretstore.Backend, error) {
	if p.Secrets == nil {
		return "", errors.New("no secret store")
	}
	return p.Secrets.Set(profileKey(e.ID, kind), value)
}

func profileKey(id, kind string) string { return "profile/" + id + "/" + kind }

// secretKinds is every kind of secret a connection keeps in the keyring (wizard's
// Secret* and the two "Create it for me" stores): what moves with a migrated config and
// goes with a deleted profile or app.
func secretKinds() []string {
	return []string{wizard.SecretClientSecret, SecretClientSecretID, SecretCertificate, wizard.SecretRefreshToken, wizard.SecretCertPassword}
}

// ProfileSecretKey is the keyring key of one secret (kind: one of wizard's Secret*
// names) of a profile, for code that stores secrets itself (the window's Save).
func ProfileSecretKey(e ProfileEntry, kind string) string { return profileKey(e.ID, kind) }
