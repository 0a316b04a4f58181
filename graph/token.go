package graph

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Claims are the access-token claims the checks read. They are decoded, not
// verified: Graph verifies tokens; the app only reads what it was given.
// Claim reference: https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
type Claims struct {
	TenantID string    // tid
	AppID    string    // appid (v1 tokens) or azp (v2 tokens)
	ObjectID string    // oid: the user (delegated) or the service principal (app-only)
	UPN      string    // upn or preferred_username (delegated only)
	Audience string    // aud
	Issuer   string    // iss
	Roles    []string  // application permissions (app-only)
	Scopes   []string  // delegated permissions (scp, space separated)
	Expires  time.Time // exp
}

// AppOnly reports whether the token carries application permissions only.
func (c Claims) AppOnly() bool { return len(c.Scopes) == 0 }

// DecodeClaims decodes a JWT access token's payload without verifying it.
func DecodeClaims(token string) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, errors.New("access token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, errors.New("access token payload is not base64url")
	}
	var p struct {
		Tid   string          `json:"tid"`
		Appid string          `json:"appid"`
		Azp   string          `json:"azp"`
		Oid   string          `json:"oid"`
		UPN   string          `json:"upn"`
		PUN   string          `json:"preferred_username"`
		Aud   json.RawMessage `json:"aud"`
		Iss   string          `json:"iss"`
		Roles []string        `json:"roles"`
		Scp   string          `json:"scp"`
		Exp   json.Number     `json:"exp"`
	}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return Claims{}, errors.New("access token payload is not JSON")
	}
	c := Claims{TenantID: p.Tid, AppID: p.Appid, ObjectID: p.Oid, UPN: p.UPN, Issuer: p.Iss, Roles: p.Roles}
	if c.AppID == "" {
		c.AppID = p.Azp
	}
	if c.UPN == "" {
		c.UPN = p.PUN
	}
	if len(p.Aud) > 0 {
		var s string
		if json.Unmarshal(p.Aud, &s) == nil {
			c.Audience = s
		} else {
			var ss []string
			if json.Unmarshal(p.Aud, &ss) == nil && len(ss) > 0 {
				c.Audience = ss[0]
			}
		}
	}
	c.Scopes = strings.Fields(p.Scp)
	if p.Exp != "" {
		if f, err := p.Exp.Float64(); err == nil {
			c.Expires = time.Unix(int64(f), 0)
		}
	}
	return c, nil
}

// Features are what the user wants the connection to do.
type Features struct {
	Read      bool // read mail
	Write     bool // move/flag/delete (read+write)
	Send      bool // send mail
	ListUsers bool // the mailbox picker lists/searches the directory
	Shared    bool // delegated: reach shared mailboxes / other users' mailboxes
}

// Need is one permission requirement: any of Any satisfies it.
type Need struct {
	Feature string   // "read", "read+write", "send", "list users", "offline", ...
	Any     []string // alternatives, the first is the one to request
}

// NeededPermissions lists what the chosen features need in a mode, from the call
// table (ModePermissions): each requested permission, satisfied by it or by a higher
// one that includes it.
func NeededPermissions(mode Mode, f Features) []Need {
	var n []Need
	for _, g := range ModePermissions(mode, f) {
		n = append(n, Need{Feature: g.Reason, Any: Higher(g.Permission)})
	}
	return n
}

// RequestedPermissions is the flat list to put on the app registration / in a
// delegated sign-in request: exactly ModePermissions' names.
func RequestedPermissions(mode Mode, f Features) []string {
	var out []string
	for _, g := range ModePermissions(mode, f) {
		out = append(out, g.Permission)
	}
	return out
}

// PermissionReport compares granted permissions with needed ones.
type PermissionReport struct {
	Needed  []Need
	Granted []string
	Missing []string // first alternative of each unmet need
	Extra   []string // granted but needed by no chosen feature
}

// OK reports whether nothing is missing.
func (r PermissionReport) OK() bool { return len(r.Missing) == 0 }

// ComparePermissions works out missing and extra permissions from a token's
// claims (roles for app-only, scp for delegated). hasRefreshToken satisfies
// offline_access.
func ComparePermissions(mode Mode, f Features, c Claims, hasRefreshToken bool) PermissionReport {
	granted := c.Roles
	if !mode.AppOnly() {
		granted = c.Scopes
	}
	r := PermissionReport{Needed: NeededPermissions(mode, f), Granted: slices.Clone(granted)}
	has := func(p string) bool {
		if p == "offline_access" {
			return hasRefreshToken || containsFold(granted, p)
		}
		return containsFold(granted, p)
	}
	used := map[string]bool{}
	for _, n := range r.Needed {
		met := false
		for _, p := range n.Any {
			if has(p) {
				met = true
				used[strings.ToLower(p)] = true
			}
		}
		if !met {
			r.Missing = append(r.Missing, n.Any[0])
		}
	}
	benign := map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true, "user.read": true}
	// A granted permission that a used one includes adds no access (Mail.Read beside
	// Mail.ReadWrite): it is not reported as more than needed.
	covered := func(g string) bool {
		for _, h := range Higher(g)[1:] {
			if used[strings.ToLower(h)] {
				return true
			}
		}
		return false
	}
	for _, g := range granted {
		if !used[strings.ToLower(g)] && !benign[strings.ToLower(g)] && !covered(g) {
			r.Extra = append(r.Extra, g)
		}
	}
	return r
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// String summarises the report for a check's Seen field.
func (r PermissionReport) String() string {
	s := "granted: " + strings.Join(r.Granted, ", ")
	if len(r.Granted) == 0 {
		s = "granted: none"
	}
	if len(r.Missing) > 0 {
		s += fmt.Sprintf("; missing: %s", strings.Join(r.Missing, ", "))
	}
	if len(r.Extra) > 0 {
		s += fmt.Sprintf("; more than needed: %s", strings.Join(r.Extra, ", "))
	}
	return s
}
