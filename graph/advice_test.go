package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"golang.org/x/oauth2"
)

var validSteps = map[string]bool{StepEnvironment: true, StepPrerequisites: true, StepAppRegistration: true, StepConsent: true, StepMailboxes: true, StepVerify: true}

// TestCatalogueComplete walks the whole catalogue: every entry is usable
// and every code the brief lists is present.
func TestCatalogueComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Catalogue() {
		if seen[a.Code] {
			t.Errorf("duplicate code %s", a.Code)
		}
		seen[a.Code] = true
		if a.Title == "" || a.Cause == "" || a.Fix == "" {
			t.Errorf("%s: empty title/cause/fix", a.Code)
		}
		if !validSteps[a.Step] {
			t.Errorf("%s: unknown step %q", a.Code, a.Step)
		}
	}
	for _, c := range []string{"AADSTS7000215", "AADSTS7000222", "AADSTS700016", "AADSTS90002", "AADSTS65001", "AADSTS65004",
		"AADSTS90094", "AADSTS50105", "AADSTS53003", "AADSTS50011", "AADSTS50020", "AADSTS9002331", "AADSTS50076", "AADSTS50079",
		"AADSTS50126", "AADSTS500011", "AADSTS700024", "AADSTS7000112", "AADSTS50034", "AADSTS90072", "AADSTS70011", "AADSTS70000",
		"invalid_grant", "InvalidAuthenticationToken", "ErrorAccessDenied", "AccessPolicyDenied", "Authorization_RequestDenied",
		"ErrorSendAsDenied", "ErrorInvalidUser", "ResourceNotFound", "MailboxNotEnabledForRESTAPI", "TooManyRequests",
		"ServiceUnavailable", "network", "tls", "deadline"} {
		if !seen[c] {
			t.Errorf("catalogue lacks %s", c)
		}
	}
}

// TestAdviceForEveryAADSTS: an identity error carrying each AADSTS code of
// the catalogue maps back to that entry.
func TestAdviceForEveryAADSTS(t *testing.T) {
	for _, a := range Catalogue() {
		if !strings.HasPrefix(a.Code, "AADSTS") {
			continue
		}
		err := fmt.Errorf("wrapped: %w", identityError(400, "invalid_request", a.Code+": something happened.\r\nTrace ID: x", nil))
		got := AdviceFor(err)
		if got.Code != a.Code {
			t.Errorf("%s → %s", a.Code, got.Code)
		}
		if strings.Contains(got.Seen, "Trace ID") {
			t.Errorf("%s: Seen should be first line only: %q", a.Code, got.Seen)
		}
	}
}

func odata(status int, code, msg string, hdr map[string]string) error {
	e := odataerrors.NewODataError()
	e.ResponseStatusCode = status
	me := odataerrors.NewMainError()
	me.SetCode(&code)
	me.SetMessage(&msg)
	e.SetErrorEscaped(me)
	if len(hdr) > 0 {
		h := e.GetResponseHeaders()
		for k, v := range hdr {
			h.Add(k, v)
		}
	}
	return e
}

func TestAdviceForGraphAndOthers(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
		step string
		wait time.Duration
	}{
		{"401 token", odata(401, "InvalidAuthenticationToken", "Access token has expired.", nil), "InvalidAuthenticationToken", StepEnvironment, 0},
		{"403 denied", odata(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", nil), "ErrorAccessDenied", StepConsent, 0},
		{"403 policy", odata(403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.", nil), "AccessPolicyDenied", StepMailboxes, 0},
		{"directory", odata(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", nil), "Authorization_RequestDenied", StepConsent, 0},
		{"send as", odata(403, "ErrorSendAsDenied", "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.", nil), "ErrorSendAsDenied", StepMailboxes, 0},
		{"invalid user", odata(404, "ErrorInvalidUser", "The requested user 'x@y' is invalid.", nil), "ErrorInvalidUser", StepMailboxes, 0},
		{"not found", odata(404, "Request_ResourceNotFound", "Resource 'x' does not exist.", nil), "Request_ResourceNotFound", StepMailboxes, 0},
		{"404 other", odata(404, "SomethingElse", "gone", nil), "ResourceNotFound", StepMailboxes, 0},
		{"rest", odata(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.", nil), "MailboxNotEnabledForRESTAPI", StepMailboxes, 0},
		{"429", odata(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", map[string]string{"Retry-After": "7"}), "TooManyRequests", StepVerify, 7 * time.Second},
		{"503", odata(503, "serviceNotAvailable", "Service unavailable", map[string]string{"Retry-After": "3"}), "ServiceUnavailable", StepVerify, 3 * time.Second},
		{"504 raw", &Error{Status: 504}, "ServiceUnavailable", StepVerify, 0},
		{"raw 429", &Error{Status: 429, RetryIn: 2 * time.Second, HasRetryAfter: true}, "TooManyRequests", StepVerify, 2 * time.Second},
		{"raw 403 policy", &Error{Status: 403, Code: "ErrorAccessDenied", Message: "Blocked by tenant configured AppOnly AccessPolicy settings"}, "AccessPolicyDenied", StepMailboxes, 0},
		{"x/oauth2 refresh", &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "AADSTS70008: The refresh token has expired due to inactivity."}, "AADSTS70008", StepConsent, 0},
		{"invalid_grant bare", identityError(0, "invalid_grant", "bad", nil), "invalid_grant", StepConsent, 0},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), "deadline", StepVerify, 0},
		{"cancel", context.Canceled, "cancelled", StepVerify, 0},
		{"dns", &net.DNSError{Err: "no such host", Name: "graph.microsoft.com"}, "network", StepEnvironment, 0},
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "network", StepEnvironment, 0},
		{"timeout sentinel", ErrTimeout, "timeout", StepConsent, 0},
		{"state", fmt.Errorf("x: %w", ErrStateMismatch), "state_mismatch", StepConsent, 0},
		{"wrong cloud", ErrWrongCloud, "wrong_cloud", StepEnvironment, 0},
		{"secret id", ErrSecretLooksLikeID, "secret_id", StepAppRegistration, 0},
		{"no rt", ErrNoRefreshToken, "no_refresh_token", StepConsent, 0},
		{"unknown", errors.New("boom"), "unknown", StepVerify, 0},
		// Text is never searched for codes: a bare error is unknown, whatever it says.
		{"aadsts in text", errors.New("msal: AADSTS50126: Error validating credentials"), "unknown", StepVerify, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := AdviceFor(tt.err)
			if a.Code != tt.code || a.Step != tt.step || a.RetryAfter != tt.wait {
				t.Fatalf("got code=%s step=%s wait=%v, want %s %s %v", a.Code, a.Step, a.RetryAfter, tt.code, tt.step, tt.wait)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	in := "failed: refresh_token=abc.def&client_secret=S3cr3t~x code=xyz token eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.sig"
	out := redact(in)
	for _, s := range []string{"abc.def", "S3cr3t~x", "xyz", "eyJhbGciOiJSUzI1NiJ9"} {
		if strings.Contains(out, s) {
			t.Errorf("%q survived redaction: %s", s, out)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, ok := retryAfter("12", now); got != 12*time.Second || !ok {
		t.Fatal(got)
	}
	if got, ok := retryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now); got != 30*time.Second || !ok {
		t.Fatal(got)
	}
	if got, ok := retryAfter("soon", now); got != 0 || ok {
		t.Fatal(got)
	}
}

// TestMFAAndConditionalAccessAdvice: each MFA / Conditional Access code has its own
// cause and fix (not one shared text), reached from the identity platform's error as
// azidentity and x/oauth2 surface it, and says what to ask the identity team or why
// app-only access avoids it.
func TestMFAAndConditionalAccessAdvice(t *testing.T) {
	tests := []struct {
		code, desc string
		step       string
		want       []string // words the cause+fix must contain
	}{
		{"AADSTS50076", "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
			StepConsent, []string{"MFA prompt", "app-only", "Exclude"}},
		{"AADSTS50079", "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
			StepConsent, []string{"aka.ms/mfasetup", "register"}},
		{"AADSTS53003", "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
			StepPrerequisites, []string{"Sign-in logs", "Exclude", "workload identities"}},
		{"AADSTS530003", "AADSTS530003: Your device is required to be managed to access this resource.",
			StepPrerequisites, []string{"compliant", "hybrid joined", "no device"}},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			a := AdviceFor(identityError(400, "interaction_required", tc.desc+"\r\nTrace ID: 1", nil))
			if a.Code != tc.code || a.Step != tc.step {
				t.Fatalf("got %s step %s, want %s step %s", a.Code, a.Step, tc.code, tc.step)
			}
			text := a.Cause + " " + a.Fix
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("advice lacks %q: %s", w, text)
				}
			}
			for other, prev := range seen {
				if prev == text {
					t.Errorf("%s shares its text with %s", tc.code, other)
				}
			}
			seen[tc.code] = text
		})
	}
	// 530003 must not be read as 53003 (a prefix of it).
	if a := AdviceFor(identityError(400, "interaction_required", "AADSTS530003: device", nil)); a.Code != "AADSTS530003" {
		t.Fatalf("530003 read as %s", a.Code)
	}
}
