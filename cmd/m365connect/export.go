package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/m365connect/m365connect/wizard"
)

// runExport is the 'export' subcommand: it writes a config (validated, migrated to the
// current schema, no secrets — the format has no field for one) and beside it the
// printable HTML verification report.
func runExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file to export (required)")
	out := fs.String("out", "", "file to write (required); the report goes beside it as NAME-report.html")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --config FILE and --out FILE are required", errUsage)
	}
	c, err := wizard.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := c.Save(*out); err != nil {
		return err
	}
	report := strings.TrimSuffix(*out, filepath.Ext(*out)) + "-report.html"
	var b bytes.Buffer
	if err := wizard.WriteReport(&b, c, time.Now()); err != nil {
		return err
	}
	if err := wizard.WriteFileAtomic(report, b.Bytes(), 0o644); err != nil {
		return err
	}
	state := "not verified"
	if v := c.Verification; v != nil {
		state = "verified " + v.At.Format("2006-01-02 15:04 UTC")
		if !v.Passed {
			state = "verification FAILED " + v.At.Format("2006-01-02 15:04 UTC")
		}
	}
	fmt.Fprintf(stdout, "Exported %s (%s, schema %d, no secrets)\nReport   %s\n", *out, state, wizard.SchemaVersion, report)
	return nil
}
