// Package secretstore keeps m365connect's secrets — client secrets, certificate
// passwords and delegated refresh tokens — out of every file the app writes. They go to
// the OS keyring (Windows Credential Manager, macOS Keychain, the Secret Service on
// Linux) through github.com/zalando/go-keyring. Where no keyring exists (a headless Linux
// box without a Secret Service) the user may opt in to a fallback file readable only by
// them (0600 in a 0700 folder, written atomically): a Store writes that file only after
// AllowFileFallback (the window asks first; the command line needs --insecure-storage),
// or for a key the file already holds. Without consent Set fails with an error matching
// both ErrNoKeyring and ErrNeedsConsent that names the file. A fallback file that others
// can read (group or world bits set) is refused, not read.
//
// Every keyring call has a timeout: a Secret Service that never answers must not freeze
// the wizard. Any keyring error other than "not found" is reported as ErrNoKeyring with
// the reason, so the UI can say plainly "there is no keyring here" and offer the file.
// Values never appear in an error.
package secretstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// ErrNotFound is returned by Get when no secret is stored under the key.
var ErrNotFound = errors.New("secret not found")

// ErrNoKeyring is matched (errors.Is) by every keyring failure other than "not found":
// no D-Bus session, no Secret Service, a locked or unresponsive keyring, a timeout.
var ErrNoKeyring = errors.New("no keyring here")

// ErrNoAnswer is matched (besides ErrNoKeyring) by a keyring call that did not answer
// within the store's timeout: often a keyring waiting for its password in an unlock
// prompt (the Secret Service, the macOS Keychain), so a person may still answer it.
var ErrNoAnswer = errors.New("the keyring did not answer")

// ErrNeedsConsent is matched by Set when the keyring failed and the user has not agreed
// to keep secrets in the fallback file (see AllowFileFallback).
var ErrNeedsConsent = errors.New("the secret can go to a file only you can read, but only once you agree")

// DefaultTimeout bounds each keyring call.
const DefaultTimeout = 5 * time.Second

// keyringError wraps the reason a keyring call failed; it matches ErrNoKeyring.
type keyringError struct{ reason error }

func (e *keyringError) Error() string        { return "no keyring here: " + e.reason.Error() }
func (e *keyringError) Is(target error) bool { return target == ErrNoKeyring }
func (e *keyringError) Unwrap() error        { return e.reason }

// Backend names where secrets live.
type Backend string

// Backends.
const (
	BackendKeyring Backend = "keyring"
	BackendFile    Backend = "file"
)

// Store reads and writes secrets under one service name. The zero value is not usable;
// build one with New.
type Store struct {
	service  string
	timeout  time.Duration
	fallback string // path of the user-only file; "" = no fallback
	allow    bool   // the user agreed to new secrets going to the fallback file
	kr       Keyring

	mu sync.Mutex // serialises fallback-file read-modify-write
}

// New returns a store for service (e.g. "m365connect"). fallbackPath, when not empty,
// is the user-only file read for keys the keyring does not hold and written — only with
// the user's consent (AllowFileFallback) — for keys the keyring cannot hold; pass "" for
// no file at all (Set then fails with ErrNoKeyring where no keyring exists).
func New(service, fallbackPath string) *Store {
	return &Store{service: service, timeout: DefaultTimeout, fallback: fallbackPath, kr: goKeyring{}}
}

// NewWithKeyring is New over another keyring than the OS's: tests use it for a keyring
// that is slow, locked or gone.
func NewWithKeyring(service, fallbackPath string, kr Keyring) *Store {
	return &Store{service: service, timeout: DefaultTimeout, fallback: fallbackPath, kr: kr}
}

// Keyring is the slice of go-keyring the store uses (github.com/zalando/go-keyring's
// Set, Get and Delete); it answers keyring.ErrNotFound for a key it does not hold.
type Keyring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// goKeyring calls github.com/zalando/go-keyring (keyring.MockInit applies to it).
type goKeyring struct{}

func (goKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// WithTimeout returns a copy of the store whose keyring calls time out after d.
func (s *Store) WithTimeout(d time.Duration) *Store {
	return &Store{service: s.service, timeout: d, fallback: s.fallback, allow: s.allow, kr: s.kr}
}

// AllowFileFallback returns a copy of the store that may write secrets to the fallback
// file when the keyring fails: call it only after the user agreed (the window's tick box,
// the command line's --insecure-storage).
func (s *Store) AllowFileFallback() *Store {
	return &Store{service: s.service, timeout: s.timeout, fallback: s.fallback, allow: true, kr: s.kr}
}

// needsConsent is Set's error when the keyring failed and the file is not yet allowed.
type needsConsent struct {
	keyring error
	path    string
}

func (e *needsConsent) Error() string {
	return e.keyring.Error() + "; the secret can instead be kept in " + e.path + ", readable only by your user account, once you agree"
}

func (e *needsConsent) Is(target error) bool {
	return target == ErrNeedsConsent || target == ErrNoKeyring
}
func (e *needsConsent) Unwrap() error { return e.keyring }

// FallbackPath is the fallback file's path ("" when there is none).
func (s *Store) FallbackPath() string { return s.fallback }

// Probe reports whether the OS keyring answers: nil, or an error matching ErrNoKeyring
// that says why not. It reads a key that does not exist and stores nothing.
func (s *Store) Probe() error {
	_, err := s.keyringGet("m365connect-probe")
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Set stores value under key: in the keyring, or — only when the keyring is unavailable
// and a fallback path was given — in the fallback file. It reports where it went.
func (s *Store) Set(key, value string) (Backend, error) {
	err := s.call(func() error { return s.kr.Set(s.service, key, value) })
	if err == nil {
		// A stale copy in the fallback file must not shadow the keyring.
		_ = s.fileDelete(key)
		return BackendKeyring, nil
	}
	if !errors.Is(err, ErrNoKeyring) || s.fallback == "" {
		return "", err
	}
	if !s.allow {
		// Without consent only a key the user already keeps in the file is updated
		// there (a rotated refresh token).
		if _, ferr := s.fileGet(key); ferr != nil {
			return "", &needsConsent{keyring: err, path: s.fallback}
		}
	}
	if ferr := s.fileSet(key, value); ferr != nil {
		return "", fmt.Errorf("%w; the fallback file failed too: %v", err, ferr)
	}
	return BackendFile, nil
}

// Get returns the secret under key from the keyring, else from the fallback file, else
// ErrNotFound. A keyring failure with no fallback copy is returned as ErrNoKeyring.
func (s *Store) Get(key string) (string, error) {
	v, kerr := s.keyringGet(key)
	if kerr == nil {
		return v, nil
	}
	if s.fallback != "" {
		v, ferr := s.fileGet(key)
		if ferr == nil {
			return v, nil
		}
		if !errors.Is(ferr, ErrNotFound) {
			return "", ferr
		}
	}
	return "", kerr
}

// Delete removes key from the keyring and the fallback file. Deleting a key that is not
// stored is not an error.
func (s *Store) Delete(key string) error {
	kerr := s.call(func() error { return s.kr.Delete(s.service, key) })
	if errors.Is(kerr, ErrNotFound) {
		kerr = nil
	}
	ferr := s.fileDelete(key)
	if kerr != nil && errors.Is(kerr, ErrNoKeyring) && s.fallback != "" {
		kerr = nil // nothing can be in a keyring that does not exist
	}
	return errors.Join(kerr, ferr)
}

func (s *Store) keyringGet(key string) (string, error) {
	var v string
	err := s.call(func() error {
		var e error
		v, e = s.kr.Get(s.service, key)
		return e
	})
	return v, err
}

// call runs one keyring operation with the timeout and maps its error.
func (s *Store) call(op func() error) error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrNotFound
		default:
			return &keyringError{reason: err}
		}
	case <-time.After(s.timeout):
		return &keyringError{reason: fmt.Errorf("%w within %s", ErrNoAnswer, s.timeout)}
	}
}

// --- fallback file: a JSON object {key: value}, mode 0600, in a 0700 folder ---

func (s *Store) fileRead() (map[string]string, error) {
	if !filepath.IsAbs(s.fallback) {
		return nil, fmt.Errorf("secrets file %q is not a full path", s.fallback)
	}
	fi, err := os.Lstat(s.fallback)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets file %s is not a regular file (a link?): delete it", s.fallback)
	}
	if !isWindows() && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets file %s can be read by other users (mode %04o), so it is not used: delete it, or run chmod 600 on it if you wrote it", s.fallback, fi.Mode().Perm())
	}
	b, err := os.ReadFile(s.fallback)
	if err != nil {
		return nil, fmt.Errorf("read secrets file: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("secrets file %s is damaged (not a JSON object)", s.fallback)
	}
	return m, nil
}

func (s *Store) fileGet(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileRead()
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *Store) fileSet(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileRead()
	if err != nil {
		return err
	}
	m[key] = value
	return s.fileWrite(m)
}

func (s *Store) fileDelete(key string) error {
	if s.fallback == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileRead()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	if len(m) == 0 {
		if err := os.Remove(s.fallback); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove secrets file: %w", err)
		}
		return nil
	}
	return s.fileWrite(m)
}

// fileWrite replaces the file atomically: a 0600 temp file in the same folder, fsync,
// rename, fsync of the folder.
func (s *Store) fileWrite(m map[string]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.fallback)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secrets folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".secrets-*.tmp") // CreateTemp makes it 0600
	if err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil && !isWindows() {
		f.Close()
		return fmt.Errorf("write secrets file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if err := os.Rename(tmp, s.fallback); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func isWindows() bool { return filepath.Separator == '\\' }
