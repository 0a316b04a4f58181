package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// sandboxInfo is the part of the practice tenant's info file (`m365connect sandbox`)
// that a sync needs.
type sandboxInfo struct {
	AuthorityHost        string `json:"authority_host"`
	BrowserAuthorityHost string `json:"browser_authority_host"`
	GraphBaseURL         string `json:"graph_base_url"`
	CACertFile           string `json:"ca_cert_file"`
	TenantID             string `json:"tenant_id"`
	Apps                 []struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Access       string `json:"access"`
	} `json:"apps"`
	Mailboxes []struct {
		ID      string `json:"id"`
		Address string `json:"address"`
	} `json:"mailboxes"`
}

// runSync is the 'sync' subcommand: mirror mailboxes into the local store.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "wizard config file (not wired yet: use --sandbox-info)")
	sandbox := fs.String("sandbox-info", "", "practice tenant info file written by 'm365connect sandbox'")
	storePath := fs.String("store", "m365connect-mail.db", "local store (SQLite file)")
	once := fs.Bool("once", false, "sync every folder once, then exit")
	days := fs.Int("days", mailsync.DefaultBackfillDays, "backfill window in days")
	folders := fs.String("folders", "inbox,sentitems", "comma-separated folder ids or well-known names")
	body := fs.String("body", mailsync.BodyPreview, "preview, text or html")
	pageSize := fs.Int("page-size", mailsync.DefaultPageSize, "Prefer: odata.maxpagesize")
	mailboxes := fs.String("mailboxes", "", "comma-separated mailbox ids or addresses (default: every mailbox in the info file)")
	poll := fs.Duration("poll", mailsync.DefaultPollInterval, "poll interval when not --once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *config != "" {
		return fmt.Errorf("%w: --config is not wired to the sync engine yet; use --sandbox-info", errUsage)
	}
	if *sandbox == "" {
		return fmt.Errorf("%w: --sandbox-info FILE is required", errUsage)
	}
	src, mbs, err := sandboxSource(*sandbox)
	if err != nil {
		return err
	}
	if *mailboxes != "" {
		mbs = nil
		for _, m := range strings.Split(*mailboxes, ",") {
			if m = strings.TrimSpace(m); m != "" {
				mbs = append(mbs, mailsync.Mailbox{ID: m, Address: m})
			}
		}
	}
	opts := mailsync.Options{
		Mailboxes: mbs, Folders: splitList(*folders), BackfillDays: *days, Body: *body,
		PageSize: *pageSize, StorePath: *storePath, Once: *once, PollInterval: *poll, EstimateTotal: true,
	}
	rep := mailsync.NewReporter(stdout, isTerminal(stdout))
	err = mailsync.Run(ctx, opts, src, rep.Progress)
	if errors.Is(err, mailsync.ErrStoreLocked) {
		return fmt.Errorf("%w (is another m365connect sync running?)", err)
	}
	return err
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

// sandboxSource connects to the practice tenant with its app-only secret app.
func sandboxSource(path string) (mailsync.Source, []mailsync.Mailbox, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read sandbox info: %w", err)
	}
	var info sandboxInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, nil, fmt.Errorf("read sandbox info %s: %w", path, err)
	}
	ca, err := os.ReadFile(info.CACertFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read practice CA: %w", err)
	}
	cl, err := graph.PracticeCloud(info.AuthorityHost, info.BrowserAuthorityHost, info.GraphBaseURL, ca)
	if err != nil {
		return nil, nil, err
	}
	var clientID, secret string
	for _, a := range info.Apps {
		if a.Access == "application" && a.ClientSecret != "" && clientID == "" {
			clientID, secret = a.ClientID, a.ClientSecret
		}
	}
	if clientID == "" {
		return nil, nil, errors.New("the sandbox info file lists no application app with a secret")
	}
	cred, err := graph.NewSecretCredential(cl, info.TenantID, clientID, secret)
	if err != nil {
		return nil, nil, err
	}
	var mbs []mailsync.Mailbox
	for _, m := range info.Mailboxes {
		mbs = append(mbs, mailsync.Mailbox{ID: m.ID, Address: m.Address})
	}
	return graphMailSource{graph.NewMailSourceClient(cl.GraphBaseURL, cl.HTTPClient(), cred, cl.DefaultScope())}, mbs, nil
}

// graphMailSource adapts graph.MailSourceClient to mailsync.Source: the two packages
// share field lists, not types, so plain struct conversions do it.
type graphMailSource struct{ c *graph.MailSourceClient }

func (g graphMailSource) DeltaPage(ctx context.Context, r mailsync.PageRequest) (mailsync.Page, error) {
	p, err := g.c.DeltaPage(ctx, graph.MailSourceRequest(r))
	if err != nil {
		return mailsync.Page{}, err
	}
	out := mailsync.Page{NextLink: p.NextLink, DeltaLink: p.DeltaLink, Messages: make([]mailsync.Message, len(p.Messages))}
	for i, m := range p.Messages {
		out.Messages[i] = mailsync.Message(m)
	}
	return out, nil
}

func (g graphMailSource) FolderTotal(ctx context.Context, mailbox, folder string) (int64, error) {
	return g.c.FolderTotal(ctx, mailbox, folder)
}
