package graphmail

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SentRecord is one accepted send (sendMail or a draft's send), for tests that
// check delivery and exactly-once behaviour.
type SentRecord struct {
	Mailbox           string // id of the mailbox whose endpoint was called
	From              string // address the message was sent as
	InternetMessageID string
	Subject           string
	To, Cc, Bcc       []string
	Submitted         time.Time
	AppID, UserID     string
	AppOnly           bool
	SavedToSentItems  bool
	Delivered         []string // in-tenant recipients whose Inbox got it
	External          []string // recipients outside the tenant (accepted, not stored)
	Undeliverable     []string // unknown in-tenant addresses (NDR sent back)
}

// Sent returns every accepted send, oldest first.
func (s *Store) Sent() []SentRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]SentRecord, len(s.sent))
	for i, r := range s.sent {
		r.To, r.Cc, r.Bcc = slices.Clone(r.To), slices.Clone(r.Cc), slices.Clone(r.Bcc)
		r.Delivered, r.External, r.Undeliverable = slices.Clone(r.Delivered), slices.Clone(r.External), slices.Clone(r.Undeliverable)
		out[i] = r
	}
	return out
}

// DeliveryCount is how many copies of internetMessageID reached recipient's
// Inbox (or were accepted for an external recipient).
func (s *Store) DeliveryCount(internetMessageID, recipient string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.delivered[internetMessageID][strings.ToLower(recipient)]
}

// serveSendMail implements POST /users/{id}/sendMail: 202 and no body.
// https://learn.microsoft.com/en-us/graph/api/user-sendmail
func (s *Store) serveSendMail(c *call, mb *mailbox) {
	in, err := decodeLower(c.body)
	if err != nil {
		c.fail(http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in the request body.")
		return
	}
	msgIn, ok := getMap(in, "message")
	if !ok {
		c.fail(http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
		return
	}
	save := true
	if v, ok := getBool(in, "savetosentitems"); ok {
		save = v
	}
	s.mu.Lock()
	m := &message{bodyType: "text", importance: "normal", flag: "notFlagged"}
	if err := s.applyFieldsLocked(m, msgIn); err != nil {
		s.mu.Unlock()
		c.fail(http.StatusBadRequest, "ErrorInvalidRequest", err.Error())
		return
	}
	if !s.checkSendLocked(c, mb, m) {
		s.mu.Unlock()
		return
	}
	s.submitLocked(c, mb, m, save)
	s.mu.Unlock()
	c.noContent(http.StatusAccepted)
}

// serveSendDraft sends a draft: 202, the draft moves to Sent Items. The Sent
// Items copy keeps the draft's immutable id (its regular id changes, as on any
// move): "Create a draft message using the Prefer: IdType="ImmutableId" header
// and save the id ... Send the message using the ID from the previous step ...
// Get the message using the ID from the first step. This is the copy in Sent
// Items." (section "Immutable ID with sending mail")
// https://learn.microsoft.com/en-us/graph/api/message-send
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
func (s *Store) serveSendDraft(c *call, mb *mailbox, id string) {
	s.mu.Lock()
	m := s.findMessage(c, mb, id)
	if m == nil {
		s.mu.Unlock()
		return
	}
	if !m.isDraft {
		s.mu.Unlock()
		c.fail(http.StatusBadRequest, "ErrorInvalidOperation", "Only drafts can be sent.")
		return
	}
	if !s.checkSendLocked(c, mb, m) {
		s.mu.Unlock()
		return
	}
	if d := s.submitDelay; d > 0 {
		// Exchange accepts the send (202) and submits later; meanwhile the draft still
		// reads isDraft in Drafts. Sending it again in that window sends it twice.
		cc := &call{s: s, p: c.p, base: c.base}
		s.timers.Add(1)
		time.AfterFunc(d, func() {
			defer s.timers.Done()
			s.mu.Lock()
			defer s.mu.Unlock()
			if m.submitted {
				dup := *m
				s.submitLocked(cc, mb, &dup, false)
				return
			}
			if mb.byID[m.immID] != m {
				return // the draft was deleted before Exchange got to it
			}
			s.sendDraftLocked(cc, mb, m)
		})
		s.mu.Unlock()
		c.noContent(http.StatusAccepted)
		return
	}
	s.sendDraftLocked(c, mb, m)
	s.mu.Unlock()
	c.noContent(http.StatusAccepted)
}

// sendDraftLocked moves a draft out of Drafts and submits it.
func (s *Store) sendDraftLocked(c *call, mb *mailbox, m *message) {
	m.submitted = true
	s.deleteLocked(m)
	// Keep immID; a new regular id as for a move (moves feeds regularID).
	m.regID, m.order = "", 0
	m.moves++
	s.submitLocked(c, mb, m, true)
}

// SetSubmissionDelay makes Exchange's asynchronous submission visible: after a 202 to
// POST /messages/{id}/send the draft stays in Drafts, still isDraft, for d before it
// is sent and moved to Sent Items. "This method saves the message in the Sent Items
// folder" and answers 202 Accepted: the work is done after the answer
// (https://learn.microsoft.com/en-us/graph/api/message-send#response). 0 (the default)
// submits at once.
func (s *Store) SetSubmissionDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.submitDelay = d
}

// checkSendLocked validates recipients and SendAs rights; false means an
// error was written.
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
// ("applications that use user tokens use the Mail.Send.Shared permission";
// the signed-in user must hold Send As on the mailbox the mail is from)
func (s *Store) checkSendLocked(c *call, mb *mailbox, m *message) bool {
	all := slices.Concat(m.to, m.cc, m.bcc)
	if len(all) == 0 {
		c.fail(http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.")
		return false
	}
	for _, r := range all {
		if at := strings.IndexByte(r.Address, '@'); at <= 0 || at == len(r.Address)-1 {
			c.fail(http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient is not valid., Recipient '"+r.Address+"' is not resolved. All recipients must be resolved before a message can be submitted.")
			return false
		}
	}
	if m.from.Address != "" && !strings.EqualFold(m.from.Address, mb.Address) {
		asBox := s.lookupLocked(m.from.Address)
		actor := mb.ID
		if !c.p.AppOnly {
			actor = c.p.UserID
		}
		// Delegated callers need Mail.Send.Shared to send from another mailbox;
		// app-only callers need the mailbox permission like anyone else.
		if (!c.p.AppOnly && !c.p.has("Mail.Send.Shared")) || asBox == nil ||
			!slices.ContainsFunc(asBox.SendAs, func(id string) bool { return strings.EqualFold(id, actor) }) {
			c.fail(http.StatusForbidden, "ErrorSendAsDenied", sendAsDenied)
			return false
		}
	}
	return true
}

// submitLocked records the send, saves the Sent Items copy and delivers to
// in-tenant recipients (now, or after DeliveryDelay).
func (s *Store) submitLocked(c *call, mb *mailbox, m *message, save bool) {
	now := s.now()
	if m.from.Address == "" {
		m.from = Recipient{Name: mb.DisplayName, Address: mb.Address}
	} else if asBox := s.lookupLocked(m.from.Address); asBox != nil && m.from.Name == "" {
		m.from.Name = asBox.DisplayName
	}
	m.sender = m.from
	if m.imid == "" {
		s.counter++
		m.order = s.counter
		m.imid = "<" + base64URL(hashBytes("sent", mb.ID, now.String(), strconv.FormatUint(m.order, 10)))[:26] + "@" +
			outlookHost(s.opts.TenantDomain) + ">"
	}
	if m.convID == "" {
		m.convID = conversationID(m.imid)
	}
	m.preview = preview(m.body, m.bodyType)
	m.isDraft, m.isRead = false, true
	m.sent, m.received, m.created, m.modified = now, now, now, now

	rec := SentRecord{
		Mailbox: mb.ID, From: m.from.Address, InternetMessageID: m.imid, Subject: m.subject,
		To: addrs(m.to), Cc: addrs(m.cc), Bcc: addrs(m.bcc), Submitted: now,
		AppID: c.p.AppID, UserID: c.p.UserID, AppOnly: c.p.AppOnly, SavedToSentItems: save,
	}
	s.sent = append(s.sent, rec)
	idx := len(s.sent) - 1
	if save {
		// A sent draft keeps its immutable id (m.immID set, see serveSendDraft);
		// sendMail's message has none yet and gets a new one.
		cp := *m
		cp.order, cp.regID = 0, ""
		s.placeLocked(mb.wellKnown[FolderSentItems], &cp)
	}
	tmpl := *m
	deliver := func() {
		s.deliverLocked(idx, mb, &tmpl)
	}
	if s.opts.DeliveryDelay <= 0 {
		deliver()
		return
	}
	s.timers.Add(1)
	time.AfterFunc(s.opts.DeliveryDelay, func() {
		defer s.timers.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		deliver()
	})
}

func addrs(rs []Recipient) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Address
	}
	return out
}

// deliverLocked puts copies of tmpl in each in-tenant recipient's Inbox,
// records external recipients, and returns an NDR for unknown in-tenant ones.
func (s *Store) deliverLocked(idx int, senderBox *mailbox, tmpl *message) {
	now := s.now()
	seen := map[string]bool{}
	rec := &s.sent[idx]
	for _, r := range slices.Concat(tmpl.to, tmpl.cc, tmpl.bcc) {
		addr := strings.ToLower(r.Address)
		if seen[addr] {
			continue
		}
		seen[addr] = true
		if s.delivered[tmpl.imid] == nil {
			s.delivered[tmpl.imid] = map[string]int{}
		}
		if box := s.lookupLocked(addr); box != nil {
			cp := *tmpl
			cp.order, cp.immID, cp.regID = 0, "", ""
			cp.bcc = nil
			cp.isRead = false
			cp.received, cp.created, cp.modified = now, now, now
			s.placeLocked(box.wellKnown[FolderInbox], &cp)
			s.delivered[tmpl.imid][addr]++
			rec.Delivered = append(rec.Delivered, r.Address)
			continue
		}
		if s.isTenantDomain(addr) {
			rec.Undeliverable = append(rec.Undeliverable, r.Address)
			s.ndrLocked(senderBox, tmpl, r.Address, now)
			continue
		}
		s.delivered[tmpl.imid][addr]++
		rec.External = append(rec.External, r.Address)
	}
}

func (s *Store) isTenantDomain(addr string) bool {
	_, domain, _ := strings.Cut(addr, "@")
	if strings.EqualFold(domain, s.opts.TenantDomain) {
		return true
	}
	for _, mb := range s.mailboxes {
		if _, d, _ := strings.Cut(mb.Address, "@"); strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// ndrLocked delivers a non-delivery report to the sender's Inbox, the way
// Exchange Online's postmaster does (DSN 5.1.10 recipient not found).
// https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/fix-error-code-550-5-1-10-in-exchange-online
func (s *Store) ndrLocked(to *mailbox, orig *message, badAddr string, now time.Time) {
	_, domain, _ := strings.Cut(badAddr, "@")
	body := "<html><body><p><b>Your message to " + htmlEscape(badAddr) + " couldn't be delivered.</b></p>" +
		"<p>" + htmlEscape(badAddr) + " wasn't found at " + htmlEscape(domain) + ".</p>" +
		"<p>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p>" +
		"<p>Original message subject: " + htmlEscape(orig.subject) + "</p></body></html>"
	s.counter++
	ndr := &message{
		order: s.counter, subject: "Undeliverable: " + orig.subject, body: body, bodyType: "html",
		importance: "normal", flag: "notFlagged",
		from:     Recipient{Name: "Microsoft Outlook", Address: "postmaster@" + s.opts.TenantDomain},
		to:       []Recipient{{Name: to.DisplayName, Address: to.Address}},
		received: now, sent: now, created: now, modified: now,
		convID: orig.convID,
	}
	ndr.sender = ndr.from
	ndr.imid = "<" + base64URL(hashBytes("ndr", orig.imid, badAddr))[:26] + "@" + outlookHost(s.opts.TenantDomain) + ">"
	ndr.preview = preview(body, "html")
	s.placeLocked(to.wellKnown[FolderInbox], ndr)
}
