package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// importOptions are the flags and argument of `m365connect import`.
type importOptions struct {
	streams
	File string // the config to import
	Dest string // where to install it
}

func newImportCmd(s streams) *cobra.Command {
	opts := &importOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "import [--profile NAME | --config DEST] FILE",
		Short: "Import a config file",
		Long: "Read a config (an export, or an older version, which is migrated), refuse it whole if\n" +
			"anything is wrong, and add it to the saved connections (or install it as a file with\n" +
			"--config). Says which secret is still missing from the keyring.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("import takes one FILE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runImport(cmd.Context(), opts)
		}),
	}
	cmd.Flags().StringVar(&opts.Dest, "config", "", "install it as this file instead of as a saved connection (named by --profile, else after its tenant)")
	return cmd
}

// runImport installs the config and says what is still missing.
func runImport(_ context.Context, opts *importOptions) error {
	c, err := wizard.Load(opts.File)
	if err != nil {
		return err
	}
	c.Locked = false // an imported config is checked in the wizard before it is locked again
	c.MarkImported() // its checks ran elsewhere: not verified on this machine until verify runs here
	if opts.Dest == "" {
		return importAsProfile(opts, c) // a new saved connection (profile.go)
	}
	if err := c.Save(opts.Dest); err != nil {
		return err
	}
	out := opts.streams.Out
	fmt.Fprintf(out, "Imported %s into %s: %s, tenant %s, %s, %d mailbox(es).\n",
		opts.File, opts.Dest, wizard.CloudDisplayName(c.Cloud), c.TenantID, wizard.ModeDisplayName(c.AccessMode), len(c.Mailboxes))
	fmt.Fprintf(out, "Not verified on this machine: run `m365connect verify --config %s` here. (The file's own record: %s)\n", opts.Dest, c.VerificationOutcome().Summary)
	kind := map[string]string{wizard.ModeSecret: wizard.SecretClientSecret, wizard.ModeDelegated: wizard.SecretRefreshToken}[c.AccessMode]
	if kind != "" {
		_, err := connection.DefaultSecrets(filepath.Dir(opts.Dest)).Get(c.SecretKey(kind))
		switch {
		case errors.Is(err, secretstore.ErrNotFound):
			fmt.Fprintf(out, "No %s for this connection on this computer: open the wizard to enter it (or set %s for `verify`).\n", kind, map[string]string{wizard.SecretClientSecret: connection.EnvClientSecret, wizard.SecretRefreshToken: connection.EnvRefreshToken}[kind])
		case err != nil:
			fmt.Fprintf(out, "The keyring could not be read (%v): the wizard will ask for the %s.\n", err, kind)
		}
	}
	if w := c.ExpiryWarning(time.Now()); w != "" {
		fmt.Fprintf(out, "WARNING %s\n", w)
	}
	return nil
}
