package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// version is the app version, set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of m365connect. Each lives in a file of its own.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order --help shows them.
func commands() []command {
	return []command{
		{"version", "print the version", runVersion},
		{"sandbox", "serve a practice tenant (emulated Entra ID + Graph) on loopback", runSandbox},
		{"verify", "run every connection check from a config file", runVerify},
		{"export", "export a verified config (no secrets)", runExport},
		{"import", "import a config file", runImport},
		{"sync", "sync mailboxes from a config file into the local store", runSync},
		{"send", "queue an outgoing message in the outbox", runSend},
		{"outbox", "list, approve or reject outgoing messages", runOutbox},
		{"app", "create, rotate or delete the app registration with one admin sign-in", runApp},
	}
}

// errUsage marks a command-line mistake; the caller prints usage and exits 2.
var errUsage = errors.New("usage")

// run dispatches args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		if err := runGUI(ctx); err != nil {
			fmt.Fprintf(stderr, "m365connect: %v\n", err)
			return 1
		}
		return 0
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "m365connect %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "m365connect %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "m365connect: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("M365 Connect: connect Microsoft 365 mailboxes over Microsoft Graph and prove they work.\n\n")
	b.WriteString("Usage:\n  m365connect                 open the setup wizard\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  m365connect %-15s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'm365connect COMMAND -h' for a command's options.\n")
	io.WriteString(w, b.String())
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "m365connect %s\n", version)
	return nil
}
