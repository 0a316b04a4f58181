package graphmail

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mailbox kinds.
const (
	KindUser   = "user"
	KindShared = "shared"
)

// Well-known folder names (Graph's mailFolder well-known names).
// https://learn.microsoft.com/en-us/graph/api/resources/mailfolder#well-known-folder-names
const (
	FolderRoot         = "msgfolderroot"
	FolderInbox        = "inbox"
	FolderSentItems    = "sentitems"
	FolderDrafts       = "drafts"
	FolderDeletedItems = "deleteditems"
	FolderArchive      = "archive"
	FolderJunkEmail    = "junkemail"
	FolderOutbox       = "outbox"
)

var wellKnownFolders = []struct{ name, display string }{
	{FolderInbox, "Inbox"},
	{FolderDrafts, "Drafts"},
	{FolderSentItems, "Sent Items"},
	{FolderDeletedItems, "Deleted Items"},
	{FolderArchive, "Archive"},
	{FolderJunkEmail, "Junk Email"},
	{FolderOutbox, "Outbox"},
}

// DefaultDeltaFilterCap is Microsoft's documented limit on a filtered message
// delta round: "Applying $filter in a delta query returns only up to 5,000
// messages." https://learn.microsoft.com/en-us/graph/delta-query-messages
const DefaultDeltaFilterCap = 5000

// Errors returned by the Go-level store methods.
var (
	ErrNoMailbox = errors.New("graphmail: no such mailbox")
	ErrNoFolder  = errors.New("graphmail: no such folder")
	ErrNoMessage = errors.New("graphmail: no such message")
)

// StoreOptions configures a Store.
type StoreOptions struct {
	TenantID, TenantDomain, TenantName string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DeliveryDelay is how long after sendMail a message lands in in-tenant
	// recipients' Inbox; 0 delivers before the 202 is written.
	DeliveryDelay time.Duration
	// MailboxRequestLimit is the per-app-per-mailbox request budget per 10
	// minutes (Outlook service limit, default 10,000; negative disables).
	// https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
	MailboxRequestLimit int
	// DeltaFilterCap is how many messages an initial delta round with $filter
	// returns at most; the round then simply ends with its deltaLink. Microsoft:
	// "Applying $filter in a delta query returns only up to 5,000 messages."
	// https://learn.microsoft.com/en-us/graph/delta-query-messages
	// 0 means that documented default (DefaultDeltaFilterCap); negative turns
	// the cap off.
	DeltaFilterCap int
}

// Mailbox is an Exchange mailbox and its directory user object. Shared
// mailboxes are users with accountEnabled false.
type Mailbox struct {
	ID          string // directory object id (GUID)
	Address     string // primary SMTP address, also the userPrincipalName
	DisplayName string
	Kind        string   // KindUser or KindShared
	Members     []string // user ids with FullAccess (shared mailboxes)
	SendAs      []string // user ids with SendAs on this mailbox

	GivenName, Surname, JobTitle, OfficeLocation, TimeZone string

	// UPN is the userPrincipalName when it differs from Address (default Address).
	UPN string
	// Aliases are further SMTP addresses (proxyAddresses "smtp:..."); Address is the
	// primary ("SMTP:...").
	Aliases []string
	// Unlicensed: no licence assigned (assignedLicenses empty). Shared and room
	// mailboxes need none.
	Unlicensed bool
	// Department and CustomAttributes ("CustomAttribute1".."CustomAttribute15") are
	// recipient properties management scopes filter on.
	Department       string
	CustomAttributes map[string]string
}

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

// Store is the practice tenant's mail data: mailboxes, folders, messages and
// their change logs, sendMail records, access policies and faults. All methods
// are safe for concurrent use.
type Store struct {
	opts StoreOptions

	mu        sync.RWMutex
	mailboxes []*mailbox
	byKey     map[string]*mailbox // lower-cased id and address
	seq       uint64              // change sequence, store-wide
	counter   uint64              // message creation counter (ids, ordering)
	sent      []SentRecord
	delivered map[string]map[string]int // internetMessageId → recipient → count
	policies  map[string]AccessPolicy
	// submitDelay: how long a sent draft still reads as a draft (see SetSubmissionDelay).
	submitDelay time.Duration
	exo         exoState // groups, service principals, management scopes, role assignments

	faultMu sync.Mutex
	faults  []*faultEntry

	limitMu  sync.Mutex
	inflight map[string]int
	windows  map[string]*rateWindow
	latency  atomic.Pointer[latencyModel] // see latency.go; nil answers at once
	stats    statsCounters

	timers sync.WaitGroup
}

type mailbox struct {
	Mailbox
	folders    []*folder
	folderByID map[string]*folder
	wellKnown  map[string]*folder
	all        msgList
	byID       map[string]*message
}

type folder struct {
	id, name, display, parentID string
	mbx                         *mailbox
	msgs                        msgList
	log                         []logEntry
	epoch                       uint32
	unread                      int
}

type logEntry struct {
	seq     uint64
	m       *message
	removed bool
	regID   string // regular id at removal time (removed entries)
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

// msgList is kept sorted by (received, order) ascending.
type msgList []*message

func less(a, b *message) bool {
	if !a.received.Equal(b.received) {
		return a.received.Before(b.received)
	}
	return a.order < b.order
}

func (l *msgList) insert(m *message) {
	s := *l
	i := sort.Search(len(s), func(i int) bool { return less(m, s[i]) })
	s = append(s, nil)
	copy(s[i+1:], s[i:])
	s[i] = m
	*l = s
}

func (l *msgList) remove(m *message) {
	s := *l
	i := sort.Search(len(s), func(i int) bool { return !less(s[i], m) })
	for ; i < len(s); i++ {
		if s[i] == m {
			*l = slices.Delete(s, i, i+1)
			return
		}
	}
}

// NewStore returns an empty store.
func NewStore(opts StoreOptions) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TenantDomain == "" {
		opts.TenantDomain = "contoso.onmicrosoft.com"
	}
	if opts.TenantName == "" {
		opts.TenantName = "Contoso"
	}
	if opts.MailboxRequestLimit == 0 {
		opts.MailboxRequestLimit = 10000
	}
	if opts.DeltaFilterCap == 0 {
		opts.DeltaFilterCap = DefaultDeltaFilterCap
	}
	return &Store{
		opts:      opts,
		byKey:     map[string]*mailbox{},
		delivered: map[string]map[string]int{},
		policies:  map[string]AccessPolicy{},
		inflight:  map[string]int{},
		windows:   map[string]*rateWindow{},
	}
}

// TenantDomain is the tenant's default domain.
func (s *Store) TenantDomain() string { return s.opts.TenantDomain }

func (s *Store) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// AddMailbox adds (or replaces the directory data of) a mailbox and creates its
// well-known folders.
func (s *Store) AddMailbox(m Mailbox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addMailboxLocked(m)
}

func (s *Store) addMailboxLocked(m Mailbox) *mailbox {
	if m.Kind == "" {
		m.Kind = KindUser
	}
	if m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	m.Members = slices.Clone(m.Members)
	m.SendAs = slices.Clone(m.SendAs)
	m.Aliases = slices.Clone(m.Aliases)
	m.CustomAttributes = maps.Clone(m.CustomAttributes)
	if old, ok := s.byKey[strings.ToLower(m.ID)]; ok {
		old.Mailbox = m
		s.byKey[strings.ToLower(m.Address)] = old
		if m.UPN != "" {
			s.byKey[strings.ToLower(m.UPN)] = old
		}
		return old
	}
	mb := &mailbox{
		Mailbox:    m,
		folderByID: map[string]*folder{},
		wellKnown:  map[string]*folder{},
		byID:       map[string]*message{},
	}
	root := &folder{id: folderID(m.ID, FolderRoot), name: FolderRoot, display: "Top of Information Store", mbx: mb}
	mb.folderByID[root.id] = root
	mb.wellKnown[FolderRoot] = root
	for _, wk := range wellKnownFolders {
		f := &folder{id: folderID(m.ID, wk.name), name: wk.name, display: wk.display, parentID: root.id, mbx: mb}
		mb.folders = append(mb.folders, f)
		mb.folderByID[f.id] = f
		mb.wellKnown[wk.name] = f
	}
	s.mailboxes = append(s.mailboxes, mb)
	s.byKey[strings.ToLower(m.ID)] = mb
	s.byKey[strings.ToLower(m.Address)] = mb
	if m.UPN != "" {
		s.byKey[strings.ToLower(m.UPN)] = mb // GET /users/{userPrincipalName}
	}
	return mb
}

// Mailboxes returns all mailboxes in the order they were added.
func (s *Store) Mailboxes() []Mailbox {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Mailbox, len(s.mailboxes))
	for i, m := range s.mailboxes {
		out[i] = m.Mailbox
		out[i].Members = slices.Clone(m.Members)
		out[i].SendAs = slices.Clone(m.SendAs)
	}
	return out
}

// Lookup finds a mailbox by id or address (case-insensitive).
func (s *Store) Lookup(idOrAddress string) (Mailbox, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	mb := s.byKey[strings.ToLower(idOrAddress)]
	if mb == nil {
		return Mailbox{}, false
	}
	out := mb.Mailbox
	out.Members = slices.Clone(mb.Members)
	out.SendAs = slices.Clone(mb.SendAs)
	return out, true
}

func (s *Store) lookupLocked(key string) *mailbox { return s.byKey[strings.ToLower(key)] }

// folderLocked resolves a folder by id or well-known name.
func (mb *mailbox) folder(key string) *folder {
	if f := mb.wellKnown[strings.ToLower(key)]; f != nil {
		return f
	}
	if f := mb.folderByID[key]; f != nil {
		return f
	}
	for _, f := range mb.folders { // display name, for the Go-level API
		if strings.EqualFold(f.display, key) {
			return f
		}
	}
	return nil
}

// ---- ids ----

func hashBytes(parts ...string) []byte {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

func folderID(mailboxID, name string) string {
	return "AQMkA" + base64.RawURLEncoding.EncodeToString(hashBytes("folder", mailboxID, name)) + "AAAA"
}

func regularID(mailboxID, immID string, moves uint32) string {
	return "AAMkAD" + base64.RawURLEncoding.EncodeToString(hashBytes("reg", mailboxID, immID, fmt.Sprint(moves))) +
		base64.RawURLEncoding.EncodeToString(hashBytes("reg2", immID, fmt.Sprint(moves))) + "AAA="
}

func immutableID(mailboxID string, n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A" + base64.RawURLEncoding.EncodeToString(hashBytes("imm", mailboxID, string(b[:]))) + "AAA="
}

// ---- mutation primitives (caller holds s.mu for writing) ----

func (s *Store) nextSeq() uint64 { s.seq++; return s.seq }

// placeLocked puts a new message in folder f and logs the change.
func (s *Store) placeLocked(f *folder, m *message) {
	mb := f.mbx
	if m.order == 0 {
		s.counter++
		m.order = s.counter
	}
	if m.immID == "" {
		m.immID = immutableID(mb.ID, m.order)
	}
	m.mbx = mb
	m.folder = f
	m.regID = regularID(mb.ID, m.immID, m.moves)
	m.changeSeq = s.nextSeq()
	m.placedSeq = m.changeSeq
	f.msgs.insert(m)
	mb.all.insert(m)
	mb.byID[m.regID] = m
	mb.byID[m.immID] = m
	if !m.isRead {
		f.unread++
	}
	f.log = append(f.log, logEntry{seq: m.changeSeq, m: m})
}

// touchLocked records an update of m in its folder.
func (s *Store) touchLocked(m *message) {
	m.changeSeq = s.nextSeq()
	m.modified = s.now()
	m.folder.log = append(m.folder.log, logEntry{seq: m.changeSeq, m: m})
}

// unlinkLocked takes m out of its folder, logging an @removed entry.
func (s *Store) unlinkLocked(m *message) {
	f := m.folder
	f.msgs.remove(m)
	if !m.isRead {
		f.unread--
	}
	f.log = append(f.log, logEntry{seq: s.nextSeq(), m: m, removed: true, regID: m.regID})
	delete(m.mbx.byID, m.regID)
	m.folder = nil
}

// moveLocked moves m to dest: a new regular id, the same immutable id.
func (s *Store) moveLocked(m *message, dest *folder) {
	if m.folder == dest {
		return
	}
	mb := m.mbx
	s.unlinkLocked(m)
	mb.all.remove(m)
	m.moves++
	m.modified = s.now()
	s.placeLocked(dest, m)
}

// deleteLocked removes m from the mailbox for good.
func (s *Store) deleteLocked(m *message) {
	mb := m.mbx
	s.unlinkLocked(m)
	mb.all.remove(m)
	delete(mb.byID, m.immID)
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

// ---- Go-level inspection and mutation API ----

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
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return Message{}, ErrNoMailbox
	}
	m := mb.byID[id]
	if m == nil {
		return Message{}, ErrNoMessage
	}
	return m.snapshot(), nil
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

func conversationID(seed string) string {
	return "AAQkAD" + base64.RawURLEncoding.EncodeToString(hashBytes("conv", seed)) + "="
}

// DeleteMessage removes a message from its mailbox permanently (no Deleted
// Items copy); delta reports it as @removed.
func (s *Store) DeleteMessage(mailboxID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return ErrNoMailbox
	}
	m := mb.byID[id]
	if m == nil {
		return ErrNoMessage
	}
	s.deleteLocked(m)
	return nil
}

// MoveMessage moves a message to another folder (id or well-known name) and
// returns it: its regular id changes, its immutable id does not.
func (s *Store) MoveMessage(mailboxID, id, destFolder string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return Message{}, ErrNoMailbox
	}
	m := mb.byID[id]
	if m == nil {
		return Message{}, ErrNoMessage
	}
	f := mb.folder(destFolder)
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
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return ErrNoMailbox
	}
	m := mb.byID[id]
	if m == nil {
		return ErrNoMessage
	}
	s.setReadLocked(m, read)
	s.touchLocked(m)
	return nil
}

func (s *Store) setReadLocked(m *message, read bool) {
	if m.isRead == read {
		return
	}
	m.isRead = read
	if read {
		m.folder.unread--
	} else {
		m.folder.unread++
	}
}

// ExpireDeltaTokens invalidates every delta token (and in-progress nextLink)
// issued for a mailbox folder, so the next delta call with one answers as an
// expired sync state and the client must resync.
func (s *Store) ExpireDeltaTokens(mailboxID, folderKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return ErrNoMailbox
	}
	f := mb.folder(folderKey)
	if f == nil {
		return ErrNoFolder
	}
	f.epoch++
	return nil
}

// Wait blocks until pending delayed deliveries have been made.
func (s *Store) Wait() { s.timers.Wait() }

// ---- text helpers ----

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
