package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// runSync is the 'sync' subcommand: mirror mailboxes into the local store.
//
// With --config it syncs the mailboxes of a saved (or exported) config with the secrets
// the wizard stored; the config's "sync" section sets the window, folders, body and
// store, and flags given on the command line override it. With only --sandbox-info it
// syncs every mailbox of a running practice tenant through its secret app.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "config file saved or exported by the wizard")
	sandbox := fs.String("sandbox-info", "", "practice tenant info file written by 'm365connect sandbox' (alone, or to locate the practice tenant of a --config)")
	storePath := fs.String("store", "", "local store (SQLite file); default: the config's sync.store, else mail.db in the app's data folder")
	once := fs.Bool("once", false, "sync every folder once, then exit")
	days := fs.Int("days", mailsync.DefaultBackfillDays, "backfill window in days")
	folders := fs.String("folders", "inbox,sentitems", "comma-separated folder ids or well-known names")
	body := fs.String("body", mailsync.BodyPreview, "preview, text or html")
	pageSize := fs.Int("page-size", mailsync.DefaultPageSize, "Prefer: odata.maxpagesize")
	mailboxes := fs.String("mailboxes", "", "comma-separated mailbox ids or addresses (default: every mailbox of the config or info file)")
	poll := fs.Duration("poll", mailsync.DefaultPollInterval, "poll interval when not --once")
	insecure := fs.Bool("insecure-storage", false, "with no OS keyring, keep a renewed sign-in in the 0600 fallback file (its path is printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *config == "" && *sandbox == "" {
		return fmt.Errorf("%w: --config FILE (or, for the practice tenant alone, --sandbox-info FILE) is required", errUsage)
	}
	c, secrets, err := loadConfig(*config, *sandbox)
	if err != nil {
		return err
	}
	secrets.InsecureStorage, secrets.Warn = *insecure, func(m string) { fmt.Fprintln(stderr, m) }
	dataDir, err := connection.DataDir()
	if err != nil && !set["store"] && (c.Sync == nil || c.Sync.Store == "") {
		return err
	}
	conn, err := connection.Open(ctx, c, secrets)
	if err != nil {
		return connectError(err)
	}
	src, opts := conn.MailSource(), connection.SyncOptions(c, dataDir)
	// Flags given on the command line win over the config.
	if set["days"] || opts.BackfillDays == 0 {
		opts.BackfillDays = *days
	}
	if set["folders"] || len(opts.Folders) == 0 {
		opts.Folders = splitList(*folders)
	}
	if set["body"] || opts.Body == "" {
		opts.Body = *body
	}
	if set["store"] {
		opts.StorePath = *storePath
	}
	if *mailboxes != "" {
		opts.Mailboxes = nil
		for _, m := range splitList(*mailboxes) {
			opts.Mailboxes = append(opts.Mailboxes, mailsync.Mailbox{ID: m, Address: m})
		}
	}
	opts.PageSize, opts.Once, opts.PollInterval = *pageSize, *once, *poll
	fmt.Fprintf(stdout, "Syncing %d mailbox(es) into %s\n", len(opts.Mailboxes), opts.StorePath)
	rep := mailsync.NewReporter(stdout, isTerminal(stdout))
	err = mailsync.Run(ctx, opts, src, rep.Progress)
	if errors.Is(err, mailsync.ErrStoreLocked) {
		return fmt.Errorf("%w (is another m365connect sync running?)", err)
	}
	return err
}

// connectError turns a failed sign-in into Microsoft's code and plain advice (cause and
// fix). It prints the advice's redacted "seen" line, never the raw error, whose response
// dump is long and could echo what was sent.
func connectError(err error) error {
	a := graph.AdviceFor(err)
	seen := a.Seen
	if seen == "" {
		seen = strings.SplitN(err.Error(), "\n", 2)[0]
	}
	return fmt.Errorf("cannot connect: %s\n  %s", seen, connection.AdviceText(a))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && mailsync.IsTerminal(f)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
