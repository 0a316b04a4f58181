package secretstore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// A keyring failure of any kind no longer falls back to the plain file without asking.
func TestFallbackNeedsConsent(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided"))
	defer keyring.MockInit()
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := New("m365connect-test", path)
	_, err := s.Set("a", secretValue)
	if !errors.Is(err, ErrNeedsConsent) || !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Set without consent: %v; want ErrNeedsConsent naming %s", err, path)
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Fatal("the secret is in the error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file was written without consent: %v", err)
	}
	// With consent: the file, 0600.
	if b, err := s.AllowFileFallback().Set("a", secretValue); err != nil || b != BackendFile {
		t.Fatalf("with consent: %v %v", b, err)
	}
	// A key already kept in the file (agreed to before) is updated there: a rotated
	// refresh token does not need a second question.
	if b, err := s.Set("a", "rotated-value-0123456789"); err != nil || b != BackendFile {
		t.Fatalf("update of a key in the file: %v %v", b, err)
	}
	if v, _ := s.Get("a"); v != "rotated-value-0123456789" {
		t.Fatalf("Get = %q", v)
	}
	if _, err := s.Set("other", secretValue); !errors.Is(err, ErrNeedsConsent) {
		t.Fatalf("a new key without consent: %v", err)
	}
}

// A planted or loosened secrets file (readable by others) is refused, not used.
func TestFallbackFileReadableByOthersRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits")
	}
	keyring.MockInitWithError(errors.New("no dbus"))
	defer keyring.MockInit()
	path := filepath.Join(t.TempDir(), "secrets.json")
	os.WriteFile(path, []byte(`{"k":"planted"}`), 0o644)
	os.Chmod(path, 0o644)
	s := New("m365connect-test", path)
	if v, err := s.Get("k"); err == nil || v != "" || !strings.Contains(err.Error(), "can be read by other users") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Get from a 0644 file = %q, %v", v, err)
	}
	link := filepath.Join(t.TempDir(), "secrets.json")
	os.Symlink(path, link)
	if _, err := New("m365connect-test", link).Get("k"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Get through a symlink: %v", err)
	}
	if _, err := New("m365connect-test", "secrets.json").Get("k"); err == nil || !strings.Contains(err.Error(), "not a full path") {
		t.Fatalf("relative fallback path: %v", err)
	}
}
