package graphmail

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// serveOrganization implements GET /organization.
// https://learn.microsoft.com/en-us/graph/api/organization-list
func (s *Store) serveOrganization(c *call) {
	p := c.p
	if (p.AppOnly && !p.has(orgReadApp...)) || (!p.AppOnly && !p.has(append([]string{"User.Read"}, orgReadApp...)...)) {
		c.fail(http.StatusForbidden, "Authorization_RequestDenied", dirDenied)
		return
	}
	if !s.applyFault(c, nil) {
		return
	}
	vd := newObj()
	vd.str("capabilities", "Email, OfficeCommunicationsOnlineService")
	vd.boolean("isDefault", true)
	vd.boolean("isInitial", true)
	vd.str("name", s.opts.TenantDomain)
	vd.str("type", "Managed")
	org := newObj()
	org.str("id", s.opts.TenantID)
	org.raw("businessPhones", []byte("[]"))
	org.str("city", "Redmond")
	org.str("country", "United States")
	org.str("countryLetterCode", "US")
	org.str("createdDateTime", "2019-01-01T00:00:00Z")
	org.str("displayName", s.opts.TenantName)
	org.str("preferredLanguage", "en")
	org.str("tenantType", "AAD")
	org.raw("verifiedDomains", arr([][]byte{vd.done()}))
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#organization")
	o.raw("value", arr([][]byte{org.done()}))
	c.ok(http.StatusOK, o.done())
}

// serveUserGet implements GET /users/{id | userPrincipalName} and GET /me.
// https://learn.microsoft.com/en-us/graph/api/user-get
func (s *Store) serveUserGet(c *call, mb *mailbox) {
	sel := parseSelect(c.r.URL.Query().Get("$select"))
	s.mu.RLock()
	body := renderUser(mb, sel)
	s.mu.RUnlock()
	c.ok(http.StatusOK, withContext(c.base+"/$metadata#users/$entity", body))
}

// serveMailboxSettings implements GET /users/{id}/mailboxSettings.
// https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings
func (s *Store) serveMailboxSettings(c *call, mb *mailbox) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	purpose := "user"
	switch mb.Kind {
	case KindShared:
		purpose = "shared"
	case KindRoom:
		purpose = "room"
	}
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+c.userPath(mb)+"/mailboxSettings")
	o.str("archiveFolder", mb.wellKnown[FolderArchive].id)
	o.str("timeZone", mb.TimeZone)
	o.str("delegateMeetingMessageDeliveryOptions", "sendToDelegateOnly")
	o.str("dateFormat", "M/d/yyyy")
	o.str("timeFormat", "h:mm tt")
	o.str("userPurpose", purpose)
	ar := newObj()
	ar.str("status", "disabled")
	ar.str("externalAudience", "all")
	ar.str("internalReplyMessage", "")
	ar.str("externalReplyMessage", "")
	o.raw("automaticRepliesSetting", ar.done())
	lang := newObj()
	lang.str("locale", "en-US")
	lang.str("displayName", "English (United States)")
	o.raw("language", lang.done())
	wh := newObj()
	wh.raw("daysOfWeek", []byte(`["monday","tuesday","wednesday","thursday","friday"]`))
	wh.str("startTime", "08:00:00.0000000")
	wh.str("endTime", "17:00:00.0000000")
	wh.raw("timeZone", []byte(`{"name":`+string(appendJSONString(nil, mb.TimeZone))+`}`))
	o.raw("workingHours", wh.done())
	c.ok(http.StatusOK, o.done())
}

// serveUserList implements GET /users with $filter (startswith on
// displayName/mail/userPrincipalName/givenName/surname, eq, or), $select,
// $top (default 100, max 999), $count and $skiptoken paging.
// https://learn.microsoft.com/en-us/graph/api/user-list
// https://learn.microsoft.com/en-us/graph/paging
func (s *Store) serveUserList(c *call) {
	if !c.p.has(c.p.dirRead()...) {
		c.fail(http.StatusForbidden, "Authorization_RequestDenied", dirDenied)
		return
	}
	if !s.applyFault(c, nil) {
		return
	}
	q := c.r.URL.Query()
	uq, ok := c.parseUserListQuery(q)
	if !ok {
		return
	}
	s.mu.RLock()
	var matched []*mailbox
	for _, mb := range s.mailboxes {
		if uq.match(mb) {
			matched = append(matched, mb)
		}
	}
	end := min(uq.offset+uq.top, len(matched))
	var items [][]byte
	if uq.offset < len(matched) {
		for _, mb := range matched[uq.offset:end] {
			items = append(items, renderUser(mb, uq.sel))
		}
	}
	s.mu.RUnlock()

	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#users")
	if strings.EqualFold(q.Get("$count"), "true") {
		o.num("@odata.count", len(matched))
	}
	o.raw("value", arr(items))
	if end < len(matched) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("users:"+strconv.Itoa(end))))
		o.str("@odata.nextLink", c.base+"/users?"+next.Encode())
	}
	c.ok(http.StatusOK, o.done())
}

// userListQuery is what a user list request asks for.
type userListQuery struct {
	top, offset int
	match       userPred
	sel         selection
}

// parseUserListQuery reads $top (default 100, 1 to 999), $skiptoken, $filter,
// $search (which needs ConsistencyLevel: eventual) and $select, answering a bad one
// with Graph's 400 (ok=false).
func (c *call) parseUserListQuery(q url.Values) (userListQuery, bool) {
	uq := userListQuery{top: 100}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			// https://learn.microsoft.com/en-us/graph/api/user-list#optional-query-parameters
			c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", "Invalid page size specified: '"+v+"'. Must be between 1 and 999 inclusive.")
			return uq, false
		}
		uq.top = n
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "users:"))
		if err != nil || err2 != nil || n < 0 {
			c.fail(http.StatusBadRequest, "Directory_InvalidSkipToken", "The specified page token value has expired and can no longer be included in your request.")
			return uq, false
		}
		uq.offset = n
	}
	match, err := parseUserFilter(q.Get("$filter"))
	if err != nil {
		c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property: "+err.Error())
		return uq, false
	}
	if sq := q.Get("$search"); sq != "" {
		// https://learn.microsoft.com/en-us/graph/search-query-parameter#using-search-on-directory-object-collections
		if !strings.EqualFold(c.r.Header.Get("ConsistencyLevel"), "eventual") {
			c.fail(http.StatusBadRequest, "Request_BadRequest", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
			return uq, false
		}
		search, err := parseUserSearch(sq)
		if err != nil {
			c.fail(http.StatusBadRequest, "Request_UnsupportedQuery", "Invalid $search: "+err.Error())
			return uq, false
		}
		match = allOf([]userPred{match, search})
	}
	uq.match = match
	uq.sel = parseSelect(q.Get("$select"))
	return uq, true
}

// userPred is a parsed $filter or $search: whether a user matches.
type userPred func(*mailbox) bool

// allOf matches a user every one of preds matches ("and").
func allOf(preds []userPred) userPred {
	return func(mb *mailbox) bool {
		for _, p := range preds {
			if !p(mb) {
				return false
			}
		}
		return true
	}
}

// anyOf matches a user one of preds matches ("or").
func anyOf(preds []userPred) userPred {
	return func(mb *mailbox) bool {
		for _, p := range preds {
			if p(mb) {
				return true
			}
		}
		return false
	}
}

func userField(mb *mailbox, field string) (string, bool) {
	switch strings.ToLower(field) {
	case "displayname":
		return mb.DisplayName, true
	case "mail":
		return mb.Address, true
	case "userprincipalname":
		return upnOf(mb), true
	case "givenname":
		return mb.GivenName, true
	case "surname":
		return mb.Surname, true
	case "id":
		return mb.ID, true
	case "jobtitle":
		return mb.JobTitle, true
	}
	return "", false
}

func parseUserFilter(q string) (userPred, error) {
	if strings.TrimSpace(q) == "" {
		return func(*mailbox) bool { return true }, nil
	}
	var ors []userPred
	for _, alt := range splitClauses(q, " or ") {
		var ands []userPred
		for _, clause := range splitClauses(alt, " and ") {
			p, err := parseUserClause(strings.TrimSpace(clause))
			if err != nil {
				return nil, err
			}
			ands = append(ands, p)
		}
		ors = append(ors, allOf(ands))
	}
	return anyOf(ors), nil
}

func parseUserClause(clause string) (userPred, error) {
	clause = stripParens(clause)
	if p, ok, err := parseProxyAddressesAny(clause); ok { // users_extra.go
		return p, err
	}
	if strings.HasPrefix(strings.ToLower(clause), "startswith(") && strings.HasSuffix(clause, ")") {
		inner := clause[len("startswith(") : len(clause)-1]
		field, val, ok := strings.Cut(inner, ",")
		v, okq := unquote(strings.TrimSpace(val))
		if _, okf := userField(&mailbox{}, strings.TrimSpace(field)); !ok || !okq || !okf {
			return nil, errBadClause(clause)
		}
		field = strings.TrimSpace(field)
		lv := strings.ToLower(v)
		return func(mb *mailbox) bool {
			got, _ := userField(mb, field)
			return strings.HasPrefix(strings.ToLower(got), lv)
		}, nil
	}
	parts := strings.SplitN(clause, " ", 3)
	if len(parts) != 3 || !strings.EqualFold(parts[1], "eq") {
		return nil, errBadClause(clause)
	}
	field, val := parts[0], strings.TrimSpace(parts[2])
	if strings.EqualFold(field, "accountEnabled") {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return nil, errBadClause(clause)
		}
		return func(mb *mailbox) bool { return (mb.Kind == KindUser) == b }, nil
	}
	v, ok := unquote(val)
	if _, okf := userField(&mailbox{}, field); !ok || !okf {
		return nil, errBadClause(clause)
	}
	return func(mb *mailbox) bool {
		got, _ := userField(mb, field)
		return strings.EqualFold(got, v)
	}, nil
}

type errBadClause string

// Error returns the clause that could not be read.
func (e errBadClause) Error() string { return string(e) }

// parseUserSearch parses $search="prop:value" terms joined by OR/AND; a term
// matches when a word of the property starts with the value (tokenized
// search, as directory $search does).
func parseUserSearch(q string) (userPred, error) {
	var ors []userPred
	for _, alt := range strings.Split(q, " OR ") {
		var ands []userPred
		for _, term := range strings.Split(alt, " AND ") {
			term = strings.Trim(strings.TrimSpace(term), `"`)
			field, val, ok := strings.Cut(term, ":")
			if _, okf := userField(&mailbox{}, field); !ok || !okf || val == "" {
				return nil, errBadClause(term)
			}
			lv := strings.ToLower(val)
			ands = append(ands, func(mb *mailbox) bool {
				got, _ := userField(mb, field)
				got = strings.ToLower(got)
				if strings.HasPrefix(got, lv) {
					return true
				}
				for _, w := range strings.FieldsFunc(got, func(r rune) bool { return r == ' ' || r == '.' || r == '@' || r == '-' || r == '_' }) {
					if strings.HasPrefix(w, lv) {
						return true
					}
				}
				return false
			})
		}
		ors = append(ors, allOf(ands))
	}
	return anyOf(ors), nil
}
