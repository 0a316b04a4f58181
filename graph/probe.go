package graph

import (
	"context"
	"errors"
)

// This file holds the quick checks run where the values are typed (the wizard's App
// registration step and, before a browser is opened, the Consent step), so a typo in
// the tenant or a wrong secret is reported beside the field that holds it and never
// first on the consent page or the mailbox list.
//
// The tenant is looked up with its OpenID Connect discovery document,
// GET {authority}/{tenant}/v2.0/.well-known/openid-configuration
// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri).
// A tenant that does not exist in the cloud asked is answered with HTTP 400 and
// AADSTS90002 "Tenant '…' not found. Check to make sure you have the correct tenant ID
// and are signing into the correct cloud."
// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes#aadsts-error-codes);
// the same code shows on the consent page when the browser is sent to a wrong tenant.

// ProbeTenant looks the tenant up in cloud c through its OpenID configuration and
// checks that it is a work tenant of that cloud. It sends nothing to the token
// endpoint. A failed result carries the advice (cause and fix) to show.
func ProbeTenant(ctx context.Context, c Cloud, tenant string) CheckResult {
	plan := []Check{{"preflight.tenant", "Tenant exists in the chosen cloud", checkOpenID}}
	if err := checkTenant(tenant); err != nil {
		r := fail(err, "")
		r.ID, r.Title = plan[0].ID, plan[0].Title
		return r
	}
	sess := NewSession(Settings{Cloud: c, TenantID: tenant}, Secrets{})
	return RunChecks(ctx, sess, plan, nil)[0]
}

// ValuesPlan is what "Test these values" runs for the App registration step: the
// tenant in the chosen cloud, the secret's shape, and for the app-only modes a token
// obtained with the typed credential and its tenant. Delegated access gets its token
// only from the sign-in in the browser, so its plan stops at the tenant.
func ValuesPlan(s Settings) []Check {
	p := []Check{{"preflight.tenant", "Tenant exists in the chosen cloud", checkOpenID}}
	if s.Mode == ModeSecret {
		p = append(p, Check{"preflight.secret", "Client secret looks like a secret value", checkSecretShape})
	}
	if s.Mode.AppOnly() {
		p = append(p,
			Check{"credentials", "Credentials work (a token is obtained)", checkCredentials},
			Check{"tenant", "Token belongs to this work tenant", checkTenantMatch},
		)
	}
	return p
}

// TestValues runs ValuesPlan. A check after a failed one is skipped: the first
// failure is the one to fix. err is non-nil only when the values cannot be used at all
// (no cloud, no client ID, a tenant that is not a GUID or a domain).
func TestValues(ctx context.Context, s Settings, sec Secrets, progress Progress) ([]CheckResult, error) {
	if s.Cloud.AuthorityHost == "" {
		return nil, errors.New("no cloud chosen")
	}
	if s.ClientID == "" && s.Mode.AppOnly() {
		return nil, errors.New("no application (client) ID")
	}
	if err := checkTenant(s.TenantID); err != nil {
		return nil, err
	}
	sess := NewSession(s, sec)
	var plan []Check
	failed := false
	for _, c := range ValuesPlan(s) {
		run := c.Run
		plan = append(plan, Check{c.ID, c.Title, func(ctx context.Context, ss *Session) CheckResult {
			if failed {
				return skip("an earlier check failed")
			}
			r := run(ctx, ss)
			failed = r.Status == StatusFail
			return r
		}})
	}
	return RunChecks(ctx, sess, plan, progress), nil
}
