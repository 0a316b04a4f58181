package graphmail

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Handler serves Graph v1.0 under "/v1.0/..." (and "/v1.0/$batch"). The
// emulator core must have put a Principal in the request context.
func (s *Store) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// op is the kind of access a request needs, for authorization.
type op int

const (
	opOrg op = iota
	opUserList
	opUserGet
	opSettings
	opMailRead
	opMailWrite
	opMailSend
)

// Permission names each endpoint accepts, from the "Permissions" table of its page
// (least privileged and higher privileged together), application and delegated columns
// apart. This table is the emulator's own reading of Microsoft's pages; the client side
// (package graph) keeps its own, and the two are never shared.
var (
	// GET /users: https://learn.microsoft.com/en-us/graph/api/user-list#permissions
	// Application: User.Read.All, User.ReadWrite.All, Directory.Read.All,
	// Directory.ReadWrite.All (User.ReadBasic.All is not accepted for applications).
	// Delegated: User.ReadBasic.All and the same higher ones.
	// GET /users/{id}: https://learn.microsoft.com/en-us/graph/api/user-get#permissions
	// (delegated User.Read for the signed-in user's own entry).
	appDirRead = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	delDirRead = []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// Reading mail (GET mailFolders/{id}, .../messages, .../messages/delta, messages/{id}):
	// https://learn.microsoft.com/en-us/graph/api/mailfolder-get#permissions
	// https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-delta#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-get#permissions
	// Application: Mail.ReadBasic.All (least), Mail.Read, Mail.ReadWrite.
	// Delegated: Mail.ReadBasic (least), Mail.Read, Mail.ReadWrite; in other people's
	// mailboxes the .Shared ones, which also cover the user's own
	// (https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadshared).
	// Mail.ReadBasic(.All) omits body and bodyPreview
	// (https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadbasicall).
	appMailRead      = []string{"Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"}
	appMailFull      = []string{"Mail.Read", "Mail.ReadWrite"}
	delMailOwn       = []string{"Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"}
	delMailOwnFull   = []string{"Mail.Read", "Mail.ReadWrite"}
	delMailShared    = []string{"Mail.ReadBasic.Shared", "Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	delMailSharedAll = []string{"Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	// Writing mail (POST messages, createReply, PATCH, move, DELETE):
	// https://learn.microsoft.com/en-us/graph/api/user-post-messages#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-createreply#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-update#permissions
	// Application and delegated: Mail.ReadWrite only; other people's: Mail.ReadWrite.Shared.
	// Sending (POST messages/{id}/send, sendMail):
	// https://learn.microsoft.com/en-us/graph/api/message-send#permissions
	// https://learn.microsoft.com/en-us/graph/api/user-sendmail#permissions
	// Application and delegated: Mail.Send only; as someone else: Mail.Send.Shared and
	// Send As in Exchange (https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user).
	orgReadApp      = []string{"Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	settingsPerms   = []string{"MailboxSettings.Read", "MailboxSettings.ReadWrite"}
	msgAccessDenied = "Access is denied. Check credentials and try again."
	dirDenied       = "Insufficient privileges to complete the operation."
	raopDenied      = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
)

// dirRead is the list GET /users and GET /users/{id} accept for p's token type.
func (p Principal) dirRead() []string {
	if p.AppOnly {
		return appDirRead
	}
	return delDirRead
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, w: w, r: r}
	if err := c.setup(); err != nil {
		c.fail(http.StatusBadRequest, "BadRequest", "Unable to read the request body.")
		return
	}
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		// https://learn.microsoft.com/en-us/graph/resolve-auth-errors
		c.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return
	}
	c.p = p
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		c.fail(http.StatusBadRequest, "BadRequest", "Invalid version.")
		return
	}
	s.route(c, segs)
}

// splitPath turns "/v1.0/users/a%40b/mailFolders('inbox')/messages/delta()"
// into ["users","a@b","mailfolders","inbox","messages","delta"] (names lower-
// cased, keys kept as sent).
func splitPath(escaped string) ([]string, bool) {
	p := strings.TrimPrefix(escaped, "/")
	ver, rest, _ := strings.Cut(p, "/")
	if !strings.EqualFold(ver, "v1.0") {
		return nil, false
	}
	var out []string
	for i, raw := range strings.Split(rest, "/") {
		if raw == "" {
			continue
		}
		seg, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		name, key := seg, ""
		if open := strings.IndexByte(seg, '('); open > 0 && strings.HasSuffix(seg, ")") {
			name, key = seg[:open], strings.Trim(seg[open+1:len(seg)-1], "'")
		}
		// A key segment (user id, folder id, message id) keeps its case.
		isKey := i > 0 && len(out) > 0 && keyed(out[len(out)-1]) && key == "" && name == seg && !isNavigation(out, seg)
		if isKey {
			out = append(out, seg)
			continue
		}
		lname := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "microsoft.graph."), "Microsoft.Graph."))
		out = append(out, lname)
		if key != "" {
			out = append(out, key)
		}
	}
	return out, true
}

func keyed(collection string) bool {
	switch collection {
	case "users", "mailfolders", "messages", "childfolders":
		return true
	}
	return false
}

// isNavigation reports whether seg after a collection is a function rather
// than a key (messages/delta, mailFolders/delta).
func isNavigation(out []string, seg string) bool {
	l := strings.ToLower(strings.TrimPrefix(seg, "microsoft.graph."))
	return (l == "delta" || l == "delta()") && (out[len(out)-1] == "messages" || out[len(out)-1] == "mailfolders")
}

func (s *Store) route(c *call, segs []string) {
	method := c.r.Method
	if len(segs) == 0 {
		c.fail(http.StatusNotFound, "BadRequest", "Resource not found for the segment ''.")
		return
	}
	switch segs[0] {
	case "$batch":
		if method != http.MethodPost {
			c.fail(http.StatusMethodNotAllowed, "BadRequest", "Only POST is supported for $batch.")
			return
		}
		s.serveBatch(c)
		return
	case "organization":
		if method != http.MethodGet || len(segs) > 2 {
			c.fail(http.StatusMethodNotAllowed, "BadRequest", "The requested operation is not supported.")
			return
		}
		s.serveOrganization(c)
		return
	case "me":
		if c.p.AppOnly {
			// https://learn.microsoft.com/en-us/graph/api/user-get ("/me ... delegated")
			c.fail(http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
			return
		}
		s.routeUser(c, c.p.UserID, segs[1:], true)
		return
	case "users":
		if len(segs) == 1 {
			if method != http.MethodGet {
				c.fail(http.StatusMethodNotAllowed, "BadRequest", "The requested operation is not supported.")
				return
			}
			s.serveUserList(c)
			return
		}
		s.routeUser(c, segs[1], segs[2:], false)
		return
	}
	c.fail(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[0]+"'.")
}

// handlerFunc serves a request on a resolved mailbox.
type handlerFunc func(c *call, mb *mailbox)

func (s *Store) routeUser(c *call, userKey string, rest []string, me bool) {
	method := c.r.Method
	var h handlerFunc
	var kind op
	bad := func() {
		c.fail(http.StatusBadRequest, "BadRequest", "Unsupported segment or method: "+method+" "+c.r.URL.Path)
	}
	switch {
	case len(rest) == 0:
		if method != http.MethodGet {
			bad()
			return
		}
		kind, h = opUserGet, s.serveUserGet
	case rest[0] == "mailboxsettings" && len(rest) == 1 && method == http.MethodGet:
		kind, h = opSettings, s.serveMailboxSettings
	case rest[0] == "sendmail" && len(rest) == 1:
		if method != http.MethodPost {
			bad()
			return
		}
		kind, h = opMailSend, s.serveSendMail
	case rest[0] == "mailfolders":
		switch {
		case len(rest) == 1 && method == http.MethodGet:
			kind, h = opMailRead, s.serveFolderList
		case len(rest) == 2 && method == http.MethodGet:
			kind, h = opMailRead, func(c *call, mb *mailbox) { s.serveFolderGet(c, mb, rest[1]) }
		case len(rest) == 3 && rest[2] == "childfolders" && method == http.MethodGet:
			kind, h = opMailRead, func(c *call, mb *mailbox) { s.serveChildFolders(c, mb, rest[1]) }
		case len(rest) >= 3 && rest[2] == "messages":
			kind, h = s.messageRoute(c, rest[1], rest[3:])
		}
	case rest[0] == "messages":
		kind, h = s.messageRoute(c, "", rest[1:])
	}
	if h == nil {
		bad()
		return
	}

	s.mu.RLock()
	mb := s.lookupLocked(userKey)
	var info Mailbox // directory data as of now, read under the lock
	if mb != nil {
		info = mb.Mailbox
		if kind == opUserGet && !userGetKeyOK(mb, userKey) {
			mb = nil // users_extra.go
		}
	}
	s.mu.RUnlock()
	if mb == nil {
		if kind == opUserGet {
			// https://learn.microsoft.com/en-us/graph/api/user-get#response
			c.fail(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+userKey+"' does not exist or one of its queried reference-property objects are not present.")
			return
		}
		// Exchange answers mail calls for an unknown user with ErrorInvalidUser.
		// https://learn.microsoft.com/en-us/answers/questions/1055547/getting-error-code-errorinvaliduser-when-trying-to
		c.fail(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+userKey+"' is invalid.")
		return
	}

	outlook := kind != opUserGet
	limitKey := strings.ToLower(c.p.AppID) + "|" + info.ID
	if outlook {
		if !s.acquire(limitKey) {
			// https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
			c.retryAfter(time.Second)
			c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
			return
		}
		c.slot = limitKey
		defer c.freeSlot() // or earlier, as the answer is written (wire.go)
	}
	if !s.applyFault(c, &info) {
		return
	}
	if outlook {
		if over, wait := s.overRate(limitKey); over {
			c.retryAfter(wait)
			c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its RequestRate limit.")
			return
		}
	}
	if !s.authorize(c, kind, mb, &info) {
		return
	}
	h(c, mb)
}

// applyFault answers an injected fault; false means the response is written.
func (s *Store) applyFault(c *call, mb *Mailbox) bool {
	f, ok := s.matchFault(c.p.AppID, mb, c.r.URL.Path)
	if !ok {
		return true
	}
	addr := c.r.URL.Path
	if mb != nil {
		addr = mb.Address
	}
	switch f.Kind {
	case FaultSlow:
		select {
		case <-time.After(f.Delay):
		case <-c.r.Context().Done():
		}
		return true
	case FaultThrottle:
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its RequestRate limit.")
	case FaultMailboxConcurrency:
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	case FaultUnavailable:
		// https://learn.microsoft.com/en-us/graph/errors#code-property
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please try again later.")
	case FaultMailboxNotFound:
		c.fail(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+addr+"' is invalid.")
	case FaultRESTDisabled:
		// https://learn.microsoft.com/en-US/exchange/troubleshoot/user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error
		c.fail(http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
	case FaultAccessDenied:
		c.fail(http.StatusForbidden, "ErrorAccessDenied", msgAccessDenied)
	default:
		return true
	}
	return false
}

// authorize checks the principal's permissions for kind on mb like Exchange
// and Entra ID do; false means a 403 was written.
func (s *Store) authorize(c *call, kind op, mb *mailbox, info *Mailbox) bool {
	p := s.rbacPrincipal(c.p, mb) // Entra roles plus RBAC for Applications grants on mb (scoping.go)
	own := !p.AppOnly && strings.EqualFold(p.UserID, info.ID)
	member := !p.AppOnly && (own || slices.ContainsFunc(info.Members, func(id string) bool { return strings.EqualFold(id, p.UserID) }))
	denyMail := func() bool {
		c.fail(http.StatusForbidden, "ErrorAccessDenied", msgAccessDenied)
		return false
	}
	switch kind {
	case opUserGet:
		if p.has(p.dirRead()...) || (own && p.has("User.Read")) {
			return true
		}
		c.fail(http.StatusForbidden, "Authorization_RequestDenied", dirDenied)
		return false
	case opSettings:
		// https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings#permissions
		if p.AppOnly {
			if !p.has(settingsPerms...) {
				return denyMail()
			}
		} else if !own || !p.has(settingsPerms...) {
			return denyMail()
		}
	case opMailRead:
		switch {
		case p.AppOnly:
			if !p.has(appMailRead...) {
				return denyMail()
			}
			c.basic = !p.has(appMailFull...)
		case own:
			if !p.has(delMailOwn...) && !p.has(delMailShared...) {
				return denyMail()
			}
			c.basic = !p.has(delMailOwnFull...) && !p.has(delMailSharedAll...)
		default:
			// Someone else's mailbox: a .Shared scope and Full Access in Exchange.
			if !member || !p.has(delMailShared...) {
				return denyMail()
			}
			c.basic = !p.has(delMailSharedAll...)
		}
	case opMailWrite:
		switch {
		case p.AppOnly:
			if !p.has("Mail.ReadWrite") {
				return denyMail()
			}
		case own:
			if !p.has("Mail.ReadWrite", "Mail.ReadWrite.Shared") {
				return denyMail()
			}
		default:
			if !member || !p.has("Mail.ReadWrite.Shared") {
				return denyMail()
			}
		}
	case opMailSend:
		switch {
		case p.AppOnly:
			if !p.has("Mail.Send") {
				return denyMail()
			}
		case own:
			if !p.has("Mail.Send", "Mail.Send.Shared") {
				return denyMail()
			}
		default:
			if !p.has("Mail.Send.Shared") {
				return denyMail()
			}
			if !slices.ContainsFunc(info.SendAs, func(id string) bool { return strings.EqualFold(id, p.UserID) }) {
				c.fail(http.StatusForbidden, "ErrorSendAsDenied", sendAsDenied)
				return false
			}
		}
	}
	if p.AppOnly {
		s.mu.RLock()
		allowed := s.policyAllowsLocked(p.AppID, mb)
		s.mu.RUnlock()
		if !allowed {
			// https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
			c.fail(http.StatusForbidden, "ErrorAccessDenied", raopDenied)
			return false
		}
	}
	return true
}

// sendAsDenied is Exchange's ErrorSendAsDenied message.
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
const sendAsDenied = "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message."
