package wizard

// This file holds the one rule for a credential about to expire: ExpiryWarnDays, ExpiresSoon
// and the warning text, and the expiry date typed from the portal.

import (
	"fmt"
	"time"
)

// ExpiryWarnDays is how long before a client secret's or certificate's end the app
// warns, `verify` warns and rotation is offered: the one rule, ExpiresSoon.
const ExpiryWarnDays = 30

// ExpiresSoon reports whether a credential ending at end is inside the warning window
// (fewer than ExpiryWarnDays days left) or already over. A zero end is unknown: false.
func ExpiresSoon(end, now time.Time) bool {
	return !end.IsZero() && end.Sub(now) < ExpiryWarnDays*24*time.Hour
}

// ExpiryWarning returns a warning when the secret or certificate expires within
// ExpiryWarnDays of now (or has expired), else "".
func (c *Config) ExpiryWarning(now time.Time) string {
	return ExpiryWarning(c.AccessMode, c.Credential.ExpiresAt, now)
}

// ExpiryWarning is Config.ExpiryWarning for values not yet in a config.
func ExpiryWarning(mode string, expires *time.Time, now time.Time) string {
	if expires == nil || expires.IsZero() || mode == ModeDelegated {
		return ""
	}
	what, fix := "client secret", "create a new client secret under Certificates & secrets, then Reset and paste it here"
	if mode == ModeCertificate {
		what, fix = "certificate", "upload a new certificate under Certificates & secrets, then Reset and choose it here"
	}
	days := int(expires.Sub(now).Hours() / 24)
	date := expires.Format("2 January 2006")
	switch {
	case !expires.After(now):
		return fmt.Sprintf("The %s expired on %s: the connection stops working; %s.", what, date, fix)
	case ExpiresSoon(*expires, now):
		return fmt.Sprintf("The %s expires on %s (in %d days): %s before then.", what, date, days, fix)
	}
	return ""
}

// ParseExpiryDate reads a date typed from the portal's Expires column: 2006-01-02,
// 1/2/2006 (US, as the portal shows it in en-US) or 2.1.2006. Empty means unknown.
func ParseExpiryDate(s string) (*time.Time, error) {
	s = Clean(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02", "1/2/2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("Secret expiry: %q is not a date; type it as 2027-05-31 (the Expires column under Certificates & secrets)", s)
}

// ValidateExpiryDate is ParseExpiryDate as a func(string) error for an entry.
func ValidateExpiryDate(s string) error {
	_, err := ParseExpiryDate(s)
	return err
}
