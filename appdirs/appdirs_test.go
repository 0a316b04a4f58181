package appdirs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDataDir(t *testing.T) {
	home := func(h string) func() (string, error) { return func() (string, error) { return h, nil } }
	tests := []struct {
		name    string
		goos    string
		vars    map[string]string
		home    func() (string, error)
		want    string // joined with filepath.Join on this OS
		wantErr bool
	}{
		{"windows local app data", "windows", map[string]string{"LOCALAPPDATA": "C:/Users/Zoë Müller/AppData/Local"}, home("C:/Users/x"),
			filepath.Join("C:/Users/Zoë Müller/AppData/Local", Name), false},
		{"windows without LOCALAPPDATA", "windows", nil, home("C:/Users/x"), "", true},
		{"windows relative LOCALAPPDATA refused, as APPDATA is", "windows", map[string]string{"LOCALAPPDATA": "AppData/Local"}, home("C:/Users/x"), "", true},
		{"windows UNC LOCALAPPDATA", "windows", map[string]string{"LOCALAPPDATA": `\\srv\users\x`}, home("C:/Users/x"), filepath.Join(`\\srv\users\x`, Name), false},
		{"linux xdg", "linux", map[string]string{"XDG_DATA_HOME": "/data/jörg"}, home("/home/x"), filepath.Join("/data/jörg", Name), false},
		{"linux relative xdg ignored", "linux", map[string]string{"XDG_DATA_HOME": "rel"}, home("/home/x"), filepath.Join("/home/x", ".local", "share", Name), false},
		{"linux default", "linux", nil, home("/home/x"), filepath.Join("/home/x", ".local", "share", Name), false},
		{"linux no home", "linux", nil, func() (string, error) { return "", errors.New("no home") }, "", true},
		{"mac", "darwin", nil, home("/Users/x"), filepath.Join("/Users/x", "Library", "Application Support", Name), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := env{goos: tc.goos, getenv: func(k string) string { return tc.vars[k] }, home: tc.home}
			got, err := e.dataDir()
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("dataDir() = %q, %v; want %q (err %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// A long path with non-ASCII letters (as Windows user names often have) must work
// end to end: created, written, read back.
func TestEnsureLongNonASCIIPath(t *testing.T) {
	dir := t.TempDir()
	for len(dir) < 300 {
		dir = filepath.Join(dir, "Überweisungsbestätigung-仕訳")
	}
	if err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "store.db")
	if err := os.WriteFile(f, []byte("ok"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "ok" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(dir)
		if st.Mode().Perm() != 0o700 {
			t.Fatalf("mode %v, want 0700", st.Mode().Perm())
		}
	}
	if !strings.Contains(dir, "仕訳") {
		t.Fatal("path lost its letters")
	}
}

// TestIsAbs: absolute is judged by the target system's rules, whatever runs the test.
func TestIsAbs(t *testing.T) {
	for _, tc := range []struct {
		goos, p string
		want    bool
	}{
		{"windows", `C:\Users\x`, true},
		{"windows", "c:/Users/x", true},
		{"windows", `\\server\share`, true},
		{"windows", `C:relative`, false},
		{"windows", `Users\x`, false},
		{"windows", "", false},
		{"linux", "/home/x", true},
		{"linux", "home/x", false},
		{"darwin", "/Users/x", true},
		{"linux", `C:\x`, false},
	} {
		if got := isAbs(tc.goos, tc.p); got != tc.want {
			t.Errorf("isAbs(%s, %q) = %v, want %v", tc.goos, tc.p, got, tc.want)
		}
	}
}

// TestConfigDirWindows: %APPDATA% (roaming) for the config, on any test host.
func TestConfigDirWindows(t *testing.T) {
	e := env{goos: "windows", getenv: func(k string) string {
		return map[string]string{"APPDATA": `C:\Users\x\AppData\Roaming`, "LOCALAPPDATA": `C:\Users\x\AppData\Local`}[k]
	}, home: func() (string, error) { return "", errors.New("none") }}
	if d, err := e.configDir(); err != nil || d != filepath.Join(`C:\Users\x\AppData\Roaming`, Name) {
		t.Errorf("configDir = %q, %v", d, err)
	}
	if d, err := e.dataDir(); err != nil || d != filepath.Join(`C:\Users\x\AppData\Local`, Name) {
		t.Errorf("dataDir = %q, %v", d, err)
	}
}
