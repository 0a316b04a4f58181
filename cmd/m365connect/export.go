package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/m365connect/m365connect/wizard"
)

// exportOptions are the flags of `m365connect export`.
type exportOptions struct {
	streams
	Config string
	Out    string
}

func newExportCmd(s streams) *cobra.Command {
	opts := &exportOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "export --config FILE --out FILE",
		Short: "Export a verified config (no secrets)",
		Long: "Write a config validated and migrated to the current schema, with no secrets (the format\n" +
			"has no field for one), and beside it the printable HTML verification report.",
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if (opts.Config == "" && !haveSaved(opts.streams)) || opts.Out == "" {
				return usagef("--config FILE and --out FILE are required")
			}
			return runExport(cmd.Context(), opts)
		}),
	}
	cmd.Flags().StringVar(&opts.Config, "config", "", "config file to export (required)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "file to write (required); the report goes beside it as NAME-report.html")
	return cmd
}

// runExport writes the export and its report.
func runExport(_ context.Context, opts *exportOptions) error {
	c, _, err := loadConfig(opts.Config, "", opts.profileName())
	if err != nil {
		return err
	}
	if err := c.Save(opts.Out); err != nil {
		return err
	}
	report := strings.TrimSuffix(opts.Out, filepath.Ext(opts.Out)) + "-report.html"
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
	fmt.Fprintf(opts.streams.Out, "Exported %s (%s, schema %d, no secrets)\nReport   %s\n", opts.Out, state, wizard.SchemaVersion, report)
	return nil
}
