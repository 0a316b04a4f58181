package graph

// This file holds the permission checks: the token's roles or scopes against the
// mode's table (with Exchange RBAC for Applications counted), and whether app-only access
// is scoped to the chosen mailboxes.

import (
	"context"
	"slices"
	"strings"
)

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
