package connection

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// memKeyring is a Keyring in memory.
type memKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeyring) Get(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return "", secretstore.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = value
	return nil
}

func (k *memKeyring) Delete(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func practiceConfig(t *testing.T, srv *emulator.Server, mode string) *wizard.Config {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var mailboxes []wizard.Mailbox
	for _, m := range srv.Mail().Mailboxes()[2:3] {
		mailboxes = append(mailboxes, wizard.Mailbox{Address: m.Address, Kind: wizard.KindUser})
	}
	return &wizard.Config{Schema: wizard.SchemaVersion, Cloud: wizard.CloudPractice, TenantID: srv.Identity().TenantID(), AccessMode: mode,
		Practice: &wizard.PracticeHosts{AuthorityHost: srv.AuthorityHost(), BrowserAuthorityHost: srv.BrowserAuthorityHost(),
			GraphBaseURL: srv.GraphBaseURL(), CACertFile: ca},
		Features: wizard.Features{Read: true}, Mailboxes: mailboxes}
}

func browser(u string) error {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}

func TestAppCreateRotateDeleteThroughTheKeyring(t *testing.T) {
	srv, err := emulator.New(emulator.Options{Seed: 3, Users: 4, MessagesPerMailbox: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	instant := graph.PropagationWait{Attempts: 3, Backoff: func(int) time.Duration { return time.Millisecond }}
	for _, mode := range []string{wizard.ModeCertificate, wizard.ModeSecret} {
		cfg := practiceConfig(t, srv, mode)
		cl, err := CloudFor(cfg.Cloud, cfg.Practice)
		if err != nil {
			t.Fatal(err)
		}
		admins := srv.Identity().Users()
		srv.Identity().SetAutoSignIn(admins[0].Address)
		admin, err := graph.AdminSignIn(context.Background(), graph.SignInOptions{Cloud: cl, TenantID: cfg.TenantID, OpenBrowser: browser, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		k := &memKeyring{m: map[string]string{}}
		got, err := CreateApp(context.Background(), AppOptions{Config: cfg, Admin: admin, Keyring: k, Wait: instant})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if cfg.ClientID != got.AppID || cfg.Verification == nil || len(cfg.Permissions) != 1 || cfg.Permissions[0] != "Mail.Read" {
			t.Fatalf("%s: config %+v", mode, cfg)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: the filled config does not validate: %v", mode, err)
		}
		if mode == wizard.ModeCertificate && (!cfg.Credential.CertificateInKeyring || len(cfg.Credential.CertificateThumbprint) != 40 ||
			!strings.Contains(k.m[cfg.SecretKey(SecretCertificate)], "PRIVATE KEY")) {
			t.Errorf("certificate not in the keyring: %+v", cfg.Credential)
		}
		if e := ExpiryOf(cfg, time.Now()); e.Warn || e.DaysLeft < 360 {
			t.Errorf("%s: expiry %+v", mode, e)
		}
		rs, err := Verify(context.Background(), cfg, k, nil)
		if err != nil || graph.Failed(rs) {
			t.Fatalf("%s: verify from the keyring: %v %+v", mode, err, rs)
		}
		before := k.m[cfg.SecretKey(wizard.SecretClientSecret)] + k.m[cfg.SecretKey(SecretCertificate)]
		if err := RotateApp(context.Background(), cfg, admin, k, 20*24*time.Hour, nil); err != nil {
			t.Fatalf("%s: rotate: %v", mode, err)
		}
		after := k.m[cfg.SecretKey(wizard.SecretClientSecret)] + k.m[cfg.SecretKey(SecretCertificate)]
		if after == before || after == "" {
			t.Errorf("%s: the keyring still holds the old credential", mode)
		}
		if e := ExpiryOf(cfg, time.Now()); !e.Warn || e.Expired {
			t.Errorf("%s: a 20-day credential should warn: %+v", mode, e)
		}
		if rs, err := Verify(context.Background(), cfg, k, nil); err != nil || graph.Failed(rs) {
			t.Fatalf("%s: verify after rotation: %v", mode, err)
		}
		if err := DeleteApp(context.Background(), cfg, admin, k); err != nil {
			t.Fatal(err)
		}
		if len(k.m) != 0 || len(srv.Identity().CreatedApps()) != 0 {
			t.Errorf("%s: left behind: keyring %d, tenant %+v", mode, len(k.m), srv.Identity().CreatedApps())
		}
	}
}
