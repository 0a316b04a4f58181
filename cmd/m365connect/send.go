package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/m365connect/m365connect/outbox"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// runSend is the 'send' subcommand: it queues one message in the outbox (the engine,
// 'm365connect outbox run', sends it). The policy in the config decides whether it is
// queued for sending, held for approval or rejected.
func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "config file saved or exported by the wizard (its \"outbox\" section holds the policy)")
	from := fs.String("from", "", "sending mailbox (SMTP address)")
	var to, cc listFlag
	fs.Var(&to, "to", "recipient address (repeatable or comma-separated)")
	fs.Var(&cc, "cc", "cc address (repeatable or comma-separated)")
	subject := fs.String("subject", "", "subject (may be empty with --reply-to)")
	text := fs.String("text", "", "plain-text body")
	html := fs.String("html", "", "HTML body")
	bodyFile := fs.String("body-file", "", "read the body from this file (plain text, or HTML with --html-file)")
	htmlFile := fs.Bool("html-file", false, "treat --body-file as HTML")
	replyTo := fs.String("reply-to", "", "Graph id of a message in the sending mailbox to reply to")
	key := fs.String("key", "", "idempotency key: sending again with the same key queues nothing new")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *config == "" {
		return fmt.Errorf("%w: --config is required (it carries the outbox policy)", errUsage)
	}
	n := outbox.NewMessage{Key: *key, From: *from, To: to, Cc: cc, Subject: *subject, Text: *text, HTML: *html, ReplyTo: *replyTo}
	if *bodyFile != "" {
		if n.Text != "" || n.HTML != "" {
			return fmt.Errorf("%w: give --body-file or --text/--html, not both", errUsage)
		}
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		if *htmlFile {
			n.HTML = string(b)
		} else {
			n.Text = string(b)
		}
	}
	cfg, err := loadOutboxConfig(*config, "")
	if err != nil {
		return err
	}
	ob, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer ob.Close()
	m, err := ob.Enqueue(ctx, n)
	if errors.Is(err, outbox.ErrInvalid) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	switch m.State {
	case outbox.StateRejected:
		return fmt.Errorf("not queued: %s (outbox id %s)", m.Reason, m.ID)
	case outbox.StatePendingApproval:
		fmt.Fprintf(stdout, "Queued %s; it waits for approval: m365connect outbox approve %s --config %s\n", m.ID, m.ID, *config)
	default:
		fmt.Fprintf(stdout, "Queued %s (%s); internetMessageId %s\n", m.ID, m.State, m.InternetMessageID)
	}
	return nil
}
