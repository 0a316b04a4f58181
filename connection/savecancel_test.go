package connection_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/secretstore"
)

// gateKeyring is an in-memory keyring whose Set (or, with onDelete, Delete) of one key
// waits for release, as the OS keyring waits for its unlock prompt; entered says that
// the call began.
type gateKeyring struct {
	mu       sync.Mutex
	m        map[string]string
	block    string
	onDelete bool
	entered  chan struct{}
	release  chan struct{}
}

func newGateKeyring(block string) *gateKeyring {
	return &gateKeyring{m: map[string]string{}, block: block, entered: make(chan struct{}), release: make(chan struct{})}
}

func (k *gateKeyring) Set(_, user, password string) error {
	if user == k.block && !k.onDelete {
		close(k.entered)
		<-k.release
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[user] = password
	return nil
}

func (k *gateKeyring) Get(_, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *gateKeyring) Delete(_, user string) error {
	if user == k.block && k.onDelete {
		close(k.entered)
		<-k.release
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, user)
	return nil
}

// Save cancelled while the keyring waits: the config is not written, and the keyring is
// put back as it was (the secret that existed restored, the new one deleted), even
// though the cancelled keyring call finished after Cancel.
func TestSaveWithSecretsCancelRollsBack(t *testing.T) {
	kr := newGateKeyring("b-new")
	kr.m["a-old"] = "previous secret"
	store := secretstore.NewWithKeyring("m365connect-test", "", kr)
	path := filepath.Join(t.TempDir(), "config.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := connection.SaveWithSecrets(ctx, savedConfig(), path, store, false, map[string]string{"a-old": "rotated secret", "b-new": "refresh token"})
		done <- err
	}()
	<-kr.entered
	cancel()
	close(kr.release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SaveWithSecrets after Cancel: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the config was written after Cancel (%v)", err)
	}
	if got := kr.m["a-old"]; got != "previous secret" {
		t.Errorf("a-old holds %q after Cancel, want the previous secret back", got)
	}
	if _, ok := kr.m["b-new"]; ok {
		t.Error("b-new is still in the keyring after Cancel")
	}
}

// Disconnect cancelled while the keyring waits: the secrets already removed are put back
// and the one whose removal was under way too.
func TestForgetSecretsCancelPutsBack(t *testing.T) {
	kr := newGateKeyring("b")
	kr.onDelete = true
	kr.m["a"], kr.m["b"], kr.m["c"] = "secret a", "secret b", "secret c"
	store := secretstore.NewWithKeyring("m365connect-test", "", kr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- connection.ForgetSecrets(ctx, store, "a", "b", "c") }()
	<-kr.entered
	cancel()
	close(kr.release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ForgetSecrets after Cancel: %v, want context.Canceled", err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if kr.m[k] != "secret "+k {
			t.Errorf("%s holds %q after Cancel, want it back", k, kr.m[k])
		}
	}
	// Not cancelled: all gone; a key never stored is no error.
	kr2 := newGateKeyring("")
	kr2.m["a"] = "secret a"
	if err := connection.ForgetSecrets(context.Background(), secretstore.NewWithKeyring("m365connect-test", "", kr2), "a", "never-stored"); err != nil || len(kr2.m) != 0 {
		t.Fatalf("ForgetSecrets: %v, left %v", err, kr2.m)
	}
}
