package connection_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// modeCredential signs in as the mode app does (client secret, or a delegated sign-in
// as the first user asking for exactly the mode's permissions) and returns the
// credential and the mailbox the mode reaches (the user's own, or the shared one).
func modeCredential(t *testing.T, srv *emulator.Server, cl graph.Cloud, m emulator.ModeApp) (azcore.TokenCredential, graphmail.Mailbox) {
	t.Helper()
	id := srv.Identity()
	app := id.App(m.Name)
	var users, shared []graphmail.Mailbox
	for _, mb := range srv.Mail().Mailboxes() {
		if mb.Kind == graphmail.KindShared {
			shared = append(shared, mb)
		} else {
			users = append(users, mb)
		}
	}
	if !m.Delegated {
		cred, err := graph.NewSecretCredential(cl, id.TenantID(), app.ClientID, app.ClientSecret())
		if err != nil {
			t.Fatal(err)
		}
		return cred, users[0]
	}
	id.SetAutoSignIn(users[0].Address)
	f := graph.Features{Read: m.Incoming, Send: m.Outgoing, ListUsers: true, Shared: m.Shared}
	cred, err := graph.SignIn(context.Background(), graph.SignInOptions{Cloud: cl, TenantID: id.TenantID(), ClientID: app.ClientID,
		Permissions: graph.RequestedPermissions(graph.ModeDelegated, f), Timeout: 20 * time.Second,
		OpenBrowser: func(u string) error {
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			return nil
		}})
	if err != nil {
		t.Fatalf("sign-in %s: %v", m.Name, err)
	}
	if m.Shared {
		return cred, shared[0]
	}
	return cred, users[0]
}

// Every incoming mode, with exactly its practice app's permissions, backfills its
// mailbox with bodies and then follows a new message through delta.
func TestE2EEveryIncomingModeSyncsWithItsExactSet(t *testing.T) {
	srv, err := emulator.New(emulator.Options{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 20, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cl, err := graph.PracticeCloud(srv.AuthorityHost(), srv.BrowserAuthorityHost(), srv.GraphBaseURL(), srv.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range emulator.ModeApps() {
		if !m.Incoming {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			ctx := context.Background()
			cred, mb := modeCredential(t, srv, cl, m)
			src := connection.MailSource(graph.NewMailSourceClient(cl.GraphBaseURL, cl.HTTPClient(), cred, cl.DefaultScope()))
			store, err := mailsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "mail.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			opts := mailsync.Options{Mailboxes: []mailsync.Mailbox{{ID: mb.ID, Address: mb.Address}}, Once: true, Body: "text", PageSize: 10}
			run := func() {
				e, err := mailsync.NewEngine(store, src, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Run(ctx); err != nil {
					t.Fatal(err)
				}
				for _, ms := range e.Status().Mailboxes {
					if ms.State != mailsync.StateDone {
						t.Fatalf("mailbox %s: %s %s", ms.ID, ms.State, ms.LastError)
					}
				}
			}
			run()
			got, err := store.Messages(ctx, mb.ID)
			if err != nil || len(got) == 0 {
				t.Fatalf("backfill stored %d messages: %v", len(got), err)
			}
			for _, g := range got {
				if g.Body == "" {
					t.Fatalf("message %s stored without its body (read permission too weak)", g.ID)
				}
			}
			nm, err := srv.Mail().DeliverMessage(mb.ID, graphmail.Message{Subject: "arrives after backfill " + m.Name,
				From: graphmail.Recipient{Address: "someone@example.org"}, Body: "new", BodyContentType: "text"})
			if err != nil {
				t.Fatal(err)
			}
			run()
			after, _ := store.Messages(ctx, mb.ID)
			found := false
			for _, g := range after {
				found = found || g.ID == nm.ImmutableID
			}
			if !found || len(after) != len(got)+1 {
				t.Fatalf("delta: %d → %d messages, new one found %v", len(got), len(after), found)
			}
		})
	}
}
