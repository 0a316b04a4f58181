// Package appdirs says where m365connect keeps its files on each operating system:
// settings (the saved config) in the user's config folder, the sync store and outbox in
// the user's local data folder. On Windows these are %APPDATA%\m365connect and
// %LOCALAPPDATA%\m365connect; nothing is ever written next to the executable.
package appdirs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

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
// ~/.config on Linux).
func ConfigDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, Name), nil
}

// DataDir is where the sync store and the outbox live. Mail is data, not cache, so on
// Linux it is $XDG_DATA_HOME (~/.local/share) rather than ~/.cache; on Windows it is
// %LOCALAPPDATA% (local to the machine: a mail store must not roam with the profile).
func DataDir() (string, error) { return osEnv().dataDir() }

func (e env) dataDir() (string, error) {
	switch e.goos {
	case "windows":
		if d := e.getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, Name), nil
		}
		return "", errors.New("%LOCALAPPDATA% is not set")
	case "darwin", "ios":
		h, err := e.home()
		if err != nil {
			return "", err
		}
		return filepath.Join(h, "Library", "Application Support", Name), nil
	default:
		if d := e.getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, Name), nil
		}
		h, err := e.home()
		if err != nil {
			return "", err
		}
		return filepath.Join(h, ".local", "share", Name), nil
	}
}

// Ensure creates dir (and its parents) readable only by the user.
func Ensure(dir string) error { return os.MkdirAll(dir, 0o700) }
