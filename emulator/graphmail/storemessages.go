package graphmail

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The store's messages as Go code sees them: the Message snapshot, the internal
// message record, and the inspection and mutation API tests and the practice tenant
// use (list, count, get, deliver, move, mark read, delete), with the body preview
// Graph's bodyPreview shows.

// Recipient is an email address with an optional display name.
type Recipient struct {
	Name, Address string
}

// Header is an Internet message header (internetMessageHeaders).
type Header struct {
	Name, Value string
}

// Message is a snapshot of a stored message, as the Go-level API sees it.
type Message struct {
	ID, ImmutableID   string
	FolderID          string
	Folder            string // well-known name, or display name for other folders
	InternetMessageID string
	ConversationID    string
	Subject           string
	Body              string
	BodyContentType   string // "html" or "text"
	Importance        string // low, normal, high
	From              Recipient
	To, Cc, Bcc       []Recipient
	ReplyTo           []Recipient
	Received, Sent    time.Time
	Created, Modified time.Time
	IsRead, IsDraft   bool
	HasAttachments    bool
	FlagStatus        string   // notFlagged, flagged, complete
	Headers           []Header // custom internetMessageHeaders (X-...) set by the sender
}

type message struct {
	submitted    bool // a send of this draft was carried out (SetSubmissionDelay)
	immID, regID string
	order        uint64
	moves        uint32
	mbx          *mailbox
	folder       *folder
	changeSeq    uint64
	placedSeq    uint64

	created, modified, received, sent time.Time

	subject, body, bodyType, preview string
	importance, flag                 string
	imid, convID                     string
	from, sender                     Recipient
	to, cc, bcc, replyTo             []Recipient
	isRead, isDraft, hasAttachments  bool
	headers                          []Header
}

func (m *message) snapshot() Message {
	out := Message{
		ID: m.regID, ImmutableID: m.immID,
		InternetMessageID: m.imid, ConversationID: m.convID,
		Subject: m.subject, Body: m.body, BodyContentType: m.bodyType, Importance: m.importance,
		From: m.from, To: slices.Clone(m.to), Cc: slices.Clone(m.cc), Bcc: slices.Clone(m.bcc), ReplyTo: slices.Clone(m.replyTo),
		Received: m.received, Sent: m.sent, Created: m.created, Modified: m.modified,
		IsRead: m.isRead, IsDraft: m.isDraft, HasAttachments: m.hasAttachments, FlagStatus: m.flag,
		Headers: slices.Clone(m.headers),
	}
	if m.folder != nil {
		out.FolderID = m.folder.id
		out.Folder = m.folder.name
		if out.Folder == "" {
			out.Folder = m.folder.display
		}
	}
	return out
}

// Messages returns the messages of a mailbox folder (id or well-known name),
// newest first. An empty folder means every folder of the mailbox.
func (s *Store) Messages(mailboxID, folderKey string) ([]Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return nil, ErrNoMailbox
	}
	list := mb.all
	if folderKey != "" {
		f := mb.folder(folderKey)
		if f == nil {
			return nil, ErrNoFolder
		}
		list = f.msgs
	}
	out := make([]Message, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].snapshot())
	}
	return out, nil
}

// Count returns the number of messages in a folder (or the whole mailbox when
// folderKey is empty).
func (s *Store) Count(mailboxID, folderKey string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return 0, ErrNoMailbox
	}
	if folderKey == "" {
		return len(mb.all), nil
	}
	f := mb.folder(folderKey)
	if f == nil {
		return 0, ErrNoFolder
	}
	return len(f.msgs), nil
}

// Message returns one message by regular or immutable id.
func (s *Store) Message(mailboxID, id string) (Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.messageLocked(mailboxID, id)
	if err != nil {
		return Message{}, err
	}
	return m.snapshot(), nil
}

// messageLocked finds a mailbox's message by regular or immutable id (caller holds s.mu).
func (s *Store) messageLocked(mailboxID, id string) (*message, error) {
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return nil, ErrNoMailbox
	}
	m := mb.byID[id]
	if m == nil {
		return nil, ErrNoMessage
	}
	return m, nil
}

// DeliverMessage stores a new incoming message in the mailbox's Inbox (or in
// msg.Folder when set) as if it had just arrived, and returns it with its ids.
// Zero times default to now; an empty InternetMessageID is generated.
func (s *Store) DeliverMessage(mailboxID string, msg Message) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return Message{}, ErrNoMailbox
	}
	key := msg.Folder
	if key == "" {
		key = FolderInbox
	}
	f := mb.folder(key)
	if f == nil {
		return Message{}, ErrNoFolder
	}
	m := s.fromSnapshot(msg)
	s.placeLocked(f, m)
	return m.snapshot(), nil
}

func (s *Store) fromSnapshot(msg Message) *message {
	now := s.now()
	m := &message{
		subject: msg.Subject, body: msg.Body, bodyType: msg.BodyContentType, importance: msg.Importance,
		imid: msg.InternetMessageID, convID: msg.ConversationID,
		from: msg.From, sender: msg.From, to: msg.To, cc: msg.Cc, bcc: msg.Bcc, replyTo: msg.ReplyTo,
		received: msg.Received.UTC(), sent: msg.Sent.UTC(), created: msg.Created.UTC(), modified: msg.Modified.UTC(),
		isRead: msg.IsRead, isDraft: msg.IsDraft, hasAttachments: msg.HasAttachments, flag: msg.FlagStatus,
		headers: slices.Clone(msg.Headers),
	}
	if msg.Received.IsZero() {
		m.received = now
	}
	if msg.Sent.IsZero() {
		m.sent = m.received
	}
	if msg.Created.IsZero() {
		m.created = m.received
	}
	if msg.Modified.IsZero() {
		m.modified = m.received
	}
	if m.bodyType == "" {
		m.bodyType = "html"
	}
	if m.importance == "" {
		m.importance = "normal"
	}
	if m.flag == "" {
		m.flag = "notFlagged"
	}
	if m.imid == "" {
		s.counter++
		m.order = s.counter
		m.imid = fmt.Sprintf("<%s@%s>", strings.ToUpper(base64.RawURLEncoding.EncodeToString(hashBytes("imid", fmt.Sprint(m.order)))[:20]), s.opts.TenantDomain)
	}
	if m.convID == "" {
		m.convID = conversationID(m.imid)
	}
	m.preview = preview(m.body, m.bodyType)
	return m
}

// DeleteMessage removes a message from its mailbox permanently (no Deleted
// Items copy); delta reports it as @removed.
func (s *Store) DeleteMessage(mailboxID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.messageLocked(mailboxID, id)
	if err != nil {
		return err
	}
	s.deleteLocked(m)
	return nil
}

// MoveMessage moves a message to another folder (id or well-known name) and
// returns it: its regular id changes, its immutable id does not.
func (s *Store) MoveMessage(mailboxID, id, destFolder string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.messageLocked(mailboxID, id)
	if err != nil {
		return Message{}, err
	}
	f := m.mbx.folder(destFolder)
	if f == nil || f.name == FolderRoot {
		return Message{}, ErrNoFolder
	}
	s.moveLocked(m, f)
	return m.snapshot(), nil
}

// MarkRead sets a message's isRead flag (an update that delta reports).
func (s *Store) MarkRead(mailboxID, id string, read bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.messageLocked(mailboxID, id)
	if err != nil {
		return err
	}
	s.setReadLocked(m, read)
	s.touchLocked(m)
	return nil
}

func preview(body, bodyType string) string {
	text := body
	if strings.EqualFold(bodyType, "html") {
		text = stripTags(body)
	}
	var b strings.Builder
	b.Grow(min(len(text), 300))
	n := 0
	space := false
	for _, r := range text {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			space = n > 0
			continue
		}
		if n >= 255 || (space && n >= 254) {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func stripTags(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if !strings.Contains(out, "&") {
		return out
	}
	for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}, {"&#39;", "'"}, {"&quot;", `"`}, {"&amp;", "&"}} {
		out = strings.ReplaceAll(out, e[0], e[1])
	}
	return out
}
