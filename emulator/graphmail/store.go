package graphmail

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The store itself: its options, its mailboxes (directory data) and their folders.
// Messages are in storemessages.go, the change log in changelog.go, ids in ids.go.

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

// folder resolves a folder by id, well-known name or (for the Go-level API) display name.
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

// Wait blocks until pending delayed deliveries have been made.
func (s *Store) Wait() { s.timers.Wait() }
