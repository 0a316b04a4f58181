package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/wizard"
)

// syncOptions are the flags of `m365connect sync`. set names the flags given on the
// command line: they override the config's "sync" section.
type syncOptions struct {
	streams
	Config      string
	SandboxInfo string
	Store       string
	Once        bool
	Days        int
	Folders     string
	Body        string
	PageSize    int
	Mailboxes   string
	Poll        time.Duration
	// InsecureStorage allows the 0600 fallback file when there is no OS keyring.
	InsecureStorage bool
	set             map[string]bool
}

func newSyncCmd(s streams) *cobra.Command {
	opts := &syncOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "sync --config FILE [--once] [options]",
		Short: "Sync mailboxes from a config file into the local store",
		Long: "Mirror mailboxes into the local store.\n\n" +
			"With --config it syncs the mailboxes of a saved (or exported) config with the secrets\n" +
			"the wizard stored; the config's \"sync\" section sets the window, folders, body and\n" +
			"store, and flags given on the command line override it. With only --sandbox-info it\n" +
			"syncs every mailbox of a running practice tenant through its secret app.\n\n" +
			"With --once it ends with a summary line and exits 1 when any mailbox failed.",
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if opts.Config == "" && opts.SandboxInfo == "" && !haveSaved(opts.streams) {
				return usagef("--config FILE (or, for the practice tenant alone, --sandbox-info FILE) is required")
			}
			opts.set = map[string]bool{}
			for _, n := range []string{"store", "days", "folders", "body"} {
				opts.set[n] = cmd.Flags().Changed(n)
			}
			return runSync(cmd.Context(), opts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "", "config file saved or exported by the wizard")
	f.StringVar(&opts.SandboxInfo, "sandbox-info", "", "practice tenant info file written by 'm365connect sandbox' (alone, or to locate the practice tenant of a --config)")
	f.StringVar(&opts.Store, "store", "", "local store (SQLite file); default: the config's sync.store, else mail.db in the app's data folder")
	f.BoolVar(&opts.Once, "once", false, "sync every folder once, print a summary, then exit")
	f.IntVar(&opts.Days, "days", wizard.DefaultBackfillDays, fmt.Sprintf("backfill window in days (1 to %d)", wizard.MaxBackfillDays))
	f.StringVar(&opts.Folders, "folders", "inbox,sentitems", "comma-separated folder ids or well-known names")
	f.StringVar(&opts.Body, "body", mailsync.BodyPreview, "preview, text or html")
	f.IntVar(&opts.PageSize, "page-size", mailsync.DefaultPageSize, "Prefer: odata.maxpagesize")
	f.StringVar(&opts.Mailboxes, "mailboxes", "", "comma-separated mailbox ids or addresses (default: every mailbox of the config or info file)")
	f.DurationVar(&opts.Poll, "poll", mailsync.DefaultPollInterval, "poll interval when not --once")
	f.BoolVar(&opts.InsecureStorage, "insecure-storage", false, "with no OS keyring, keep a renewed sign-in in the 0600 fallback file (its path is printed)")
	return cmd
}

// runSync syncs the mailboxes; with --once it prints a summary and fails when any
// mailbox failed.
func runSync(ctx context.Context, opts *syncOptions) error {
	if _, err := wizard.BackfillDays(opts.Days); err != nil {
		return usagef("--days: %v", err)
	}
	c, secrets, err := loadConfig(opts.Config, opts.SandboxInfo, opts.profileName())
	if err != nil {
		return err
	}
	secrets.InsecureStorage, secrets.Warn = opts.InsecureStorage, func(m string) { fmt.Fprintln(opts.Err, m) }
	dataDir, err := connection.CommandDataDir(secrets.Profile) // the profile's own folder
	if err != nil && !opts.set["store"] && (c.Sync == nil || c.Sync.Store == "") {
		return err
	}
	so := connection.SyncOptions(c, dataDir)
	// Flags given on the command line win over the config.
	if opts.set["days"] || so.BackfillDays == 0 {
		so.BackfillDays = opts.Days
	}
	if opts.set["folders"] || len(so.Folders) == 0 {
		so.Folders = splitList(opts.Folders)
	}
	if opts.set["body"] || so.Body == "" {
		so.Body = opts.Body
	}
	if opts.set["store"] {
		so.StorePath = opts.Store
	}
	if opts.Mailboxes != "" {
		so.Mailboxes = nil
		for _, m := range splitList(opts.Mailboxes) {
			so.Mailboxes = append(so.Mailboxes, mailsync.Mailbox{ID: m, Address: m})
		}
	}
	so.PageSize, so.Once, so.PollInterval = opts.PageSize, opts.Once, opts.Poll
	// The window's Sync tab runs the same connection.Run: approved outgoing mail leaves
	// while the sync runs (one pass with --once), and failures read as the same advice.
	rep := mailsync.NewReporter(opts.Out, isTerminal(opts.Out))
	rep.Explain = connection.FailureText
	tally := newSyncTally(so.Mailboxes)
	_, err = connection.Run(ctx, connection.RunOptions{Config: c, Secrets: secrets, Sync: so, DataDir: dataDir,
		OnEvent: func(ev connection.Event) {
			switch ev.Kind {
			case connection.EventStarted:
				fmt.Fprintf(opts.Out, "Syncing %d mailbox(es) into %s\n", len(so.Mailboxes), ev.StorePath)
			case connection.EventFolder:
				tally.add(ev.Folder)
				rep.Progress(ev.Folder)
			case connection.EventSending:
				fmt.Fprintln(opts.Err, ev.Text)
			}
		}})
	var ce *connection.ConnectError
	switch {
	case errors.As(err, &ce):
		return connectError(ce.Err)
	case errors.Is(err, mailsync.ErrStoreLocked):
		return fmt.Errorf("%w (is another m365connect sync running?)", err)
	}
	if !opts.Once || errors.Is(err, context.Canceled) {
		return err
	}
	summary, failed := tally.summary()
	fmt.Fprintln(opts.Out, summary)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d mailbox(es) failed", failed, len(so.Mailboxes))
	}
	return nil
}

// syncTally keeps the last state of every mailbox and folder for the summary line.
type syncTally struct {
	mu      sync.Mutex
	order   []string          // mailbox ids as configured
	names   map[string]string // id → address
	failure map[string]string // id → first failure seen ("" none)
	done    map[string]bool   // id → finished its round
}

func newSyncTally(mbs []mailsync.Mailbox) *syncTally {
	t := &syncTally{names: map[string]string{}, failure: map[string]string{}, done: map[string]bool{}}
	for _, m := range mbs {
		t.order = append(t.order, m.ID)
		t.names[m.ID] = m.Address
	}
	return t
}

func (t *syncTally) add(p mailsync.Progress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p.Address != "" {
		t.names[p.Mailbox] = p.Address
	}
	bad := func(s mailsync.State) bool { return s == mailsync.StateError || s == mailsync.StateReconnectNeeded }
	if t.failure[p.Mailbox] == "" && (bad(p.MailboxState) || bad(p.State)) {
		why := string(p.State)
		if !bad(p.State) {
			why = string(p.MailboxState)
		}
		if p.LastError != "" {
			why += ": " + connection.FailureText(p.Failure, p.LastError)
		}
		if p.Folder != "" {
			why = p.Folder + " " + why
		}
		t.failure[p.Mailbox] = why
	}
	if p.MailboxState == mailsync.StateDone {
		t.done[p.Mailbox] = true
	}
}

// summary is the one line printed at the end of `sync --once` and the number of
// mailboxes that failed (an error, reconnect needed, or no finished round).
func (t *syncTally) summary() (string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var failed []string
	for _, id := range t.order {
		why := t.failure[id]
		if why == "" && !t.done[id] {
			why = "did not finish"
		}
		if why != "" {
			name := t.names[id]
			if name == "" {
				name = id
			}
			failed = append(failed, name+" ("+why+")")
		}
	}
	sort.Strings(failed)
	line := fmt.Sprintf("Sync: %d of %d mailbox(es) synced", len(t.order)-len(failed), len(t.order))
	if len(failed) > 0 {
		line += fmt.Sprintf(", %d failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return line + ".", len(failed)
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
