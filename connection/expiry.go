package connection

import (
	"fmt"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// Expiry is when a connection's client secret or certificate stops working, as data
// for the profile list, the last wizard step and `verify` (text and --json).
type Expiry struct {
	// What is "client secret" or "certificate"; "" for delegated sign-in (a refresh
	// token has no date the admin can see in the portal).
	What      string     `json:"what,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// DaysLeft is whole days from now to ExpiresAt (negative once expired).
	DaysLeft int  `json:"daysLeft"`
	Expired  bool `json:"expired"`
	// Warn is true from wizard.ExpiryWarnDays days before the date; Warning then
	// says what to do.
	Warn    bool   `json:"warn"`
	Warning string `json:"warning,omitempty"`
}

// ExpiryOf reads the expiry of c's credential at now.
func ExpiryOf(c *wizard.Config, now time.Time) Expiry {
	var e Expiry
	switch c.AccessMode {
	case wizard.ModeSecret:
		e.What = "client secret"
	case wizard.ModeCertificate:
		e.What = "certificate"
	default:
		return e
	}
	if t := c.Credential.ExpiresAt; t != nil && !t.IsZero() {
		e.ExpiresAt = t
		e.DaysLeft = int(t.Sub(now).Hours() / 24)
		if t.Sub(now) < 0 && e.DaysLeft == 0 {
			e.DaysLeft = -1
		}
		e.Expired = !t.After(now)
		e.Warning = c.ExpiryWarning(now)
		e.Warn = e.Warning != ""
	}
	return e
}

// ExpiryCheck is the expiry as one more check result ("expiry") after the checks of
// package graph: pass while more than wizard.ExpiryWarnDays days remain, warn inside
// them, fail once expired; it passes with a note when the date is unknown or the mode
// has none (a skipped check would count as not run). Data is the Expiry.
func ExpiryCheck(c *wizard.Config, now time.Time) graph.CheckResult {
	e := ExpiryOf(c, now)
	r := graph.CheckResult{ID: "expiry", Title: "Secret or certificate is not about to expire", Started: now, Data: e}
	switch {
	case e.What == "":
		r.Status, r.Seen = graph.StatusPass, "delegated sign-in has no secret or certificate that expires"
	case e.ExpiresAt == nil:
		r.Status, r.Seen = graph.StatusPass, "the "+e.What+"'s expiry date is not known (type it from the Expires column under Certificates & secrets)"
	case e.Expired:
		r.Status, r.Seen = graph.StatusFail, fmt.Sprintf("the %s expired on %s", e.What, e.ExpiresAt.Format("2 January 2006"))
	case e.Warn:
		r.Status, r.Seen = graph.StatusWarn, fmt.Sprintf("the %s expires on %s, in %d days", e.What, e.ExpiresAt.Format("2 January 2006"), e.DaysLeft)
	default:
		r.Status, r.Seen = graph.StatusPass, fmt.Sprintf("the %s expires on %s, in %d days", e.What, e.ExpiresAt.Format("2 January 2006"), e.DaysLeft)
	}
	if e.Warn {
		r.Advice = &graph.Advice{Code: "expiry", Title: "Renew the " + e.What, Cause: e.Warning, Fix: renewFix(c.AccessMode), Step: graph.StepAppRegistration}
	}
	return r
}

func renewFix(mode string) string {
	if mode == wizard.ModeCertificate {
		return "Entra admin center > App registrations > (your app) > Certificates & secrets > Certificates > Upload certificate; then Reset this connection and choose the new certificate."
	}
	return "Entra admin center > App registrations > (your app) > Certificates & secrets > Client secrets > New client secret; then Reset this connection and paste the new Value."
}
