package connection_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/secretstore/keyringtest"
)

// Save cancelled while the keyring waits: the config is not written, and the keyring is
// put back as it was (the secret that existed restored, the new one deleted), even
// though the cancelled keyring call finished after Cancel.
func TestSaveWithSecretsCancelRollsBack(t *testing.T) {
	kr := keyringtest.New(keyringtest.HoldSet, "b-new", map[string]string{"a-old": "previous secret"})
	store := secretstore.NewWithKeyring("m365connect-test", "", kr)
	path := filepath.Join(t.TempDir(), "config.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := connection.SaveWithSecrets(ctx, savedConfig(), path, store, false, map[string]string{"a-old": "rotated secret", "b-new": "refresh token"})
		done <- err
	}()
	<-kr.Entered
	cancel()
	close(kr.Release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SaveWithSecrets after Cancel: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the config was written after Cancel (%v)", err)
	}
	if got := kr.Values()["a-old"]; got != "previous secret" {
		t.Errorf("a-old holds %q after Cancel, want the previous secret back", got)
	}
	if _, ok := kr.Values()["b-new"]; ok {
		t.Error("b-new is still in the keyring after Cancel")
	}
}

// Disconnect cancelled while the keyring waits: the secrets already removed are put back
// and the one whose removal was under way too.
func TestForgetSecretsCancelPutsBack(t *testing.T) {
	kr := keyringtest.New(keyringtest.HoldDelete, "b", map[string]string{"a": "secret a", "b": "secret b", "c": "secret c"})
	store := secretstore.NewWithKeyring("m365connect-test", "", kr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- connection.ForgetSecrets(ctx, store, "a", "b", "c") }()
	<-kr.Entered
	cancel()
	close(kr.Release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ForgetSecrets after Cancel: %v, want context.Canceled", err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if v := kr.Values()[k]; v != "secret "+k {
			t.Errorf("%s holds %q after Cancel, want it back", k, v)
		}
	}
	// Not cancelled: all gone; a key never stored is no error.
	kr2 := keyringtest.New(keyringtest.HoldNone, "", map[string]string{"a": "secret a"})
	if err := connection.ForgetSecrets(context.Background(), secretstore.NewWithKeyring("m365connect-test", "", kr2), "a", "never-stored"); err != nil || len(kr2.Values()) != 0 {
		t.Fatalf("ForgetSecrets: %v, left %v", err, kr2.Values())
	}
}

// A keyring that does not answer (locked, its prompt waiting) is asked once, not once per
// secret: LoadSecrets stops at the first key that times out and says so.
func TestLoadSecretsStopsAtALockedKeyring(t *testing.T) {
	kr := keyringtest.New(keyringtest.HoldGet, "kb", map[string]string{"ka": "secret a", "kb": "secret b", "kc": "secret c"})
	defer close(kr.Release)
	store := secretstore.NewWithKeyring("m365connect-test", "", kr).WithTimeout(50 * time.Millisecond)
	got, err := connection.LoadSecrets(store, map[string]string{"a": "ka", "b": "kb", "c": "kc"})
	if !errors.Is(err, connection.ErrKeyringNoAnswer) {
		t.Fatalf("LoadSecrets: %v, want ErrKeyringNoAnswer", err)
	}
	if got["a"] != "secret a" || len(got) != 1 {
		t.Fatalf("read %v: want a only (c is not asked once the keyring stopped answering)", got)
	}
	kr2 := keyringtest.New(keyringtest.HoldNone, "", map[string]string{"ka": "secret a"})
	got, err = connection.LoadSecrets(secretstore.NewWithKeyring("m365connect-test", "", kr2), map[string]string{"a": "ka", "b": "kb"})
	if err != nil || len(got) != 1 || got["a"] != "secret a" {
		t.Fatalf("LoadSecrets with one key missing: %v %v", got, err)
	}
}
