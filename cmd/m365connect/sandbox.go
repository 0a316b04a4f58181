package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// sandboxOptions are the flags of `m365connect sandbox`.
type sandboxOptions struct {
	streams
	Listen        string
	BrowserListen string
	Info          string
	Users         int
	Shared        int
	Messages      int
	Seed          int64
	ConfigOut     string
}

func newSandboxCmd(s streams) *cobra.Command {
	opts := &sandboxOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "sandbox [--info FILE] [--config FILE]",
		Short: "Serve a practice tenant (emulated Entra ID + Graph) on loopback",
		Long: "Serve a practice tenant (emulated Entra ID + Graph) on loopback until Ctrl+C, and write\n" +
			"the info file that tells clients the authority host, Graph base URL, CA file, tenant,\n" +
			"apps and mailboxes.",
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if opts.Users < 1 || opts.Messages < 0 || opts.Shared < 0 {
				return usagef("--users must be at least 1, --messages and --shared not negative")
			}
			return runSandbox(cmd.Context(), opts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:0", "API (HTTPS) listen address, loopback only")
	f.StringVar(&opts.BrowserListen, "browser-listen", "127.0.0.1:0", "plain-HTTP listen address for browser sign-in pages, loopback only")
	f.StringVar(&opts.Info, "info", "", "info file to write (default: m365connect-sandbox.json in the user config folder)")
	f.IntVar(&opts.Users, "users", 5, "number of user mailboxes")
	f.IntVar(&opts.Shared, "shared", 1, "number of shared mailboxes")
	f.IntVar(&opts.Messages, "messages", 200, "messages per mailbox")
	f.Int64Var(&opts.Seed, "seed", 1, "seed for tenant ids and mail data (same seed, same tenant)")
	f.StringVar(&opts.ConfigOut, "config", "", "also write a ready config for the practice secret app (every mailbox, read + send, approval required) to FILE, for verify/sync/send/outbox with --sandbox-info")
	return cmd
}

// runSandbox serves a practice tenant on loopback until ctx is cancelled, and writes the
// info file (and the config, if asked).
func runSandbox(ctx context.Context, opts *sandboxOptions) error {
	stdout := opts.Out
	path := opts.Info
	if path == "" {
		dir, err := connection.DefaultConfigDir()
		if err != nil {
			return fmt.Errorf("find a folder for the info file (use --info): %w", err)
		}
		if err := appdirs.Ensure(dir); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		path = filepath.Join(dir, "m365connect-sandbox.json")
	}
	sharedOpt := opts.Shared
	if sharedOpt == 0 {
		sharedOpt = -1 // emulator.Options: 0 means the default (1), negative means none
	}
	srv, err := emulator.New(emulator.Options{
		Users: opts.Users, SharedMailboxes: sharedOpt, MessagesPerMailbox: opts.Messages, Seed: opts.Seed,
		Listen: opts.Listen, BrowserListen: opts.BrowserListen, DeliveryDelay: time.Second,
	})
	if err != nil {
		return fmt.Errorf("start practice tenant: %w", err)
	}
	defer srv.Close()
	if err := srv.WriteInfo(path); err != nil {
		return fmt.Errorf("write info file: %w", err)
	}
	abs, _ := filepath.Abs(path)
	inf := srv.Info()
	if opts.ConfigOut != "" {
		if err := practiceConfigFile(inf).Save(opts.ConfigOut); err != nil {
			return fmt.Errorf("write config: %w", err)
		}
		fmt.Fprintf(stdout, "Config:          %s (use with --sandbox-info %s)\n", opts.ConfigOut, abs)
	}
	fmt.Fprintf(stdout, "Practice tenant %s (%s) is running.\n", inf.TenantDomain, inf.TenantID)
	fmt.Fprintf(stdout, "Info file:       %s\n", abs)
	fmt.Fprintf(stdout, "Authority host:  %s\n", inf.AuthorityHost)
	fmt.Fprintf(stdout, "Browser sign-in: %s\n", inf.BrowserAuthorityHost)
	fmt.Fprintf(stdout, "Graph base URL:  %s\n", inf.GraphBaseURL)
	fmt.Fprintf(stdout, "CA certificate:  %s\n", inf.CACertFile)
	fmt.Fprintf(stdout, "Press Ctrl+C to stop.\n")
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping the practice tenant.")
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// practiceConfigFile is a config for the practice tenant's secret app, as the wizard
// would save it after choosing every mailbox, read and send: a starting point for the
// headless commands. Its outbox policy lets the connected mailboxes send inside the
// tenant and holds every message for approval.
func practiceConfigFile(inf emulator.Info) *wizard.Config {
	features := wizard.Features{Read: true, Send: true, ListUsers: true}
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: version, SavedAt: time.Now().UTC(),
		Cloud: wizard.CloudPractice, TenantID: inf.TenantID, AccessMode: wizard.ModeSecret, Features: features,
		Permissions: graph.RequestedPermissions(graph.ModeSecret, connection.GraphFeatures(features)),
		Practice: &wizard.PracticeHosts{AuthorityHost: inf.AuthorityHost, BrowserAuthorityHost: inf.BrowserAuthorityHost,
			GraphBaseURL: inf.GraphBaseURL, CACertFile: inf.CACertFile},
		Outbox: &wizard.OutboxSettings{Policy: wizard.OutboxPolicy{InternalDomains: []string{inf.TenantDomain}, RequireApproval: true}}}
	for _, a := range inf.Apps {
		if a.Name == emulator.AppSecretName {
			c.ClientID = a.ClientID
		}
	}
	for _, m := range inf.Mailboxes {
		c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: m.Address, ID: m.ID, DisplayName: m.DisplayName, Kind: m.Kind})
		c.Outbox.Policy.AllowedSenders = append(c.Outbox.Policy.AllowedSenders, m.Address)
	}
	return c
}
