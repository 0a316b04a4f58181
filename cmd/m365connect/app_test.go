package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// testBrowser plays the system browser against the practice tenant.
func testBrowser(u string) error {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}

func TestAppCreateRotateDeleteCommands(t *testing.T) {
	srv, info, _ := practiceConfig(t)
	users := srv.Identity().Users()
	srv.Identity().SetAutoSignIn(users[0].Address) // the Global Administrator
	srv.Identity().SetPropagationDelay(1, 1)
	cfg := filepath.Join(t.TempDir(), "created.json")
	instant := graph.PropagationWait{Attempts: 4, Backoff: func(int) time.Duration { return 10 * time.Millisecond }}
	var out, errb bytes.Buffer
	base := appOptions{Out: &out, Err: &errb, ConfigPath: cfg, SandboxInfo: info, OpenBrowser: testBrowser, Wait: instant}

	// Without a yes, nothing is created.
	o := base
	o.Mode, o.Features, o.Mailboxes, o.In = wizard.ModeCertificate, wizard.Features{Read: true}, []string{users[2].Address}, strings.NewReader("n\n")
	if err := runAppCreate(context.Background(), o); err == nil || len(srv.Identity().CreatedApps()) != 0 {
		t.Fatalf("declined: %v, %d apps", err, len(srv.Identity().CreatedApps()))
	}
	o = base
	o.In = strings.NewReader("y\n")
	o.Mode, o.Features, o.Mailboxes, o.Name, o.Lifetime = wizard.ModeCertificate, wizard.Features{Read: true}, []string{users[2].Address}, "m365connect", graph.DefaultCredentialLifetime
	if err := runAppCreate(context.Background(), o); err != nil {
		t.Fatalf("app create: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"Microsoft Graph application permission Mail.Read", "certificate made on this computer", " checks passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "WAIT ") || !strings.Contains(errb.String(), "trying again in") {
		t.Errorf("no countdown shown:\n%s", errb.String())
	}
	c, err := wizard.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if apps := srv.Identity().CreatedApps(); len(apps) != 1 || apps[0].AppID != c.ClientID {
		t.Fatalf("tenant %+v, config %s", apps, c.ClientID)
	}
	// The written config verifies headless: the certificate comes from the keyring.
	if so, se, code := runCmd(t, "verify", "--config", cfg, "--sandbox-info", info); code != 0 {
		t.Fatalf("verify the created app: %d\n%s%s", code, so, se)
	}

	o = base
	o.Lifetime = 20 * 24 * time.Hour
	out.Reset()
	if err := runAppRotate(context.Background(), o); err != nil || !strings.Contains(out.String(), "Rotated") {
		t.Fatalf("app rotate: %v %s", err, out.String())
	}
	if so, se, code := runCmd(t, "verify", "--config", cfg, "--sandbox-info", info); code != 0 || !strings.Contains(so, "WARNING") {
		t.Errorf("verify after rotation (expiry warning expected): %d\n%s%s", code, so, se)
	}
	out.Reset()
	if err := runAppDelete(context.Background(), base); err != nil || !strings.Contains(out.String(), "Deleted") {
		t.Fatalf("app delete: %v", err)
	}
	if apps := srv.Identity().CreatedApps(); len(apps) != 0 {
		t.Errorf("left in the tenant: %+v", apps)
	}
	if _, _, code := runCmd(t, "app"); code != 2 {
		t.Errorf("bare app: exit %d", code)
	}
	if _, _, code := runCmd(t, "app", "create", "--config", cfg, "--features", "everything"); code != 2 {
		t.Errorf("bad feature: exit %d", code)
	}
}
