package graph

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

// TestE2EResolveMailbox: the mailbox field's input — object id, UPN (differing from the
// address), primary SMTP address, an SMTP alias — resolves through the real SDK against
// the practice tenant to the display name, type (user / shared / room from
// mailboxSettings.userPurpose) and licence state.
func TestE2EResolveMailbox(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	mail := srv.Mail()
	d := mail.TenantDomain()
	anna := graphmail.Mailbox{ID: "3c3c3c3c-0000-0000-0000-000000000001", Address: "anna@" + d, UPN: "anna.berg@" + d, DisplayName: "Anna Berg",
		Aliases: []string{"sales@" + d}}
	room := graphmail.Mailbox{ID: "3c3c3c3c-0000-0000-0000-000000000002", Address: "boardroom@" + d, DisplayName: "Board room", Kind: graphmail.KindRoom}
	temp := graphmail.Mailbox{ID: "3c3c3c3c-0000-0000-0000-000000000003", Address: "temp@" + d, DisplayName: "Temp Worker", Unlicensed: true}
	var shared graphmail.Mailbox
	for _, m := range []graphmail.Mailbox{anna, room, temp} {
		mail.AddMailbox(m)
	}
	for _, m := range mail.Mailboxes() {
		if m.Kind == graphmail.KindShared {
			shared = m
		}
	}
	// MailboxSettings.Read makes the type sure (userPurpose); without it, it is a guess.
	srv.Identity().AddAppRoles(app.ClientID, "MailboxSettings.Read")
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret, Features: Features{Read: true, ListUsers: true}}
	gc, _, err := Connect(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()})
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		input    string
		by, id   string
		name     string
		typ      string
		licensed *bool
	}{
		{anna.ID, FoundByID, anna.ID, "Anna Berg", MailboxUser, &yes},
		{"  ANNA.BERG@" + d + " ", FoundByUPN, anna.ID, "Anna Berg", MailboxUser, &yes},
		{"anna@" + d, FoundBySMTP, anna.ID, "Anna Berg", MailboxUser, &yes},
		{"smtp:sales@" + d, FoundBySMTP, anna.ID, "Anna Berg", MailboxUser, &yes},
		{room.Address, FoundByUPN, room.ID, "Board room", MailboxRoom, &no},
		{shared.ID, FoundByID, shared.ID, shared.DisplayName, MailboxShared, &no},
		{temp.Address, FoundByUPN, temp.ID, "Temp Worker", MailboxUser, &no},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			m, err := gc.ResolveMailbox(context.Background(), tc.input)
			if err != nil {
				t.Fatalf("%v → %+v", err, AdviceFor(err))
			}
			if m.By != tc.by || m.ID != tc.id || m.DisplayName != tc.name || m.Type != tc.typ || !m.TypeSure ||
				(m.Licensed == nil) != (tc.licensed == nil) || (m.Licensed != nil && *m.Licensed != *tc.licensed) {
				t.Fatalf("%+v", m)
			}
			if !strings.Contains(m.Summary(), tc.name) || !strings.Contains(m.Summary(), tc.typ+" mailbox") {
				t.Errorf("summary %q", m.Summary())
			}
		})
	}
	if m, _ := gc.ResolveMailbox(context.Background(), anna.ID); len(m.Aliases) != 1 || m.Aliases[0] != "sales@"+d || m.UPN != "anna.berg@"+d || m.Address != "anna@"+d {
		t.Errorf("addresses %+v", m)
	}
	if m, _ := gc.ResolveMailbox(context.Background(), temp.Address); !strings.Contains(m.Summary(), "needs one") {
		t.Errorf("unlicensed user summary %q", m.Summary())
	}
	srv.Identity().RemoveAppRoles(app.ClientID, "MailboxSettings.Read")
	gc2, _, err := Connect(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := gc2.ResolveMailbox(context.Background(), room.ID); err != nil || m.TypeSure || m.Type != MailboxShared || !strings.Contains(m.Summary(), "probably") {
		t.Errorf("without MailboxSettings.Read: %+v %v", m, err)
	}
	for _, bad := range []string{"nobody@" + d, "3c3c3c3c-0000-0000-0000-00000000ffff", "anna", ""} {
		if _, err := gc.ResolveMailbox(context.Background(), bad); !errors.Is(err, ErrMailboxNotFound) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
