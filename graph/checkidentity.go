package graph

// This file holds the checks of the identity platform side: the tenant's OpenID
// configuration, the secret's shape, the loopback listener, the token request and the
// token's tenant.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

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
	if want == "" && isGUID(s.Settings.TenantID) {
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
