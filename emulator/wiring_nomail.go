//go:build emunomail

// Temporary stand-in for the graphmail wiring while emulator/graphmail does not
// compile yet; built only with -tags emunomail. Deleted at integration.
package emulator

import (
	"context"
	"net/http"
)

type mailSide struct{ list []InfoMailbox }

func newMailSide(opts Options, dir *directory) *mailSide {
	return &mailSide{list: []InfoMailbox{
		{ID: seededGUID(opts.Seed, "u1"), Address: "adele@" + dir.domain, DisplayName: "Adele Vance", Kind: "user"},
		{ID: seededGUID(opts.Seed, "u2"), Address: "alex@" + dir.domain, DisplayName: "Alex Wilber", Kind: "user"},
		{ID: seededGUID(opts.Seed, "s1"), Address: "info@" + dir.domain, DisplayName: "Info", Kind: "shared"},
	}}
}

func (m *mailSide) users() []User {
	var out []User
	for _, mb := range m.list {
		if mb.Kind == "user" {
			out = append(out, User{ID: mb.ID, Address: mb.Address, DisplayName: mb.DisplayName, Admin: len(out) == 0})
		}
	}
	return out
}

func (m *mailSide) mailboxes() []InfoMailbox { return m.list }

type ctxKey struct{}

func (m *mailSide) withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

func (m *mailSide) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(ctxKey{}).(principal)
		writeJSON(w, 200, map[string]any{"appid": p.appID, "roles": p.roles, "scp": p.scopes, "oid": p.userID, "value": []any{}})
	})
}

func (m *mailSide) close() {}
