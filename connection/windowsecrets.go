package connection

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// The window's secrets: the keyring (or the user-only fallback file) read and written
// here, never by the screens, which say only where the secrets went.

// SecretStore is where the window keeps secrets: the OS keyring with an optional
// user-only fallback file (package secretstore).
type SecretStore = secretstore.Store

// ErrNoKeyring means the OS keyring cannot be used here (secretstore.ErrNoKeyring).
var ErrNoKeyring = secretstore.ErrNoKeyring

// ErrKeyringNoAnswer means the keyring did not answer in time, often because it waits for
// its password in an unlock prompt (secretstore.ErrNoAnswer); it matches ErrNoKeyring too.
var ErrKeyringNoAnswer = secretstore.ErrNoAnswer

// KeyringPromptWait is how long Save and Disconnect wait for each keyring call: time for
// a person to type the keyring's password into its unlock prompt. They have Cancel; other
// keyring calls keep the store's short timeout.
const KeyringPromptWait = 2 * time.Minute

// NewSecretStore is a store under service with fallbackPath as the user-only fallback
// file ("" for none).
func NewSecretStore(service, fallbackPath string) *SecretStore {
	return secretstore.New(service, fallbackPath)
}

// ProbeKeyring reports whether the store's keyring works (nil) or why not
// (ErrNoKeyring). It may block for the keyring's timeout: call it off the UI goroutine.
func ProbeKeyring(store *SecretStore) error { return store.Probe() }

// SavedSecrets says where SaveWithSecrets put the secrets.
type SavedSecrets struct {
	// InFile is set when they went to the fallback file (no keyring here).
	InFile bool
	// Place is "the OS keyring" or the fallback file's path.
	Place string
}

// SaveWithSecrets stores the secrets (keyring key → value) and then writes the config
// to path: a config is never saved whose secrets were refused. allowFile is the user's
// consent to the fallback file where there is no keyring; without it a missing keyring
// is ErrNoKeyring.
//
// ctx is the window's Cancel (a keyring waiting on its unlock prompt holds a call up to
// KeyringPromptWait): when it ends before the config is written, or a secret is refused, each
// secret already stored is put back as it was (restored, or deleted when it was new),
// the config is not written and the error is ctx's (or the refusal). A keyring call
// under way when Cancel comes is waited for here, so the rollback follows it; the caller
// need not wait for this function to return.
func SaveWithSecrets(ctx context.Context, cfg *wizard.Config, path string, store *SecretStore, allowFile bool, secrets map[string]string) (SavedSecrets, error) {
	store = store.WithTimeout(KeyringPromptWait)
	if allowFile {
		store = store.AllowFileFallback()
	}
	tx := &keyringTx{store: store}
	where := secretstore.BackendKeyring
	for _, key := range slices.Sorted(maps.Keys(secrets)) {
		if err := ctx.Err(); err != nil {
			return SavedSecrets{}, tx.rollback(err)
		}
		var err error
		if where, err = tx.set(key, secrets[key]); err != nil {
			return SavedSecrets{}, tx.rollback(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return SavedSecrets{}, tx.rollback(err)
	}
	if err := cfg.Save(path); err != nil {
		return SavedSecrets{}, tx.rollback(err)
	}
	if where == secretstore.BackendFile {
		return SavedSecrets{InFile: true, Place: store.FallbackPath()}, nil
	}
	return SavedSecrets{Place: "the OS keyring"}, nil
}

// keyringTx changes secrets one key at a time and remembers how to put each back.
type keyringTx struct {
	store *SecretStore
	undo  []func()
}

// set stores value under key (the previous value, or none, kept for rollback).
func (t *keyringTx) set(key, value string) (secretstore.Backend, error) {
	old, getErr := t.store.Get(key)
	where, err := t.store.Set(key, value)
	if err != nil {
		return where, err
	}
	if getErr == nil {
		t.undo = append(t.undo, func() { _, _ = t.store.Set(key, old) })
	} else {
		t.undo = append(t.undo, func() { _ = t.store.Delete(key) })
	}
	return where, nil
}

// del deletes key (its value kept for rollback); a key not held is no error.
func (t *keyringTx) del(key string) error {
	old, getErr := t.store.Get(key)
	if errors.Is(getErr, secretstore.ErrNotFound) {
		return nil
	}
	if err := t.store.Delete(key); err != nil {
		return err
	}
	if getErr == nil {
		t.undo = append(t.undo, func() { _, _ = t.store.Set(key, old) })
	}
	return nil
}

// rollback puts back, newest first, what the transaction changed and returns err.
func (t *keyringTx) rollback(err error) error {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
	return err
}

// StoreSecret keeps one secret (a rotated refresh token of a saved connection).
func StoreSecret(store *SecretStore, key, value string) error {
	_, err := store.Set(key, value)
	return err
}

// LoadSecrets reads the secrets the store holds, by kind (kind → keyring key); kinds it
// does not hold are left out. When the keyring does not answer (ErrKeyringNoAnswer: it
// may be locked, waiting for its password) LoadSecrets stops there and returns that
// error with what it read: asking again would only wait the store's timeout once more
// per key.
func LoadSecrets(store *SecretStore, keys map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, kind := range slices.Sorted(maps.Keys(keys)) {
		v, err := store.Get(keys[kind])
		if errors.Is(err, ErrKeyringNoAnswer) {
			return out, err
		}
		if err == nil {
			out[kind] = v
		}
	}
	return out, nil
}

// ForgetSecrets deletes the given keys from the store (Disconnect). A key that cannot be
// deleted is reported and the others are still deleted; when ctx ends first (the
// window's Cancel) the keys already deleted are put back and the error is ctx's.
func ForgetSecrets(ctx context.Context, store *SecretStore, keys ...string) error {
	tx := &keyringTx{store: store}
	var errs []error
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return tx.rollback(err)
		}
		if err := tx.del(k); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return tx.rollback(err)
	}
	return errors.Join(errs...)
}

// Disconnect forgets a saved connection's secrets (ForgetSecrets) and then marks its
// config at path unlocked, so the next start opens it for editing instead of as a saved
// connection whose secrets are gone. Cancelled, it changes nothing.
func Disconnect(ctx context.Context, store *SecretStore, path string, keys ...string) error {
	err := ForgetSecrets(ctx, store.WithTimeout(KeyringPromptWait), keys...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // put back as it was
	}
	return errors.Join(err, unlockSaved(path))
}

// unlockSaved clears Locked in the config at path (none there is no error).
func unlockSaved(path string) error {
	c, err := wizard.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.Locked {
		return nil
	}
	c.Locked = false
	return c.Save(path)
}
