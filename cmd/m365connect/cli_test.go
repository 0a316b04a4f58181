package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandPaths lists every command of the command line, as typed after "m365connect".
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(newRootCmd(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}), nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	return paths
}

// Every command answers --help and -h (and the old -help) with its usage on stdout,
// ending in a newline, nothing on stderr, exit 0.
func TestHelpOnStdoutExit0(t *testing.T) {
	for _, path := range commandPaths(t) {
		for _, h := range []string{"--help", "-h", "-help"} {
			args := append(append([]string{}, path...), h)
			out, errs, code := runCmd(t, args...)
			if code != exitOK || errs != "" || !strings.Contains(out, "Usage:") || !strings.HasSuffix(out, "\n") {
				t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errs, out)
			}
		}
	}
	out, errs, code := runCmd(t, "help", "outbox", "approve")
	if code != exitOK || errs != "" || !strings.Contains(out, "outbox approve ID") {
		t.Errorf("help outbox approve: exit %d, %q %q", code, out, errs)
	}
}

// A command-line mistake prints what is wrong and the command's usage on stderr,
// nothing on stdout, and exits 2; mistyped commands get suggestions.
func TestUsageErrorsExit2(t *testing.T) {
	// No saved connections here: commands without --config must not find the real ones.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, tc := range []struct {
		args []string
		want []string // on stderr
	}{
		{[]string{"no-such-command"}, []string{`unknown command "no-such-command"`, "Usage:"}},
		{[]string{"verfy"}, []string{"Did you mean this?", "verify"}},
		{[]string{"outbox"}, []string{"missing action", "m365connect outbox [command]"}},
		{[]string{"outbox", "lst", "--config", "x.json"}, []string{`unknown outbox action "lst"`, "list"}},
		{[]string{"outbox", "approve", "--config", "x.json"}, []string{"one message ID", "outbox approve ID"}},
		{[]string{"outbox", "list"}, []string{"--config is required"}},
		{[]string{"verify"}, []string{"--config FILE is required", "--sandbox-info"}},
		{[]string{"verify", "--config", "x.json", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"verify", "--no-such-flag"}, []string{"unknown flag: --no-such-flag", "--timeout"}},
		{[]string{"sync", "--days", "many"}, []string{"invalid argument", "--days"}},
		{[]string{"sync", "--config", "x.json", "--days", "3651"}, []string{"--days", "use 1 to 3650 days"}},
		{[]string{"sync", "--config", "x.json", "--days", "-1"}, []string{"--days", "use 1 to 3650 days"}},
		{[]string{"import"}, []string{"one FILE"}},
		{[]string{"export", "--config", "x.json"}, []string{"--out FILE are required"}},
		{[]string{"sandbox", "--users", "0"}, []string{"--users must be at least 1"}},
		{[]string{"completion", "tcsh"}, []string{"tcsh"}},
	} {
		out, errs, code := runCmd(t, tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d (want 2), stdout %q, stderr %q", tc.args, code, out, errs)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errs)
			}
		}
	}
}

// A run that fails (here: the config cannot be read) exits 1 with the reason on stderr;
// the single-dash long flags of the earlier command line still parse.
func TestFailedRunExit1(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	for _, args := range [][]string{
		{"verify", "--config", missing},
		{"verify", "-config", missing},
		{"verify", "-config=" + missing},
		{"outbox", "list", "--config", missing},
		{"export", "--config", missing, "--out", missing + ".out"},
	} {
		out, errs, code := runCmd(t, args...)
		if code != exitFail || !strings.Contains(errs, "missing.json") || strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d (want 1), stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		out, errs, code := runCmd(t, args...)
		if code != exitOK || out != "m365connect "+version+"\n" || errs != "" {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errs)
		}
	}
}

// Shell completion comes from the same definitions: each script names our commands.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errs, code := runCmd(t, "completion", sh)
		if code != exitOK || errs != "" || !strings.Contains(out, "m365connect") {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes", sh, code, errs, len(out))
		}
	}
	// The completion protocol itself: subcommands of outbox, and a flag of sync.
	out, _, code := runCmd(t, cobra.ShellCompRequestCmd, "outbox", "")
	for _, w := range []string{"approve", "list", "run", "scan"} {
		if code != exitOK || !strings.Contains(out, w) {
			t.Errorf("completing 'outbox ': exit %d, lacks %q:\n%s", code, w, out)
		}
	}
	if out, _, _ := runCmd(t, cobra.ShellCompRequestCmd, "sync", "--sandbox"); !strings.Contains(out, "--sandbox-info") {
		t.Errorf("completing 'sync --sandbox': %s", out)
	}
}

// The built binary writes nothing to stderr for help and version under the locales of
// containers and CI images: Fyne's lang package used to log "Fyne error: Error parsing
// user locale C" (three lines) at start-up with LANG=C.UTF-8 (see internal/cleanlocale).
func TestNoLocaleNoiseOnStderr(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("go-locale reads the Windows API, not LANG")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "m365connect")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !regexp.MustCompile(`^(LANG|LANGUAGE|LC_[A-Z]+)=`).MatchString(kv) {
			base = append(base, kv)
		}
	}
	for _, locale := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C"}, {}, {"LC_ALL=POSIX"}, {"LC_ALL=C.utf8", "LANG=en_US.UTF-8"}, {"LANG=en_US.UTF-8"}} {
		for _, args := range [][]string{{"version"}, {"--help"}, {"outbox", "--help"}, {"no-such-command"}} {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, args...)
			cmd.Env = append(append([]string{}, base...), locale...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if args[0] == "no-such-command" {
				// Only the command's own words: the error and the usage.
				if err == nil || strings.Contains(stderr.String(), "Fyne") || !strings.HasPrefix(stderr.String(), "m365connect: unknown command") {
					t.Errorf("%v %v: err %v, stderr:\n%s", locale, args, err, stderr.String())
				}
				continue
			}
			if err != nil || stderr.Len() != 0 || stdout.Len() == 0 {
				t.Errorf("%v %v: err %v, stderr:\n%s", locale, args, err, stderr.String())
			}
		}
	}
}
