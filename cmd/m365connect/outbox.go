package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/outbox"
)

// outboxConfig is the "outbox" section of a config file (documented in package outbox).
type outboxConfig struct {
	Database string        `json:"database"`
	Folder   string        `json:"folder"`
	Policy   outbox.Policy `json:"policy"`
}

// loadOutboxConfig reads only the "outbox" section of a config file.
func loadOutboxConfig(path string) (outboxConfig, error) {
	var f struct {
		Outbox *outboxConfig `json:"outbox"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return outboxConfig{}, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return outboxConfig{}, fmt.Errorf("config %s: %w", path, err)
	}
	if f.Outbox == nil {
		return outboxConfig{}, fmt.Errorf("config %s has no \"outbox\" section (policy); see 'go doc outbox'", path)
	}
	c := *f.Outbox
	if c.Database == "" || c.Folder == "" {
		d, err := appdirs.DataDir()
		if err != nil {
			return c, fmt.Errorf("find the data folder (set outbox.database and outbox.folder): %w", err)
		}
		if c.Database == "" {
			c.Database = filepath.Join(d, outbox.FileName)
		}
		if c.Folder == "" {
			c.Folder = filepath.Join(d, "outbox")
		}
	}
	return c, nil
}

func (c outboxConfig) open(ctx context.Context) (*outbox.Outbox, error) {
	return outbox.Open(ctx, c.Database, outbox.Options{Policy: c.Policy})
}

// outboxGraph adapts graph.OutboxClient to outbox.Graph (same field lists).
type outboxGraph struct{ c *graph.OutboxClient }

var _ outbox.Graph = outboxGraph{}

func (a outboxGraph) CreateDraft(ctx context.Context, d outbox.Draft) (outbox.Remote, error) {
	r, err := a.c.CreateDraft(ctx, graph.OutboxDraft(d))
	return outbox.Remote(r), err
}

func (a outboxGraph) SendDraft(ctx context.Context, mailbox, id string) error {
	return a.c.SendDraft(ctx, mailbox, id)
}

func (a outboxGraph) GetMessage(ctx context.Context, mailbox, id string) (outbox.Remote, error) {
	r, err := a.c.GetMessage(ctx, mailbox, id)
	return outbox.Remote(r), err
}

func (a outboxGraph) FindByInternetMessageID(ctx context.Context, mailbox, folder, imid string) ([]outbox.Remote, error) {
	rs, err := a.c.FindByInternetMessageID(ctx, mailbox, folder, imid)
	return remotes(rs), err
}

func (a outboxGraph) ListConversation(ctx context.Context, mailbox, folder, conv string) ([]outbox.Remote, error) {
	rs, err := a.c.ListConversation(ctx, mailbox, folder, conv)
	return remotes(rs), err
}

func remotes(rs []graph.OutboxMessage) []outbox.Remote {
	out := make([]outbox.Remote, len(rs))
	for i, r := range rs {
		out[i] = outbox.Remote(r)
	}
	return out
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
	config := fs.String("config", "", "config file with an \"outbox\" section")
	var state, by, reason, info, app *string
	var asJSON, once *bool
	var interval *time.Duration
	switch action {
	case "list":
		state = fs.String("state", "", "only this state (pending_approval, sent, failed, ...)")
		asJSON = fs.Bool("json", false, "print JSON")
	case "approve":
		by = fs.String("by", os.Getenv("USER"), "who approves (kept on record)")
	case "reject":
		reason = fs.String("reason", "", "why (kept on record)")
	case "run":
		info = fs.String("sandbox-info", "", "practice tenant info file (from 'm365connect sandbox') to send through")
		app = fs.String("app", emulator.AppSecretName, "practice app to send as")
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
	cfg, err := loadOutboxConfig(*config)
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
		fmt.Fprintf(stdout, "%s  %s\nfrom %s to %s cc %s\nsubject: %s\ninternetMessageId: %s\n", m.ID, m.State, m.From,
			strings.Join(m.To, ","), strings.Join(m.Cc, ","), m.Subject, m.InternetMessageID)
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
		fmt.Fprintf(stdout, "%s: %d accepted, %d rejected\n", cfg.Folder, r.Accepted, r.Rejected)
		return nil
	}
	// run
	if *info == "" {
		return errors.New("outbox run sends through the practice tenant only for now: give --sandbox-info FILE")
	}
	g, err := practiceOutboxGraph(*info, *app)
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

// practiceOutboxGraph builds the outbox's Graph client from a sandbox info file.
func practiceOutboxGraph(path, appName string) (outbox.Graph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sandbox info: %w", err)
	}
	var inf emulator.Info
	if err := json.Unmarshal(b, &inf); err != nil {
		return nil, fmt.Errorf("sandbox info %s: %w", path, err)
	}
	ca, err := os.ReadFile(inf.CACertFile)
	if err != nil {
		return nil, fmt.Errorf("read practice CA: %w", err)
	}
	cl, err := graph.PracticeCloud(inf.AuthorityHost, inf.BrowserAuthorityHost, inf.GraphBaseURL, ca)
	if err != nil {
		return nil, err
	}
	for _, a := range inf.Apps {
		if a.Name != appName && a.ClientID != appName {
			continue
		}
		cred, err := graph.NewSecretCredential(cl, inf.TenantID, a.ClientID, a.ClientSecret)
		if err != nil {
			return nil, err
		}
		c, err := graph.NewOutboxClient(graph.OutboxClientOptions{GraphBaseURL: cl.GraphBaseURL, HTTPClient: cl.HTTPClient(),
			Credential: cred, Resource: cl.GraphResource})
		if err != nil {
			return nil, err
		}
		return outboxGraph{c}, nil
	}
	return nil, fmt.Errorf("sandbox info %s has no app %q", path, appName)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
