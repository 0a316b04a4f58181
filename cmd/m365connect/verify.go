package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/ui"
	"github.com/m365connect/m365connect/wizard"
)

// runVerify is the 'verify' subcommand: it runs every connection check of a config, the
// same checks as the wizard's Verify step, prints one line per check (or JSON) and fails
// when any check failed.
//
// Practice tenant: the config records the practice tenant's hosts and CA file. Those
// change with every run, so --sandbox-info FILE (written by `m365connect sandbox
// --info FILE`) replaces them, and for the practice tenant only, the app's practice
// secret and certificate come from that file too.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file to verify (required)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	sandboxInfo := fs.String("sandbox-info", "", "practice tenant: the info file of a running `m365connect sandbox --info FILE`")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	insecure := fs.Bool("insecure-storage", false, "with no OS keyring, keep a renewed sign-in in the 0600 fallback file (its path is printed)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: m365connect verify --config FILE [--json] [--sandbox-info FILE]\n\n"+
			"Secrets come from the OS keyring (as the wizard saved them) or, for CI, from\n%s, %s or %s.\n\n", connection.EnvClientSecret, connection.EnvCertPassword, connection.EnvRefreshToken)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --config FILE is required", errUsage)
	}
	c, src, err := loadConfig(*cfgPath, *sandboxInfo)
	if err != nil {
		return err
	}
	src.InsecureStorage, src.Warn = *insecure, func(m string) { fmt.Fprintln(stderr, m) }
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var progress graph.Progress
	if !*asJSON {
		progress = func(_, _ int, r graph.CheckResult) { printCheck(stdout, ui.CheckFrom(r)) }
	}
	rs, err := ui.VerifyConfig(ctx, c, src, progress)
	if err != nil {
		return fmt.Errorf("cannot verify: %w", err)
	}
	v := ui.VerificationFrom(rs, time.Now())
	warn := c.ExpiryWarning(time.Now())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Config        string               `json:"config"`
			Tenant        string               `json:"tenant"`
			Cloud         string               `json:"cloud"`
			AccessMode    string               `json:"accessMode"`
			ExpiryWarning string               `json:"expiryWarning,omitempty"`
			Verification  *wizard.Verification `json:"verification"`
		}{*cfgPath, c.TenantID, c.Cloud, c.AccessMode, warn, v}); err != nil {
			return err
		}
	} else {
		if warn != "" {
			fmt.Fprintf(stdout, "WARNING %s\n", warn)
		}
	}
	failed := 0
	for _, ch := range v.Checks {
		if ch.Status == wizard.StatusFail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(v.Checks))
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "All %d checks passed.\n", len(v.Checks))
	}
	return nil
}

func printCheck(w io.Writer, c wizard.Check) {
	fmt.Fprintf(w, "%-5s %s", strings.ToUpper(c.Status), c.Name)
	if c.Seen != "" {
		fmt.Fprintf(w, ": %s", c.Seen)
	}
	fmt.Fprintln(w)
	if c.Advice != "" && c.Status != wizard.StatusPass {
		fmt.Fprintf(w, "      %s\n", c.Advice)
	}
}

func readSandboxInfo(path string) (emulator.Info, error) {
	var info emulator.Info
	b, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("sandbox info: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("sandbox info %s is not the file `m365connect sandbox --info` writes: %w", path, err)
	}
	if info.AuthorityHost == "" || info.GraphBaseURL == "" || info.CACertFile == "" {
		return info, fmt.Errorf("sandbox info %s lacks the authority host, Graph URL or CA file", path)
	}
	return info, nil
}
