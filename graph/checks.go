package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Status of one check.
type Status string

// Check statuses.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// CheckResult is one check's structured outcome.
type CheckResult struct {
	ID       string
	Title    string
	Status   Status
	Seen     string  // what was observed, in plain words (never secrets)
	Advice   *Advice // what to do, for warn/fail
	Started  time.Time
	Duration time.Duration
	Data     any // check-specific: OpenIDConfig, Claims, PermissionReport, FolderInfo, []MessageSummary, SendResult
}

// Settings are the non-secret inputs of a connection (from the wizard's config).
type Settings struct {
	Cloud    Cloud
	TenantID string
	ClientID string
	Mode     Mode
	Features Features
	// Mailboxes to check (addresses or ids). The first is used for the test
	// read and, unless SendFrom is set, the test send.
	Mailboxes []string
	// OutsideMailbox, for app-only scoping: a mailbox that should be refused.
	// Empty: the check looks for one in the directory when it can.
	OutsideMailbox string
	// Scoped says the admin applied Exchange scoping; an unscoped app then fails instead of warning.
	Scoped bool
	// SendFrom / TestRecipient for the test send; defaults: Mailboxes[0] to itself.
	SendFrom      string
	TestRecipient string
	// DeliveryWait bounds the wait for the test message (default 60s); ReadCount is the test read size (default 5).
	DeliveryWait time.Duration
	DeliveryPoll time.Duration
	ReadCount    int32
}

// Secrets are the secret inputs; they stay in memory only.
type Secrets struct {
	ClientSecret        string
	Certificate         []byte // PEM or PFX
	CertificatePassword string
	RefreshToken        string       // delegated
	OnRefreshToken      func(string) // receives rotated refresh tokens (keyring)
	// Credential, if set, is used as is (e.g. the result of SignIn).
	Credential azcore.TokenCredential
}

// Session carries what earlier checks learned to later ones.
type Session struct {
	Settings Settings
	Secrets  Secrets
	cred     azcore.TokenCredential
	client   *Client
	claims   Claims
	haveTok  bool
	openid   OpenIDConfig
	perms    PermissionReport
	reached  map[string]bool
}

// NewSession prepares a session; no network traffic yet.
func NewSession(s Settings, sec Secrets) *Session {
	if s.ReadCount <= 0 {
		s.ReadCount = 5
	}
	if s.DeliveryWait <= 0 {
		s.DeliveryWait = 60 * time.Second
	}
	return &Session{Settings: s, Secrets: sec, reached: map[string]bool{}}
}

// Client returns the Graph client once the credentials check passed.
func (s *Session) Client() *Client { return s.client }

// Claims returns the decoded token claims once a token was obtained.
func (s *Session) Claims() Claims { return s.claims }

// Check is one step of a plan.
type Check struct {
	ID    string
	Title string
	Run   func(ctx context.Context, s *Session) CheckResult
}

// Plan returns the checks for these settings, in order: pre-flight,
// credentials, tenant, permissions, each mailbox, scoping (app-only), then one
// check per operation the configured mode needs and none it does not: incoming
// mail gets a test read (list with bodies) and a test sync (one delta page);
// outgoing mail gets the outbox's own path (draft by marker, send, Sent Items).
func Plan(s Settings) []Check {
	p := PreflightPlan(s)
	p = append(p,
		Check{"credentials", "Credentials work (a token is obtained)", checkCredentials},
		Check{"tenant", "Token belongs to this work tenant", checkTenantMatch},
		Check{"permissions", "Granted permissions match what is needed", checkPermissions},
	)
	for _, mb := range s.Mailboxes {
		mb := mb
		p = append(p, Check{"mailbox:" + mb, "Mailbox " + mb + " is reachable", func(ctx context.Context, ss *Session) CheckResult { return checkMailbox(ctx, ss, mb) }})
	}
	if s.Features.ListUsers {
		p = append(p, Check{"directory", "The mailbox picker can list the directory", checkDirectory})
	}
	if s.Mode.AppOnly() {
		p = append(p, Check{"scoping", "Access is limited to the chosen mailboxes", checkScoping})
	}
	if s.Features.Read || s.Features.Write {
		p = append(p, Check{"read", "Test read: newest messages", checkRead})
		p = append(p, Check{"delta", "Test sync: first page of changes", checkDelta})
	}
	if s.Features.Send {
		p = append(p, Check{"send", "Test send (as the outbox sends: draft, then send)", checkSend})
	}
	return p
}

// Summary counts a run's results. A check that was skipped did not run: it is
// never counted as passed.
type Summary struct {
	Total, Passed, Warned, Failed, NotRun int
	// NotRunIDs names the checks that did not run.
	NotRunIDs []string
}

// Summarize counts results by status.
func Summarize(rs []CheckResult) Summary {
	s := Summary{Total: len(rs)}
	for _, r := range rs {
		switch r.Status {
		case StatusPass:
			s.Passed++
		case StatusWarn:
			s.Warned++
		case StatusFail:
			s.Failed++
		default:
			s.NotRun++
			s.NotRunIDs = append(s.NotRunIDs, r.ID)
		}
	}
	return s
}

// AllPassed reports whether every check ran and passed.
func (s Summary) AllPassed() bool { return s.Total > 0 && s.Passed == s.Total }

// OK reports whether the connection may be used: nothing failed and every check ran
// (warnings allowed).
func (s Summary) OK() bool { return s.Total > 0 && s.Failed == 0 && s.NotRun == 0 }

// String is the one-line verdict: "All 9 checks passed." only when each ran and
// passed; otherwise the counts ("7 of 11 checks passed, 1 with a warning, 1 failed,
// 2 not run.").
func (s Summary) String() string {
	if s.AllPassed() {
		return fmt.Sprintf("All %d checks passed.", s.Total)
	}
	parts := []string{fmt.Sprintf("%d of %d checks passed", s.Passed, s.Total)}
	if s.Warned > 0 {
		parts = append(parts, fmt.Sprintf("%d with a warning", s.Warned))
	}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	if s.NotRun > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", s.NotRun))
	}
	return strings.Join(parts, ", ") + "."
}

// PreflightPlan is the part of the plan that sends nothing to the token
// endpoint: tenant discovery (right cloud, exists, work tenant), the secret's
// shape, and the loopback port for delegated sign-in.
func PreflightPlan(s Settings) []Check {
	p := []Check{{"preflight.tenant", "Tenant exists in the chosen cloud", checkOpenID}}
	if s.Mode == ModeSecret {
		p = append(p, Check{"preflight.secret", "Client secret looks like a secret value", checkSecretShape})
	}
	if s.Mode == ModeDelegated {
		p = append(p, Check{"preflight.loopback", "A local port can receive the sign-in answer", checkLoopback})
	}
	return p
}

// Progress is called after each check with the count done and the total.
type Progress func(done, total int, r CheckResult)

// RunChecks runs plan in order. A cancelled ctx marks the remaining checks
// skipped (Seen "cancelled"). It never returns early without a result per check.
func RunChecks(ctx context.Context, s *Session, plan []Check, progress Progress) []CheckResult {
	out := make([]CheckResult, 0, len(plan))
	for i, c := range plan {
		var r CheckResult
		started := time.Now()
		if ctx.Err() != nil {
			r = CheckResult{Status: StatusSkip, Seen: "not run: cancelled"}
		} else {
			r = c.Run(ctx, s)
			if ctx.Err() != nil && r.Status == StatusFail {
				// Stopped by Cancel, not failed: no advice for a fault that was not seen.
				r = CheckResult{Status: StatusSkip, Seen: "not run: cancelled", Data: r.Data}
			}
		}
		r.ID, r.Title, r.Started, r.Duration = c.ID, c.Title, started, time.Since(started)
		if r.Advice != nil {
			r.Seen = redact(r.Seen)
		}
		out = append(out, r)
		if progress != nil {
			progress(i+1, len(plan), r)
		}
	}
	return out
}

// Verify is the headless entry point: it runs the whole plan for settings
// and secrets and returns the results; err is non-nil only when the
// settings cannot be used at all.
func Verify(ctx context.Context, s Settings, sec Secrets, progress Progress) ([]CheckResult, error) {
	if s.Cloud.AuthorityHost == "" || s.Cloud.GraphBaseURL == "" {
		return nil, errors.New("no cloud chosen")
	}
	if s.ClientID == "" {
		return nil, errors.New("no application (client) ID")
	}
	if err := checkTenant(s.TenantID); err != nil {
		return nil, err
	}
	sess := NewSession(s, sec)
	return RunChecks(ctx, sess, Plan(s), progress), nil
}

// Failed reports whether any result failed.
func Failed(rs []CheckResult) bool {
	for _, r := range rs {
		if r.Status == StatusFail {
			return true
		}
	}
	return false
}

func fail(err error, seen string) CheckResult {
	a := AdviceFor(err)
	if seen == "" {
		seen = a.Seen
	}
	return CheckResult{Status: StatusFail, Seen: seen, Advice: &a}
}

func failCode(code, seen string) CheckResult {
	a := adviceCode(code, seen)
	return CheckResult{Status: StatusFail, Seen: seen, Advice: &a}
}

func skip(why string) CheckResult { return CheckResult{Status: StatusSkip, Seen: "not run: " + why} }

// personalTenantID is the tenant of personal Microsoft accounts.
// https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference#payload-claims
const personalTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

func checkOpenID(ctx context.Context, s *Session) CheckResult {
	st := s.Settings
	o, err := FetchOpenIDConfig(ctx, st.Cloud, st.TenantID)
	if err != nil {
		return fail(err, "")
	}
	s.openid = o
	r := CheckResult{Data: o}
	if strings.EqualFold(o.TenantID(), personalTenantID) {
		return failCode("AADSTS9002331", "this is the personal Microsoft account tenant, not a work tenant")
	}
	if suggest, bad := CloudMismatch(st.Cloud, o); bad {
		seen := fmt.Sprintf("the tenant reports cloud %q (region %s %s)", o.CloudInstanceName, o.TenantRegionScope, o.TenantRegionSubScope)
		a := adviceCode("wrong_cloud", seen)
		if k, ok := CloudByName(suggest); ok {
			a.Fix = "Choose \"" + k.DisplayName + "\" in the Environment step."
		}
		r.Status, r.Seen, r.Advice = StatusFail, seen, &a
		return r
	}
	r.Status = StatusPass
	r.Seen = "tenant " + o.TenantID()
	if o.TenantRegionScope != "" {
		r.Seen += ", region " + o.TenantRegionScope
	}
	return r
}

func checkSecretShape(_ context.Context, s *Session) CheckResult {
	if s.Secrets.Credential != nil {
		return skip("a credential was given")
	}
	switch {
	case strings.TrimSpace(s.Secrets.ClientSecret) == "":
		return failCode("invalid_client", "no client secret entered")
	case LooksLikeSecretID(s.Secrets.ClientSecret):
		return failCode("secret_id", "the pasted value is a GUID")
	}
	return CheckResult{Status: StatusPass, Seen: fmt.Sprintf("%d characters", len(strings.TrimSpace(s.Secrets.ClientSecret)))}
}

func checkLoopback(context.Context, *Session) CheckResult {
	r, err := PreflightLoopback(0)
	if err != nil {
		res := fail(err, r.Explain())
		res.Data = r
		return res
	}
	return CheckResult{Status: StatusPass, Seen: r.Explain(), Data: r}
}

// credential builds (once) the credential for the session's mode.
func (s *Session) credential() (azcore.TokenCredential, error) {
	if s.cred != nil {
		return s.cred, nil
	}
	cred, err := NewCredential(s.Settings, s.Secrets)
	if err != nil {
		return nil, err
	}
	s.cred = cred
	return cred, nil
}

func checkCredentials(ctx context.Context, s *Session) CheckResult {
	cred, err := s.credential()
	if err != nil {
		return fail(err, "")
	}
	_, cl, err := GetToken(ctx, s.Settings.Cloud, cred)
	if err != nil {
		return fail(err, "")
	}
	s.claims, s.haveTok = cl, true
	c, err := NewClient(s.Settings.Cloud, cred)
	if err != nil {
		return fail(err, "")
	}
	s.client = c
	who := "app " + cl.AppID
	if cl.UPN != "" {
		who = "signed in as " + cl.UPN
	}
	return CheckResult{Status: StatusPass, Seen: "token obtained, " + who + ", valid until " + cl.Expires.Format(time.RFC3339), Data: cl}
}

func checkTenantMatch(_ context.Context, s *Session) CheckResult {
	if !s.haveTok {
		return skip("needs a token")
	}
	want := s.openid.TenantID()
	if want == "" && tenantIDRE.MatchString(s.Settings.TenantID) {
		want = s.Settings.TenantID
	}
	if want != "" && !strings.EqualFold(want, s.claims.TenantID) {
		return failCode("tenant_mismatch", fmt.Sprintf("configured tenant %s, token tenant %s", want, s.claims.TenantID))
	}
	if strings.EqualFold(s.claims.TenantID, personalTenantID) {
		return failCode("AADSTS9002331", "the token is from the personal-account tenant")
	}
	if s.claims.AppID != "" && !strings.EqualFold(s.claims.AppID, s.Settings.ClientID) {
		return failCode("AADSTS700016", fmt.Sprintf("token was issued to app %s, configured %s", s.claims.AppID, s.Settings.ClientID))
	}
	return CheckResult{Status: StatusPass, Seen: "tenant " + s.claims.TenantID}
}

func checkPermissions(ctx context.Context, s *Session) CheckResult {
	if !s.haveTok {
		return skip("needs a token")
	}
	hasRT := true
	if d, ok := s.cred.(*DelegatedCredential); ok {
		hasRT = d.HasRefreshToken()
	}
	rep := ComparePermissions(s.Settings.Mode, s.Settings.Features, s.claims, hasRT)
	s.perms = rep
	r := CheckResult{Data: rep, Seen: rep.String()}
	switch {
	case !rep.OK() && s.grantedByExchangeRBAC(ctx, rep.Missing):
		// RBAC for Applications grants Mail.* per mailbox inside Exchange Online: the token
		// carries no Mail role, yet the mailbox answers. The operation checks below decide.
		// https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
		r.Status = StatusPass
		r.Seen = "not in the token: " + strings.Join(rep.Missing, ", ") + "; " + s.Settings.Mailboxes[0] +
			" answered, so Exchange Online grants them per mailbox (RBAC for Applications); the checks below test each operation"
		if len(rep.Extra) > 0 {
			r.Status = StatusWarn
			r.Seen += "; more than needed: " + strings.Join(rep.Extra, ", ")
		}
	case !rep.OK():
		a := adviceCode("AADSTS65001", rep.String())
		a.Title = "Permissions missing: " + strings.Join(rep.Missing, ", ")
		var why []string
		for _, m := range rep.Missing {
			why = append(why, m+": "+s.reasonFor(m))
		}
		a.Cause = "The chosen mode needs " + strings.Join(why, "; ") + "."
		a.Fix = permissionFix(s.Settings.Mode, rep.Missing)
		r.Status, r.Advice = StatusFail, &a
	case len(rep.Extra) > 0:
		r.Status = StatusWarn
		a := Advice{Code: "extra_permissions", Title: "More permissions than needed",
			Cause: "The app holds permissions none of the chosen features use: " + strings.Join(rep.Extra, ", ") + ".",
			Fix:   appRegPath + " > API permissions: remove " + strings.Join(rep.Extra, ", ") + " and revoke admin consent for them.",
			Step:  StepConsent}
		r.Advice = &a
	default:
		r.Status = StatusPass
	}
	return r
}

// grantedByExchangeRBAC reports whether the Mail permissions missing from an app-only
// token are granted by Exchange Online instead (RBAC for Applications keeps them out of
// the token): only when the token holds no Mail role at all (the tenant-wide Entra grant
// removed, as the scoping script does), every missing permission is a Mail one, and the
// first chosen mailbox's inbox answers. An app that merely lacks a grant gets 403 there.
func (s *Session) grantedByExchangeRBAC(ctx context.Context, missing []string) bool {
	if !s.Settings.Mode.AppOnly() || len(s.Settings.Mailboxes) == 0 || s.client == nil {
		return false
	}
	for _, p := range append(slices.Clone(missing), s.claims.Roles...) {
		if !strings.HasPrefix(p, "Mail.") {
			continue
		}
		if slices.Contains(s.claims.Roles, p) {
			return false // a Mail role in the token: the Entra grant is there, and incomplete
		}
	}
	for _, p := range missing {
		if !strings.HasPrefix(p, "Mail.") {
			return false
		}
	}
	_, err := s.client.Inbox(ctx, s.Settings.Mailboxes[0])
	return err == nil
}

// permissionFix says where to add permissions and grant consent.
func permissionFix(mode Mode, perms []string) string {
	return appRegPath + " > API permissions > Add a permission > Microsoft Graph > " +
		map[bool]string{true: "Application permissions", false: "Delegated permissions"}[mode.AppOnly()] +
		" > " + strings.Join(perms, ", ") + "; then Grant admin consent (or run the Consent step again)."
}

// permissionFor is the permission the session's mode requests for a call ("" when
// the mode does not make it).
func (s *Session) permissionFor(call Call) string {
	for _, g := range ModePermissions(s.Settings.Mode, s.Settings.Features) {
		if slices.Contains(g.Calls, call) {
			return g.Permission
		}
	}
	return ""
}

// reasonFor is the one-line reason the mode requests p.
func (s *Session) reasonFor(p string) string {
	for _, g := range ModePermissions(s.Settings.Mode, s.Settings.Features) {
		if strings.EqualFold(g.Permission, p) {
			return g.Reason
		}
	}
	return "needed by the chosen mode"
}

func checkMailbox(ctx context.Context, s *Session, mb string) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	var notes []string
	// The directory is read only when the mailbox picker is part of the connection
	// (a mode without it holds no directory permission).
	if s.Settings.Features.ListUsers {
		if u, err := s.client.User(ctx, mb); err == nil {
			notes = append(notes, "exists ("+u.DisplayName+")")
		} else if st, code := graphStatus(err); st == 404 || code == "Request_ResourceNotFound" || code == "ResourceNotFound" {
			return fail(err, "no such user in the directory")
		} else {
			return fail(err, "")
		}
	}
	f, err := s.client.Inbox(ctx, mb)
	if err != nil {
		return s.mailboxFail(err, mb)
	}
	s.reached[strings.ToLower(mb)] = true
	notes = append(notes, fmt.Sprintf("inbox reachable: %d messages, %d unread", f.Total, f.Unread))
	return CheckResult{Status: StatusPass, Seen: strings.Join(notes, "; "), Data: f}
}

// mailboxFail explains a refused mailbox. In delegated mode, a mailbox other than the
// signed-in account's is reached through Exchange mailbox permissions: a 403 there
// while the .Shared scope is granted means Full Access (or Send As) is missing, which
// an Exchange administrator grants, not the app registration.
// https://learn.microsoft.com/en-us/graph/outlook-share-messages-folders
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
func (s *Session) mailboxFail(err error, mb string) CheckResult {
	r := fail(err, "")
	st, code := graphStatus(err)
	if s.Settings.Mode != ModeDelegated || st != 403 || code != "ErrorAccessDenied" || strings.EqualFold(mb, s.claims.UPN) {
		return r
	}
	acct := s.claims.UPN
	if acct == "" {
		acct = "<signed-in account>"
	}
	if !s.Settings.Features.Shared {
		a := adviceCode("shared_not_chosen", mb+" is not the signed-in account's mailbox")
		a.Fix = "Tick \"shared mailboxes\" in the Prerequisites step (it asks for Mail.Read.Shared / Mail.Send.Shared), sign in again, and have an Exchange administrator give " + acct + " Full Access to " + mb + "."
		r.Advice = &a
		return r
	}
	a := adviceCode("full_access_missing", acct+" has no Full Access to "+mb)
	a.Fix = "An Exchange administrator runs, in Exchange Online PowerShell: Add-MailboxPermission -Identity " + psQuote(mb) + " -User " + psQuote(acct) +
		" -AccessRights FullAccess -AutoMapping $false (or Exchange admin center > Recipients > Mailboxes > " + mb + " > Delegation > Read and manage). It can take up to 2 hours to apply."
	r.Advice = &a
	return r
}

// checkDirectory lists one page of the directory, as the mailbox picker does.
func checkDirectory(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	page, err := s.client.ListMailboxes(ctx, "", "", 5)
	if err != nil {
		return fail(err, "")
	}
	return CheckResult{Status: StatusPass, Seen: fmt.Sprintf("%d directory entries listed", len(page.Entries))}
}

// ScopingData is the scoping check's Data.
type ScopingData struct {
	Inside, Outside string
	InsideOK        bool
	OutsideRefused  bool
}

func checkScoping(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	st := s.Settings
	d := ScopingData{}
	for _, mb := range st.Mailboxes {
		if s.reached[strings.ToLower(mb)] {
			d.Inside, d.InsideOK = mb, true
			break
		}
	}
	d.Outside = st.OutsideMailbox
	if d.Outside == "" && st.Features.ListUsers {
		d.Outside = s.findOutsideMailbox(ctx)
	}
	if d.Outside == "" {
		r := CheckResult{Status: StatusWarn, Data: d, Seen: "no mailbox outside the chosen ones to test with"}
		a := unscopedAdvice()
		a.Title = "Scoping could not be tested"
		r.Advice = &a
		return r
	}
	_, err := s.client.Inbox(ctx, d.Outside)
	switch status, _ := graphStatus(err); {
	case err == nil:
		r := CheckResult{Status: StatusWarn, Data: d, Seen: scopingSeen(d)}
		if s.Settings.Scoped {
			r.Status = StatusFail
		}
		a := scopingAdvice(s.claims)
		r.Advice = &a
		return r
	case status == 403:
		d.OutsideRefused = true
		if !d.InsideOK && len(st.Mailboxes) > 0 {
			return CheckResult{Status: StatusFail, Data: d, Seen: "no chosen mailbox was reachable", Advice: ptr(adviceCode("AccessPolicyDenied", "chosen mailboxes refused"))}
		}
		return CheckResult{Status: StatusPass, Data: d, Seen: scopingSeen(d)}
	default:
		return fail(err, "")
	}
}

func ptr[T any](v T) *T { return &v }

func unscopedAdvice() Advice {
	return Advice{Code: "not_scoped", Title: "Not scoped: this app can read every mailbox in the tenant",
		Cause: "Application permissions such as Mail.Read apply to all mailboxes unless Exchange Online limits them.",
		Fix:   "Run the Exchange Online scoping script from the Mailboxes step (RBAC for Applications, or an application access policy) and remove the tenant-wide Entra grant; changes take 30 minutes to 2 hours.",
		Step:  StepMailboxes}
}

// findOutsideMailbox looks for a directory mailbox not among the chosen ones.
func (s *Session) findOutsideMailbox(ctx context.Context) string {
	page, err := s.client.ListMailboxes(ctx, "", "", 25)
	if err != nil {
		return ""
	}
	chosen := map[string]bool{}
	for _, m := range s.Settings.Mailboxes {
		chosen[strings.ToLower(m)] = true
	}
	for _, e := range page.Entries {
		if !chosen[strings.ToLower(e.Address)] && !chosen[strings.ToLower(e.UPN)] && !chosen[strings.ToLower(e.ID)] {
			return e.Address
		}
	}
	return ""
}

func checkRead(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	if len(s.Settings.Mailboxes) == 0 {
		return skip("no mailbox chosen")
	}
	mb := s.Settings.Mailboxes[0]
	msgs, err := s.client.NewestMessages(ctx, mb, "inbox", s.Settings.ReadCount, "")
	if err != nil {
		return fail(err, "")
	}
	seen := fmt.Sprintf("%d newest messages of %s read", len(msgs), mb)
	if len(msgs) > 0 {
		seen += "; newest: " + ReadDetail(msgs[0])
	}
	return CheckResult{Status: StatusPass, Seen: seen, Data: msgs}
}

// checkDelta fetches the first page of a delta round on the first mailbox's Inbox,
// with bodies, exactly as sync does.
func checkDelta(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	if len(s.Settings.Mailboxes) == 0 {
		return skip("no mailbox chosen")
	}
	mb := s.Settings.Mailboxes[0]
	src := NewMailSourceClient(s.Settings.Cloud.GraphBaseURL, s.Settings.Cloud.HTTPClient(), s.cred, s.Settings.Cloud.DefaultScope())
	page, err := src.DeltaPage(ctx, MailSourceRequest{Mailbox: mb, Folder: "inbox", PageSize: 2, Body: "text"})
	if err != nil {
		return fail(err, "")
	}
	return CheckResult{Status: StatusPass, Seen: fmt.Sprintf("first delta page of %s's Inbox: %d messages", mb, len(page.Messages))}
}

func checkSend(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	st := s.Settings
	from := st.SendFrom
	if from == "" && len(st.Mailboxes) > 0 {
		from = st.Mailboxes[0]
	}
	if from == "" {
		return skip("no mailbox to send from")
	}
	to := st.TestRecipient
	if to == "" {
		to = from
	}
	res, err := s.client.SendTest(ctx, from, to, st.DeliveryWait, st.DeliveryPoll)
	if err != nil {
		r := fail(err, "")
		r.Data = res
		var te *TestSendError
		if status, code := graphStatus(err); errors.As(err, &te) && status == 403 && code == "ErrorAccessDenied" {
			call := CallCreateDraft
			if te.Step == "send" {
				call = CallSendDraft
			}
			if p := s.permissionFor(call); p != "" && !strings.EqualFold(from, s.claims.UPN) && st.Mode == ModeDelegated && st.Features.Shared {
				r = s.mailboxFail(err, from)
				r.Data = res
			} else if p != "" {
				a := adviceCode("ErrorAccessDenied", r.Seen)
				a.Title = "Permission missing: " + p
				a.Cause = "The outbox needs " + p + " (" + s.reasonFor(p) + "); Graph refused the " + te.Step + " step without it."
				a.Fix = permissionFix(st.Mode, []string{p})
				r.Advice = &a
			}
		}
		return r
	}
	r := CheckResult{Data: res}
	switch {
	case res.NonDelivery != nil:
		r.Status = StatusFail
		r.Seen = "non-delivery report: " + res.NonDelivery.Subject
		a := Advice{Code: "ndr", Title: "The test message bounced",
			Cause: "Exchange returned a non-delivery report for the test message.",
			Fix:   "Open the report in " + from + "'s inbox for the reason; check the recipient address, or trace it in Exchange admin center > Mail flow > Message trace.",
			Step:  StepVerify, Seen: res.NonDelivery.Subject}
		r.Advice = &a
	case res.Delivered:
		r.Status, r.Seen = StatusPass, SendDetail(res)+"; found in Sent Items and in "+to+"'s inbox"
	case res.InSentItems && !res.DeliveryKnown:
		r.Status, r.Seen = StatusPass, "sent and found in Sent Items; the recipient's inbox cannot be read with these credentials"
	case res.InSentItems:
		r.Status, r.Seen = StatusWarn, "sent and found in Sent Items, but not seen in "+to+"'s inbox yet"
		r.Advice = ptr(adviceCode("not_delivered", r.Seen))
	default:
		r.Status, r.Seen = StatusWarn, "sent (Graph accepted it), but not found in Sent Items yet"
		r.Advice = ptr(adviceCode("not_delivered", r.Seen))
	}
	return r
}

// Connect builds the credential for s and sec, obtains a token (so failures
// surface here, as errors AdviceFor understands) and returns a Graph client
// and the token's claims — for the mailbox picker and other callers that
// need Graph without running the checks.
func Connect(ctx context.Context, s Settings, sec Secrets) (*Client, Claims, error) {
	sess := NewSession(s, sec)
	cred, err := sess.credential()
	if err != nil {
		return nil, Claims{}, err
	}
	_, cl, err := GetToken(ctx, s.Cloud, cred)
	if err != nil {
		return nil, Claims{}, err
	}
	c, err := NewClient(s.Cloud, cred)
	if err != nil {
		return nil, Claims{}, err
	}
	return c, cl, nil
}
