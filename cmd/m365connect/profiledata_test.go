package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/wizard"
)

// TestSyncProfilesKeepTheirOwnStores: `sync --profile` writes each saved connection's
// mail into its own store (connection.DataDirFor), and the mail.db every profile shared
// before stays with the default profile: it moves into that profile's folder with what
// it held.
func TestSyncProfilesKeepTheirOwnStores(t *testing.T) {
	srv, infoPath, cfgPath := practiceConfig(t)
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	secret := srv.Identity().App(emulator.AppSecretName).ClientSecret()
	t.Setenv(connection.EnvClientSecret, secret)
	c, err := wizard.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	users := userMailboxes(srv)
	first, second := users[0], users[1]
	dataDir, err := connection.DataDir()
	if err != nil {
		t.Fatal(err)
	}
	// An earlier version's sync: one mail.db in the data folder.
	c.Mailboxes = []wizard.Mailbox{{Address: first, Kind: wizard.KindUser}}
	if err := c.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runCmd(t, "sync", "--config", cfgPath, "--sandbox-info", infoPath, "--once"); code != exitOK {
		t.Fatalf("shared sync: exit %d %s", code, errs)
	}
	shared := filepath.Join(dataDir, connection.StoreFileName)
	before := countInbox(t, shared, first)
	if before == 0 {
		t.Fatal("the shared sync stored nothing")
	}

	dir, err := connection.DefaultConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	ps := &connection.Profiles{Dir: dir, Secrets: connection.DefaultSecrets(dir)}
	entries := map[string]connection.ProfileEntry{}
	for name, mb := range map[string]string{"Contoso": first, "Fabrikam": second} {
		pc := *c
		pc.Mailboxes = []wizard.Mailbox{{Address: mb, Kind: wizard.KindUser}}
		e, err := ps.Add(name, &pc)
		if err != nil {
			t.Fatal(err)
		}
		entries[name] = e
	}
	if err := ps.SetDefault("Contoso"); err != nil {
		t.Fatal(err)
	}
	// Fabrikam first: not the default, so it starts a store of its own.
	for _, name := range []string{"Fabrikam", "Contoso"} {
		if _, errs, code := runCmd(t, "sync", "--profile", name, "--sandbox-info", infoPath, "--once"); code != exitOK {
			t.Fatalf("sync --profile %s: exit %d %s", name, code, errs)
		}
	}
	if _, err := os.Stat(shared); !os.IsNotExist(err) {
		t.Fatalf("the shared mail.db is still in the data folder: %v", err)
	}
	contoso := filepath.Join(connection.DataDirFor(dataDir, entries["Contoso"]), connection.StoreFileName)
	fabrikam := filepath.Join(connection.DataDirFor(dataDir, entries["Fabrikam"]), connection.StoreFileName)
	if contoso == fabrikam {
		t.Fatal("both profiles have one store")
	}
	if n := countInbox(t, contoso, first); n < before {
		t.Errorf("Contoso (default) holds %d of %s's messages, the shared store held %d", n, first, before)
	}
	if n := countInbox(t, contoso, second); n != 0 {
		t.Errorf("Contoso's store holds %d messages of Fabrikam's mailbox %s", n, second)
	}
	if n := countInbox(t, fabrikam, second); n == 0 {
		t.Errorf("Fabrikam's store holds none of its mailbox %s", second)
	}
	if n := countInbox(t, fabrikam, first); n != 0 {
		t.Errorf("Fabrikam's store holds %d messages of Contoso's mailbox %s", n, first)
	}
	// The outbox follows the profile too.
	if _, errs, code := runCmd(t, "outbox", "list", "--profile", "Fabrikam"); code != exitOK {
		t.Fatalf("outbox list --profile Fabrikam: exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(connection.DataDirFor(dataDir, entries["Fabrikam"]), "outbox.db")); err != nil {
		t.Errorf("outbox --profile Fabrikam did not use the profile's folder: %v", err)
	}
}

// countInbox is how many Inbox messages of mailbox a store holds.
func countInbox(t *testing.T, path, mailbox string) int64 {
	t.Helper()
	st, err := mailsync.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountMessages(context.Background(), mailbox, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	return n
}
