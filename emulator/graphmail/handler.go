package graphmail

import (
	"net/http"
	"net/url"
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

// routeUser serves a path below /users/{userKey} or /me: it finds the handler and
// the mailbox, then admits the request as Exchange does (Outlook concurrency slot,
// injected faults, request rate) and authorizes it before the handler runs.
func (s *Store) routeUser(c *call, userKey string, rest []string, me bool) {
	kind, h := s.userRoute(c, rest)
	if h == nil {
		c.fail(http.StatusBadRequest, "BadRequest", "Unsupported segment or method: "+c.r.Method+" "+c.r.URL.Path)
		return
	}
	mb, info, ok := s.resolveMailbox(c, userKey, kind)
	if !ok {
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

// userRoute picks the handler for a path below a user and the kind of access it
// needs; a nil handler when the path or method is not served.
func (s *Store) userRoute(c *call, rest []string) (op, handlerFunc) {
	method := c.r.Method
	switch {
	case len(rest) == 0:
		if method == http.MethodGet {
			return opUserGet, s.serveUserGet
		}
	case rest[0] == "mailboxsettings" && len(rest) == 1 && method == http.MethodGet:
		return opSettings, s.serveMailboxSettings
	case rest[0] == "sendmail" && len(rest) == 1:
		if method == http.MethodPost {
			return opMailSend, s.serveSendMail
		}
	case rest[0] == "mailfolders":
		switch {
		case len(rest) == 1 && method == http.MethodGet:
			return opMailRead, s.serveFolderList
		case len(rest) == 2 && method == http.MethodGet:
			return opMailRead, func(c *call, mb *mailbox) { s.serveFolderGet(c, mb, rest[1]) }
		case len(rest) == 3 && rest[2] == "childfolders" && method == http.MethodGet:
			return opMailRead, func(c *call, mb *mailbox) { s.serveChildFolders(c, mb, rest[1]) }
		case len(rest) >= 3 && rest[2] == "messages":
			return s.messageRoute(c, rest[1], rest[3:])
		}
	case rest[0] == "messages":
		return s.messageRoute(c, "", rest[1:])
	}
	return 0, nil
}

// resolveMailbox finds the mailbox userKey names, with its directory data as of now
// (read under the lock). An unknown one is answered 404 here (ok=false):
// Request_ResourceNotFound for the user object, ErrorInvalidUser for mail.
func (s *Store) resolveMailbox(c *call, userKey string, kind op) (*mailbox, Mailbox, bool) {
	s.mu.RLock()
	mb := s.lookupLocked(userKey)
	var info Mailbox
	if mb != nil {
		info = mb.Mailbox
		if kind == opUserGet && !userGetKeyOK(mb, userKey) {
			mb = nil // users_extra.go
		}
	}
	s.mu.RUnlock()
	if mb != nil {
		return mb, info, true
	}
	if kind == opUserGet {
		// https://learn.microsoft.com/en-us/graph/api/user-get#response
		c.fail(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+userKey+"' does not exist or one of its queried reference-property objects are not present.")
		return nil, info, false
	}
	// Exchange answers mail calls for an unknown user with ErrorInvalidUser.
	// https://learn.microsoft.com/en-us/answers/questions/1055547/getting-error-code-errorinvaliduser-when-trying-to
	c.fail(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+userKey+"' is invalid.")
	return nil, info, false
}
