package appdirs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Finding 5 of issue 14: with no HOME the app used a shared /tmp/m365connect folder (and
// a secrets.json planted there). Now there is no folder at all, and the error says what
// to set.
func TestNoHomeIsAClearErrorNeverASharedFolder(t *testing.T) {
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	for _, tc := range []struct {
		goos string
		vars map[string]string
		home func() (string, error)
		fix  string
	}{
		{"linux", nil, noHome, "set HOME"},
		{"linux", map[string]string{"XDG_CONFIG_HOME": "relative", "XDG_DATA_HOME": "relative"}, noHome, "set HOME"},
		{"linux", nil, func() (string, error) { return "relative/home", nil }, "set HOME"},
		{"darwin", nil, noHome, "set HOME"},
		{"windows", nil, noHome, "APPDATA"},
	} {
		e := env{goos: tc.goos, getenv: func(k string) string { return tc.vars[k] }, home: tc.home}
		for name, f := range map[string]func() (string, error){"config": e.configDir, "data": e.dataDir} {
			d, err := f()
			if d != "" || !errors.Is(err, ErrNoHome) || !strings.Contains(err.Error(), tc.fix) || !strings.Contains(err.Error(), "never falls back") {
				t.Errorf("%s %s dir = %q, %v; want ErrNoHome saying %q", tc.goos, name, d, err, tc.fix)
			}
			if strings.Contains(d, os.TempDir()) {
				t.Errorf("%s %s dir is in the temp folder: %s", tc.goos, name, d)
			}
		}
	}
	// With a home: the usual places.
	e := env{goos: "linux", getenv: func(string) string { return "" }, home: func() (string, error) { return "/home/x", nil }}
	if d, err := e.configDir(); err != nil || d != filepath.Join("/home/x", ".config", Name) {
		t.Fatalf("configDir = %q, %v", d, err)
	}
	e = env{goos: "windows", getenv: func(k string) string {
		if k == "APPDATA" {
			return `C:\Users\x\AppData\Roaming`
		}
		return ""
	}, home: noHome}
	if runtime.GOOS == "windows" {
		if d, err := e.configDir(); err != nil || d != filepath.Join(`C:\Users\x\AppData\Roaming`, Name) {
			t.Fatalf("configDir = %q, %v", d, err)
		}
	}
}

// Finding 5, second half: files at explicit paths were created 0644. PrepareFile creates
// them 0600 in a 0700 folder and narrows an existing file that others could read.
func TestPrepareFilePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows uses the profile folder's ACL, not mode bits")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "new", "deeper", "mail.db")
	if err := PrepareFile(p); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{p: 0o600, filepath.Dir(p): 0o700, filepath.Dir(filepath.Dir(p)): 0o700} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	old := filepath.Join(dir, "old.db")
	os.WriteFile(old, []byte("x"), 0o644)
	os.Chmod(old, 0o644)
	if err := PrepareFile(old); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(old); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing file left %v", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(old); string(b) != "x" {
		t.Error("PrepareFile changed an existing file's content")
	}
	for _, bad := range []string{"", "relative.db", filepath.Join(dir, "a\x00b.db"), filepath.Join(dir, "a\nb.db")} {
		if err := PrepareFile(bad); err == nil {
			t.Errorf("PrepareFile(%q) accepted", bad)
		}
	}
	if err := PrepareFile(dir); err == nil {
		t.Error("PrepareFile accepted a folder")
	}
}

func TestSQLiteDSNEncodesThePath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/home/anna/mail.db", "file:///home/anna/mail.db"},
		{"/tmp/m?_pragma=journal_mode(delete)&mode=ro#x.db", "file:///tmp/m%3F_pragma%3Djournal_mode%28delete%29%26mode%3Dro%23x.db"},
		{"/tmp/Zoë 100%.db", "file:///tmp/Zo%C3%AB%20100%25.db"},
	}
	for _, tc := range tests {
		if got := SQLiteDSN(tc.path); got != tc.want {
			t.Errorf("SQLiteDSN(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if got := SQLiteDSN("/a.db", "_pragma=foreign_keys(ON)", "_txlock=immediate"); got != "file:///a.db?_pragma=foreign_keys(ON)&_txlock=immediate" {
		t.Errorf("with params: %q", got)
	}
}
