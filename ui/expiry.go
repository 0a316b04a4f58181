package ui

import (
	"time"

	connpkg "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// expiryResult is the credential's expiry as one more row of the Verify step (warning
// from wizard.ExpiryWarnDays days before), the same check `m365connect verify` prints.
func expiryResult(c *wizard.Config, now time.Time) graph.CheckResult {
	return connpkg.ExpiryCheck(c, now)
}
