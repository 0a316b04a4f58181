package graphmail

import (
	"fmt"
	"net/http"
	"strings"
)

// The message endpoints under a mailbox or one of its folders: which handler a path
// and method reach (messageRoute), and the single-message operations — get, update,
// delete, move. Lists are in messagelist.go, drafts in drafts.go, delta in delta.go,
// sending in send.go.

// messageRoute picks the handler and the kind of access for a path below
// .../messages (folderKey "" for the mailbox's own /messages).
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

// userPath is the mailbox's segment of an @odata.context.
func (c *call) userPath(mb *mailbox) string { return "users('" + mb.ID + "')" }

// findMessage finds a message of mb by regular or immutable id, answering 404 itself
// (nil then); the caller holds s.mu.
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
