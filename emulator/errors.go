package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// stsError is one error the security token service answers with. The wire shape
// (error, error_description carrying "AADSTSnnnn: ...\r\nTrace ID: ...\r\nCorrelation ID:
// ...\r\nTimestamp: yyyy-mm-dd hh:mm:ssZ", error_codes, timestamp, trace_id,
// correlation_id, error_uri) is documented at
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
// and https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1 ;
// the codes and their meaning at
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes .
type stsError struct {
	Status int    // HTTP status of a token-endpoint answer
	Error  string // OAuth error code (invalid_client, invalid_grant, ...)
	Code   int    // AADSTS number
	Desc   string // text after "AADSTSnnnn: "
	// Subcode is error_subcode on browser redirects (e.g. "cancel").
	Subcode string
}

// tokenErrorBody is the JSON error body of the token endpoint.
type tokenErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// stsTimestamp formats a time as the STS does in error bodies ("2016-01-09 02:02:12Z").
func stsTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// description renders error_description the way the STS does.
func (e stsError) description(traceID, correlationID string, now time.Time) string {
	return fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		e.Code, e.Desc, traceID, correlationID, stsTimestamp(now))
}

// body builds the token endpoint's JSON error for r (correlation id echoed from the
// client-request-id header MSAL sends, as the STS does).
func (e stsError) body(r *http.Request, now time.Time) tokenErrorBody {
	trace := newGUID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newGUID()
	}
	return tokenErrorBody{
		Error:            e.Error,
		ErrorDescription: e.description(trace, corr, now),
		ErrorCodes:       []int{e.Code},
		Timestamp:        stsTimestamp(now),
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         "https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.Code),
	}
}

// write answers a token/discovery request with the error.
func (e stsError) write(w http.ResponseWriter, r *http.Request, now time.Time) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, e.body(r, now))
}

// redirectQuery is the error as query parameters of a browser redirect to the app
// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response).
func (e stsError) redirectQuery(r *http.Request, now time.Time) url.Values {
	b := e.body(r, now)
	v := url.Values{}
	v.Set("error", e.Error)
	v.Set("error_description", b.ErrorDescription)
	if e.Subcode != "" {
		v.Set("error_subcode", e.Subcode)
	}
	return v
}

// The AADSTS errors the emulator produces. Descriptions follow
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes and
// the messages the STS returns for them; %s placeholders are filled by the helpers.
func errInvalidSecret(appID string) stsError {
	return stsError{Status: 401, Error: "invalid_client", Code: 7000215,
		Desc: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + appID + "'."}
}

func errExpiredSecret(appID string) stsError {
	return stsError{Status: 401, Error: "invalid_client", Code: 7000222,
		Desc: "The provided client secret keys for app '" + appID + "' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."}
}

func errAppNotFound(appID, tenant string) stsError {
	return stsError{Status: 400, Error: "unauthorized_client", Code: 700016,
		Desc: "Application with identifier '" + appID + "' was not found in the directory '" + tenant + "'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."}
}

func errUnknownTenant(tenant string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 90002,
		Desc: "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."}
}

// errInvalidTenantName is answered for a tenant segment that is neither a GUID nor a DNS name.
func errInvalidTenantName(tenant string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 900023,
		Desc: "Specified tenant identifier '" + tenant + "' is neither a valid DNS name, nor a valid external domain."}
}

// errNoTenant is answered when client credentials or admin consent use /common or
// /organizations: the STS cannot tell which tenant is meant.
func errNoTenant() stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 50059,
		Desc: "No tenant-identifying information found in either the request or implied by any provided credentials."}
}

// errConsumers is answered for /consumers: our apps are for work or school accounts only.
func errConsumers(appID string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 9002331,
		Desc: "Application '" + appID + "'(practice app) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request."}
}

func errConsentMissing(appID, appName string) stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 65001,
		Desc: "The user or administrator has not consented to use the application with ID '" + appID + "' named '" + appName + "'. Send an interactive authorization request for this user and resource."}
}

// errConsentRequired is the prompt=none form of AADSTS65001 on the authorize endpoint.
func errConsentRequired(appID, appName string) stsError {
	e := errConsentMissing(appID, appName)
	e.Error = "consent_required"
	return e
}

func errConsentDeclined() stsError {
	return stsError{Status: 400, Error: "access_denied", Code: 65004, Subcode: "cancel",
		Desc: "User declined to consent to access the app."}
}

func errAdminApprovalRequired(appName string) stsError {
	return stsError{Status: 400, Error: "access_denied", Code: 90094,
		Desc: "Admin consent is required for the permissions requested by '" + appName + "'. Need admin approval."}
}

func errUserNotAssigned(userID, appID string) stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 50105,
		Desc: "Your administrator has configured the application ('" + appID + "') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{EUII Hidden}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application."}
}

func errConditionalAccess() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 53003,
		Desc: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."}
}

func errRedirectMismatch(redirect, appID string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 50011,
		Desc: "The redirect URI '" + redirect + "' specified in the request does not match the redirect URIs configured for the application '" + appID + "'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."}
}

func errPersonalAccount(user, tenant string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 50020,
		Desc: "User account '{EUII Hidden}' from identity provider 'live.com' does not exist in tenant '" + tenant + "' and cannot access the application in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account."}
}

func errLoginRequired() stsError {
	return stsError{Status: 400, Error: "login_required", Code: 50058,
		Desc: "A silent sign-in request was sent but no user is signed in."}
}

func errCodeRedeemed() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 54005,
		Desc: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

func errCodeExpired() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 70008,
		Desc: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
}

func errBadGrant(what string) stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 9002313,
		Desc: "Invalid request. Request is malformed or invalid. The provided " + what + " is not valid."}
}

func errRevokedGrant() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 50173,
		Desc: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password."}
}

func errPKCEMismatch() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 50148,
		Desc: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."}
}

func errPKCERequired() stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 9002325,
		Desc: "Proof Key for Code Exchange is required for cross-origin authorization code redemption."}
}

func errRedirectGrantMismatch() stsError {
	return stsError{Status: 400, Error: "invalid_grant", Code: 50011,
		Desc: "The redirect URI specified in the request does not match the redirect URI used to obtain the authorization code."}
}

func errPublicClientSecret() stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 700025,
		Desc: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."}
}

func errConfidentialNoCredential() stsError {
	return stsError{Status: 401, Error: "invalid_client", Code: 7000218,
		Desc: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errBadAssertion(why string) stsError {
	return stsError{Status: 401, Error: "invalid_client", Code: 700027,
		Desc: "Client assertion failed signature validation. " + why}
}

func errAssertionTime() stsError {
	return stsError{Status: 401, Error: "invalid_client", Code: 700024,
		Desc: "Client assertion is not within its valid time range."}
}

func errMissingParam(name string) stsError {
	return stsError{Status: 400, Error: "invalid_request", Code: 900144,
		Desc: "The request body must contain the following parameter: '" + name + "'."}
}

func errUnsupportedGrant(grant string) stsError {
	return stsError{Status: 400, Error: "unsupported_grant_type", Code: 70003,
		Desc: "The app requested an unsupported grant type '" + grant + "'."}
}

func errInvalidScope(scope string) stsError {
	return stsError{Status: 400, Error: "invalid_scope", Code: 70011,
		Desc: "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope " + scope + " is not valid."}
}

func errClientCredsScope(scope string) stsError {
	return stsError{Status: 400, Error: "invalid_scope", Code: 1002012,
		Desc: "The provided value for scope " + scope + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."}
}

func errUnauthorizedClientGrant(appID string) stsError {
	return stsError{Status: 400, Error: "unauthorized_client", Code: 700016,
		Desc: "The client '" + appID + "' is not allowed to use this grant type for this application."}
}

func errUnsupportedResponseType() stsError {
	return stsError{Status: 400, Error: "unsupported_response_type", Code: 900144,
		Desc: "The request body must contain the following parameter: 'response_type' with value 'code'."}
}

// writeJSON writes v with the STS's cache headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// isGUID reports whether s looks like a GUID (8-4-4-4-12 hex).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
