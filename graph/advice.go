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

// Entra admin centre paths and docs named in the catalogue.
// AADSTS codes: https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
// Graph errors: https://learn.microsoft.com/en-us/graph/errors
const (
	appRegPath = "Entra admin center > Identity > Applications > App registrations > (your app)"
	entAppPath = "Entra admin center > Identity > Applications > Enterprise applications > (your app)"
)

// catalogue is built per call (no mutable package globals).
func catalogue() []Advice {
	return []Advice{
		// --- identity platform (AADSTS) ---
		{Code: "AADSTS7000215", Title: "The client secret is wrong",
			Cause: "The secret sent does not match any secret of the app. Often the Secret ID was copied instead of the Value, or the secret belongs to another app.",
			Fix:   appRegPath + " > Certificates & secrets > Client secrets > New client secret, then copy the Value column (shown only once), not the Secret ID.",
			Step:  StepAppRegistration},
		{Code: "AADSTS7000222", Title: "The client secret has expired",
			Cause: "Every client secret has an end date; this one has passed.",
			Fix:   appRegPath + " > Certificates & secrets > Client secrets > New client secret; paste the new Value here and delete the expired one.",
			Step:  StepAppRegistration},
		{Code: "AADSTS700027", Title: "The certificate is not registered for this app",
			Cause: "The token request was signed with a certificate whose public key is not uploaded to the app registration (or the wrong private key was chosen).",
			Fix:   appRegPath + " > Certificates & secrets > Certificates > Upload certificate (the .cer/.pem public part of the certificate you chose here).",
			Step:  StepAppRegistration},
		{Code: "AADSTS700016", Title: "The app is not known in this tenant",
			Cause: "No application with this Application (client) ID exists in the tenant: the ID has a typo, the app lives in another tenant, or it was deleted.",
			Fix:   "Copy the Application (client) ID and Directory (tenant) ID again from " + appRegPath + " > Overview.",
			Step:  StepAppRegistration},
		{Code: "AADSTS90002", Title: "Tenant not found",
			Cause: "The tenant ID or domain does not exist in this Microsoft cloud: a typo, or the tenant belongs to a national cloud (US Government, China).",
			Fix:   "Copy the Tenant ID from Entra admin center > Identity > Overview, and pick the cloud that tenant lives in.",
			Step:  StepEnvironment},
		{Code: "AADSTS65001", Title: "Admin consent has not been granted",
			Cause: "The app asks for permissions nobody has consented to in this tenant.",
			Fix:   appRegPath + " > API permissions > Grant admin consent for (tenant), or use the consent link from the Consent step.",
			Step:  StepConsent},
		{Code: "AADSTS65004", Title: "Consent was declined",
			Cause: "The person at the consent prompt chose Cancel.",
			Fix:   "Run the Consent step again and choose Accept, or ask a Global Administrator / Privileged Role Administrator to open the consent link.",
			Step:  StepConsent},
		{Code: "AADSTS90094", Title: "An administrator must approve this app",
			Cause: "The signed-in account may not consent to these permissions; only an administrator can (or an admin-consent request is pending).",
			Fix:   "Send the consent link to a Global Administrator or Privileged Role Administrator, or approve the request in Entra admin center > Identity > Applications > Enterprise applications > Admin consent requests.",
			Step:  StepConsent},
		{Code: "AADSTS50105", Title: "The account is not assigned to the app",
			Cause: "The enterprise application requires user assignment and the signed-in account is not assigned.",
			Fix:   entAppPath + " > Users and groups > Add user/group (the service account), or Properties > Assignment required? = No.",
			Step:  StepConsent},
		{Code: "AADSTS50011", Title: "Redirect URI not registered",
			Cause: "The app registration has no matching redirect URI for this desktop sign-in.",
			Fix:   appRegPath + " > Authentication > Add a platform > Mobile and desktop applications > custom redirect URI http://localhost (any port is accepted on loopback).",
			Step:  StepAppRegistration},
		{Code: "AADSTS7000218", Title: "The app is registered as a web app",
			Cause: "The redirect URI is registered under the Web platform, so the identity platform wants a client secret for the sign-in.",
			Fix:   appRegPath + " > Authentication: remove http://localhost from Web and add it under Mobile and desktop applications; set Allow public client flows = Yes.",
			Step:  StepAppRegistration},
		{Code: "AADSTS50020", Title: "The account belongs to another tenant",
			Cause: "The account used in the browser is not a member of this tenant (a personal account, or an account from another organisation).",
			Fix:   "Sign in with an account of this tenant (user@yourdomain), or check the tenant ID in the Environment step.",
			Step:  StepEnvironment},
		{Code: "AADSTS9002331", Title: "The app only accepts personal Microsoft accounts",
			Cause: "The app registration's supported account types are Personal Microsoft accounts only.",
			Fix:   appRegPath + " > Manifest: set \"signInAudience\" to \"AzureADMyOrg\" (Accounts in this organizational directory only).",
			Step:  StepAppRegistration},
		// --- MFA and Conditional Access. Codes and Microsoft's wording:
		// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
		// Conditional Access applies to users; app-only tokens (secret or certificate) are
		// only subject to Conditional Access for workload identities (location and risk,
		// single-tenant apps, Workload ID Premium), never to MFA or device rules:
		// https://learn.microsoft.com/en-us/entra/identity/conditional-access/workload-identity
		{Code: "AADSTS50076", Title: "Multi-factor authentication is required",
			Cause: "UserStrongAuthClientAuthNRequired: a Conditional Access policy, per-user MFA or a sign-in from a new location demands a second factor, and this sign-in did not give one (or the saved sign-in predates the rule).",
			Fix:   "Sign in again and complete the MFA prompt in the browser. For unattended sync choose application access (client secret or certificate): app-only tokens are never asked for MFA. Or ask the identity team to exclude the service account from the MFA policy for this app (Entra admin center > Protection > Conditional Access > the policy > Users > Exclude).",
			Step:  StepConsent},
		{Code: "AADSTS50079", Title: "The account must register for multi-factor authentication",
			Cause: "UserStrongAuthEnrollmentRequired: MFA is required for this account (Conditional Access, per-user MFA or security defaults) but the account has no second factor registered yet.",
			Fix:   "Sign in once at https://aka.ms/mfasetup with this account and register a method (Authenticator app or phone), then sign in here again. A service account that should never prompt belongs in application access (secret or certificate) instead.",
			Step:  StepConsent},
		{Code: "AADSTS53003", Title: "Blocked by Conditional Access",
			Cause: "BlockedByConditionalAccess: a Conditional Access policy blocks this sign-in outright (location, platform, client app or risk), so no token is issued.",
			Fix:   "Entra admin center > Identity > Monitoring & health > Sign-in logs: open the failed sign-in, tab Conditional Access, note the policy that says Failure. Ask the identity team to exclude this app (Target resources > Exclude) or the service account (Users > Exclude) from that policy, or run from a location it allows. For app-only access, only a policy for workload identities can block; exclude the app's service principal there.",
			Step:  StepPrerequisites},
		{Code: "AADSTS530003", Title: "A managed device is required",
			Cause: "A Conditional Access policy grants access only from a compliant or Microsoft Entra hybrid joined device, and this computer is not managed by the organisation.",
			Fix:   "Sign in on a device the organisation manages (Intune-compliant or hybrid joined), or ask the identity team to exclude the service account or this app from the device rule (Protection > Conditional Access > the policy > Grant: Require device to be marked as compliant). Application access (secret or certificate) has no device and is not subject to device rules.",
			Step:  StepPrerequisites},
		{Code: "AADSTS50126", Title: "Wrong user name or password",
			Cause: "The credentials typed in the browser were not accepted.",
			Fix:   "Sign in again with the right password; reset it in Entra admin center > Identity > Users > (user) > Reset password if needed.",
			Step:  StepConsent},
		{Code: "AADSTS500011", Title: "Microsoft Graph is not available for this tenant/cloud",
			Cause: "The requested resource (Microsoft Graph) was not found in the tenant: usually the wrong cloud was picked, so the Graph resource id does not exist there.",
			Fix:   "Pick the cloud your tenant lives in (Environment step); GCC High/DoD tenants use graph.microsoft.us / dod-graph.microsoft.us.",
			Step:  StepEnvironment},
		{Code: "AADSTS700024", Title: "This computer's clock is wrong",
			Cause: "The signed certificate assertion is outside its valid time range: the local clock is off by more than a few minutes.",
			Fix:   "Turn on automatic time sync (Windows: Settings > Time & language > Sync now; Linux: timedatectl set-ntp true) and retry.",
			Step:  StepVerify, Retryable: true},
		{Code: "AADSTS7000112", Title: "The app is disabled",
			Cause: "The enterprise application is disabled for sign-in in this tenant.",
			Fix:   entAppPath + " > Properties > Enabled for users to sign in? = Yes.",
			Step:  StepAppRegistration},
		{Code: "AADSTS50034", Title: "The account does not exist",
			Cause: "No user with that sign-in name exists in the tenant.",
			Fix:   "Check the account name in Entra admin center > Identity > Users > All users and sign in with it.",
			Step:  StepConsent},
		{Code: "AADSTS90072", Title: "The account is not in this tenant",
			Cause: "The account signed in from another tenant or identity provider and is not a guest or member of this tenant.",
			Fix:   "Sign in with an account of this tenant, or invite it in Entra admin center > Identity > Users > Invite external user.",
			Step:  StepConsent},
		{Code: "AADSTS70011", Title: "Invalid permission scope",
			Cause: "The requested scope is not valid for this app or cloud (for example a Graph host of another cloud).",
			Fix:   "Check the chosen cloud in the Environment step; the app asks for " + "Mail.* and User.* permissions of that cloud's Microsoft Graph.",
			Step:  StepEnvironment},
		{Code: "AADSTS70000", Title: "The saved sign-in is no longer valid",
			Cause: "The grant (authorization code or refresh token) was revoked, expired or used already: password change, session revocation, or inactivity.",
			Fix:   "Sign in again in the Consent step; the new sign-in is saved to the system keyring.",
			Step:  StepConsent},
		{Code: "AADSTS70008", Title: "The saved sign-in has expired",
			Cause: "The refresh token or authorization code expired (refresh tokens lapse after 90 days of inactivity or when revoked).",
			Fix:   "Sign in again in the Consent step.",
			Step:  StepConsent},
		{Code: "AADSTS700082", Title: "The saved sign-in expired through inactivity",
			Cause: "The refresh token was not used for too long.",
			Fix:   "Sign in again in the Consent step.",
			Step:  StepConsent},
		{Code: "invalid_grant", Title: "The saved sign-in is no longer valid",
			Cause: "The identity platform refused the saved refresh token (expired, revoked or issued to another app).",
			Fix:   "Sign in again in the Consent step.",
			Step:  StepConsent},
		{Code: "invalid_client", Title: "The app credentials were refused",
			Cause: "The client secret or certificate was not accepted.",
			Fix:   appRegPath + " > Certificates & secrets: create a new secret (copy the Value) or upload the certificate, then enter it again.",
			Step:  StepAppRegistration},

		// --- Microsoft Graph (https://learn.microsoft.com/en-us/graph/errors) ---
		{Code: "InvalidAuthenticationToken", Title: "Graph refused the access token",
			Cause: "The token is expired, malformed, or for another cloud's Graph (the audience does not match).",
			Fix:   "Check the cloud in the Environment step and run the checks again; a fresh token is requested automatically.",
			Step:  StepEnvironment, Retryable: true},
		{Code: "ErrorAccessDenied", Title: "Access to the mailbox was denied",
			Cause: "The app has not been granted the needed Mail permission (or consent is missing), or an Exchange scoping rule excludes this mailbox.",
			Fix:   appRegPath + " > API permissions: add the Microsoft Graph Mail permissions listed in the Consent step and Grant admin consent; if access is scoped, add this mailbox to the scope (Exchange Online PowerShell: Test-ServicePrincipalAuthorization).",
			Step:  StepConsent},
		{Code: "AccessPolicyDenied", Title: "Blocked by the Exchange access scope",
			Cause: "An Exchange Online application access policy or RBAC for Applications scope does not include this mailbox.",
			Fix:   "Exchange Online PowerShell: add the mailbox to the scope group/filter (see the scoping script), check with Test-ServicePrincipalAuthorization -Identity <app> -Resource <mailbox> (or Test-ApplicationAccessPolicy); changes take 30 minutes to 2 hours.",
			Step:  StepMailboxes},
		{Code: "Authorization_RequestDenied", Title: "Not allowed to read the directory",
			Cause: "Listing users needs User.Read.All as an application permission (User.ReadBasic.All is not accepted without a signed-in user), or User.ReadBasic.All as a delegated one; it has not been granted.",
			Fix:   appRegPath + " > API permissions > Add a permission > Microsoft Graph > Application permissions > User.Read.All (delegated: User.ReadBasic.All) > Grant admin consent. You can also type mailbox addresses by hand.",
			Step:  StepConsent},
		{Code: "full_access_missing", Title: "The signed-in account cannot open this mailbox",
			Cause: "Delegated access reaches another mailbox only when the signed-in account has Full Access to it in Exchange Online; the Mail.*.Shared permission alone is not enough.",
			Fix:   "An Exchange administrator runs Add-MailboxPermission -Identity <mailbox> -User <account> -AccessRights FullAccess -AutoMapping $false in Exchange Online PowerShell.",
			Step:  StepMailboxes},
		{Code: "shared_not_chosen", Title: "This mailbox is not the signed-in account's own",
			Cause: "Reaching a shared or another person's mailbox with delegated access needs the Mail.Read.Shared / Mail.Send.Shared permissions, which are requested only when shared mailboxes are chosen.",
			Fix:   "Choose shared mailboxes in the Prerequisites step and sign in again.",
			Step:  StepPrerequisites},
		{Code: "ErrorSendAsDenied", Title: "Not allowed to send as this mailbox",
			Cause: "The signed-in account has no Send As (or Send on Behalf) right on the mailbox it sends from.",
			Fix:   "An Exchange administrator adds it: Exchange admin center > Recipients > Mailboxes > (mailbox) > Delegation > Send as > add the account; or Exchange Online PowerShell: Add-RecipientPermission -Identity <mailbox> -Trustee <account> -AccessRights SendAs.",
			Step:  StepMailboxes},
		{Code: "ErrorInvalidUser", Title: "No such mailbox",
			Cause: "The address is not a mailbox in this tenant (typo, or the user has no Exchange Online mailbox).",
			Fix:   "Check the address in Exchange admin center > Recipients > Mailboxes, and pick it again in the Mailboxes step.",
			Step:  StepMailboxes},
		{Code: "ResourceNotFound", Title: "Not found",
			Cause: "The user or folder does not exist (or was removed).",
			Fix:   "Pick the mailbox again in the Mailboxes step; check it in Exchange admin center > Recipients > Mailboxes.",
			Step:  StepMailboxes},
		{Code: "Request_ResourceNotFound", Title: "User not found in the directory",
			Cause: "No user with that ID or address exists in the tenant.",
			Fix:   "Check the address in Entra admin center > Identity > Users > All users and pick the mailbox again.",
			Step:  StepMailboxes},
		{Code: "MailboxNotEnabledForRESTAPI", Title: "The mailbox cannot be reached through Graph",
			Cause: "The mailbox is inactive, soft-deleted, hosted on-premises, or the user has no Exchange Online licence.",
			Fix:   "Microsoft 365 admin center > Users > Active users > (user) > Licenses and apps: assign a licence with Exchange Online; on-premises mailboxes must be migrated to Exchange Online first.",
			Step:  StepMailboxes},
		{Code: "TooManyRequests", Title: "Microsoft Graph is throttling",
			Cause: "Too many requests for this app and mailbox in a short time (limit: 10,000 requests per 10 minutes, 4 at once).",
			Fix:   "Wait the time Graph asked for, then retry; nothing needs changing.",
			Step:  StepVerify, Retryable: true},
		{Code: "ServiceUnavailable", Title: "Microsoft Graph is temporarily unavailable",
			Cause: "The service answered 503 Service Unavailable or 504 Gateway Timeout.",
			Fix:   "Retry in a few minutes; check Microsoft 365 admin center > Health > Service health if it persists.",
			Step:  StepVerify, Retryable: true},

		// --- network and local ---
		{Code: "network", Title: "Cannot reach Microsoft",
			Cause: "The connection failed (no network, DNS failure, firewall or proxy).",
			Fix:   "Check the internet connection and that login.microsoftonline.com and graph.microsoft.com (or your cloud's hosts) are allowed through the firewall/proxy.",
			Step:  StepEnvironment, Retryable: true},
		{Code: "tls", Title: "The secure connection could not be verified",
			Cause: "The server certificate was not trusted; usually a proxy that inspects TLS traffic.",
			Fix:   "Ask IT to exempt login.microsoftonline.com and graph.microsoft.com from TLS inspection, or install the proxy's root certificate in the system store.",
			Step:  StepEnvironment},
		{Code: "deadline", Title: "Microsoft did not answer in time",
			Cause: "The request exceeded its deadline (slow network or service).",
			Fix:   "Retry; if it keeps happening, check the network connection.",
			Step:  StepVerify, Retryable: true},
		{Code: "timeout", Title: "The browser step was not finished in time",
			Cause: "No answer came back from the browser before the time limit.",
			Fix:   "Start the step again and finish the sign-in/consent page; if the browser did not open, copy the link into a browser by hand.",
			Step:  StepConsent, Retryable: true},
		{Code: "cancelled", Title: "Cancelled", Cause: "The operation was cancelled.", Fix: "Start it again when ready.", Step: StepVerify, Retryable: true},
		{Code: "state_mismatch", Title: "An unexpected browser answer was refused",
			Cause: "The answer that reached this app did not belong to the sign-in it started (stale tab or another program).",
			Fix:   "Close old sign-in tabs and start the step again.",
			Step:  StepConsent, Retryable: true},
		{Code: "callback_used", Title: "The browser answer was already received",
			Cause: "A second answer arrived for a one-time sign-in.", Fix: "Nothing to do; start the step again if it did not complete.", Step: StepConsent},
		{Code: "browser", Title: "The browser could not be opened",
			Cause: "No default browser is set, or this session cannot start one.",
			Fix:   "Copy the link shown and open it in any browser on this computer.",
			Step:  StepConsent, Retryable: true},
		{Code: "port", Title: "Could not open a local port for the sign-in answer",
			Cause: "Listening on this computer's loopback address (127.0.0.1, or ::1 where localhost also means IPv6) failed: the port is in use by another program, or security software or policy blocks it.",
			Fix:   "Close the program using the port or start again (a new port is chosen each time); allow this app to listen on the loopback address; or finish without the listener: paste the address the browser ends on into the paste-back box, or use the admin hand-off link.",
			Step:  StepPrerequisites},
		{Code: "wrong_cloud", Title: "The tenant is in another Microsoft cloud",
			Cause: "The tenant's OpenID configuration names a different cloud instance (e.g. US Government).",
			Fix:   "Choose that cloud in the Environment step.",
			Step:  StepEnvironment},
		{Code: "secret_id", Title: "That looks like the Secret ID, not the secret",
			Cause: "A GUID was pasted. Entra shows two columns for a secret: Value and Secret ID.",
			Fix:   appRegPath + " > Certificates & secrets: copy the Value column (visible only right after creation; create a new secret if it is hidden).",
			Step:  StepAppRegistration},
		{Code: "tenant_mismatch", Title: "The token is from a different tenant",
			Cause: "The identity platform issued the token for another tenant than the one configured (e.g. a domain of another tenant was entered).",
			Fix:   "Copy the Tenant ID from Entra admin center > Identity > Overview into the Environment step.",
			Step:  StepEnvironment},
		{Code: "common_tenant", Title: "A specific tenant is needed",
			Cause: "\"common\", \"organizations\" or \"consumers\" was used where a tenant must be named (admin consent, application access).",
			Fix:   "Enter the tenant ID (Entra admin center > Identity > Overview) or its primary domain.",
			Step:  StepEnvironment},
		{Code: "no_refresh_token", Title: "Sign-in needed",
			Cause: "There is no saved sign-in for the delegated account.", Fix: "Sign in in the Consent step.", Step: StepConsent},
		{Code: "consent_declined", Title: "Consent was declined",
			Cause: "The administrator cancelled or declined the consent prompt.",
			Fix:   "Open the consent link again and choose Accept (a Global Administrator or Privileged Role Administrator must do it).",
			Step:  StepConsent},
		{Code: "not_delivered", Title: "Sent, but not seen yet",
			Cause: "The test message left the mailbox, but did not appear in the recipient's inbox before the wait ended. Mail flow can take minutes.",
			Fix:   "Check the recipient's inbox later; Exchange admin center > Mail flow > Message trace shows where it is.",
			Step:  StepVerify, Retryable: true},
		{Code: "unknown", Title: "Unexpected error",
			Cause: "An error this app does not recognise.", Fix: "Retry; if it persists, copy the details shown and contact support.", Step: StepVerify},
	}
}

// Catalogue returns every advice entry, in a stable order.
func Catalogue() []Advice { return append(catalogue(), appCatalogue()...) }

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
