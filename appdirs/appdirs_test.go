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
