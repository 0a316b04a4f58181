package graphmail

import (
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"strings"
)

// renderMessage renders a message in Graph's message shape.
// https://learn.microsoft.com/en-us/graph/api/resources/message
func (c *call) renderMessage(m *message, sel selection) []byte {
	return c.appendMessage(make([]byte, 0, 1200+len(m.body)), m, sel)
}

// appendMessage appends the rendered message to b: its properties in Graph's order,
// those $select names (all without $select), and internetMessageHeaders only when
// selected, as Graph does.
func (c *call) appendMessage(b []byte, m *message, sel selection) []byte {
	o := &obj{b: append(b, '{'), first: true}
	o.str("@odata.etag", etag(m))
	id := m.regID
	if c.immutable {
		id = m.immID
	}
	o.str("id", id)
	c.appendMessageProperties(o, m, sel)
	appendMessageState(o, m, sel, id)
	c.appendMessageBody(o, m, sel)
	appendMessagePeople(o, m, sel)
	if sel != nil && sel["internetmessageheaders"] {
		appendMessageHeaders(o, m.headers)
	}
	if sel.has("flag") {
		o.key("flag")
		o.b = append(o.b, `{"flagStatus":`...)
		o.b = appendJSONString(o.b, m.flag)
		o.b = append(o.b, '}')
	}
	return o.done()
}

// appendMessageProperties writes the message's times, ids, subject and preview.
func (c *call) appendMessageProperties(o *obj, m *message, sel selection) {
	if sel.has("createdDateTime") {
		o.time("createdDateTime", m.created)
	}
	if sel.has("lastModifiedDateTime") {
		o.time("lastModifiedDateTime", m.modified)
	}
	if sel.has("changeKey") {
		o.str("changeKey", changeKey(m))
	}
	if sel.has("categories") {
		o.raw("categories", []byte("[]"))
	}
	if sel.has("receivedDateTime") {
		o.time("receivedDateTime", m.received)
	}
	if sel.has("sentDateTime") {
		if m.sent.IsZero() {
			o.null("sentDateTime")
		} else {
			o.time("sentDateTime", m.sent)
		}
	}
	if sel.has("hasAttachments") {
		o.boolean("hasAttachments", m.hasAttachments)
	}
	if sel.has("internetMessageId") {
		o.str("internetMessageId", m.imid)
	}
	if sel.has("subject") {
		o.str("subject", m.subject)
	}
	if sel.has("bodyPreview") && !c.basic {
		o.str("bodyPreview", m.preview)
	}
	if sel.has("importance") {
		o.str("importance", m.importance)
	}
	if sel.has("parentFolderId") && m.folder != nil {
		o.str("parentFolderId", m.folder.id)
	}
	if sel.has("conversationId") {
		o.str("conversationId", m.convID)
	}
}

// appendMessageState writes the receipt requests, read and draft state, the Outlook
// web link (of id, the id the caller sees) and the Focused Inbox classification.
func appendMessageState(o *obj, m *message, sel selection, id string) {
	if sel.has("isDeliveryReceiptRequested") {
		o.boolean("isDeliveryReceiptRequested", false)
	}
	if sel.has("isReadReceiptRequested") {
		o.boolean("isReadReceiptRequested", false)
	}
	if sel.has("isRead") {
		o.boolean("isRead", m.isRead)
	}
	if sel.has("isDraft") {
		o.boolean("isDraft", m.isDraft)
	}
	if sel.has("webLink") {
		o.str("webLink", "https://outlook.office365.com/owa/?ItemID="+url.QueryEscape(id)+"&exvsurl=1&viewmodel=ReadMessageItem")
	}
	if sel.has("inferenceClassification") {
		o.str("inferenceClassification", "focused")
	}
}

// appendMessageBody writes the body, converted as Prefer: outlook.body-content-type
// asks; not for a caller with Mail.ReadBasic only.
func (c *call) appendMessageBody(o *obj, m *message, sel selection) {
	if !sel.has("body") || c.basic {
		return
	}
	typ, content := m.bodyType, m.body
	switch {
	case c.bodyAs == "text" && typ == "html":
		typ, content = "text", htmlToText(content)
	case c.bodyAs == "html" && typ == "text":
		typ, content = "html", "<html><body><div>"+strings.ReplaceAll(htmlEscape(content), "\n", "<br>")+"</div></body></html>"
	}
	o.key("body")
	o.b = append(o.b, `{"contentType":`...)
	o.b = appendJSONString(o.b, typ)
	o.b = append(o.b, `,"content":`...)
	o.b = appendJSONString(o.b, content)
	o.b = append(o.b, '}')
}

// appendMessagePeople writes sender, from and the recipient lists.
func appendMessagePeople(o *obj, m *message, sel selection) {
	for _, p := range [...]struct {
		name string
		r    Recipient
	}{{"sender", m.sender}, {"from", m.from}} {
		if sel.has(p.name) {
			o.key(p.name)
			o.b = appendRecipient(o.b, p.r)
		}
	}
	for _, l := range [...]struct {
		name string
		rs   []Recipient
	}{{"toRecipients", m.to}, {"ccRecipients", m.cc}, {"bccRecipients", m.bcc}, {"replyTo", m.replyTo}} {
		if sel.has(l.name) {
			o.key(l.name)
			o.b = appendRecipients(o.b, l.rs)
		}
	}
}

// appendMessageHeaders writes internetMessageHeaders as [{"name", "value"}].
func appendMessageHeaders(o *obj, headers []Header) {
	o.key("internetMessageHeaders")
	o.b = append(o.b, '[')
	for i, h := range headers {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, `{"name":`...)
		o.b = appendJSONString(o.b, h.Name)
		o.b = append(o.b, `,"value":`...)
		o.b = appendJSONString(o.b, h.Value)
		o.b = append(o.b, '}')
	}
	o.b = append(o.b, ']')
}

// appendRecipient renders Graph's recipient: {"emailAddress": {"name", "address"}}.
// https://learn.microsoft.com/en-us/graph/api/resources/recipient
func appendRecipient(b []byte, r Recipient) []byte {
	if r.Address == "" && r.Name == "" {
		return append(b, "null"...)
	}
	b = append(b, `{"emailAddress":{"name":`...)
	b = appendJSONString(b, r.Name)
	b = append(b, `,"address":`...)
	b = appendJSONString(b, r.Address)
	return append(b, "}}"...)
}

func appendRecipients(b []byte, rs []Recipient) []byte {
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecipient(b, r)
	}
	return append(b, ']')
}

func changeKey(m *message) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[4:], m.changeSeq)
	copy(b[:4], "CQAA")
	return base64.StdEncoding.EncodeToString(b[:])
}

func etag(m *message) string { return `W/"` + changeKey(m) + `"` }

// renderFolder renders Graph's mailFolder shape.
// https://learn.microsoft.com/en-us/graph/api/resources/mailfolder
func (c *call) renderFolder(f *folder) []byte {
	o := newObj()
	o.str("id", f.id)
	o.str("displayName", f.display)
	o.str("parentFolderId", f.parentID)
	children := 0
	if f.name == FolderRoot {
		children = len(f.mbx.folders)
	}
	o.num("childFolderCount", children)
	o.num("unreadItemCount", f.unread)
	o.num("totalItemCount", len(f.msgs))
	size := 0
	for _, m := range f.msgs {
		size += len(m.body) + len(m.subject) + 600
	}
	o.num("sizeInBytes", size)
	o.boolean("isHidden", false)
	return o.done()
}

// renderUser renders Graph's user shape; without $select it returns the
// default property set (accountEnabled and mailNickname only when selected).
// https://learn.microsoft.com/en-us/graph/api/user-get#response-1
func renderUser(mb *mailbox, sel selection) []byte {
	o := newObj()
	def := sel == nil
	want := func(f string) bool { return def || sel[strings.ToLower(f)] }
	if want("businessPhones") {
		o.raw("businessPhones", []byte("[]"))
	}
	if want("displayName") {
		o.str("displayName", mb.DisplayName)
	}
	if want("givenName") {
		o.strOrNull("givenName", mb.GivenName)
	}
	if want("jobTitle") {
		o.strOrNull("jobTitle", mb.JobTitle)
	}
	if want("mail") {
		o.str("mail", mb.Address)
	}
	if want("mobilePhone") {
		o.null("mobilePhone")
	}
	if want("officeLocation") {
		o.strOrNull("officeLocation", mb.OfficeLocation)
	}
	if want("preferredLanguage") {
		if mb.Kind == KindUser {
			o.str("preferredLanguage", "en-US")
		} else {
			o.null("preferredLanguage")
		}
	}
	if want("surname") {
		o.strOrNull("surname", mb.Surname)
	}
	if want("userPrincipalName") {
		o.str("userPrincipalName", upnOf(mb))
	}
	o.str("id", mb.ID)
	if !def {
		if sel["accountenabled"] {
			o.boolean("accountEnabled", mb.Kind == KindUser)
		}
		if sel["mailnickname"] {
			local, _, _ := strings.Cut(mb.Address, "@")
			o.str("mailNickname", local)
		}
		if sel["usertype"] {
			o.str("userType", "Member")
		}
		renderUserExtra(o, mb, sel) // proxyAddresses, assignedLicenses (users_extra.go)
	}
	return o.done()
}

// htmlToText renders an HTML body as plain text: block ends become line
// breaks, tags go, entities are decoded, runs of blanks collapse.
func htmlToText(h string) string {
	var b strings.Builder
	b.Grow(len(h))
	for i := 0; i < len(h); {
		if h[i] != '<' {
			b.WriteByte(h[i])
			i++
			continue
		}
		end := strings.IndexByte(h[i:], '>')
		if end < 0 {
			break
		}
		tag := h[i : i+end+1]
		if hasPrefixFold(tag, "<br") || hasPrefixFold(tag, "</p") || hasPrefixFold(tag, "</div") || hasPrefixFold(tag, "<hr") {
			b.WriteByte('\n')
		}
		if hasPrefixFold(tag, "<head") {
			if close := indexFold(h[i:], "</head>"); close >= 0 {
				i += close + len("</head>")
				continue
			}
		}
		i += end + 1
	}
	lines := strings.Split(stripTags(b.String()), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\r\n")
}
