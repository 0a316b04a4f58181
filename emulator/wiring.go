package emulator

import (
	"context"
	"net/http"

	"github.com/m365connect/m365connect/emulator/graphmail"
)

// mailSide is the core's link to the Graph mail surface (package graphmail): the
// store that holds the mailboxes, generated from the seed at New.
type mailSide struct {
	store *graphmail.Store
}

func newMailSide(opts Options, dir *directory) *mailSide {
	st := graphmail.NewStore(graphmail.StoreOptions{
		TenantID:      dir.tenantID,
		TenantDomain:  dir.domain,
		TenantName:    dir.tenantName,
		Now:           opts.Now,
		DeliveryDelay: opts.DeliveryDelay,
	})
	shared := opts.SharedMailboxes
	graphmail.Generate(st, graphmail.GenOptions{
		Users:              opts.Users,
		SharedMailboxes:    shared,
		MessagesPerMailbox: opts.MessagesPerMailbox,
		Days:               opts.MailDays,
		Seed:               opts.Seed,
	})
	return &mailSide{store: st}
}

// users lists the user mailboxes as people who can sign in; the first one is the
// tenant's Global Administrator.
func (m *mailSide) users() []User {
	var out []User
	for _, mb := range m.store.Mailboxes() {
		if mb.Kind != graphmail.KindUser {
			continue
		}
		out = append(out, User{ID: mb.ID, Address: mb.Address, DisplayName: mb.DisplayName, Admin: len(out) == 0})
	}
	return out
}

// mailboxes lists every mailbox for the info file.
func (m *mailSide) mailboxes() []InfoMailbox {
	var out []InfoMailbox
	for _, mb := range m.store.Mailboxes() {
		out = append(out, InfoMailbox{ID: mb.ID, Address: mb.Address, DisplayName: mb.DisplayName, Kind: mb.Kind})
	}
	return out
}

func (m *mailSide) handler() http.Handler { return m.store.Handler() }

// withPrincipal hands the validated caller to the mail surface.
func (m *mailSide) withPrincipal(ctx context.Context, p principal) context.Context {
	return graphmail.WithPrincipal(ctx, graphmail.Principal{
		TenantID: p.tenantID, AppID: p.appID, AppOnly: p.appOnly,
		Roles: p.roles, Scopes: p.scopes, UserID: p.userID,
	})
}

// close waits for pending deliveries (sendMail timers).
func (m *mailSide) close() { m.store.Wait() }

// Mail returns the Graph mail surface's store: mailbox data and Graph-side faults.
func (s *Server) Mail() *graphmail.Store { return s.mail.store }
