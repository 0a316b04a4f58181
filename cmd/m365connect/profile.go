package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// Saved connections on the command line: --profile NAME picks one of the connections
// the window saved (connection.Profiles); with neither --profile nor --config, the
// default one is used. The command line only reads the profiles (an old config.json is
// moved into them by the window, not here).

// profileName is --profile, "" when not given.
func (s streams) profileName() string {
	if s.profile == nil {
		return ""
	}
	return *s.profile
}

// target names what the command worked on, for follow-up command lines.
func (s streams) target(config string) string {
	switch {
	case config != "":
		return "--config " + config
	case s.profileName() != "":
		return fmt.Sprintf("--profile %q", s.profileName())
	}
	return ""
}

// haveSaved reports whether a command without --config has a saved connection to use:
// --profile was given, or a default profile (or an old config.json) exists.
func haveSaved(s streams) bool {
	if s.profileName() != "" {
		return true
	}
	dir, err := connection.DefaultConfigDir()
	if err != nil {
		return false
	}
	if _, err := (&connection.Profiles{Dir: dir}).Resolve(""); err == nil {
		return true
	}
	_, err = os.Stat(filepath.Join(dir, connection.LegacyConfigFile))
	return err == nil
}

// savedConnection loads the profile named (or the default one, or the config.json of
// versions before profiles) and returns the profile id its secrets are kept under ("" for
// the old file, whose secrets are under the connection's own keys).
func savedConnection(dir string, src connection.Chain, profile string) (*wizard.Config, string, error) {
	ps := &connection.Profiles{Dir: dir, Secrets: src.Store}
	e, c, err := ps.Open(profile)
	switch {
	case err == nil:
		return c, e.ID, nil
	case errors.Is(err, connection.ErrNoProfiles):
		legacy := filepath.Join(dir, connection.LegacyConfigFile)
		if _, serr := os.Stat(legacy); serr == nil && profile == "" {
			c, err := wizard.Load(legacy)
			return c, "", err
		}
		return nil, "", usagef("--config FILE is required: no connection is saved yet (save one in the window, or name a file)")
	case errors.Is(err, connection.ErrProfileNotFound):
		return nil, "", usagef("%v", err)
	}
	return nil, "", err
}

// importAsProfile adds an imported config to the saved connections: named by --profile,
// else after its tenant (made unique). Its secrets are asked for when it is opened.
func importAsProfile(opts *importOptions, c *wizard.Config) error {
	dir, err := connection.DefaultConfigDir()
	if err != nil {
		return err
	}
	ps := &connection.Profiles{Dir: dir}
	name := opts.profileName()
	if name == "" {
		name = ps.FreeName(c.TenantID)
	}
	e, err := ps.Add(name, c)
	if err != nil {
		return err
	}
	out := opts.Out
	fmt.Fprintf(out, "Imported %s as the saved connection %q: %s, tenant %s, %s, %d mailbox(es).\n",
		opts.File, e.Name, wizard.CloudDisplayName(c.Cloud), c.TenantID, wizard.ModeDisplayName(c.AccessMode), len(c.Mailboxes))
	fmt.Fprintf(out, "Not verified on this machine: open it in the window to enter its secret, then run `m365connect verify --profile %q`. (The file's own record: %s)\n",
		e.Name, c.VerificationOutcome().Summary)
	if w := c.ExpiryWarning(time.Now()); w != "" {
		fmt.Fprintf(out, "WARNING %s\n", w)
	}
	return nil
}
