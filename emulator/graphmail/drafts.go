package graphmail

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Drafts: creating one (POST .../messages) and the reply, reply-all and forward drafts
// (createReply, createReplyAll, createForward) in the original's conversation.

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
		s.numberDraftLocked(m, mb, "draft")
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
		s.numberDraftLocked(d, mb, "reply")
	}
	d.preview = preview(d.body, d.bodyType)
	s.placeLocked(mb.wellKnown[FolderDrafts], d)
	c.ok(http.StatusCreated, c.entity(mb, c.renderMessage(d, nil)))
}

// numberDraftLocked gives a new draft of mb without an internetMessageId its place in
// the creation order and an id shaped like Exchange Online's (<...@TENANT.prod.outlook.com>);
// kind keeps drafts and replies apart. The caller holds s.mu.
func (s *Store) numberDraftLocked(m *message, mb *mailbox, kind string) {
	s.counter++
	m.order = s.counter
	m.imid = fmt.Sprintf("<%s@%s>", base64URL(hashBytes(kind, mb.ID, strconv.FormatUint(m.order, 10)))[:24], outlookHost(s.opts.TenantDomain))
}

// replyTargets is whom a reply goes to: the original's replyTo, else its sender.
func replyTargets(orig *message) []Recipient {
	if len(orig.replyTo) > 0 {
		return slices.Clone(orig.replyTo)
	}
	return []Recipient{orig.from}
}
