package graph

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Compare with errors.Is; AdviceFor turns each into advice.
var (
	// ErrTimeout: the browser step (sign-in or consent) did not finish in time.
	ErrTimeout = errors.New("timed out waiting for the browser")
	// ErrCancelled: the caller cancelled the browser step.
	ErrCancelled = errors.New("cancelled")
	// ErrStateMismatch: a loopback callback carried a state we did not send.
	ErrStateMismatch = errors.New("the browser answer did not carry the expected state")
	// ErrCallbackUsed: a second callback arrived on a one-shot listener.
	ErrCallbackUsed = errors.New("the sign-in answer was already received")
	// ErrBrowserUnavailable: the system browser could not be opened; show the URL.
	ErrBrowserUnavailable = errors.New("could not open the system browser")
	// ErrPortUnavailable: no loopback port could be bound on 127.0.0.1.
	ErrPortUnavailable = errors.New("could not listen on a 127.0.0.1 port")
	// ErrWrongCloud: the tenant belongs to a different Microsoft cloud.
	ErrWrongCloud = errors.New("the tenant belongs to a different Microsoft cloud")
	// ErrSecretLooksLikeID: the pasted client secret looks like a secret ID (a GUID).
	ErrSecretLooksLikeID = errors.New("the client secret looks like a secret ID, not the secret value")
	// ErrTenantMismatch: the token was issued by a different tenant than configured.
	ErrTenantMismatch = errors.New("the token was issued for a different tenant")
	// ErrCommonTenant: a tenant-specific flow was asked for with "common" or similar.
	ErrCommonTenant = errors.New("a specific tenant (ID or domain) is required, not common/organizations/consumers")
	// ErrNoRefreshToken: a delegated sign-in is needed (no refresh token saved).
	ErrNoRefreshToken = errors.New("no saved sign-in: sign in again")
	// ErrConsentDeclined: the admin declined or cancelled the consent prompt.
	ErrConsentDeclined = errors.New("admin consent was declined")
	// ErrNotDelivered: the test message was sent but not seen in time.
	ErrNotDelivered = errors.New("sent but not seen yet")
)

// OAuthError is an error answered by the identity platform (token endpoint or
// a redirect carrying error=...). It carries Microsoft's error code and
// description, never a request parameter. Shape:
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
type OAuthError struct {
	StatusCode  int    // HTTP status of the token endpoint; 0 for redirects
	Code        string // e.g. "invalid_grant"
	Description string // e.g. "AADSTS70008: The provided authorization code or refresh token has expired..."
	ErrorCodes  []int  // Microsoft's error_codes array, when present
}

func (e *OAuthError) Error() string {
	d := firstLine(e.Description)
	if d == "" {
		return "identity platform error: " + e.Code
	}
	return fmt.Sprintf("identity platform error: %s: %s", e.Code, d)
}

// AADSTS returns the AADSTS code ("AADSTS70008"), or "".
func (e *OAuthError) AADSTS() string {
	if c := findAADSTS(e.Description); c != "" {
		return c
	}
	if len(e.ErrorCodes) > 0 {
		return "AADSTS" + strconv.Itoa(e.ErrorCodes[0])
	}
	return ""
}

// HTTPError is a non-2xx answer from Graph seen outside the SDK (raw HTTP).
// Body shape: https://learn.microsoft.com/en-us/graph/errors
type HTTPError struct {
	StatusCode int
	Code       string // error.code from the body, if any
	Message    string // error.message from the body, if any
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("graph answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + firstLine(e.Message)
	}
	return s
}

var aadstsRE = regexp.MustCompile(`AADSTS\d{5,7}`)

func findAADSTS(s string) string { return aadstsRE.FindString(s) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return redact(s)
}

var (
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	paramsRE = regexp.MustCompile(`(?i)((?:client_secret|refresh_token|access_token|code|client_assertion|code_verifier|password)=)[^&\s"]+`)
)

// redact removes anything shaped like a bearer token or a secret-bearing
// form parameter. Microsoft's error texts never contain them; this is a
// belt-and-braces guard for text we did not write.
func redact(s string) string {
	s = jwtRE.ReplaceAllString(s, "[token removed]")
	return paramsRE.ReplaceAllString(s, "${1}[removed]")
}

// parseRetryAfter reads a Retry-After header (seconds or HTTP date).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
