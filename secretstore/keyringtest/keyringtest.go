// Package keyringtest is an in-memory secretstore.Keyring for tests, which can hold a
// call as the OS keyring does while its unlock prompt waits for a password.
package keyringtest

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// Op names the keyring call a Keyring holds.
type Op int

// The calls a Keyring can hold.
const (
	HoldNone Op = iota
	HoldSet
	HoldDelete
	HoldGet
	HoldAll // every call, as a locked keyring does
)

// Keyring is an in-memory keyring (one service). With Hold set, the first matching call
// (of Key, or of any key when Key is "") closes Entered and waits until Release is
// closed; later matching calls wait for Release too.
type Keyring struct {
	Hold    Op
	Key     string
	Entered chan struct{}
	Release chan struct{}

	once sync.Once
	mu   sync.Mutex
	m    map[string]string
}

// New is a Keyring holding values (may be nil) that holds calls of kind op.
func New(op Op, key string, values map[string]string) *Keyring {
	k := &Keyring{Hold: op, Key: key, Entered: make(chan struct{}), Release: make(chan struct{}), m: map[string]string{}}
	for n, v := range values {
		k.m[n] = v
	}
	return k
}

func (k *Keyring) hold(op Op, user string) {
	if k.Hold != op && k.Hold != HoldAll || k.Key != "" && k.Key != user {
		return
	}
	k.once.Do(func() { close(k.Entered) })
	<-k.Release
}

// Set stores password under user.
func (k *Keyring) Set(_, user, password string) error {
	k.hold(HoldSet, user)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[user] = password
	return nil
}

// Get answers keyring.ErrNotFound for a key it does not hold.
func (k *Keyring) Get(_, user string) (string, error) {
	k.hold(HoldGet, user)
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.m[user]; ok {
		return v, nil
	}
	return "", keyring.ErrNotFound
}

// Delete removes user's secret (keyring.ErrNotFound when there is none).
func (k *Keyring) Delete(_, user string) error {
	k.hold(HoldDelete, user)
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, user)
	return nil
}

// Values is a copy of what the keyring holds.
func (k *Keyring) Values() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]string, len(k.m))
	for n, v := range k.m {
		out[n] = v
	}
	return out
}
