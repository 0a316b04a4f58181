package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// outboxConfig is what the outbox subcommands need from a wizard config: the outbox's
// files and policy (its "outbox" section), and the connection to send through.
type outboxConfig struct {
	Database string
	Folder   string
	Policy   outbox.Policy
	config   *wizard.Config
	secrets  connection.Chain
}

// loadOutboxConfig reads a wizard config (see loadConfig for sandboxInfo).
func loadOutboxConfig(path, sandboxInfo, profile string) (outboxConfig, error) {
	c, secrets, err := loadConfig(path, sandboxInfo, profile)
	if err != nil {
		return outboxConfig{}, err
	}
	oc := outboxConfig{Policy: connection.OutboxPolicy(c), config: c, secrets: secrets}
	dataDir := ""
	if c.Outbox == nil || c.Outbox.Database == "" || c.Outbox.Folder == "" {
		if dataDir, err = connection.CommandDataDir(secrets.Profile); err != nil { // the profile's own folder
			return oc, fmt.Errorf("%w (or set outbox.database and outbox.folder in the config)", err)
		}
	}
	oc.Database, oc.Folder = connection.OutboxFiles(c, dataDir)
	return oc, nil
}

func (c outboxConfig) open(ctx context.Context) (*outbox.Outbox, error) {
	return outbox.Open(ctx, c.Database, outbox.Options{Policy: c.Policy})
}

// withOutbox loads the outbox's config (see loadConfig for the arguments), opens the
// outbox, runs do on it and closes it: the start of every outbox action and of send.
func withOutbox(ctx context.Context, path, sandboxInfo, profile string, do func(outboxConfig, *outbox.Outbox) error) error {
	cfg, err := loadOutboxConfig(path, sandboxInfo, profile)
	if err != nil {
		return err
	}
	ob, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer ob.Close()
	return do(cfg, ob)
}

// outboxOptions are the flags of every `m365connect outbox` action; each action reads
// its own.
type outboxOptions struct {
	streams
	Config      string
	SandboxInfo string
	ID          string        // show, approve, reject
	State       string        // list
	JSON        bool          // list
	By          string        // approve
	Reason      string        // reject
	Once        bool          // run
	Interval    time.Duration // run
}

func newOutboxCmd(s streams) *cobra.Command {
	opts := &outboxOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "outbox ACTION --config FILE [options]",
		Short: "List, approve or reject outgoing messages, and send them",
		Long: "Work with the outbox of a config: list, show, approve, reject, scan the drop folder,\n" +
			"and run the sender (`outbox run --once` ends with a summary line and exits 1 when\n" +
			"any message failed).",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing action: list, show, approve, reject, scan or run")
			}
			msg := fmt.Sprintf("unknown outbox action %q", args[0])
			if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
				msg += "\n\nDid you mean this?\n\t" + strings.Join(sug, "\n\t")
			}
			return usageError{msg}
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&opts.Config, "config", "", "config file saved or exported by the wizard (its \"outbox\" section holds the policy; required)")
	pf.StringVar(&opts.SandboxInfo, "sandbox-info", "", "practice tenant: the info file of a running 'm365connect sandbox' (replaces the config's practice hosts)")

	// action defines one outbox action: its arguments, then open the outbox and do it.
	action := func(use, short string, id bool, do func(context.Context, *outboxOptions, outboxConfig, *outbox.Outbox) error) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args: func(_ *cobra.Command, args []string) error {
				if id != (len(args) == 1) {
					return usagef("outbox %s takes %s", strings.Fields(use)[0], map[bool]string{true: "one message ID", false: "no arguments"}[id])
				}
				return nil
			},
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				if opts.Config == "" && !haveSaved(opts.streams) {
					return usagef("--config is required")
				}
				if id {
					opts.ID = args[0]
				}
				return runOutbox(cmd.Context(), opts, do)
			}),
		}
	}
	list := action("list", "List the messages, newest first", false, outboxList)
	list.Flags().StringVar(&opts.State, "state", "", "only this state (pending_approval, sent, failed, ...)")
	list.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	approve := action("approve ID", "Approve a message held for approval", true, outboxApprove)
	approve.Flags().StringVar(&opts.By, "by", outbox.DefaultApprover(), "who approves (kept on record)")
	reject := action("reject ID --reason TEXT", "Reject a message", true, outboxReject)
	reject.Flags().StringVar(&opts.Reason, "reason", "", "why (kept on record; required)")
	run := action("run [--once]", "Send approved messages (and watch the drop folder)", false, outboxRun)
	run.Flags().BoolVar(&opts.Once, "once", false, "scan the folder and run one pass, print a summary, then exit")
	run.Flags().DurationVar(&opts.Interval, "interval", 5*time.Second, "poll interval")
	cmd.AddCommand(list, action("show ID", "Show a message and its history", true, outboxShow), approve, reject,
		action("scan", "Queue the files of the drop folder", false, outboxScan), run)
	return cmd
}

// runOutbox loads the config, opens the outbox and runs one action on it.
func runOutbox(ctx context.Context, opts *outboxOptions, do func(context.Context, *outboxOptions, outboxConfig, *outbox.Outbox) error) error {
	return withOutbox(ctx, opts.Config, opts.SandboxInfo, opts.profileName(), func(cfg outboxConfig, ob *outbox.Outbox) error {
		return do(ctx, opts, cfg, ob)
	})
}

func outboxList(ctx context.Context, opts *outboxOptions, _ outboxConfig, ob *outbox.Outbox) error {
	var states []outbox.State
	if opts.State != "" {
		if !outbox.State(opts.State).Valid() {
			return usagef("unknown state %q", opts.State)
		}
		states = append(states, outbox.State(opts.State))
	}
	msgs, err := ob.List(ctx, states...)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.Out)
		enc.SetIndent("", "  ")
		if msgs == nil {
			msgs = []outbox.Message{}
		}
		return enc.Encode(msgs)
	}
	tw := tabwriter.NewWriter(opts.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tFROM\tTO\tSUBJECT\tREASON")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.From, strings.Join(m.To, ","), oneLine(m.Subject, 40), oneLine(m.Reason, 60))
	}
	return tw.Flush()
}

func outboxShow(ctx context.Context, opts *outboxOptions, _ outboxConfig, ob *outbox.Outbox) error {
	m, err := ob.Get(ctx, opts.ID)
	if err != nil {
		return err
	}
	out := opts.Out
	fmt.Fprintf(out, "%s  %s\ninternetMessageId: %s\n%s", m.ID, m.State, m.InternetMessageID, outbox.Render(m))
	if m.Reason != "" {
		fmt.Fprintf(out, "reason: %s\n", m.Reason)
	}
	if m.ErrorCode != "" {
		status := ""
		if m.ErrorStatus != 0 {
			status = fmt.Sprintf("%d ", m.ErrorStatus)
		}
		fmt.Fprintf(out, "Graph error: %s%s: %s\n", status, m.ErrorCode, m.ErrorMessage)
		if m.ErrorRequestID != "" {
			fmt.Fprintf(out, "request id: %s\n", m.ErrorRequestID)
		}
		// The advice from the record's advice key, in the words the window uses.
		fmt.Fprintf(out, "advice: %s\n", connection.OutboxFailureText(m))
	}
	h, err := ob.History(ctx, m.ID)
	if err != nil {
		return err
	}
	for _, e := range h {
		fmt.Fprintf(out, "  %s  %s → %s  %s\n", e.At.Format(time.RFC3339), e.From, e.To, e.Detail)
	}
	return nil
}

func outboxApprove(ctx context.Context, opts *outboxOptions, _ outboxConfig, ob *outbox.Outbox) error {
	if err := ob.Approve(ctx, opts.ID, opts.By); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "Approved %s.\n", opts.ID)
	return nil
}

func outboxReject(ctx context.Context, opts *outboxOptions, _ outboxConfig, ob *outbox.Outbox) error {
	if strings.TrimSpace(opts.Reason) == "" {
		return usagef("--reason is required")
	}
	if err := ob.Reject(ctx, opts.ID, opts.Reason); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "Rejected %s.\n", opts.ID)
	return nil
}

func outboxScan(ctx context.Context, opts *outboxOptions, cfg outboxConfig, ob *outbox.Outbox) error {
	r, err := ob.ScanDropFolder(ctx, cfg.Folder)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "%s: %d accepted, %d rejected, %d still being written\n", cfg.Folder, r.Accepted, r.Rejected, r.Waiting)
	for _, f := range r.Failed {
		fmt.Fprintf(opts.Err, "could not move aside %s\n", f)
	}
	return nil
}

// outboxRun sends approved mail: one pass with --once (a summary line, and an error when
// any message failed), else until ctx ends.
func outboxRun(ctx context.Context, opts *outboxOptions, cfg outboxConfig, ob *outbox.Outbox) error {
	if !cfg.config.Features.Send {
		return errors.New("this connection was not set up to send: choose send in the wizard's Prerequisites step, verify and save again")
	}
	conn, err := connection.Open(ctx, cfg.config, cfg.secrets)
	if err != nil {
		return connectError(err)
	}
	g, err := conn.OutboxGraph()
	if err != nil {
		return err
	}
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: g, Logf: func(f string, a ...any) { fmt.Fprintf(opts.Err, f+"\n", a...) }})
	if err != nil {
		return err
	}
	if !opts.Once {
		fmt.Fprintf(opts.Out, "Sending from %s, watching %s. Press Ctrl+C to stop.\n", cfg.Database, cfg.Folder)
		if err := e.Run(ctx, opts.Interval, cfg.Folder); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	defer e.Release(context.WithoutCancel(ctx))
	if _, err := ob.ScanDropFolder(ctx, cfg.Folder); err != nil {
		return err
	}
	res, err := e.RunOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "Outbox: %d sent, %d failed, %d rejected, %d waiting\n", res.Sent, res.Failed, res.Rejected, res.Waiting)
	if res.Failed > 0 {
		return fmt.Errorf("%d message(s) failed to send: see `m365connect outbox list --state failed`", res.Failed)
	}
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
