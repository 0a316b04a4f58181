package connection_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

func savedConfig() *wizard.Config {
	st := wizard.State{Cloud: wizard.CloudGlobal, Incoming: true, Outgoing: true, Mode: wizard.ModeSecret, TenantID: "contoso.onmicrosoft.com",
		ClientID: "00000000-1111-2222-3333-444444444444", Mailboxes: []wizard.Mailbox{{Address: "adele@contoso.com", Kind: wizard.KindUser}}}
	return st.Config("test", time.Now())
}

// SaveWithSecrets writes the config only once its secrets are kept, and says where they
// went: the keyring, or — with the user's consent only — the user-only file.
func TestSaveWithSecrets(t *testing.T) {
	const secret = "abc8Q~secret-value-that-must-not-reach-the-config"
	c := savedConfig()
	key := c.SecretKey(wizard.SecretClientSecret)
	for _, tc := range []struct {
		name      string
		keyring   error
		allowFile bool
		wantErr   bool
		inFile    bool
	}{
		{"keyring", nil, false, false, false},
		{"no keyring, no consent", errors.New("org.freedesktop.secrets was not provided"), false, true, false},
		{"no keyring, consent", errors.New("org.freedesktop.secrets was not provided"), true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.keyring != nil {
				keyring.MockInitWithError(tc.keyring)
			} else {
				keyring.MockInit()
			}
			defer keyring.MockInit()
			dir := t.TempDir()
			store := connection.NewSecretStore("m365connect-test", filepath.Join(dir, "secrets.json"))
			path := filepath.Join(dir, "config.json")
			saved, err := connection.SaveWithSecrets(context.Background(), c, path, store, tc.allowFile, map[string]string{key: secret})
			if tc.wantErr {
				if !errors.Is(err, connection.ErrNoKeyring) {
					t.Fatalf("want ErrNoKeyring, got %v", err)
				}
				if _, serr := os.Stat(path); !os.IsNotExist(serr) {
					t.Fatal("the config was saved although its secret was refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if saved.InFile != tc.inFile || tc.inFile && saved.Place != store.FallbackPath() || !tc.inFile && saved.Place != "the OS keyring" {
				t.Fatalf("saved %+v", saved)
			}
			data, err := os.ReadFile(path)
			if err != nil || strings.Contains(string(data), secret) {
				t.Fatalf("config: %v (holds the secret: %v)", err, strings.Contains(string(data), secret))
			}
			got, _ := connection.LoadSecrets(store, map[string]string{wizard.SecretClientSecret: key, wizard.SecretRefreshToken: c.SecretKey(wizard.SecretRefreshToken)})
			if len(got) != 1 || got[wizard.SecretClientSecret] != secret {
				t.Fatalf("loaded %d secrets", len(got))
			}
			if err := connection.ForgetSecrets(context.Background(), store, key); err != nil {
				t.Fatal(err)
			}
			if got, _ := connection.LoadSecrets(store, map[string]string{wizard.SecretClientSecret: key}); len(got) != 0 {
				t.Fatal("the secret is still there after ForgetSecrets")
			}
		})
	}
}

// The Outgoing mail tab's outbox: nothing is created before there is an outbox; what
// waits for approval is listed; Approve and Reject take it off the list.
func TestOutboxService(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := savedConfig()
	c.Outbox = &wizard.OutboxSettings{Policy: wizard.OutboxPolicy{AllowedSenders: []string{"adele@contoso.com"}, RequireApproval: true}}
	svc := connection.OutboxFor(c, dir)
	msgs, dropped, err := svc.Pending(ctx)
	if err != nil || len(msgs) != 0 || dropped.Accepted != 0 {
		t.Fatalf("empty outbox: %v %d %+v", err, len(msgs), dropped)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Pending created %d file(s) where there was no outbox", len(entries))
	}
	ob, err := outbox.Open(ctx, svc.Database, outbox.Options{Policy: svc.Policy})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two"} {
		if _, err := ob.Enqueue(ctx, outbox.NewMessage{From: "adele@contoso.com", To: []string{"megan@contoso.com"}, Subject: s, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	ob.Close()
	msgs, _, err = svc.Pending(ctx)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("pending: %v, %d", err, len(msgs))
	}
	if !strings.Contains(connection.RenderOutboxMessage(msgs[0]), "megan@contoso.com") {
		t.Fatal("the rendered message does not name its recipient")
	}
	if err := svc.Approve(ctx, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reject(ctx, msgs[1].ID, "wrong recipient"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Approve(ctx, msgs[1].ID); err == nil {
		t.Fatal("a rejected message was approved")
	}
	if msgs, _, err = svc.Pending(ctx); err != nil || len(msgs) != 0 {
		t.Fatalf("after approve and reject: %v, %d pending", err, len(msgs))
	}
}
