package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/outbox"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of one occurrence.
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// Type names the value in usage text.
func (l *listFlag) Type() string { return "addresses" }

// sendOptions are the flags of `m365connect send`.
type sendOptions struct {
	streams
	Config   string
	From     string
	To, Cc   listFlag
	Subject  string
	Text     string
	HTML     string
	BodyFile string
	HTMLFile bool
	ReplyTo  string
	Key      string
}

func newSendCmd(s streams) *cobra.Command {
	opts := &sendOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "send --config FILE --from ADDRESS --to ADDRESS [options]",
		Short: "Queue an outgoing message in the outbox",
		Long: "Queue one message in the outbox; `m365connect outbox run` sends it. The policy in the\n" +
			"config decides whether it is queued for sending, held for approval or rejected.",
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if opts.Config == "" && !haveSaved(opts.streams) {
				return usagef("--config is required (it carries the outbox policy)")
			}
			if opts.BodyFile != "" && (opts.Text != "" || opts.HTML != "") {
				return usagef("give --body-file or --text/--html, not both")
			}
			return runSend(cmd.Context(), opts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "", "config file saved or exported by the wizard (its \"outbox\" section holds the policy)")
	f.StringVar(&opts.From, "from", "", "sending mailbox (SMTP address)")
	f.Var(&opts.To, "to", "recipient address (repeatable or comma-separated)")
	f.Var(&opts.Cc, "cc", "cc address (repeatable or comma-separated)")
	f.StringVar(&opts.Subject, "subject", "", "subject (may be empty with --reply-to)")
	f.StringVar(&opts.Text, "text", "", "plain-text body")
	f.StringVar(&opts.HTML, "html", "", "HTML body")
	f.StringVar(&opts.BodyFile, "body-file", "", "read the body from this file (plain text, or HTML with --html-file)")
	f.BoolVar(&opts.HTMLFile, "html-file", false, "treat --body-file as HTML")
	f.StringVar(&opts.ReplyTo, "reply-to", "", "Graph id of a message in the sending mailbox to reply to")
	f.StringVar(&opts.Key, "key", "", "idempotency key: sending again with the same key queues nothing new")
	return cmd
}

// runSend queues the message and says what became of it.
func runSend(ctx context.Context, opts *sendOptions) error {
	n := outbox.NewMessage{Key: opts.Key, From: opts.From, To: opts.To, Cc: opts.Cc, Subject: opts.Subject, Text: opts.Text, HTML: opts.HTML, ReplyTo: opts.ReplyTo}
	if opts.BodyFile != "" {
		b, err := os.ReadFile(opts.BodyFile)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		if opts.HTMLFile {
			n.HTML = string(b)
		} else {
			n.Text = string(b)
		}
	}
	var m outbox.Message
	err := withOutbox(ctx, opts.Config, "", opts.profileName(), func(_ outboxConfig, ob *outbox.Outbox) error {
		var err error
		m, err = ob.Enqueue(ctx, n)
		return err
	})
	if errors.Is(err, outbox.ErrInvalid) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	switch m.State {
	case outbox.StateRejected:
		return fmt.Errorf("not queued: %s (outbox id %s)", m.Reason, m.ID)
	case outbox.StatePendingApproval:
		fmt.Fprintf(opts.Out, "Queued %s; it waits for approval: m365connect outbox approve %s %s\n", m.ID, m.ID, opts.target(opts.Config))
	default:
		fmt.Fprintf(opts.Out, "Queued %s (%s); internetMessageId %s\n", m.ID, m.State, m.InternetMessageID)
	}
	return nil
}
