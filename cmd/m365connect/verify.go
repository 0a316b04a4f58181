package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// verifyOptions are the flags of `m365connect verify`.
type verifyOptions struct {
	streams
	Config      string
	SandboxInfo string
	JSON        bool
	Timeout     time.Duration
	// InsecureStorage allows the 0600 fallback file when there is no OS keyring.
	InsecureStorage bool
}

func newVerifyCmd(s streams) *cobra.Command {
	opts := &verifyOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "verify --config FILE [--json] [--sandbox-info FILE]",
		Short: "Run every connection check from a config file",
		Long: "Run every connection check of a config (the wizard's Verify step): one line per check,\n" +
			"or JSON with --json, and a summary line at the end. Exit 1 when any check failed.\n\n" +
			"Secrets come from the OS keyring (as the wizard saved them) or, for CI, from\n" +
			connection.EnvClientSecret + ", " + connection.EnvCertPassword + " or " + connection.EnvRefreshToken + ".\n\n" +
			"Practice tenant: the config records the practice tenant's hosts and CA file, which\n" +
			"change with every run: --sandbox-info FILE (written by `m365connect sandbox --info FILE`)\n" +
			"replaces them and supplies the practice app's secret and certificate.",
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if opts.Config == "" && !haveSaved(opts.streams) {
				return usagef("--config FILE is required")
			}
			return runVerify(cmd.Context(), opts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "", "config file to verify (required)")
	f.BoolVar(&opts.JSON, "json", false, "print the results as JSON (the summary line goes to stderr)")
	f.StringVar(&opts.SandboxInfo, "sandbox-info", "", "practice tenant: the info file of a running `m365connect sandbox --info FILE`")
	f.DurationVar(&opts.Timeout, "timeout", 3*time.Minute, "give up after this long")
	f.BoolVar(&opts.InsecureStorage, "insecure-storage", false, "with no OS keyring, keep a renewed sign-in in the 0600 fallback file (its path is printed)")
	return cmd
}

// runVerify runs every check of the config, prints each (or JSON) and a summary line,
// and fails when any check failed.
func runVerify(ctx context.Context, opts *verifyOptions) error {
	c, src, err := loadConfig(opts.Config, opts.SandboxInfo, opts.profileName())
	if err != nil {
		return err
	}
	src.InsecureStorage, src.Warn = opts.InsecureStorage, func(m string) { fmt.Fprintln(opts.Err, m) }
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var progress graph.Progress
	if !opts.JSON {
		progress = func(_, _ int, r graph.CheckResult) { printCheck(opts.Out, connection.CheckFrom(r)) }
	}
	rs, err := connection.Verify(ctx, c, src, progress)
	if err != nil {
		return fmt.Errorf("cannot verify: %w", err)
	}
	v := connection.VerificationFrom(rs, time.Now())
	warn := c.ExpiryWarning(time.Now())
	summaryTo := opts.Out
	if opts.JSON {
		summaryTo = opts.Err
		enc := json.NewEncoder(opts.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Config        string               `json:"config"`
			Tenant        string               `json:"tenant"`
			Cloud         string               `json:"cloud"`
			AccessMode    string               `json:"accessMode"`
			ExpiryWarning string               `json:"expiryWarning,omitempty"`
			Verification  *wizard.Verification `json:"verification"`
		}{opts.Config, c.TenantID, c.Cloud, c.AccessMode, warn, v}); err != nil {
			return err
		}
	} else if warn != "" {
		fmt.Fprintf(opts.Out, "WARNING %s\n", warn)
	}
	// One verdict (VerificationFrom) decides the exit status; the line says what ran.
	// "All N checks passed." only when each check ran and passed (graph.Summary).
	sum := graph.Summarize(rs)
	what := strings.TrimSuffix(sum.String(), ".")
	switch {
	case v.Passed && sum.AllPassed():
		fmt.Fprintln(summaryTo, sum.String())
		return nil
	case v.Passed:
		fmt.Fprintf(summaryTo, "Verify: passed for the configured mode (%s).\n", what)
		return nil
	case sum.Failed > 0:
		fmt.Fprintf(summaryTo, "Verify: %d of %d checks failed (%s).\n", sum.Failed, sum.Total, what)
		return fmt.Errorf("%d of %d checks failed", sum.Failed, sum.Total)
	default: // nothing failed, but a required check did not run (cut short, or none at all)
		fmt.Fprintf(summaryTo, "Verify: not passed: %d of %d checks did not run (%s).\n", sum.NotRun, sum.Total, what)
		return fmt.Errorf("%d of %d checks did not run", sum.NotRun, sum.Total)
	}
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
