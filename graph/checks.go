package graph

import (
	"context"
	"errors"
	"fmt"
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
