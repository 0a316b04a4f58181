// Command m365connect connects Microsoft 365 mailboxes over Microsoft Graph: with no
// arguments it opens the setup wizard; its subcommands run the same logic headless.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	// Before Fyne's lang package reads the locale: no "Error parsing user locale" noise.
	_ "github.com/m365connect/m365connect/cmd/m365connect/internal/cleanlocale"
)

func main() {
	// On Windows cobra refuses to run a program started from Explorer ("This is a command
	// line tool") and exits; a double-click must open the wizard.
	cobra.MousetrapHelpText = ""
	if len(os.Args) > 1 {
		attachParentConsole()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
