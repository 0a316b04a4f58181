package connection

// This file holds the mailbox step's questions to the tenant: search the directory, look
// a mailbox up, and check that it can be reached, with the values typed so far.

import (
	"context"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// Directory answers the mailbox step for the values being entered. It sends nothing until
// asked; each call honours ctx (the step's Cancel).
type Directory struct {
	c *graph.Client
}

// StateDirectory is a Directory for the wizard's state: the credential is built from the
// typed values, the keyring (src) and the consent step's sign-in (delegated, if any).
func StateDirectory(st *wizard.State, delegated *graph.DelegatedCredential, src SecretSource) (*Directory, error) {
	c, err := stateClient(st, delegated, src)
	if err != nil {
		return nil, err
	}
	return &Directory{c: c}, nil
}

// Find lists up to n mail-enabled users whose name, mail or user principal name starts
// with query (graph.Client.ListMailboxes).
func (d *Directory) Find(ctx context.Context, query string, n int32) (graph.MailboxPage, error) {
	return d.c.ListMailboxes(ctx, query, "", n)
}

// Resolve looks up a UPN, SMTP address or object id: its address, display name, type and
// licence (graph.Client.ResolveMailbox).
func (d *Directory) Resolve(ctx context.Context, input string) (graph.MailboxInfo, error) {
	return d.c.ResolveMailbox(ctx, input)
}

// Reach reads the mailbox's Inbox: reachable when it answers (graph.Client.Inbox).
func (d *Directory) Reach(ctx context.Context, address string) (graph.FolderInfo, error) {
	return d.c.Inbox(ctx, address)
}
