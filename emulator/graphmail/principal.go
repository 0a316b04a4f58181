package graphmail

import (
	"context"
	"slices"
	"strings"
)

// Principal is the caller of a Graph request, built by the emulator core from a
// validated access token.
type Principal struct {
	TenantID string
	AppID    string   // appid/azp claim
	AppOnly  bool     // client-credentials token (roles) rather than delegated (scp)
	Roles    []string // app-only permissions (roles claim)
	Scopes   []string // delegated permissions (scp claim, split on spaces)
	UserID   string   // oid of the signed-in user (delegated)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p for Store.Handler.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal put in ctx by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// has reports whether the principal holds any of the named permissions (roles
// for app-only, scopes for delegated), compared case-insensitively.
func (p Principal) has(perms ...string) bool {
	held := p.Scopes
	if p.AppOnly {
		held = p.Roles
	}
	return slices.ContainsFunc(held, func(h string) bool {
		return slices.ContainsFunc(perms, func(want string) bool { return strings.EqualFold(h, want) })
	})
}
