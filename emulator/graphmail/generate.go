package graphmail

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// GenOptions sizes the generated tenant. Zero values take the defaults noted.
type GenOptions struct {
	Users              int   // user mailboxes (default 5)
	SharedMailboxes    int   // shared mailboxes (default 1)
	MessagesPerMailbox int   // messages per mailbox (default 200)
	Days               int   // spread of received times before Now (default 90)
	Seed               int64 // same seed (and Now) → same data
	// Now anchors the time spread (default: the store's clock, truncated to the hour).
	Now time.Time
}

var demoPeople = [][2]string{
	{"Adele", "Vance"}, {"Alex", "Wilber"}, {"Diego", "Siciliani"}, {"Grady", "Archie"},
	{"Isaiah", "Langer"}, {"Johanna", "Lorenz"}, {"Joni", "Sherman"}, {"Lee", "Gu"},
	{"Lidia", "Holloway"}, {"Lynne", "Robbins"}, {"Megan", "Bowen"}, {"Miriam", "Graham"},
	{"Nestor", "Wilke"}, {"Patti", "Fernandez"}, {"Pradeep", "Gupta"},
}

var (
	firstNames = []string{"Amara", "Bruno", "Chloe", "Dmitri", "Elena", "Farah", "Gareth", "Hana", "Ivan", "Jade",
		"Kofi", "Lena", "Mateo", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yara", "Zoe"}
	lastNames = []string{"Abbott", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
		"Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka"}
	jobTitles = []string{"Marketing Manager", "Retail Manager", "Sales Representative", "Product Manager", "Developer",
		"HR Manager", "IT Admin", "Finance Analyst", "Legal Counsel", "Designer", "Operations Lead", "Support Engineer"}
	offices   = []string{"18/2111", "20/1101", "131/1104", "98/2202", "19/3123", "12/1110"}
	timeZones = []string{"Pacific Standard Time", "Eastern Standard Time", "W. Europe Standard Time", "GMT Standard Time", "UTC"}
	sharedBox = [][2]string{{"support", "Customer Support"}, {"sales", "Sales Team"}, {"info", "Info"},
		{"accounts", "Accounts Payable"}, {"helpdesk", "IT Helpdesk"}, {"hr", "Human Resources"}}
	externalOrgs = []struct{ domain, org string }{
		{"fabrikam.com", "Fabrikam"}, {"northwindtraders.com", "Northwind Traders"}, {"adatum.com", "A. Datum"},
		{"litwareinc.com", "Litware"}, {"wingtiptoys.com", "Wingtip Toys"}, {"tailspintoys.com", "Tailspin Toys"},
		{"woodgrovebank.com", "Woodgrove Bank"}, {"proseware.com", "Proseware"},
	}
	topics = []string{"Q3 budget review", "Contoso launch plan", "Vendor contract renewal", "Team offsite logistics",
		"Customer escalation #4821", "Weekly status report", "New hire onboarding", "Invoice INV-20931",
		"Security awareness training", "Office move schedule", "Marketing campaign assets", "Quarterly business review",
		"Travel approval", "Product roadmap feedback", "Server maintenance window", "Holiday schedule",
		"Partner webinar", "Expense report", "Board deck draft", "Purchase order PO-7781", "Sprint retrospective",
		"Pricing update", "Support ticket follow-up", "Conference registration", "Data retention policy"}
	openers = []string{"Hope you're doing well.", "Quick follow-up on our conversation.", "As discussed in the meeting,",
		"Thanks for the update.", "Just a heads-up:", "Circling back on this.", "Please see below.", "Good news:"}
	sentences = []string{
		"I've attached the latest numbers for your review.",
		"Could you take a look before Friday?",
		"The team agreed to move forward with option B.",
		"Let me know if anything needs to change on your side.",
		"We should schedule a short call to align on next steps.",
		"The deadline has moved to the end of the month.",
		"Finance approved the revised estimate this morning.",
		"I'll share the meeting notes with everyone afterwards.",
		"Please confirm the delivery address for the shipment.",
		"The customer asked for an updated quote with volume pricing.",
		"We are still waiting on legal to sign off.",
		"Happy to help if you need anything else.",
		"The draft is in the shared folder under Projects.",
		"Can we keep the scope the same and revisit in Q4?",
		"I booked the large conference room for Tuesday at 10.",
	}
	closings = []string{"Thanks", "Best regards", "Cheers", "Kind regards", "Many thanks", "Regards"}
)

// Generate fills the store with a deterministic tenant: the same seed and Now
// give the same mailboxes, ids and messages. Messages are spread over the last
// Days days in Inbox (about 70%) and Sent Items, with realistic names,
// subjects and bodies, and some in-tenant threads (replies sharing a
// conversationId with an earlier message).
func Generate(s *Store, g GenOptions) {
	g = g.withDefaults(s.opts.Now)
	rng := rand.New(rand.NewPCG(uint64(g.Seed), 0x9e3779b97f4a7c15))

	s.mu.Lock()
	defer s.mu.Unlock()
	users := s.generateUsers(rng, g.Users)
	boxes := append(append([]*mailbox(nil), users...), s.generateShared(rng, g.SharedMailboxes, users)...)
	for _, mb := range boxes {
		s.generateMessages(rng, g, mb, users)
	}
}

// withDefaults fills in the defaults GenOptions documents.
func (g GenOptions) withDefaults(now func() time.Time) GenOptions {
	if g.Users <= 0 {
		g.Users = 5
	}
	if g.SharedMailboxes < 0 {
		g.SharedMailboxes = 0
	} else if g.SharedMailboxes == 0 {
		g.SharedMailboxes = 1
	}
	if g.MessagesPerMailbox <= 0 {
		g.MessagesPerMailbox = 200
	}
	if g.Days <= 0 {
		g.Days = 90
	}
	if g.Now.IsZero() {
		g.Now = now().UTC().Truncate(time.Hour)
	}
	g.Now = g.Now.UTC()
	return g
}

// generateUsers adds n user mailboxes: the demo people first, then random names,
// each with a unique address (caller holds s.mu).
func (s *Store) generateUsers(rng *rand.Rand, n int) []*mailbox {
	domain := s.opts.TenantDomain
	var users []*mailbox
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		var first, last string
		if i < len(demoPeople) {
			first, last = demoPeople[i][0], demoPeople[i][1]
		} else {
			first, last = firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		}
		local := strings.ToLower(first + "." + last)
		for n := 2; used[local]; n++ {
			local = strings.ToLower(fmt.Sprintf("%s.%s%d", first, last, n))
		}
		used[local] = true
		mb := s.addMailboxLocked(Mailbox{
			ID: guid(rng), Address: local + "@" + domain, DisplayName: first + " " + last, Kind: KindUser,
			GivenName: first, Surname: last, JobTitle: jobTitles[rng.IntN(len(jobTitles))],
			OfficeLocation: offices[rng.IntN(len(offices))], TimeZone: timeZones[rng.IntN(len(timeZones))],
		})
		users = append(users, mb)
	}
	return users
}

// generateShared adds n shared mailboxes (caller holds s.mu). Members: the first two
// users (FullAccess); SendAs: the first only, so a delegated send by the second member
// is refused (ErrorSendAsDenied).
func (s *Store) generateShared(rng *rand.Rand, n int, users []*mailbox) []*mailbox {
	var boxes []*mailbox
	for i := 0; i < n; i++ {
		local, display := sharedBox[i%len(sharedBox)][0], sharedBox[i%len(sharedBox)][1]
		if i >= len(sharedBox) {
			local = fmt.Sprintf("%s%d", local, i/len(sharedBox)+1)
			display = fmt.Sprintf("%s %d", display, i/len(sharedBox)+1)
		}
		var members, sendAs []string
		for j := 0; j < len(users) && j < 2; j++ {
			members = append(members, users[(i+j)%len(users)].ID)
		}
		if len(members) > 0 {
			sendAs = members[:1]
		}
		mb := s.addMailboxLocked(Mailbox{
			ID: guid(rng), Address: local + "@" + s.opts.TenantDomain, DisplayName: display, Kind: KindShared,
			Members: members, SendAs: sendAs, TimeZone: "UTC",
		})
		boxes = append(boxes, mb)
	}
	return boxes
}

// generateMessages fills mb with g.MessagesPerMailbox messages, some of them replies
// in earlier threads, placed in received order so the change log runs oldest to
// newest (caller holds s.mu).
func (s *Store) generateMessages(rng *rand.Rand, g GenOptions, mb *mailbox, users []*mailbox) {
	msgs := make([]*message, 0, g.MessagesPerMailbox)
	var threads []*message
	for i := 0; i < g.MessagesPerMailbox; i++ {
		m := s.generateMessage(rng, g, mb, users, threads)
		msgs = append(msgs, m)
		if !strings.HasPrefix(m.subject, "RE: ") && len(threads) < 64 {
			threads = append(threads, m)
		}
	}
	sort.Slice(msgs, func(i, j int) bool { return less(msgs[i], msgs[j]) })
	for _, m := range msgs {
		s.placeLocked(m.folder, m)
	}
}

// generateMessage makes one message of mb, received at a random time of the last
// g.Days days: sent (about 30%, in Sent Items) or received (in Inbox), a new topic or a
// reply in one of threads (caller holds s.mu; the message is not placed yet).
func (s *Store) generateMessage(rng *rand.Rand, g GenOptions, mb *mailbox, users []*mailbox, threads []*message) *message {
	span := time.Duration(g.Days) * 24 * time.Hour
	received := g.Now.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
	other := pickCorrespondent(rng, users, mb)
	sent := rng.IntN(10) < 3
	subject := topics[rng.IntN(len(topics))]
	var conv string
	if len(threads) > 0 && rng.IntN(4) == 0 {
		parent := threads[rng.IntN(len(threads))]
		subject = "RE: " + strings.TrimPrefix(parent.subject, "RE: ")
		conv = parent.convID
		if received.Before(parent.received) {
			received = parent.received.Add(time.Duration(1+rng.IntN(180)) * time.Minute)
			if received.After(g.Now) {
				received = g.Now
			}
		}
	}
	s.counter++
	m := &message{
		order: s.counter, subject: subject, bodyType: "html", importance: "normal", flag: "notFlagged",
		received: received, created: received, modified: received,
		sent: received.Add(-time.Duration(1+rng.IntN(90)) * time.Second),
	}
	m.imid = fmt.Sprintf("<%s%08X@%s>", strings.ToUpper(base64URL(hashBytes("gen", fmt.Sprint(g.Seed), fmt.Sprint(m.order))))[:22], m.order, imidHost(other, sent, s.opts.TenantDomain))
	if conv == "" {
		conv = conversationID(m.imid)
	}
	m.convID = conv
	fillGenerated(rng, m, mb, other, sent, users)
	m.mbx = mb
	m.folder = mb.wellKnown[FolderInbox]
	if sent {
		m.folder = mb.wellKnown[FolderSentItems]
	}
	return m
}

// fillGenerated gives a generated message its people (mb's owner and other, now and
// then someone in Cc), read state, importance, flag, attachments and body.
func fillGenerated(rng *rand.Rand, m *message, mb *mailbox, other Recipient, sent bool, users []*mailbox) {
	owner := Recipient{Name: mb.DisplayName, Address: mb.Address}
	if sent {
		m.from, m.sender, m.to = owner, owner, []Recipient{other}
		m.isRead = true
	} else {
		m.from, m.sender, m.to = other, other, []Recipient{owner}
		m.isRead = rng.IntN(10) < 7
	}
	if rng.IntN(6) == 0 {
		m.cc = []Recipient{pickCorrespondent(rng, users, mb)}
	}
	switch rng.IntN(20) {
	case 0:
		m.importance = "high"
	case 1:
		m.importance = "low"
	}
	if rng.IntN(15) == 0 {
		m.flag = "flagged"
	}
	m.hasAttachments = rng.IntN(8) == 0
	m.body = composeBody(rng, m.to[0].Name, m.from.Name)
	m.preview = preview(m.body, m.bodyType)
}

func imidHost(other Recipient, sent bool, domain string) string {
	if sent {
		return outlookHost(domain)
	}
	if at := strings.LastIndexByte(other.Address, '@'); at >= 0 {
		return "mail." + other.Address[at+1:]
	}
	return domain
}

func pickCorrespondent(rng *rand.Rand, users []*mailbox, self *mailbox) Recipient {
	if len(users) > 1 && rng.IntN(3) == 0 {
		for {
			u := users[rng.IntN(len(users))]
			if u != self {
				return Recipient{Name: u.DisplayName, Address: u.Address}
			}
		}
	}
	org := externalOrgs[rng.IntN(len(externalOrgs))]
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	return Recipient{Name: first + " " + last, Address: strings.ToLower(first+"."+last) + "@" + org.domain}
}

func composeBody(rng *rand.Rand, to, from string) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><p>Hi ")
	b.WriteString(htmlEscape(firstWord(to)))
	b.WriteString(",</p><p>")
	b.WriteString(openers[rng.IntN(len(openers))])
	n := 2 + rng.IntN(3)
	for i := 0; i < n; i++ {
		b.WriteByte(' ')
		b.WriteString(sentences[rng.IntN(len(sentences))])
	}
	b.WriteString("</p><p>")
	b.WriteString(closings[rng.IntN(len(closings))])
	b.WriteString(",<br>")
	b.WriteString(htmlEscape(firstWord(from)))
	b.WriteString("</p></body></html>")
	return b.String()
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

func htmlEscape(s string) string {
	if !strings.ContainsAny(s, `&<>"`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func guid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	a = (a &^ (0xf << 12)) | (4 << 12) // version 4
	b = (b &^ (0x3 << 62)) | (0x2 << 62)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}
