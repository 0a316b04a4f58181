package connection

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

func TestSyncOptionsAndOutboxFiles(t *testing.T) {
	data := filepath.Join("data", "dir")
	tests := []struct {
		name              string
		c                 wizard.Config
		store, db, folder string
		days              int
		mailboxes         []string
	}{
		{"defaults", wizard.Config{Mailboxes: []wizard.Mailbox{{Address: "anna@contoso.com"}}},
			filepath.Join(data, "mail.db"), filepath.Join(data, "outbox.db"), filepath.Join(data, "outbox"), 0, []string{"anna@contoso.com"}},
		{"from the config", wizard.Config{
			Mailboxes: []wizard.Mailbox{{Address: "anna@contoso.com", ID: "1f0c"}, {Address: "info@contoso.com"}},
			Sync:      &wizard.SyncSettings{BackfillDays: 90, Store: "mine.db"},
			Outbox:    &wizard.OutboxSettings{Database: "o.db", Folder: "drop"}},
			"mine.db", "o.db", "drop", 90, []string{"1f0c", "info@contoso.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := SyncOptions(&tc.c, data)
			var ids []string
			for _, m := range o.Mailboxes {
				ids = append(ids, m.ID)
			}
			if o.StorePath != tc.store || o.BackfillDays != tc.days || !slices.Equal(ids, tc.mailboxes) {
				t.Fatalf("SyncOptions = %+v", o)
			}
			db, folder := OutboxFiles(&tc.c, data)
			if db != tc.db || folder != tc.folder {
				t.Fatalf("OutboxFiles = %s, %s", db, folder)
			}
		})
	}
	// No outbox section: no sender is allowed.
	if p := OutboxPolicy(&wizard.Config{}); len(p.AllowedSenders) != 0 {
		t.Fatalf("policy without a section allows %v", p.AllowedSenders)
	}
}

func TestChainOrder(t *testing.T) {
	keyring.MockInit()
	c := &wizard.Config{TenantID: "contoso.onmicrosoft.com", ClientID: "00000000-1111-2222-3333-444444444444"}
	key := c.SecretKey(wizard.SecretClientSecret)
	env := map[string]string{}
	ch := Chain{Env: func(k string) string { return env[k] }, Store: secretstore.New("m365connect-test", filepath.Join(t.TempDir(), "s.json"))}
	if _, err := ch.Get(key); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatalf("empty chain: %v", err)
	}
	ch.PracticeSecret = "practice"
	if v, _ := ch.Get(key); v != "practice" {
		t.Fatalf("practice secret not used: %q", v)
	}
	if err := ch.Set(key, "stored"); err != nil {
		t.Fatal(err)
	}
	if v, _ := ch.Get(key); v != "stored" {
		t.Fatalf("stored secret not preferred: %q", v)
	}
	env[EnvClientSecret] = "from-env"
	if v, _ := ch.Get(key); v != "from-env" {
		t.Fatalf("environment not preferred: %q", v)
	}
	// The environment never answers for another kind of secret.
	if _, err := ch.Get(c.SecretKey(wizard.SecretRefreshToken)); err == nil {
		t.Fatal("refresh token found where none was stored")
	}
}
