package secretstore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const secretValue = "Abc8Q~very-secret-value-0123456789"

func TestKeyringRoundTrip(t *testing.T) {
	keyring.MockInit()
	s := New("m365connect-test", "")
	if _, err := s.Get("tenant/client/secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	b, err := s.Set("tenant/client/secret", secretValue)
	if err != nil || b != BackendKeyring {
		t.Fatalf("Set: %v %v", b, err)
	}
	if v, err := s.Get("tenant/client/secret"); err != nil || v != secretValue {
		t.Fatalf("Get: %q %v", v, err)
	}
	if err := s.Delete("tenant/client/secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("tenant/client/secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := s.Delete("tenant/client/secret"); err != nil {
		t.Fatalf("deleting a missing key must succeed: %v", err)
	}
	if err := s.Probe(); err != nil {
		t.Fatalf("Probe with a working keyring: %v", err)
	}
}

func TestNoKeyringWithoutFallback(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	defer keyring.MockInit()
	s := New("m365connect-test", "")
	_, err := s.Set("k", secretValue)
	if !errors.Is(err, ErrNoKeyring) || !strings.HasPrefix(err.Error(), "no keyring here: ") {
		t.Fatalf("Set: %v, want ErrNoKeyring with a plain message", err)
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Fatal("error echoes the secret")
	}
	if _, err := s.Get("k"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Get: %v", err)
	}
	if err := s.Probe(); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Probe: %v", err)
	}
}

func TestFallbackFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus-launch: executable file not found"))
	defer keyring.MockInit()
	path := filepath.Join(t.TempDir(), "sub", "secrets.json")
	s := New("m365connect-test", path).AllowFileFallback()
	b, err := s.Set("a", secretValue)
	if err != nil || b != BackendFile {
		t.Fatalf("Set: %v %v, want the file backend", b, err)
	}
	if _, err := s.Set("b", "other-value-0123456789"); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
		}
		di, _ := os.Stat(filepath.Dir(path))
		if di.Mode().Perm() != 0o700 {
			t.Fatalf("folder mode %v, want 0700", di.Mode().Perm())
		}
	}
	if v, err := s.Get("a"); err != nil || v != secretValue {
		t.Fatalf("Get a: %q %v", v, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNoKeyring) && !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if v, err := s.Get("b"); err != nil || v != "other-value-0123456789" {
		t.Fatalf("b lost: %q %v", v, err)
	}
	if err := s.Delete("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("empty secrets file must be removed: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

func TestDamagedFallbackFileRefused(t *testing.T) {
	keyring.MockInitWithError(errors.New("no dbus"))
	defer keyring.MockInit()
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := New("m365connect-test", path).AllowFileFallback()
	if _, err := s.Set("a", secretValue); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Set over a damaged file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatal("a damaged file must not be overwritten")
	}
}

// hangingKeyring never answers, like a Secret Service waiting on an unlock prompt.
type hangingKeyring struct{ release chan struct{} }

func (h hangingKeyring) Set(_, _, _ string) error        { <-h.release; return nil }
func (h hangingKeyring) Get(_, _ string) (string, error) { <-h.release; return "", nil }
func (h hangingKeyring) Delete(_, _ string) error        { <-h.release; return nil }

func TestKeyringTimeout(t *testing.T) {
	h := hangingKeyring{release: make(chan struct{})}
	defer close(h.release)
	s := New("m365connect-test", "").WithTimeout(50 * time.Millisecond)
	s.kr = h
	start := time.Now()
	_, err := s.Set("k", secretValue)
	if !errors.Is(err, ErrNoKeyring) || !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Set: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %s", d)
	}
}

// TestRealKeyring runs against the OS keyring; `make test` provides one on Linux through
// scripts/with-keyring.sh (private D-Bus + gnome-keyring) and sets M365_REAL_KEYRING=1.
func TestRealKeyring(t *testing.T) {
	if os.Getenv("M365_REAL_KEYRING") != "1" {
		t.Skip("set M365_REAL_KEYRING=1 (scripts/with-keyring.sh does) to test the real OS keyring")
	}
	s := New("m365connect-test-real", "")
	key := "real-" + time.Now().Format("150405.000000000")
	if b, err := s.Set(key, secretValue); err != nil || b != BackendKeyring {
		t.Fatalf("Set: %v %v", b, err)
	}
	defer s.Delete(key)
	if v, err := s.Get(key); err != nil || v != secretValue {
		t.Fatalf("Get: %q %v", v, err)
	}
	if err := s.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
}
