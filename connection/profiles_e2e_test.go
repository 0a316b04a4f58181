package connection

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// TestE2EThreeCustomersSideBySide: three saved connections to the practice tenant,
// each with its own mailbox and its own secret in the keyring, verified one after the
// other by name through the same connection.Verify the commands use; a wrong secret in
// one profile fails that one only; renaming one keeps it working.
func TestE2EThreeCustomersSideBySide(t *testing.T) {
	keyring.MockInit()
	srv, err := emulator.New(emulator.Options{Seed: 3, Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "practice-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	app := srv.Identity().App(emulator.AppSecretName)
	store := secretstore.New("m365connect-e2e-"+filepath.Base(dir), "")
	p := &Profiles{Dir: dir, Secrets: store}
	var mbs []wizard.Mailbox
	for _, m := range srv.Mail().Mailboxes() {
		if m.Kind == wizard.KindUser {
			mbs = append(mbs, wizard.Mailbox{Address: m.Address, ID: m.ID, DisplayName: m.DisplayName, Kind: m.Kind})
		}
	}
	exp := time.Now().AddDate(0, 0, 12)
	names := []string{"Contoso", "Fabrikam", "Northwind"}
	for i, name := range names {
		c := &wizard.Config{Schema: wizard.SchemaVersion, Cloud: wizard.CloudPractice, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID,
			AccessMode: wizard.ModeSecret, Features: wizard.Features{Read: true}, Permissions: []string{"Mail.Read"},
			Practice:   &wizard.PracticeHosts{AuthorityHost: srv.AuthorityHost(), BrowserAuthorityHost: srv.BrowserAuthorityHost(), GraphBaseURL: srv.GraphBaseURL(), CACertFile: ca},
			Credential: wizard.Credential{ExpiresAt: &exp}, Mailboxes: []wizard.Mailbox{mbs[i]}, Locked: true}
		e, err := p.Add(name, c)
		if err != nil {
			t.Fatal(err)
		}
		secret := app.ClientSecret()
		if name == "Fabrikam" {
			secret = "wrong~secret.value.for.this.one"
		}
		if _, err := p.SetSecret(e, wizard.SecretClientSecret, secret); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(name string) ([]graph.CheckResult, *wizard.Config) {
		t.Helper()
		e, c, err := p.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Verify(context.Background(), c, ProfileSecrets(e, Chain{Store: store}), nil)
		if err != nil {
			t.Fatal(err)
		}
		return rs, c
	}
	for i, name := range names {
		rs, c := verify(name)
		m := map[string]graph.CheckResult{}
		for _, r := range rs {
			m[r.ID] = r
		}
		if name == "Fabrikam" {
			if m["credentials"].Status != graph.StatusFail || m["credentials"].Advice == nil || m["credentials"].Advice.Code != "AADSTS7000215" {
				t.Errorf("%s: %+v", name, m["credentials"])
			}
			continue
		}
		if r := m["mailbox:"+mbs[i].Address]; r.Status != graph.StatusPass || c.Mailboxes[0].Address != mbs[i].Address {
			t.Errorf("%s: its own mailbox %s: %+v", name, mbs[i].Address, r)
		}
		if r := m["expiry"]; r.Status != graph.StatusWarn || !strings.Contains(r.Seen, "in 11 days") && !strings.Contains(r.Seen, "in 12 days") {
			t.Errorf("%s: expiry %+v", name, r)
		}
	}
	if err := p.Rename("Northwind", "Northwind Traders"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := verify("northwind traders"); graph.Failed(rs[:len(rs)-1]) {
		t.Errorf("renamed profile no longer verifies: %+v", rs)
	}
	if _, _, err := p.Open("Northwind"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("old name still opens: %v", err)
	}
}
