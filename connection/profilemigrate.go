package connection

// This file holds the move of an earlier version's single config.json into the profile
// store (MigrateLegacy) and OpenProfiles, which runs it when the store is opened.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// MigrateLegacy turns the single config of earlier versions (legacyPath, usually
// ConfigDir/config.json) into a profile called name, when no profile exists yet: the
// config is copied, its secrets move from the old keys (cloud/tenant/app/kind) to the
// profile's keys, the profile becomes the default and the old file is renamed to
// config.json.migrated. It returns false (and does nothing) when there is no old file
// or profiles already exist. A damaged old file is left untouched and reported.
func (p *Profiles) MigrateLegacy(legacyPath, name string) (ProfileEntry, bool, error) {
	if _, err := os.Stat(legacyPath); errors.Is(err, fs.ErrNotExist) {
		return ProfileEntry{}, false, nil
	}
	ix, err := p.readIndex()
	if err != nil {
		return ProfileEntry{}, false, err
	}
	if len(ix.Profiles) > 0 {
		return ProfileEntry{}, false, nil
	}
	c, err := wizard.Load(legacyPath)
	if err != nil {
		return ProfileEntry{}, false, fmt.Errorf("the saved connection was not moved into a profile: %w", err)
	}
	e, err := p.Add(name, c)
	if err != nil {
		return ProfileEntry{}, false, err
	}
	if p.Secrets != nil {
		for _, kind := range secretKinds() {
			v, err := p.Secrets.Get(c.SecretKey(kind))
			if errors.Is(err, secretstore.ErrNotFound) {
				continue
			}
			if err == nil {
				_, err = p.Secrets.Set(profileKey(e.ID, kind), v)
			}
			if err != nil {
				// Undo: the old file and keys still work; nothing is half-moved.
				_ = p.Delete(e.Name)
				return ProfileEntry{}, false, fmt.Errorf("move the %s into the profile: %w", kind, err)
			}
		}
		for _, kind := range secretKinds() {
			_ = p.Secrets.Delete(c.SecretKey(kind))
		}
	}
	if err := os.Rename(legacyPath, legacyPath+".migrated"); err != nil {
		return e, true, fmt.Errorf("rename the old config: %w", err)
	}
	return e, true, nil
}

// LegacyConfigFile is the single config of versions before profiles, in the config
// folder; DefaultProfileName is the profile it becomes.
const (
	LegacyConfigFile   = "config.json"
	DefaultProfileName = "Default"
)

// OpenProfiles is the profile store of a config folder, with an old single config.json
// there moved into the profile DefaultProfileName first. A migration that fails leaves
// the old file working and is returned with the store, which is usable.
func OpenProfiles(configDir string, secrets KeyStore) (*Profiles, error) {
	p := &Profiles{Dir: configDir, Secrets: secrets}
	_, _, err := p.MigrateLegacy(filepath.Join(configDir, LegacyConfigFile), DefaultProfileName)
	return p, err
}
