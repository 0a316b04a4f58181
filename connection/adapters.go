package connection

import (
	"context"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
)

// The packages graph, mailsync and outbox share field lists, not types, so plain struct
// conversions join them; these compile only while the lists agree.

// MailSource adapts graph.MailSourceClient to mailsync.Source.
func MailSource(c *graph.MailSourceClient) mailsync.Source { return mailSource{c} }

type mailSource struct{ c *graph.MailSourceClient }

func (g mailSource) DeltaPage(ctx context.Context, r mailsync.PageRequest) (mailsync.Page, error) {
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

func (g mailSource) FolderTotal(ctx context.Context, mailbox, folder string, since time.Time) (int64, error) {
	return g.c.FolderTotal(ctx, mailbox, folder, since)
}

// OutboxGraph adapts graph.OutboxClient to outbox.Graph.
func OutboxGraph(c *graph.OutboxClient) outbox.Graph { return outboxGraph{c} }

type outboxGraph struct{ c *graph.OutboxClient }

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
