package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/ui"
	"github.com/m365connect/m365connect/wizard"
)

// runImport is the 'import' subcommand: it reads a config (an export, or an older
// version, which is migrated), refuses it whole if anything is wrong, and installs it as
// the app's config. It says which secret is still missing from the keyring.
func runImport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dest := fs.String("config", "", "where to install the config (default: config.json in the app's config folder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dest == "" {
		dir, err := ui.DefaultConfigDir()
		if err != nil {
			return err
		}
		*dest = filepath.Join(dir, "config.json")
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: m365connect import [--config DEST] FILE", errUsage)
	}
	c, err := wizard.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	c.Locked = false // an imported config is checked in the wizard before it is locked again
	c.MarkImported() // its checks ran elsewhere: not verified on this machine until verify runs here
	if err := c.Save(*dest); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Imported %s into %s: %s, tenant %s, %s, %d mailbox(es).\n",
		fs.Arg(0), *dest, wizard.CloudDisplayName(c.Cloud), c.TenantID, wizard.ModeDisplayName(c.AccessMode), len(c.Mailboxes))
	fmt.Fprintf(stdout, "Not verified on this machine: run `m365connect verify --config %s` here. (The file's own record: %s)\n", *dest, c.VerificationOutcome().Summary)
	kind := map[string]string{wizard.ModeSecret: wizard.SecretClientSecret, wizard.ModeDelegated: wizard.SecretRefreshToken}[c.AccessMode]
	if kind != "" {
		_, err := ui.DefaultSecrets(filepath.Dir(*dest)).Get(c.SecretKey(kind))
		switch {
		case errors.Is(err, secretstore.ErrNotFound):
			fmt.Fprintf(stdout, "No %s for this connection on this computer: open the wizard to enter it (or set %s for `verify`).\n", kind, map[string]string{wizard.SecretClientSecret: connection.EnvClientSecret, wizard.SecretRefreshToken: connection.EnvRefreshToken}[kind])
		case err != nil:
			fmt.Fprintf(stdout, "The keyring could not be read (%v): the wizard will ask for the %s.\n", err, kind)
		}
	}
	if w := c.ExpiryWarning(time.Now()); w != "" {
		fmt.Fprintf(stdout, "WARNING %s\n", w)
	}
	return nil
}
