package graphmail

import (
	"regexp"
	"strings"
)

// practiceSKU is the skuId shown for a licensed mailbox (Microsoft 365 E3).
// https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference
const practiceSKU = "05e9a617-0261-4cee-bb44-138d3ef5d965"

// licensed: a user mailbox has a licence unless marked Unlicensed; shared and room
// mailboxes need none and have none here.
func licensed(mb *mailbox) bool { return mb.Kind == KindUser && !mb.Unlicensed }

// proxyAddresses as Entra lists them: "SMTP:" before the primary address, "smtp:"
// before the others.
// https://learn.microsoft.com/en-us/graph/api/resources/user#properties
func proxyAddresses(mb *mailbox) []string {
	out := []string{"SMTP:" + mb.Address}
	for _, a := range mb.Aliases {
		out = append(out, "smtp:"+a)
	}
	return out
}

// renderUserExtra writes the $select-only properties proxyAddresses and
// assignedLicenses ([{"disabledPlans":[],"skuId":...}]).
// https://learn.microsoft.com/en-us/graph/api/resources/assignedlicense
func renderUserExtra(o *obj, mb *mailbox, sel selection) {
	if sel["proxyaddresses"] {
		items := [][]byte{}
		for _, a := range proxyAddresses(mb) {
			items = append(items, appendJSONString(nil, a))
		}
		o.raw("proxyAddresses", arr(items))
	}
	if sel["assignedlicenses"] {
		if licensed(mb) {
			l := newObj()
			l.raw("disabledPlans", []byte("[]"))
			l.str("skuId", practiceSKU)
			o.raw("assignedLicenses", arr([][]byte{l.done()}))
		} else {
			o.raw("assignedLicenses", []byte("[]"))
		}
	}
}

// proxyAnyRE matches proxyAddresses/any(x:x eq 'value'), the documented way to find a
// user by any of its SMTP addresses.
// https://learn.microsoft.com/en-us/graph/filter-query-parameter#using-filter-on-collections
var proxyAnyRE = regexp.MustCompile(`(?i)^proxyAddresses/any\(\s*([a-z]\w*)\s*:\s*([a-z]\w*)\s+eq\s+'((?:[^']|'')*)'\s*\)$`)

// parseProxyAddressesAny reads a proxyAddresses/any clause; ok is false for any other
// clause. The comparison ignores case, as Entra's does for addresses.
func parseProxyAddressesAny(clause string) (userPred, bool, error) {
	m := proxyAnyRE.FindStringSubmatch(strings.TrimSpace(clause))
	if m == nil {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(clause)), "proxyaddresses/") {
			return nil, true, errBadClause(clause)
		}
		return nil, false, nil
	}
	if !strings.EqualFold(m[1], m[2]) {
		return nil, true, errBadClause(clause)
	}
	want := strings.ReplaceAll(m[3], "''", "'")
	return func(mb *mailbox) bool {
		for _, a := range proxyAddresses(mb) {
			if strings.EqualFold(a, want) {
				return true
			}
		}
		return false
	}, true, nil
}

// userGetKeyOK: GET /users/{key} takes the object id or the userPrincipalName only; a
// primary SMTP address that differs from the UPN is not found there (the mail
// endpoints, served by Exchange, accept it).
// https://learn.microsoft.com/en-us/graph/api/user-get#http-request
func userGetKeyOK(mb *mailbox, key string) bool {
	return mb.UPN == "" || strings.EqualFold(key, mb.ID) || strings.EqualFold(key, mb.UPN)
}
