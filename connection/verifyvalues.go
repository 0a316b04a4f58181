package connection

import (
	"context"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// VerifyOptions tune VerifyValues.
type VerifyOptions struct {
	// DeliveryWait bounds the test send's wait for the message to arrive (graph's
	// default when zero).
	DeliveryWait time.Duration
	// Now is the clock of the expiry check (time.Now when nil).
	Now func() time.Time
}

// VerifyValues runs every check of package graph for config c with secrets already in
// hand (the window's values being entered; Verify reads them from a SecretSource
// instead), then the credential's expiry from the config, so the Verify step and
// `m365connect verify` show the same rows. progress, when set, gets each result.
func VerifyValues(ctx context.Context, c *wizard.Config, sec graph.Secrets, o VerifyOptions, progress graph.Progress) ([]graph.CheckResult, error) {
	s, err := SettingsFor(c)
	if err != nil {
		return nil, err
	}
	s.DeliveryWait = o.DeliveryWait
	rs, err := graph.Verify(ctx, s, sec, progress)
	if err != nil {
		return rs, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	x := ExpiryCheck(c, now())
	if progress != nil {
		progress(len(rs)+1, len(rs)+1, x)
	}
	return append(rs, x), nil
}
