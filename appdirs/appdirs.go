// Package appdirs says where m365connect keeps its files on each operating system:
// settings (the saved config) in the user's config folder, the sync store and outbox in
// the user's local data folder. On Windows these are %APPDATA%\m365connect and
// %LOCALAPPDATA%\m365connect; nothing is ever written next to the executable.
//
// Without a home folder (no HOME, or no %APPDATA% on Windows) there is no safe place:
// ConfigDir and DataDir fail with ErrNoHome and a message saying what to set, and never
// fall back to a shared folder such as /tmp, where another user could plant files.
// Every file and folder the app creates is private to the user (0600 / 0700, see
// PrepareFile), and SQLiteDSN builds a database address from a path so that the path
// cannot add driver options.
package appdirs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrNoHome is matched (errors.Is) when the user has no home or profile folder to keep
// the app's files in.
var ErrNoHome = errors.New("no home folder for m365connect's files")

// Name is the folder name used under each base folder.
const Name = "m365connect"

// env reads the environment; tests pass their own.
type env struct {
	goos   string
	getenv func(string) string
	home   func() (string, error)
}

func osEnv() env { return env{runtime.GOOS, os.Getenv, os.UserHomeDir} }

// ConfigDir is where the saved config lives: os.UserConfigDir()/m365connect
// (%APPDATA% on Windows, ~/Library/Application Support on macOS, $XDG_CONFIG_HOME or
// ~/.config on Linux). Without one it fails with ErrNoHome.
func ConfigDir() (string, error) { return osEnv().configDir() }

func (e env) configDir() (string, error) {
	return e.dir(place{windowsVar: "APPDATA", xdgVar: "XDG_CONFIG_HOME", underHome: []string{".config"}})
}

// place is one kind of folder: where it is on Windows and, on Linux and the other
// Unix systems, the XDG variable naming it and its default under HOME. On macOS both
// kinds are in ~/Library/Application Support.
type place struct {
	windowsVar string   // APPDATA (roams with the profile) or LOCALAPPDATA (this machine only)
	xdgVar     string   // XDG_CONFIG_HOME or XDG_DATA_HOME
	underHome  []string // .config or .local/share
}

// dir is the place's m365connect folder on e's system. A variable that is not an
// absolute path (for that system) is ignored; with no folder left, ErrNoHome.
func (e env) dir(p place) (string, error) {
	switch e.goos {
	case "windows":
		if d := e.getenv(p.windowsVar); d != "" && isAbs(e.goos, d) {
			return filepath.Join(d, Name), nil
		}
		return "", noHome("%"+p.windowsVar+"% is not set", "sign in with a user profile, or set "+p.windowsVar+" to your own folder")
	case "darwin", "ios":
		h, ok := e.homeDir()
		if !ok {
			return "", noHome("HOME is not set", "set HOME to your own folder")
		}
		return filepath.Join(h, "Library", "Application Support", Name), nil
	default:
		if d := e.getenv(p.xdgVar); d != "" && isAbs(e.goos, d) {
			return filepath.Join(d, Name), nil
		}
		h, ok := e.homeDir()
		if !ok {
			return "", noHome("neither $"+p.xdgVar+" nor $HOME is set", "set HOME (or "+p.xdgVar+") to a folder only you can write")
		}
		return filepath.Join(append(append([]string{h}, p.underHome...), Name)...), nil
	}
}

// homeDir is the user's home folder when there is one and it is absolute.
func (e env) homeDir() (string, bool) {
	h, err := e.home()
	return h, err == nil && h != "" && isAbs(e.goos, h)
}

// isAbs says whether p is an absolute path on goos (not on the system running this
// code): a drive letter and a separator or a UNC share on Windows, a leading slash
// elsewhere.
func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return true
	}
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func noHome(what, fix string) error {
	return fmt.Errorf("%w: %s; %s (m365connect never falls back to a shared folder such as /tmp)", ErrNoHome, what, fix)
}

// DataDir is where the sync store and the outbox live. Mail is data, not cache, so on
// Linux it is $XDG_DATA_HOME (~/.local/share) rather than ~/.cache; on Windows it is
// %LOCALAPPDATA% (local to the machine: a mail store must not roam with the profile).
func DataDir() (string, error) { return osEnv().dataDir() }

func (e env) dataDir() (string, error) {
	return e.dir(place{windowsVar: "LOCALAPPDATA", xdgVar: "XDG_DATA_HOME", underHome: []string{".local", "share"}})
}

// Ensure creates dir (and its parents) readable only by the user.
func Ensure(dir string) error { return os.MkdirAll(dir, 0o700) }

// PrepareFile readies path for a file the app creates (a database, the secrets file): the
// path must be absolute and free of control characters; its folder is created 0700 when
// missing, and the file itself is created empty with mode 0600 when missing, so a
// library that creates it later (SQLite) cannot leave it readable by others. An existing
// file is narrowed to 0600 when it is readable by group or others.
func PrepareFile(path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("make %s private: %w", path, err)
		}
	}
	return nil
}

// CheckPath refuses a path the app should not create files at: empty, relative, or with
// a control character (a NUL cuts a path short in C libraries; a newline forges log lines).
func CheckPath(path string) error {
	if path == "" {
		return errors.New("empty path: give a full path to a file")
	}
	for _, r := range path {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("path %q contains a control character; give a plain full path", path)
		}
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("path %q is not a full path; give one such as %s", path, filepath.Join(string(filepath.Separator)+"home", "anna", "mail.db"))
	}
	return nil
}

// SQLiteDSN is the data source name for the SQLite database file at path (absolute) with
// the given driver parameters (e.g. "_pragma=busy_timeout(10000)"). The path is written
// as a file: URI with every special character percent-encoded, so a path containing '?',
// '#' or '%' names a file and cannot add or change options
// (https://www.sqlite.org/uri.html).
func SQLiteDSN(path string, params ...string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x → /C:/x, as file:///C:/x
	}
	var b strings.Builder
	b.WriteString("file://")
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/-._~:", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if len(params) > 0 {
		b.WriteString("?" + strings.Join(params, "&"))
	}
	return b.String()
}
