package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// appOptions are the inputs of `m365connect app create|rotate|delete` (tests fill them
// directly; the flags below fill them for people).
type appOptions struct {
	Out, Err    io.Writer
	ConfigPath  string // rotate/delete: the config; create: where the new config is written
	SandboxInfo string
	Cloud       string
	Tenant      string
	Mode        string
	Features    wizard.Features
	Mailboxes   []string
	Name        string
	Lifetime    time.Duration
	DeviceCode  bool // sign the admin in with a device code instead of the browser
	Keep        bool // keep what was created when a step fails
	Yes         bool // create without asking after the summary
	In          io.Reader
	Timeout     time.Duration
	// Keyring, OpenBrowser and Wait are replaced by tests.
	Keyring     connection.Keyring
	OpenBrowser func(string) error
	Wait        graph.PropagationWait
}

// newAppCmd is `m365connect app create|rotate|delete`.
func newAppCmd(s streams) *cobra.Command {
	app := &cobra.Command{
		Use:   "app create|rotate|delete",
		Short: "Create, rotate or delete the app registration with one admin sign-in",
		Long: "An administrator signs in once (the browser, or --device-code on another device); the app\n" +
			"registration, its credential (kept in the OS keyring) and its permission grants are\n" +
			"created and the connection verified. rotate replaces the secret or certificate (new one\n" +
			"checked before the old one is removed); delete removes the app and its keyring secrets.",
		Args: noArgs,
		RunE: runE(func(*cobra.Command, []string) error { return usagef("name a command: create, rotate or delete") }),
	}
	app.AddCommand(newAppSubCmd(s, "create"), newAppSubCmd(s, "rotate"), newAppSubCmd(s, "delete"))
	return app
}

func newAppSubCmd(s streams, name string) *cobra.Command {
	o := &appOptions{Out: s.Out, Err: s.Err, In: os.Stdin}
	var features, mailboxes string
	use := map[string]string{
		"create": "create --config OUT --tenant T --mailbox ADDR[,ADDR] [--mode certificate|secret|delegated] [--cloud C]",
		"rotate": "rotate --config FILE [--lifetime D]",
		"delete": "delete --config FILE",
	}[name]
	short := map[string]string{
		"create": "Create the app registration, its credential and grants, then verify",
		"rotate": "Replace the secret or certificate: add, check, then remove the old one",
		"delete": "Delete the app registration and its secrets in the keyring",
	}[name]
	cmd := &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if s.profileName() != "" {
				return usagef("app %s works on --config FILE; --profile is not supported by the app commands yet", name)
			}
			if o.ConfigPath == "" {
				return usagef("--config FILE is required")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.Timeout)
			defer cancel()
			switch name {
			case "create":
				f, err := parseFeatures(features)
				if err != nil {
					return err
				}
				o.Features = f
				for _, m := range strings.Split(mailboxes, ",") {
					if m = strings.TrimSpace(m); m != "" {
						o.Mailboxes = append(o.Mailboxes, m)
					}
				}
				return runAppCreate(ctx, *o)
			case "rotate":
				return runAppRotate(ctx, *o)
			}
			return runAppDelete(ctx, *o)
		})}
	f := cmd.Flags()
	f.StringVar(&o.ConfigPath, "config", "", map[bool]string{true: "the config file to write (required)", false: "the config of the app (required)"}[name == "create"])
	f.StringVar(&o.SandboxInfo, "sandbox-info", "", "practice tenant: the info file of a running `m365connect sandbox --info FILE`")
	f.BoolVar(&o.DeviceCode, "device-code", noBrowser(), "sign in with a code on another device instead of this computer's browser")
	f.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up after this long")
	if name != "delete" {
		f.DurationVar(&o.Lifetime, "lifetime", graph.DefaultCredentialLifetime, "lifetime of the secret or certificate")
	}
	if name == "create" {
		f.StringVar(&o.Cloud, "cloud", wizard.CloudGlobal, "global, usgov, usdod, china or practice")
		f.StringVar(&o.Tenant, "tenant", "", "tenant ID or verified domain (practice: from --sandbox-info)")
		f.StringVar(&o.Mode, "mode", wizard.ModeCertificate, "certificate (recommended), secret or delegated")
		f.StringVar(&features, "features", "read", "comma-separated: read, write, send, list-users, shared")
		f.StringVar(&mailboxes, "mailbox", "", "comma-separated mailbox addresses to connect (required)")
		f.StringVar(&o.Name, "name", graph.DefaultAppName, "app registration name")
		f.BoolVar(&o.Keep, "keep-on-failure", false, "keep what was created when a step fails (default: remove it)")
		f.BoolVar(&o.Yes, "yes", false, "do not ask for confirmation after the summary")
	}
	return cmd
}

// noBrowser guesses that no browser can open here (a Linux shell without a display).
func noBrowser() bool {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return false
	}
	return os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == ""
}

func parseFeatures(s string) (wizard.Features, error) {
	var f wizard.Features
	for _, x := range strings.Split(s, ",") {
		switch strings.TrimSpace(strings.ToLower(x)) {
		case "read":
			f.Read = true
		case "write":
			f.Write = true
		case "send":
			f.Send = true
		case "list-users":
			f.ListUsers = true
		case "shared":
			f.Shared = true
		case "":
		default:
			return f, usagef("unknown feature %q (read, write, send, list-users, shared)", x)
		}
	}
	return f, nil
}

func (o *appOptions) keyring() (connection.Keyring, error) {
	if o.Keyring == nil {
		dir, err := connection.DefaultConfigDir()
		if err != nil {
			return nil, err
		}
		o.Keyring = connection.StoreKeyring{Store: connection.DefaultSecrets(dir)}
	}
	return o.Keyring, nil
}

// adminSignIn signs the administrator in (connection.AdminSignIn): the browser (URL
// printed too), or a device code.
func (o *appOptions) adminSignIn(ctx context.Context, c *wizard.Config) (azcore.TokenCredential, error) {
	if !o.DeviceCode {
		fmt.Fprintln(o.Err, "Sign in as an administrator in the browser (Microsoft Graph Command Line Tools asks for: "+strings.Join(graph.AdminScopes(), ", ")+").")
	}
	return connection.AdminSignIn(ctx, c, connection.AdminSignInOptions{DeviceCode: o.DeviceCode,
		OnCode: func(dc graph.DeviceCode) { fmt.Fprintln(o.Err, dc.Message) },
		Browser: connection.Browser{Open: o.OpenBrowser,
			OnURL: func(u string) { fmt.Fprintf(o.Err, "If no browser opens, open:\n  %s\n", u) },
			OnBrowserError: func(error) {
				fmt.Fprintln(o.Err, "No browser could be opened; open the address above, or run again with --device-code.")
			}}})
}

// printStep prints one progress report on stderr (countdowns on one line each).
func printStep(w io.Writer) func(graph.AppStep) {
	return func(s graph.AppStep) {
		switch s.State {
		case graph.StepRunning:
			fmt.Fprintf(w, "...   %s\n", s.Title)
		case graph.StepWaiting:
			fmt.Fprintf(w, "WAIT  %s\n", s.Detail)
		default:
			line := fmt.Sprintf("%-5s %s", strings.ToUpper(string(s.State)), s.Title)
			if s.Detail != "" {
				line += ": " + s.Detail
			}
			fmt.Fprintln(w, line)
		}
	}
}

// runAppCreate creates the app registration and writes the completed config.
func runAppCreate(ctx context.Context, o appOptions) error {
	c, err := o.newConfig()
	if err != nil {
		return err
	}
	if err := o.confirmPlan(c); err != nil {
		return err
	}
	admin, err := o.adminSignIn(ctx, c)
	if err != nil {
		return fmt.Errorf("administrator sign-in: %s (%w)", connection.AdviceText(graph.AdviceFor(err)), err)
	}
	k, err := o.keyring()
	if err != nil {
		return err
	}
	opts := connection.AppOptions{Config: c, Admin: admin, Keyring: k, Name: o.Name, Lifetime: o.Lifetime,
		KeepOnFailure: o.Keep, Wait: o.Wait, Progress: printStep(o.Err)}
	if c.AccessMode == wizard.ModeDelegated {
		opts.Delegated = &connection.DelegatedProof{Browser: connection.Browser{Open: o.OpenBrowser},
			OnStart: func() { fmt.Fprintln(o.Err, "Now sign in as the mailbox account, to prove the new app works.") }}
	}
	got, err := connection.CreateApp(ctx, opts)
	if err != nil {
		return o.createFailed(err)
	}
	c.SavedAt = time.Now().UTC()
	if err := c.Save(o.ConfigPath); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Created %s: Application (client) ID %s, config written to %s\n", got.DisplayName, got.AppID, o.ConfigPath)
	if len(got.Checks) > 0 {
		if graph.Failed(got.Checks) {
			return errors.New("the app was created but some checks failed; run `m365connect verify --config " + o.ConfigPath + "`")
		}
		fmt.Fprintln(o.Out, graph.Summarize(got.Checks).String())
	}
	return nil
}

// newConfig is the config the new app completes, from the flags (practice hosts from
// --sandbox-info); a missing tenant, mailbox or mode is a usage error.
func (o *appOptions) newConfig() (*wizard.Config, error) {
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: version, Cloud: o.Cloud, TenantID: wizard.NormaliseTenant(o.Tenant),
		AccessMode: o.Mode, Features: o.Features}
	if o.SandboxInfo != "" {
		info, err := readSandboxInfo(o.SandboxInfo)
		if err != nil {
			return nil, err
		}
		c.Cloud, c.TenantID = wizard.CloudPractice, info.TenantID
		c.Practice = &wizard.PracticeHosts{AuthorityHost: info.AuthorityHost, BrowserAuthorityHost: info.BrowserAuthorityHost,
			GraphBaseURL: info.GraphBaseURL, CACertFile: info.CACertFile}
	}
	if c.TenantID == "" || len(o.Mailboxes) == 0 {
		return nil, usagef("--tenant and --mailbox are required")
	}
	switch c.AccessMode {
	case wizard.ModeCertificate, wizard.ModeSecret, wizard.ModeDelegated:
	default:
		return nil, usagef("--mode is certificate, secret or delegated")
	}
	for _, m := range o.Mailboxes {
		c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: m, Kind: wizard.KindUser})
	}
	return c, nil
}

// confirmPlan prints what will be created and, without --yes, asks before going on.
func (o *appOptions) confirmPlan(c *wizard.Config) error {
	plan := connection.PlanFor(c, o.Name, o.Lifetime)
	fmt.Fprintln(o.Out, "This will be created in tenant "+c.TenantID+":")
	for _, l := range plan.Summary() {
		fmt.Fprintln(o.Out, "  "+l)
	}
	if o.Yes {
		return nil
	}
	fmt.Fprint(o.Out, "Create it? [y/N] ")
	var answer string
	if o.In != nil {
		_, _ = fmt.Fscanln(o.In, &answer)
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return errors.New("nothing was created (answer y, or pass --yes)")
	}
	return nil
}

// createFailed lists what a failed creation left (removed or still in the tenant) on
// stderr and returns the advice as the error.
func (o *appOptions) createFailed(err error) error {
	var ae *graph.AppCreateError
	if !errors.As(err, &ae) {
		return err
	}
	for _, x := range ae.Created {
		state := "removed"
		if !ae.Removed {
			state = "still in the tenant"
		}
		fmt.Fprintf(o.Err, "      %s %s %s (%s)\n", x.Kind, x.Name, x.ID, state)
	}
	return fmt.Errorf("%s", connection.AdviceText(ae.Advice))
}

// openApp is what rotate and delete start with: the app's config (practice hosts from
// --sandbox-info), the administrator's sign-in and the keyring.
func (o *appOptions) openApp(ctx context.Context) (*wizard.Config, azcore.TokenCredential, connection.Keyring, error) {
	c, _, err := loadConfig(o.ConfigPath, o.SandboxInfo, "")
	if err != nil {
		return nil, nil, nil, err
	}
	admin, err := o.adminSignIn(ctx, c)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("administrator sign-in: %s (%w)", connection.AdviceText(graph.AdviceFor(err)), err)
	}
	k, err := o.keyring()
	if err != nil {
		return nil, nil, nil, err
	}
	return c, admin, k, nil
}

// runAppRotate replaces the secret or certificate and saves the new expiry.
func runAppRotate(ctx context.Context, o appOptions) error {
	c, admin, k, err := o.openApp(ctx)
	if err != nil {
		return err
	}
	if err := connection.RotateApp(ctx, c, admin, k, o.Lifetime, printStep(o.Err)); err != nil {
		return err
	}
	c.SavedAt = time.Now().UTC()
	if err := c.Save(o.ConfigPath); err != nil {
		return err
	}
	e := connection.ExpiryOf(c, time.Now())
	if e.ExpiresAt == nil {
		fmt.Fprintln(o.Out, "Rotated: the new credential works, the old one is removed.")
		return nil
	}
	fmt.Fprintf(o.Out, "Rotated: the new credential works, the old one is removed; it expires %s (%d days).\n", e.ExpiresAt.Format("2006-01-02"), e.DaysLeft)
	return nil
}

// runAppDelete deletes the app registration and its secrets in the keyring.
func runAppDelete(ctx context.Context, o appOptions) error {
	c, admin, k, err := o.openApp(ctx)
	if err != nil {
		return err
	}
	if err := connection.DeleteApp(ctx, c, admin, k); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Deleted the app registration %s and its secrets in the keyring.\n", c.ClientID)
	return nil
}
