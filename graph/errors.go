package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
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
	// ErrAppNotFound: the app registration (by its client id) is not in the tenant.
	ErrAppNotFound = errors.New("the app registration is not in this tenant")
	// ErrConsentDeclined: the admin declined or cancelled the consent prompt.
	ErrConsentDeclined = errors.New("admin consent was declined")
	// ErrNotDelivered: the test message was sent but not seen in time.
	ErrNotDelivered = errors.New("sent but not seen yet")
)

// Error is every failure Microsoft answers, from Graph or from the identity platform:
// the one error value of this package. It is built where the answer is read, so callers
// (the sync engine, the outbox, the window, the command line) branch on its fields —
// with errors.As, or through the small interfaces mailsync and outbox declare
// (HTTPStatus, GraphCode, GraphMessage, GraphRequestID, RetryAfter, AdviceKey) — and
// never on its text. It never holds a URL's query (skip or delta tokens), a token or a
// secret.
//
// Graph's error body: https://learn.microsoft.com/en-us/graph/errors ; the identity
// platform's: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
type Error struct {
	// Op names the call without its query, e.g. "GET /users/{id}/mailFolders/inbox/messages/delta"
	// or "token request"; empty when the call is clear from context.
	Op string
	// Status is the HTTP status; 0 for an error redirect in the browser.
	Status int
	// Code is Graph's error.code ("ErrorAccessDenied") or the identity platform's
	// error ("invalid_grant").
	Code string
	// AADSTS is the identity platform's code ("AADSTS7000215"), when it named one.
	AADSTS string
	// Message is Microsoft's error.message or error_description, first line, redacted.
	Message string
	// RequestID is Graph's request-id (header, else innerError), for support.
	RequestID string
	// RetryIn is the Retry-After the server asked for, when HasRetryAfter.
	RetryIn       time.Duration
	HasRetryAfter bool
	// Identity is set for an answer of the identity platform (token endpoint, sign-in or
	// consent redirect) rather than Graph.
	Identity bool
	// Err is the underlying cause (azidentity's error for a refused token request), or nil.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Identity && e.Op == "":
		b.WriteString("identity platform error: " + e.Code)
	case e.Op != "":
		fmt.Fprintf(&b, "%s: %d", e.Op, e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
	default:
		fmt.Fprintf(&b, "graph answered %d %s", e.Status, http.StatusText(e.Status))
		if e.Code != "" {
			b.WriteString(": " + e.Code)
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.HasRetryAfter {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryIn)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// SyncReset reports whether the sync engine must drop the folder's links and start its
// round again: true for a link on a foreign origin (CodeForeignLink).
func (e *Error) SyncReset() bool { return e.Code == CodeForeignLink }

// HTTPStatus is the HTTP status (mailsync and outbox classify by it).
func (e *Error) HTTPStatus() int { return e.Status }

// GraphCode is Graph's error.code or the identity platform's error.
func (e *Error) GraphCode() string { return e.Code }

// GraphMessage is Microsoft's message, first line, redacted.
func (e *Error) GraphMessage() string { return e.Message }

// GraphRequestID is Graph's request id, for a support case.
func (e *Error) GraphRequestID() string { return e.RequestID }

// RetryAfter is the Retry-After the server asked for, if any.
func (e *Error) RetryAfter() (time.Duration, bool) { return e.RetryIn, e.HasRetryAfter }

// AdviceKey is the key of this failure's entry in the advice catalogue (LookupAdvice).
func (e *Error) AdviceKey() string { return e.Advice().Code }

// Advice is the catalogue's advice for this failure.
func (e *Error) Advice() Advice {
	if e.Identity && e.Code != "" {
		return identityAdvice(e)
	}
	ra := time.Duration(0)
	if e.HasRetryAfter {
		ra = e.RetryIn
	}
	return graphAdvice(e.Status, e.Code, e.Message, ra)
}

// identityError builds the Error of an identity platform answer; the AADSTS code is read
// from error_codes here, where the value is made (or from the description when an
// answer has no error_codes).
func identityError(status int, code, description string, codes []int) *Error {
	e := &Error{Status: status, Code: code, Message: firstLine(description), Identity: true}
	if len(codes) > 0 { // the structured field first; the description only when it is absent
		e.AADSTS = "AADSTS" + strconv.Itoa(codes[0])
	} else {
		e.AADSTS = findAADSTS(description)
	}
	return e
}

// graphError builds the Error of a Graph answer from its status, headers and body
// ({"error": {"code", "message", "innerError": {"request-id"}}}, https://learn.microsoft.com/en-us/graph/errors;
// Retry-After: https://learn.microsoft.com/en-us/graph/throttling).
func graphError(op string, status int, h http.Header, body []byte, now time.Time) *Error {
	e := &Error{Op: op, Status: status}
	var v struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		e.Code, e.Message, e.RequestID = v.Error.Code, firstLine(v.Error.Message), v.Error.InnerError.RequestID
	}
	if id := h.Get("request-id"); id != "" {
		e.RequestID = id
	}
	e.RetryIn, e.HasRetryAfter = retryAfter(h.Get("Retry-After"), now)
	return e
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

// tokenError is the *Error of a failed token request (the credential's GetToken). A
// refusal by the identity platform (revoked consent, secret or certificate: a 4xx with
// its error body) has Status 401, which the sync engine and the outbox treat as a
// refused token, and the identity platform's code and AADSTS code, read from the
// response where azidentity kept it. Anything else (network) keeps its cause in Err.
func tokenError(err error) error {
	e := &Error{Op: "token request", Code: "TokenRequestFailed", Message: "could not get an access token", Err: err}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse != nil && af.RawResponse.StatusCode >= 400 && af.RawResponse.StatusCode < 500 {
		e.Status, e.Identity, e.Message = http.StatusUnauthorized, true, "the identity platform refused the token request"
		if ie := identityErrorFromResponse(af.RawResponse); ie != nil {
			e.Code, e.AADSTS = ie.Code, ie.AADSTS
			if ie.Message != "" {
				e.Message = ie.Message
			}
		}
	}
	return e
}

// retryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3; Graph sends
// seconds, https://learn.microsoft.com/en-us/graph/throttling); a date in the past is 0.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
