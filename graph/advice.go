package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"golang.org/x/oauth2"
)

// Wizard step identifiers named in Advice.Step. They match the wizard
// package's StepID values (graph does not import wizard).
const (
	StepEnvironment     = "environment"
	StepPrerequisites   = "prerequisites"
	StepAppRegistration = "app-registration"
	StepConsent         = "consent"
	StepMailboxes       = "mailboxes"
	StepVerify          = "verify"
)

// Advice is the plain-language explanation of one failure: what happened,
// why, the exact fix, and the wizard step where it is fixed.
type Advice struct {
	Code       string        // catalogue key: "AADSTS7000215", "ErrorAccessDenied", "timeout", ...
	Title      string        // one line
	Cause      string        // why it happens
	Fix        string        // the exact fix: admin centre page path or command
	Step       string        // wizard step that fixes it (Step* constants)
	Retryable  bool          // trying again later may work without changes
	RetryAfter time.Duration // server-requested wait, when known
	Seen       string        // Microsoft's own words (code and first line), never secrets
}

// Catalogue returns every advice entry, in a stable order.
func Catalogue() []Advice { return catalogue() }

// LookupAdvice returns the catalogue entry for a code.
func LookupAdvice(code string) (Advice, bool) {
	for _, a := range Catalogue() {
		if strings.EqualFold(a.Code, code) {
			return a, true
		}
	}
	return Advice{}, false
}

func adviceCode(code, seen string) Advice {
	a, ok := LookupAdvice(code)
	if !ok {
		a, _ = LookupAdvice("unknown")
		a.Code = code
	}
	a.Seen = redact(seen)
	return a
}

// AdviceFor turns any error from this package, azidentity, the Graph SDK,
// x/oauth2 or raw HTTP into advice. It never returns secrets: Seen holds
// only Microsoft's code and the first line of its message.
func AdviceFor(err error) Advice {
	if err == nil {
		return Advice{}
	}
	for _, s := range []struct {
		err  error
		code string
	}{
		{ErrTimeout, "timeout"}, {ErrCancelled, "cancelled"}, {ErrStateMismatch, "state_mismatch"},
		{ErrCallbackUsed, "callback_used"}, {ErrBrowserUnavailable, "browser"}, {ErrPortUnavailable, "port"},
		{ErrWrongCloud, "wrong_cloud"}, {ErrSecretLooksLikeID, "secret_id"}, {ErrTenantMismatch, "tenant_mismatch"},
		{ErrCommonTenant, "common_tenant"}, {ErrNoRefreshToken, "no_refresh_token"},
		{ErrConsentDeclined, "consent_declined"}, {ErrNotDelivered, "not_delivered"},
		{ErrAppNotFound, "app_not_found"},
	} {
		if errors.Is(err, s.err) {
			return adviceCode(s.code, s.err.Error())
		}
	}

	var ge *Error
	if errors.As(err, &ge) {
		return ge.Advice()
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		if o := identityErrorFromResponse(afe.RawResponse); o != nil {
			return o.Advice()
		}
		return adviceCode("invalid_client", "authentication failed")
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return identityError(statusOf(re.Response), re.ErrorCode, re.ErrorDescription, nil).Advice()
	}
	var ode *odataerrors.ODataError
	if errors.As(err, &ode) {
		code, msg := "", ""
		if e := ode.GetErrorEscaped(); e != nil {
			if c := e.GetCode(); c != nil {
				code = *c
			}
			if m := e.GetMessage(); m != nil {
				msg = *m
			}
		}
		var ra time.Duration
		if h := ode.GetResponseHeaders(); h != nil {
			if v := h.Get("Retry-After"); len(v) > 0 {
				ra, _ = retryAfter(v[0], time.Now())
			}
		}
		return graphAdvice(ode.ResponseStatusCode, code, msg, ra)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return adviceCode("deadline", "deadline exceeded")
	}
	if errors.Is(err, context.Canceled) {
		return adviceCode("cancelled", "cancelled")
	}
	if isTLSError(err) {
		return adviceCode("tls", "certificate not trusted")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return adviceCode("deadline", "network timeout")
		}
		return adviceCode("network", "connection failed")
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return adviceCode("network", "connection failed")
	}
	// Text is never searched for codes: an error that matters is an *Error, built
	// where Microsoft's answer was read.
	return adviceCode("unknown", firstLine(err.Error()))
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func identityAdvice(o *Error) Advice {
	seen := o.Code
	if o.Message != "" {
		seen += ": " + o.Message
	}
	if c := o.AADSTS; c != "" {
		if _, ok := LookupAdvice(c); ok {
			return adviceCode(c, seen)
		}
	}
	switch o.Code {
	case "invalid_grant", "invalid_client":
		return adviceCode(o.Code, seen)
	case "access_denied", "consent_required":
		return adviceCode("AADSTS65004", seen)
	}
	a := adviceCode("unknown", seen)
	if o.AADSTS != "" {
		a.Code = o.AADSTS
	}
	return a
}

func graphAdvice(status int, code, msg string, retryAfter time.Duration) Advice {
	seen := code
	if m := firstLine(msg); m != "" {
		if seen != "" {
			seen += ": "
		}
		seen += m
	}
	if seen == "" {
		seen = http.StatusText(status)
	}
	var a Advice
	switch {
	case status == http.StatusTooManyRequests || code == "TooManyRequests" || code == "ApplicationThrottled":
		a = adviceCode("TooManyRequests", seen)
		a.RetryAfter = retryAfter
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		a = adviceCode("ServiceUnavailable", seen)
		a.RetryAfter = retryAfter
	case code == "ErrorAccessDenied" && isAccessPolicyMessage(msg):
		a = adviceCode("AccessPolicyDenied", seen)
	case code != "":
		if _, ok := LookupAdvice(code); ok {
			a = adviceCode(code, seen)
		} else if status == http.StatusNotFound {
			a = adviceCode("ResourceNotFound", seen)
		} else if status == http.StatusForbidden {
			a = adviceCode("ErrorAccessDenied", seen)
		} else if status == http.StatusUnauthorized {
			a = adviceCode("InvalidAuthenticationToken", seen)
		} else {
			a = adviceCode("unknown", seen)
			a.Code = code
		}
	case status == http.StatusUnauthorized:
		a = adviceCode("InvalidAuthenticationToken", seen)
	case status == http.StatusForbidden:
		a = adviceCode("ErrorAccessDenied", seen)
	case status == http.StatusNotFound:
		a = adviceCode("ResourceNotFound", seen)
	default:
		a = adviceCode("unknown", seen)
	}
	return a
}

// isAccessPolicyMessage recognises Exchange's scoping denials, e.g.
// "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
// https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
func isAccessPolicyMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "accesspolicy") || strings.Contains(m, "access policy") || strings.Contains(m, "raop")
}

func isTLSError(err error) bool {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var tv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &tv) || errors.As(err, &rh)
}

// identityErrorFromResponse reads an identity platform error body
// ({"error","error_description","error_codes"}) from a token response.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
func identityErrorFromResponse(resp *http.Response) *Error {
	if resp == nil || resp.Body == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return parseIdentityErrorBody(resp.StatusCode, body)
}

func parseIdentityErrorBody(status int, body []byte) *Error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return nil
	}
	return identityError(status, e.Error, e.Description, e.Codes)
}
