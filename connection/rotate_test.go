package connection

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// TestRotateSavedFindsTheOldSecretByHint: a secret whose keyId was never stored (an app
// made elsewhere, a saved profile's secret) is found among the app's secrets by its
// first three characters and removed after the new one works: the old secret then gets
// no token, the new one does. A hint no secret carries removes nothing.
func TestRotateSavedFindsTheOldSecretByHint(t *testing.T) {
	srv, err := emulator.New(emulator.Options{Seed: 3, Users: 4, MessagesPerMailbox: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := practiceConfig(t, srv, wizard.ModeSecret)
	cl, err := CloudFor(cfg.Cloud, cfg.Practice)
	if err != nil {
		t.Fatal(err)
	}
	srv.Identity().SetAutoSignIn(srv.Identity().Users()[0].Address)
	admin, err := graph.AdminSignIn(context.Background(), graph.SignInOptions{Cloud: cl, TenantID: cfg.TenantID, OpenBrowser: browser, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	k := &memKeyring{m: map[string]string{}}
	if _, err := CreateApp(context.Background(), AppOptions{Config: cfg, Admin: admin, Keyring: k,
		Wait: graph.PropagationWait{Attempts: 3, Backoff: func(int) time.Duration { return time.Millisecond }}}); err != nil {
		t.Fatal(err)
	}
	old := k.m[cfg.SecretKey(wizard.SecretClientSecret)]
	delete(k.m, cfg.SecretKey(SecretClientSecretID)) // as if made elsewhere
	works := func(secret string) bool {
		cred, err := graph.NewSecretCredential(cl, cfg.TenantID, cfg.ClientID, secret)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = graph.GetToken(context.Background(), cl, cred)
		return err == nil
	}
	if !works(old) {
		t.Fatal("the created secret gets no token")
	}
	fresh, err := RotateSaved(context.Background(), RotateSavedOptions{Config: cfg, Admin: admin, Keyring: k, OldSecret: old})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if fresh == "" || fresh == old {
		t.Fatal("no new secret returned")
	}
	if works(old) {
		t.Error("the old secret still gets a token")
	}
	if !works(fresh) {
		t.Error("the new secret gets no token")
	}
	// A hint no secret of the app has: nothing is guessed. The new secret works and is
	// returned, the old one stays, and the error says it could not be identified.
	delete(k.m, cfg.SecretKey(SecretClientSecretID)) // the rotation stored the new keyId
	third, err := RotateSaved(context.Background(), RotateSavedOptions{Config: cfg, Admin: admin, Keyring: k, OldSecret: "~~~not-a-hint"})
	if !errors.Is(err, graph.ErrOldSecretUnknown) || third == "" || third == fresh {
		t.Fatalf("unknown hint: %v, new secret returned %v", err, third != "" && third != fresh)
	}
	if !works(fresh) || !works(third) {
		t.Errorf("after an unidentified old secret: previous works %v, new works %v", works(fresh), works(third))
	}
	// Delegated: nothing to rotate.
	if _, err := RotateSaved(context.Background(), RotateSavedOptions{Config: &wizard.Config{AccessMode: wizard.ModeDelegated}}); err == nil {
		t.Error("a delegated connection was rotated")
	}
}
