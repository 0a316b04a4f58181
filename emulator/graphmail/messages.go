package graphmail

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Store) messageRoute(c *call, folderKey string, rest []string) (op, handlerFunc) {
	method := c.r.Method
	switch {
	case len(rest) == 0 && method == http.MethodGet:
		return opMailRead, func(c *call, mb *mailbox) { s.serveMessageList(c, mb, folderKey) }
	case len(rest) == 0 && method == http.MethodPost:
		return opMailWrite, func(c *call, mb *mailbox) { s.serveCreateDraft(c, mb, folderKey) }
	case len(rest) == 1 && rest[0] == "delta" && method == http.MethodGet:
		return opMailRead, func(c *call, mb *mailbox) { s.serveDelta(c, mb, folderKey) }
	case len(rest) == 1:
		id := rest[0]
		switch method {
		case http.MethodGet:
			return opMailRead, func(c *call, mb *mailbox) { s.serveMessageGet(c, mb, id) }
		case http.MethodPatch:
			return opMailWrite, func(c *call, mb *mailbox) { s.servePatch(c, mb, id) }
		case http.MethodDelete:
			return opMailWrite, func(c *call, mb *mailbox) { s.serveDelete(c, mb, id, false) }
		}
	case len(rest) == 2 && method == http.MethodPost:
		id := rest[0]
		switch rest[1] {
		case "move":
			return opMailWrite, func(c *call, mb *mailbox) { s.serveMove(c, mb, id) }
		case "send":
			return opMailSend, func(c *call, mb *mailbox) { s.serveSendDraft(c, mb, id) }
		case "permanentdelete":
			return opMailWrite, func(c *call, mb *mailbox) { s.serveDelete(c, mb, id, true) }
		case "createreply", "createreplyall", "createforward":
			kind := rest[1]
			return opMailWrite, func(c *call, mb *mailbox) { s.serveCreateResponse(c, mb, id, kind) }
		}
	}
	return 0, nil
}

func (c *call) userPath(mb *mailbox) string { return "users('" + mb.ID + "')" }

// ---- folders ----

func (s *Store) serveFolderList(c *call, mb *mailbox) {
	s.mu.RLock()
	items := make([][]byte, len(mb.folders))
	for i, f := range mb.folders {
		items[i] = c.renderFolder(f)
	}
	s.mu.RUnlock()
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders")
	o.raw("value", arr(items))
	c.ok(http.StatusOK, o.done())
}

func (s *Store) serveFolderGet(c *call, mb *mailbox, key string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := mb.folder(key)
	if f == nil {
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	c.ok(http.StatusOK, withContext(c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders/$entity", c.renderFolder(f)))
}

func (s *Store) serveChildFolders(c *call, mb *mailbox, key string) {
	s.mu.RLock()
	f := mb.folder(key)
	var items [][]byte
	if f != nil && f.name == FolderRoot {
		for _, ch := range mb.folders {
			items = append(items, c.renderFolder(ch))
		}
	}
	s.mu.RUnlock()
	if f == nil {
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders('"+f.id+"')/childFolders")
	o.raw("value", arr(items))
	c.ok(http.StatusOK, o.done())
}

// ---- list messages ----
// https://learn.microsoft.com/en-us/graph/api/user-list-messages

type msgFilter struct {
	lo, hi   time.Time // received in [lo, hi); zero = open
	preds    []func(*message) bool
	hasRange bool
}

func parseTime(v string) (time.Time, error) {
	v = strings.Trim(v, "'")
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", v)
}

func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
}

// splitClauses splits an OData filter on a top-level keyword (" and ").
func splitClauses(q, sep string) []string {
	var out []string
	inQuote := false
	start := 0
	lq := strings.ToLower(q)
	for i := 0; i < len(q); i++ {
		if q[i] == '\'' {
			inQuote = !inQuote
			continue
		}
		if !inQuote && strings.HasPrefix(lq[i:], sep) {
			out = append(out, strings.TrimSpace(q[start:i]))
			i += len(sep) - 1
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(q[start:]))
}

func parseMessageFilter(q string) (msgFilter, error) {
	var f msgFilter
	if strings.TrimSpace(q) == "" {
		return f, nil
	}
	for _, clause := range splitClauses(q, " and ") {
		clause = stripParens(clause)
		parts := strings.SplitN(clause, " ", 3)
		if len(parts) != 3 {
			return f, fmt.Errorf("invalid filter clause %q", clause)
		}
		field, opr, val := strings.ToLower(parts[0]), strings.ToLower(parts[1]), strings.TrimSpace(parts[2])
		switch field {
		case "receiveddatetime":
			t, err := parseTime(val)
			if err != nil {
				return f, err
			}
			f.hasRange = true
			switch opr {
			case "ge":
				f.lo = maxTime(f.lo, t)
			case "gt":
				f.lo = maxTime(f.lo, t.Add(time.Nanosecond))
			case "lt":
				f.hi = minTime(f.hi, t)
			case "le":
				f.hi = minTime(f.hi, t.Add(time.Nanosecond))
			case "eq":
				f.lo, f.hi = maxTime(f.lo, t), minTime(f.hi, t.Add(time.Nanosecond))
			default:
				return f, fmt.Errorf("unsupported operator %q", opr)
			}
		case "internetmessageid", "conversationid", "subject":
			s, ok := unquote(val)
			if !ok || opr != "eq" {
				return f, fmt.Errorf("invalid filter clause %q", clause)
			}
			switch field {
			case "internetmessageid":
				f.preds = append(f.preds, func(m *message) bool { return m.imid == s })
			case "conversationid":
				f.preds = append(f.preds, func(m *message) bool { return m.convID == s })
			default:
				f.preds = append(f.preds, func(m *message) bool { return m.subject == s })
			}
		case "isread", "isdraft", "hasattachments":
			b, err := strconv.ParseBool(val)
			if err != nil || (opr != "eq" && opr != "ne") {
				return f, fmt.Errorf("invalid filter clause %q", clause)
			}
			want := b == (opr == "eq")
			switch field {
			case "isread":
				f.preds = append(f.preds, func(m *message) bool { return m.isRead == want })
			case "isdraft":
				f.preds = append(f.preds, func(m *message) bool { return m.isDraft == want })
			default:
				f.preds = append(f.preds, func(m *message) bool { return m.hasAttachments == want })
			}
		default:
			return f, fmt.Errorf("unsupported filter property %q", parts[0])
		}
	}
	return f, nil
}

// stripParens removes one pair of enclosing parentheses.
func stripParens(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

func maxTime(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func (f msgFilter) match(m *message) bool {
	for _, p := range f.preds {
		if !p(m) {
			return false
		}
	}
	return true
}

// bounds returns the index range of list inside the received-time window.
func (f msgFilter) bounds(list msgList) (int, int) {
	lo, hi := 0, len(list)
	if !f.lo.IsZero() {
		lo = sort.Search(len(list), func(i int) bool { return !list[i].received.Before(f.lo) })
	}
	if !f.hi.IsZero() {
		hi = sort.Search(len(list), func(i int) bool { return !list[i].received.Before(f.hi) })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func (s *Store) serveMessageList(c *call, mb *mailbox, folderKey string) {
	q := c.r.URL.Query()
	top := 10
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			c.fail(http.StatusBadRequest, "BadRequest", "Invalid $top value.")
			return
		}
		top = min(n, 1000) // "$top ... from 1 to 1000"
	}
	skip := 0
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "BadRequest", "Invalid $skip value.")
			return
		}
		skip = n
	}
	desc := true
	if ob := strings.ToLower(strings.Join(strings.Fields(q.Get("$orderby")), " ")); ob != "" {
		switch ob {
		case "receiveddatetime desc":
		case "receiveddatetime", "receiveddatetime asc":
			desc = false
		default:
			c.fail(http.StatusBadRequest, "BadRequest", "The $orderby expression is not supported: "+q.Get("$orderby"))
			return
		}
	}
	filter, err := parseMessageFilter(q.Get("$filter"))
	if err != nil {
		c.fail(http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return
	}
	sel := parseSelect(q.Get("$select"))
	count := strings.EqualFold(q.Get("$count"), "true")

	s.mu.RLock()
	list := mb.all
	ctxPath := c.userPath(mb) + "/messages"
	if folderKey != "" {
		f := mb.folder(folderKey)
		if f == nil {
			s.mu.RUnlock()
			c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		list = f.msgs
		ctxPath = c.userPath(mb) + "/mailFolders('" + folderKey + "')/messages"
	}
	lo, hi := filter.bounds(list)
	var items [][]byte
	more := false
	total := -1
	if len(filter.preds) == 0 {
		total = hi - lo
		start := skip
		end := min(skip+top, total)
		for k := start; k < end; k++ {
			i := lo + k
			if desc {
				i = hi - 1 - k
			}
			items = append(items, c.renderMessage(list[i], sel))
		}
		more = skip+top < total
	} else {
		matched := 0
		for k := 0; k < hi-lo; k++ {
			i := lo + k
			if desc {
				i = hi - 1 - k
			}
			m := list[i]
			if !filter.match(m) {
				continue
			}
			matched++
			if matched <= skip {
				continue
			}
			if len(items) < top {
				items = append(items, c.renderMessage(m, sel))
			} else {
				more = true
				if !count {
					break
				}
			}
		}
		if count {
			total = matched
		}
	}
	s.mu.RUnlock()

	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+ctxPath)
	if count {
		o.num("@odata.count", total)
	}
	o.raw("value", arr(items))
	if more {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$top", strconv.Itoa(top))
		next.Set("$skip", strconv.Itoa(skip+top))
		o.str("@odata.nextLink", c.base+strings.TrimPrefix(c.r.URL.Path, "/v1.0")+"?"+next.Encode())
	}
	c.ok(http.StatusOK, o.done())
}

// ---- single message ----

func (s *Store) findMessage(c *call, mb *mailbox, id string) *message {
	m := mb.byID[id]
	if m == nil {
		// https://learn.microsoft.com/en-us/graph/api/message-get (Exchange item errors)
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
	}
	return m
}

func (c *call) entity(mb *mailbox, body []byte) []byte {
	return withContext(c.base+"/$metadata#"+c.userPath(mb)+"/messages/$entity", body)
}

// withContext prefixes a rendered object with its @odata.context.
func withContext(ctx string, body []byte) []byte {
	o := newObj()
	o.str("@odata.context", ctx)
	if len(body) > 2 {
		o.b = append(o.b, ',')
	}
	return append(o.b, body[1:]...)
}

func (s *Store) serveMessageGet(c *call, mb *mailbox, id string) {
	sel := parseSelect(c.r.URL.Query().Get("$select"))
	s.mu.RLock()
	m := s.findMessage(c, mb, id)
	if m == nil {
		s.mu.RUnlock()
		return
	}
	body := c.entity(mb, c.renderMessage(m, sel))
	s.mu.RUnlock()
	c.ok(http.StatusOK, body)
}

// servePatch updates a message.
// https://learn.microsoft.com/en-us/graph/api/message-update
func (s *Store) servePatch(c *call, mb *mailbox, id string) {
	in, err := decodeLower(c.body)
	if err != nil {
		c.fail(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in the request body.")
		return
	}
	s.mu.Lock()
	m := s.findMessage(c, mb, id)
	if m == nil {
		s.mu.Unlock()
		return
	}
	if !m.isDraft {
		for _, k := range []string{"subject", "body", "torecipients", "ccrecipients", "bccrecipients", "from", "sender", "replyto", "internetmessageid"} {
			if _, ok := in[k]; ok {
				s.mu.Unlock()
				c.fail(http.StatusBadRequest, "ErrorInvalidPropertyUpdateSentMessage", "Update operation is not supported for some of the specified properties on a sent message.")
				return
			}
		}
	}
	if err := s.applyFieldsLocked(m, in); err != nil {
		s.mu.Unlock()
		c.fail(http.StatusBadRequest, "ErrorInvalidRequest", err.Error())
		return
	}
	s.touchLocked(m)
	body := c.entity(mb, c.renderMessage(m, nil))
	s.mu.Unlock()
	c.ok(http.StatusOK, body)
}

// applyFieldsLocked copies writable message properties from a lower-keyed body.
func (s *Store) applyFieldsLocked(m *message, in map[string]any) error {
	if v, ok := getBool(in, "isread"); ok && m.folder != nil {
		s.setReadLocked(m, v)
	}
	if v, ok := getString(in, "importance"); ok {
		switch strings.ToLower(v) {
		case "low", "normal", "high":
			m.importance = strings.ToLower(v)
		default:
			return fmt.Errorf("invalid importance %q", v)
		}
	}
	if f, ok := getMap(in, "flag"); ok {
		if v, ok := getString(f, "flagstatus"); ok {
			m.flag = v
		}
	}
	if v, ok := getString(in, "subject"); ok {
		m.subject = v
	}
	if b, ok := getMap(in, "body"); ok {
		if v, ok := getString(b, "content"); ok {
			m.body = v
		}
		if v, ok := getString(b, "contenttype"); ok {
			m.bodyType = strings.ToLower(v)
		}
		m.preview = preview(m.body, m.bodyType)
	}
	for key, dst := range map[string]*[]Recipient{"torecipients": &m.to, "ccrecipients": &m.cc, "bccrecipients": &m.bcc, "replyto": &m.replyTo} {
		if v, ok := in[key]; ok {
			rs, ok := parseRecipients(v)
			if !ok {
				return fmt.Errorf("invalid %s", key)
			}
			*dst = rs
		}
	}
	if v, ok := in["from"]; ok && v != nil {
		r, ok := parseRecipient(v)
		if !ok {
			return fmt.Errorf("invalid from")
		}
		m.from = r
	}
	if v, ok := getString(in, "internetmessageid"); ok {
		m.imid = v
	}
	if v, ok := in["internetmessageheaders"].([]any); ok {
		hs := make([]Header, 0, len(v))
		for _, x := range v {
			h, _ := x.(map[string]any)
			name, _ := getString(h, "name")
			value, _ := getString(h, "value")
			// Only custom X- headers may be set.
			// https://learn.microsoft.com/en-us/graph/api/resources/internetmessageheader
			if !strings.HasPrefix(strings.ToLower(name), "x-") {
				return fmt.Errorf("internetMessageHeaders: only X- headers can be set, got %q", name)
			}
			hs = append(hs, Header{Name: name, Value: value})
		}
		m.headers = hs
	}
	return nil
}

// serveDelete moves a message to Deleted Items (or deletes it for good when
// already there, or for permanentDelete).
// https://learn.microsoft.com/en-us/graph/api/message-delete
// https://learn.microsoft.com/en-us/graph/api/message-permanentdelete
func (s *Store) serveDelete(c *call, mb *mailbox, id string, permanent bool) {
	s.mu.Lock()
	m := s.findMessage(c, mb, id)
	if m == nil {
		s.mu.Unlock()
		return
	}
	if permanent || m.folder.name == FolderDeletedItems {
		s.deleteLocked(m)
	} else {
		s.moveLocked(m, mb.wellKnown[FolderDeletedItems])
	}
	s.mu.Unlock()
	c.noContent(http.StatusNoContent)
}

// serveMove answers 201 with the moved message (new regular id).
// https://learn.microsoft.com/en-us/graph/api/message-move
func (s *Store) serveMove(c *call, mb *mailbox, id string) {
	in, err := decodeLower(c.body)
	if err != nil {
		c.fail(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in the request body.")
		return
	}
	dest, _ := getString(in, "destinationid")
	s.mu.Lock()
	m := s.findMessage(c, mb, id)
	if m == nil {
		s.mu.Unlock()
		return
	}
	f := mb.folder(dest)
	if f == nil || f.name == FolderRoot {
		s.mu.Unlock()
		c.fail(http.StatusBadRequest, "ErrorInvalidIdMalformed", "Id is malformed.")
		return
	}
	s.moveLocked(m, f)
	body := c.entity(mb, c.renderMessage(m, nil))
	s.mu.Unlock()
	c.ok(http.StatusCreated, body)
}

// serveCreateDraft creates a draft (in Drafts, or in the folder of the URL).
// https://learn.microsoft.com/en-us/graph/api/user-post-messages
func (s *Store) serveCreateDraft(c *call, mb *mailbox, folderKey string) {
	in, err := decodeLower(c.body)
	if err != nil {
		c.fail(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in the request body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := mb.wellKnown[FolderDrafts]
	if folderKey != "" {
		if f = mb.folder(folderKey); f == nil {
			c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
	}
	now := s.now()
	m := &message{bodyType: "text", importance: "normal", flag: "notFlagged", isDraft: true, isRead: true,
		created: now, modified: now, received: now, sent: time.Time{}}
	if err := s.applyFieldsLocked(m, in); err != nil {
		c.fail(http.StatusBadRequest, "ErrorInvalidRequest", err.Error())
		return
	}
	if m.from.Address == "" {
		m.from = Recipient{Name: mb.DisplayName, Address: mb.Address}
	}
	m.sender = m.from
	if m.imid == "" {
		s.counter++
		m.order = s.counter
		m.imid = fmt.Sprintf("<%s@%s>", base64URL(hashBytes("draft", mb.ID, strconv.FormatUint(m.order, 10)))[:24], strings.ToUpper(strings.ReplaceAll(s.opts.TenantDomain, ".", ""))+".prod.outlook.com")
	}
	m.convID = conversationID(m.imid)
	m.preview = preview(m.body, m.bodyType)
	s.placeLocked(f, m)
	c.ok(http.StatusCreated, c.entity(mb, c.renderMessage(m, nil)))
}

// serveCreateResponse implements createReply, createReplyAll and
// createForward: a new draft in Drafts in the original's conversation, with
// the writable properties of "message" applied ("comment" and a message body
// together are a 400).
// https://learn.microsoft.com/en-us/graph/api/message-createreply
// https://learn.microsoft.com/en-us/graph/api/message-createreplyall
// https://learn.microsoft.com/en-us/graph/api/message-createforward
func (s *Store) serveCreateResponse(c *call, mb *mailbox, id, kind string) {
	in := map[string]any{}
	if len(strings.TrimSpace(string(c.body))) > 0 {
		var err error
		if in, err = decodeLower(c.body); err != nil {
			c.fail(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in the request body.")
			return
		}
	}
	msgIn, _ := getMap(in, "message")
	comment, hasComment := getString(in, "comment")
	if hasComment && msgIn != nil {
		if _, ok := msgIn["body"]; ok {
			c.fail(http.StatusBadRequest, "ErrorInvalidRequest", "Comment and Message.Body cannot both be set.")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	orig := s.findMessage(c, mb, id)
	if orig == nil {
		return
	}
	now := s.now()
	owner := Recipient{Name: mb.DisplayName, Address: mb.Address}
	d := &message{bodyType: "html", importance: "normal", flag: "notFlagged", isDraft: true, isRead: true,
		created: now, modified: now, received: now, from: owner, sender: owner, convID: orig.convID}
	prefix := "RE: "
	switch kind {
	case "createforward":
		prefix = "FW: "
	case "createreplyall":
		d.to = replyTargets(orig)
		for _, r := range slices.Concat(orig.to, orig.cc) {
			if !strings.EqualFold(r.Address, mb.Address) {
				d.cc = append(d.cc, r)
			}
		}
	default:
		d.to = replyTargets(orig)
	}
	d.subject = prefix + strings.TrimPrefix(strings.TrimPrefix(orig.subject, "RE: "), "FW: ")
	quoted := "<hr><b>From:</b> " + htmlEscape(orig.from.Name) + " &lt;" + htmlEscape(orig.from.Address) + "&gt;<br><b>Sent:</b> " +
		orig.sent.Format(time.RFC1123) + "<br><b>Subject:</b> " + htmlEscape(orig.subject) + "<br>" + orig.body
	d.body = "<html><body><p>" + htmlEscape(comment) + "</p>" + quoted + "</body></html>"
	if msgIn != nil {
		if err := s.applyFieldsLocked(d, msgIn); err != nil {
			c.fail(http.StatusBadRequest, "ErrorInvalidRequest", err.Error())
			return
		}
	}
	if d.imid == "" {
		s.counter++
		d.order = s.counter
		d.imid = fmt.Sprintf("<%s@%s>", base64URL(hashBytes("reply", mb.ID, strconv.FormatUint(d.order, 10)))[:24], strings.ToUpper(strings.ReplaceAll(s.opts.TenantDomain, ".", ""))+".prod.outlook.com")
	}
	d.preview = preview(d.body, d.bodyType)
	s.placeLocked(mb.wellKnown[FolderDrafts], d)
	c.ok(http.StatusCreated, c.entity(mb, c.renderMessage(d, nil)))
}

func replyTargets(orig *message) []Recipient {
	if len(orig.replyTo) > 0 {
		return slices.Clone(orig.replyTo)
	}
	return []Recipient{orig.from}
}
