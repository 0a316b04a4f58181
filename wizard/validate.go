package wizard

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

// Validators are plain func(string) error so they plug into widget.Entry.Validator.
// Each message names the field and says how to fix it.

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$`)
)

// Clean trims what copy and paste bring along: spaces, tabs, CR and LF (Windows
// clipboards end lines with CRLF), and a surrounding pair of quotes.
func Clean(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// IsGUID reports whether s is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47.
func IsGUID(s string) bool { return guidRE.MatchString(Clean(s)) }

// NormaliseTenant is the one form a tenant takes from every entry point (the window's
// field, a loaded or imported config, command-line flags) to the token request: spaces
// and surrounding quotes removed (Clean) and lower case, since tenant IDs and domain
// names are case-insensitive. It does not validate: ValidateTenant says what is wrong.
func NormaliseTenant(s string) string { return strings.ToLower(Clean(s)) }

// ValidateTenant accepts a directory (tenant) ID GUID or a verified domain such as
// contoso.onmicrosoft.com. "common", "organizations" and "consumers" are refused: admin
// consent and app-only access need the actual tenant.
func ValidateTenant(s string) error {
	s = NormaliseTenant(s)
	switch {
	case s == "":
		return errors.New("Tenant: enter the Directory (tenant) ID from the app's Overview page, or the tenant's domain such as contoso.onmicrosoft.com")
	case strings.EqualFold(s, "common") || strings.EqualFold(s, "organizations") || strings.EqualFold(s, "consumers"):
		return errors.New("Tenant: \"" + s + "\" is not a tenant; enter your Directory (tenant) ID or your domain such as contoso.onmicrosoft.com")
	case guidRE.MatchString(s):
		return nil
	case strings.Contains(s, "@"):
		return errors.New("Tenant: this looks like an email address; enter only the domain after the @")
	case strings.HasPrefix(strings.ToLower(s), "http"):
		return errors.New("Tenant: enter the tenant ID or domain, not a URL")
	case domainRE.MatchString(s):
		return nil
	default:
		return errors.New("Tenant: not a tenant ID (8-4-4-4-12 hex digits) or a domain name; copy the Directory (tenant) ID from Entra admin center > App registrations > your app > Overview")
	}
}

// ValidateClientID accepts the Application (client) ID GUID.
func ValidateClientID(s string) error {
	s = Clean(s)
	switch {
	case s == "":
		return errors.New("Client ID: enter the Application (client) ID from the app's Overview page")
	case guidRE.MatchString(s):
		return nil
	default:
		return errors.New("Client ID: must be a GUID (8-4-4-4-12 hex digits); copy the Application (client) ID from Entra admin center > App registrations > your app > Overview")
	}
}

// ValidateClientSecret checks a client secret value. A GUID is almost always the
// secret's ID pasted by mistake: the value is the other column, shown only once.
func ValidateClientSecret(s string) error {
	s = Clean(s)
	switch {
	case s == "":
		return errors.New("Client secret: enter the secret's Value from Certificates & secrets")
	case guidRE.MatchString(s):
		return errors.New("Client secret: this is the secret's ID, not its Value; copy the Value column (it is shown only right after creation; create a new secret if it is hidden)")
	case len(s) < 16:
		return errors.New("Client secret: too short to be a secret value; copy the whole Value column")
	default:
		return nil
	}
}

// ValidateMailboxAddress checks one mailbox address (user@domain).
func ValidateMailboxAddress(s string) error {
	s = Clean(s)
	if s == "" {
		return errors.New("Mailbox: enter an address such as anna@contoso.com")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("Mailbox: %q is not an email address such as anna@contoso.com", s)
	}
	if at := strings.LastIndex(s, "@"); !domainRE.MatchString(s[at+1:]) {
		return fmt.Errorf("Mailbox: %q has no valid domain after the @", s)
	}
	return nil
}

// The backfill window of the first sync, in days: DefaultBackfillDays when it is not set
// (0), else 1 to MaxBackfillDays (ten years). The config, the sync engine and the `sync
// --days` flag all resolve it through BackfillDays.
const (
	DefaultBackfillDays = 30
	MaxBackfillDays     = 3650
)

// BackfillDays resolves a backfill window: 0 (not set) is DefaultBackfillDays, 1 to
// MaxBackfillDays is itself, anything else is an error that names the bounds.
func BackfillDays(days int) (int, error) {
	switch {
	case days == 0:
		return DefaultBackfillDays, nil
	case days < 1 || days > MaxBackfillDays:
		return 0, fmt.Errorf("Backfill days: %d is out of range; use 1 to %d days, or leave it out for %d", days, MaxBackfillDays, DefaultBackfillDays)
	}
	return days, nil
}
