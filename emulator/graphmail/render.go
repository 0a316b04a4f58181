package graphmail

import (
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"strings"
)

// appendMessage renders a message in Graph's message shape.
// https://learn.microsoft.com/en-us/graph/api/resources/message
func (c *call) renderMessage(m *message, sel selection) []byte {
	o := newObj()
	o.str("@odata.etag", etag(m))
	id := m.regID
	if c.immutable {
		id = m.immID
	}
	o.str("id", id)
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
	if sel.has("body") && !c.basic {
		b := newObj()
		b.str("contentType", m.bodyType)
		b.str("content", m.body)
		o.raw("body", b.done())
	}
	if sel.has("sender") {
		o.raw("sender", recipientJSON(m.sender))
	}
	if sel.has("from") {
		o.raw("from", recipientJSON(m.from))
	}
	if sel.has("toRecipients") {
		o.raw("toRecipients", recipientsJSON(m.to))
	}
	if sel.has("ccRecipients") {
		o.raw("ccRecipients", recipientsJSON(m.cc))
	}
	if sel.has("bccRecipients") {
		o.raw("bccRecipients", recipientsJSON(m.bcc))
	}
	if sel.has("replyTo") {
		o.raw("replyTo", recipientsJSON(m.replyTo))
	}
	if sel.has("flag") {
		f := newObj()
		f.str("flagStatus", m.flag)
		o.raw("flag", f.done())
	}
	return o.done()
}

func recipientJSON(r Recipient) []byte {
	if r.Address == "" && r.Name == "" {
		return []byte("null")
	}
	ea := newObj()
	ea.str("name", r.Name)
	ea.str("address", r.Address)
	o := newObj()
	o.raw("emailAddress", ea.done())
	return o.done()
}

func recipientsJSON(rs []Recipient) []byte {
	items := make([][]byte, len(rs))
	for i, r := range rs {
		items[i] = recipientJSON(r)
	}
	return arr(items)
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
		o.str("userPrincipalName", mb.Address)
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
	}
	return o.done()
}
