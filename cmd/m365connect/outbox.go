package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
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
func loadOutboxConfig(path, sandboxInfo string) (outboxConfig, error) {
	c, secrets, err := loadConfig(path, sandboxInfo)
	if err != nil {
		return outboxConfig{}, err
	}
	oc := outboxConfig{Policy: connection.OutboxPolicy(c), config: c, secrets: secrets}
	dataDir := ""
	if c.Outbox == nil || c.Outbox.Database == "" || c.Outbox.Folder == "" {
		if dataDir, err = connection.DataDir(); err != nil {
			return oc, fmt.Errorf("%w (or set outbox.database and outbox.folder in the config)", err)
		}
	}
	oc.Database, oc.Folder = connection.OutboxFiles(c, dataDir)
	return oc, nil
}

func (c outboxConfig) open(ctx context.Context) (*outbox.Outbox, error) {
	return outbox.Open(ctx, c.Database, outbox.Options{Policy: c.Policy})
}

// runOutbox is the 'outbox' subcommand: list, show, approve, reject, scan and run.
func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: m365connect outbox list|show|approve|reject|scan|run --config FILE [options]")
		return fmt.Errorf("%w: missing action", errUsage)
	}
	action, args := args[0], args[1:]
	fs := flag.NewFlagSet("outbox "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "config file saved or exported by the wizard (its \"outbox\" section holds the policy)")
	info := fs.String("sandbox-info", "", "practice tenant: the info file of a running 'm365connect sandbox' (replaces the config's practice hosts)")
	var state, by, reason *string
	var asJSON, once *bool
	var interval *time.Duration
	switch action {
	case "list":
		state = fs.String("state", "", "only this state (pending_approval, sent, failed, ...)")
		asJSON = fs.Bool("json", false, "print JSON")
	case "approve":
		by = fs.String("by", outbox.DefaultApprover(), "who approves (kept on record)")
	case "reject":
		reason = fs.String("reason", "", "why (kept on record)")
	case "run":
		once = fs.Bool("once", false, "scan the folder and run one pass, then exit")
		interval = fs.Duration("interval", 5*time.Second, "poll interval")
	case "show", "scan":
	default:
		return fmt.Errorf("%w: unknown outbox action %q", errUsage, action)
	}
	// Allow "approve ID --config F" as well as "approve --config F ID".
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if *config == "" {
		return fmt.Errorf("%w: --config is required", errUsage)
	}
	needID := action == "approve" || action == "reject" || action == "show"
	if needID != (len(pos) == 1) {
		return fmt.Errorf("%w: outbox %s takes %s", errUsage, action, map[bool]string{true: "one message ID", false: "no arguments"}[needID])
	}
	cfg, err := loadOutboxConfig(*config, *info)
	if err != nil {
		return err
	}
	ob, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer ob.Close()
	switch action {
	case "list":
		var states []outbox.State
		if *state != "" {
			if !outbox.State(*state).Valid() {
				return fmt.Errorf("%w: unknown state %q", errUsage, *state)
			}
			states = append(states, outbox.State(*state))
		}
		msgs, err := ob.List(ctx, states...)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if msgs == nil {
				msgs = []outbox.Message{}
			}
			return enc.Encode(msgs)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tFROM\tTO\tSUBJECT\tREASON")
		for _, m := range msgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.From, strings.Join(m.To, ","), oneLine(m.Subject, 40), oneLine(m.Reason, 60))
		}
		return tw.Flush()
	case "show":
		m, err := ob.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s  %s\ninternetMessageId: %s\n%s", m.ID, m.State, m.InternetMessageID, outbox.Render(m))
		if m.Reason != "" {
			fmt.Fprintf(stdout, "reason: %s\n", m.Reason)
		}
		if m.ErrorCode != "" {
			fmt.Fprintf(stdout, "Graph error: %s: %s\n", m.ErrorCode, m.ErrorMessage)
			if a, ok := graph.LookupAdvice(m.ErrorCode); ok {
				fmt.Fprintf(stdout, "what happened: %s\nfix: %s\n", a.Title, a.Fix)
			}
		}
		h, err := ob.History(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, e := range h {
			fmt.Fprintf(stdout, "  %s  %s → %s  %s\n", e.At.Format(time.RFC3339), e.From, e.To, e.Detail)
		}
		return nil
	case "approve":
		if err := ob.Approve(ctx, pos[0], *by); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Approved %s.\n", pos[0])
		return nil
	case "reject":
		if strings.TrimSpace(*reason) == "" {
			return fmt.Errorf("%w: --reason is required", errUsage)
		}
		if err := ob.Reject(ctx, pos[0], *reason); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Rejected %s.\n", pos[0])
		return nil
	case "scan":
		r, err := ob.ScanDropFolder(ctx, cfg.Folder)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d accepted, %d rejected, %d still being written\n", cfg.Folder, r.Accepted, r.Rejected, r.Waiting)
		for _, f := range r.Failed {
			fmt.Fprintf(stderr, "could not move aside %s\n", f)
		}
		return nil
	}
	// run
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
	e, err := ob.NewEngine(outbox.EngineOptions{Graph: g, Logf: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }})
	if err != nil {
		return err
	}
	if *once {
		defer e.Release(context.WithoutCancel(ctx))
		if _, err := ob.ScanDropFolder(ctx, cfg.Folder); err != nil {
			return err
		}
		res, err := e.RunOnce(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d sent, %d failed, %d rejected, %d waiting\n", res.Sent, res.Failed, res.Rejected, res.Waiting)
		return nil
	}
	fmt.Fprintf(stdout, "Sending from %s, watching %s. Press Ctrl+C to stop.\n", cfg.Database, cfg.Folder)
	if err := e.Run(ctx, *interval, cfg.Folder); err != nil && !errors.Is(err, context.Canceled) {
		return err
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
