package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is the app version, set at build time with -ldflags "-X main.version=..." from
// FyneApp.toml (Makefile: build, windows and package).
var version = "dev"

// Exit codes (README "Exit codes").
const (
	exitOK    = 0 // done; --help and -h too
	exitFail  = 1 // the command ran and failed: a check, a message or a mailbox failed, or an error
	exitUsage = 2 // the command line is wrong: unknown command or flag, missing or extra argument
)

// streams are where a command writes: its result on Out, diagnostics on Err.
type streams struct {
	Out, Err io.Writer
	// profile is --profile NAME, a flag of every command (profile.go).
	profile *string
}

// usageError is a mistake on the command line: usage on stderr, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// runError is an error of a command that started running: exit 1.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// runE wraps a command's run so that its errors count as failures (exit 1) unless they
// are usage errors; errors cobra raises before (flags, arguments) are usage errors.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		var u usageError
		if err == nil || errors.As(err, &u) {
			return err
		}
		return runError{err}
	}
}

// newRootCmd defines the command line: every command, its flags, help and completion.
func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "m365connect",
		Short: "Connect Microsoft 365 mailboxes over Microsoft Graph and prove they work",
		Long: "M365 Connect: connect Microsoft 365 mailboxes over Microsoft Graph and prove they work.\n\n" +
			"With no command it opens the setup wizard; the commands below run the same logic\n" +
			"without a window. Exit status: 0 done, 1 failed, 2 wrong command line.",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return runGUI(cmd.Context())
		}),
	}
	root.SetVersionTemplate("m365connect {{.Version}}\n")
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	s.profile = new(string)
	root.PersistentFlags().StringVar(s.profile, "profile", "", "saved connection to use (its name; the default one when neither this nor --config is given)")
	root.AddCommand(newVersionCmd(s), newSandboxCmd(s), newVerifyCmd(s), newExportCmd(s), newImportCmd(s),
		newSyncCmd(s), newSendCmd(s), newOutboxCmd(s), newAppCmd(s))
	var plain func(c *cobra.Command)
	plain = func(c *cobra.Command) { // usage lines say which flags matter; no "[flags]"
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			plain(sub)
		}
	}
	plain(root)
	// `completion` with no shell, or an unknown one, is a usage error like any other.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return usagef("name the shell: bash, zsh, fish or powershell")
				}
				return usagef("unknown shell %q: bash, zsh, fish or powershell", args[0])
			}
			c.RunE = func(*cobra.Command, []string) error { return nil }
		}
	}
	return root
}

// execute runs the command line args and returns the command that ran and its error.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) (*cobra.Command, error) {
	root := newRootCmd(streams{Out: stdout, Err: stderr})
	root.SetArgs(longFlags(root, args))
	return root.ExecuteContextC(ctx)
}

// run runs the command line args and returns the process exit code: a failure prints
// "m365connect COMMAND: error" on stderr; a usage error prints the command's usage too.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, err := execute(ctx, args, stdout, stderr)
	if err == nil {
		return exitOK
	}
	name := "m365connect"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var r runError
	if errors.As(err, &r) {
		fmt.Fprintf(stderr, "%s: %v\n", name, r.err)
		return exitFail
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	if cmd != nil {
		if !strings.HasSuffix(err.Error(), "\n") {
			fmt.Fprintln(stderr)
		}
		fmt.Fprint(stderr, cmd.UsageString())
	}
	return exitUsage
}

// longFlags accepts the single-dash long flags of the earlier command line (-config F,
// -help, -version) by rewriting them to --config F: pflag reads "-config" as the
// shorthands c, o, n, ... Only names of real flags are rewritten, and nothing after "--".
func longFlags(root *cobra.Command, args []string) []string {
	names := map[string]bool{"help": true, "version": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if names[name] {
				out[i] = "-" + a
			}
		}
	}
	return out
}

// noArgs is cobra.NoArgs as a usage error that names the argument.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: runE(func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(s.Out, "m365connect %s\n", version)
			return err
		}),
	}
}
