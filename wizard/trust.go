package wizard

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"
)

// A config is data, not authority (docs/SECURITY.md): it is handed from one computer to
// another and may be edited by hand. The validators below decide what a config may name:
// practice-tenant hosts only on this computer's loopback, file paths without hidden
// characters, and a verification verdict that is recomputed from the checks.

// IsLoopbackHost reports whether host (no port, IPv6 without brackets) is a loopback IP
// address: 127.0.0.0/8 or ::1. Names such as "localhost" are not accepted: they are
// resolved through the hosts file and DNS, which a config must not be able to steer.
func IsLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidatePracticeURL checks one practice-tenant address: https (or, with allowHTTP, plain
// http for the browser pages) on a loopback IP address, with no user, query or fragment.
// The practice tenant runs on this computer; a config naming any other host would send
// the client secret and tokens there.
func ValidatePracticeURL(s string, allowHTTP bool) error {
	u, err := url.Parse(s)
	example := "https://127.0.0.1:8443/"
	if allowHTTP {
		example = "http://127.0.0.1:8080/"
	}
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not a URL such as %s; use the address `m365connect sandbox --info` wrote", s, example)
	case u.Scheme != "https" && !(allowHTTP && u.Scheme == "http"):
		if allowHTTP {
			return fmt.Errorf("must be an http or https URL such as %s, not %s:", example, u.Scheme)
		}
		return fmt.Errorf("must be an https URL such as %s, not %s:", example, u.Scheme)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("must be a plain address such as %s (no user name, query or fragment)", example)
	case !IsLoopbackHost(u.Hostname()):
		return fmt.Errorf("host %q is not this computer's loopback address (127.0.0.0/8 or [::1]): the practice tenant runs on this computer, so a config naming another host is refused; use the address `m365connect sandbox --info` wrote, such as %s", u.Hostname(), example)
	}
	return nil
}

// ValidateFilePath checks a file or folder path from a config: not blank, no control
// characters (a NUL or newline can cut or forge a path, or a log line), and absolute
// where given for the store, the outbox or a certificate, so it does not depend on the
// folder the app was started from.
func ValidateFilePath(p string) error {
	if strings.TrimSpace(p) == "" {
		return errors.New("is blank; give a full path such as " + examplePath() + ", or leave it out")
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains a control character (%U); give a plain full path such as %s", r, examplePath())
		}
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("%q is not a full path; give one such as %s", p, examplePath())
	}
	return nil
}

func examplePath() string {
	if filepath.Separator == '\\' {
		return `C:\Users\anna\m365connect\mail.db`
	}
	return "/home/anna/m365connect/mail.db"
}

// RequiredChecks are the IDs of the checks a verification of this config must have run
// and passed (or passed with a warning) to count as passed: the credential, the tenant,
// the permissions, each mailbox, and read and send for the features chosen. They are the
// IDs package graph's Plan gives those checks (connection's tests keep the two in step).
func (c *Config) RequiredChecks() []string {
	ids := []string{"credentials", "tenant", "permissions"}
	for _, m := range c.Mailboxes {
		ids = append(ids, "mailbox:"+m.Address)
	}
	if c.Features.Read || c.Features.Write {
		ids = append(ids, "read")
	}
	if c.Features.Send {
		ids = append(ids, "send")
	}
	return ids
}

// Outcome is the verdict on a config's verification, computed from its checks.
type Outcome struct {
	// Passed is true only when every required check ran and passed (or warned) and no
	// check failed.
	Passed bool
	// Verified is false when no checks were recorded at all.
	Verified bool
	// Imported is true when the checks ran on another computer.
	Imported bool
	// Failed names the checks that failed; Missing the required checks that did not
	// run (absent or skipped).
	Failed, Missing []string
	// Checks is how many checks were recorded.
	Checks int
	// Summary says all of this in one sentence for a person.
	Summary string
}

// VerificationOutcome recomputes the verdict from the recorded checks; the block's own
// Passed field is ignored, so a hand-written {"passed": true} with failed, skipped or no
// checks is reported as what it is.
func (c *Config) VerificationOutcome() Outcome {
	v := c.Verification
	if v == nil || len(v.Checks) == 0 {
		return Outcome{Summary: "Not verified: no checks were run."}
	}
	o := Outcome{Verified: true, Imported: v.Imported, Checks: len(v.Checks)}
	status := map[string]string{}
	for _, ch := range v.Checks {
		if ch.Status == StatusFail {
			o.Failed = append(o.Failed, checkName(ch))
		}
		if prev, ok := status[ch.ID]; !ok || prev == StatusPass || prev == StatusWarn {
			status[ch.ID] = ch.Status
		}
	}
	for _, id := range c.RequiredChecks() {
		if s := status[id]; s != StatusPass && s != StatusWarn {
			if s != StatusFail {
				o.Missing = append(o.Missing, id)
			}
		}
	}
	o.Passed = len(o.Failed) == 0 && len(o.Missing) == 0
	switch {
	case len(o.Failed) > 0:
		o.Summary = fmt.Sprintf("FAILED: %d of %d checks failed (%s).", len(o.Failed), o.Checks, strings.Join(o.Failed, "; "))
	case len(o.Missing) > 0:
		o.Summary = fmt.Sprintf("Not verified: required checks did not run (%s).", strings.Join(o.Missing, ", "))
	default:
		o.Summary = fmt.Sprintf("Every required check passed (%d checks).", o.Checks)
	}
	if o.Imported {
		o.Summary += " These checks ran on another computer: not verified on this machine until verify runs here."
	}
	return o
}

func checkName(ch Check) string {
	if ch.Name != "" {
		return ch.Name
	}
	return ch.ID
}

// MarkImported records that the config came from another computer: its verification (if
// any) describes that computer, not this one.
func (c *Config) MarkImported() {
	if c.Verification != nil {
		c.Verification.Imported = true
	}
}
