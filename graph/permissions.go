package graph

import (
	"slices"
	"strings"
)

// Permissions as data. Every Microsoft Graph request the product makes is one row of
// CallTable with the least-privileged permission Microsoft documents for it, per
// permission type, and the page it comes from. A connection's requested permissions are
// the union of the rows its features use (ModeCalls), with each permission's one-line
// reason (ModePermissions). The permission screen, the copyable list, the generated
// scripts and verify's permission check all read this table; tests compare them.
//
// Where the documented least privilege cannot serve what the product reads, the row
// says so (Needs): Mail.ReadBasic(.All) omits body and bodyPreview, which sync stores
// and the outbox's bounce check reads, so those rows need Mail.Read.
// https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadbasic

// Call names one kind of Graph request the product makes.
type Call string

// The Graph requests the product makes.
const (
	CallListUsers     Call = "list users"
	CallGetUser       Call = "get user"
	CallGetFolder     Call = "get mail folder"
	CallListMessages  Call = "list messages"
	CallMessageDelta  Call = "message delta"
	CallFindOwnDraft  Call = "find draft by marker"
	CallCreateDraft   Call = "create draft"
	CallCreateReply   Call = "create reply draft"
	CallUpdateDraft   Call = "update draft"
	CallGetMessage    Call = "get message"
	CallSendDraft     Call = "send draft"
	CallListSentItems Call = "list Sent Items"
	CallBounceCheck   Call = "list Inbox conversation"
	CallOrganise      Call = "move, flag or delete a message"
	CallSendMail      Call = "sendMail"
)

// CallPermission is one row: a Graph request and what it needs.
type CallPermission struct {
	Call    Call
	Request string // method and path, as the product sends it
	// Application and Delegated are the least-privileged permissions Microsoft documents
	// for the request (application / delegated work or school account).
	Application, Delegated string
	// Needs, when set, is what the product must hold instead because of what it reads
	// (application; delegated gets the same name without ".All").
	NeedsApplication, NeedsDelegated string
	// Shared is the delegated permission for someone else's mailbox (a shared mailbox or
	// another user's, with Full Access / Send As in Exchange); "" = not mailbox data.
	Shared string
	// Doc is the documentation page with the permissions table.
	Doc string
	// Why says what the product uses the call for.
	Why string
}

// application returns the permission the product requests for the row, app-only.
func (c CallPermission) application() string {
	if c.NeedsApplication != "" {
		return c.NeedsApplication
	}
	return c.Application
}

// delegated returns the permission the product requests for the row, delegated;
// shared selects the .Shared variant for other people's mailboxes.
func (c CallPermission) delegated(shared bool) string {
	if shared && c.Shared != "" {
		return c.Shared
	}
	if c.NeedsDelegated != "" {
		return c.NeedsDelegated
	}
	return c.Delegated
}

// CallTable is every Graph call the product makes, with Microsoft's permission tables.
func CallTable() []CallPermission {
	return []CallPermission{
		{Call: CallListUsers, Request: "GET /users", Application: "User.Read.All", Delegated: "User.ReadBasic.All",
			Doc: "https://learn.microsoft.com/en-us/graph/api/user-list#permissions",
			Why: "the mailbox picker lists and searches the directory"},
		{Call: CallGetUser, Request: "GET /users/{id}", Application: "User.Read.All", Delegated: "User.ReadBasic.All",
			Doc: "https://learn.microsoft.com/en-us/graph/api/user-get#permissions",
			Why: "verify looks each picked mailbox up in the directory (only when the directory may be read)"},
		{Call: CallGetFolder, Request: "GET /users/{id}/mailFolders/inbox", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			Shared: "Mail.ReadBasic.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/mailfolder-get#permissions",
			Why: "verify and sync read the folder's counts"},
		{Call: CallListMessages, Request: "GET /users/{id}/mailFolders/{folder}/messages", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			NeedsApplication: "Mail.Read", NeedsDelegated: "Mail.Read", Shared: "Mail.Read.Shared",
			Doc: "https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions",
			Why: "backfill and verify's test read fetch messages with their bodies"},
		{Call: CallMessageDelta, Request: "GET /users/{id}/mailFolders/{folder}/messages/delta", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			NeedsApplication: "Mail.Read", NeedsDelegated: "Mail.Read", Shared: "Mail.Read.Shared",
			Doc: "https://learn.microsoft.com/en-us/graph/api/message-delta#permissions",
			Why: "sync fetches new and changed messages with their bodies"},
		{Call: CallOrganise, Request: "PATCH /users/{id}/messages/{id}, POST .../move, DELETE", Application: "Mail.ReadWrite", Delegated: "Mail.ReadWrite",
			Shared: "Mail.ReadWrite.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/message-update#permissions",
			Why: "incoming mail may be moved, flagged and deleted (chosen in the wizard)"},
		{Call: CallFindOwnDraft, Request: "GET /users/{id}/mailFolders/drafts/messages?$filter=internetMessageId eq ...", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			Shared: "Mail.ReadBasic.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions",
			Why: "the outbox looks for a draft left by an interrupted run before creating one"},
		{Call: CallCreateDraft, Request: "POST /users/{id}/messages", Application: "Mail.ReadWrite", Delegated: "Mail.ReadWrite",
			Shared: "Mail.ReadWrite.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/user-post-messages#permissions",
			Why: "the outbox saves each message as a draft first, so that it is sent exactly once"},
		{Call: CallCreateReply, Request: "POST /users/{id}/messages/{id}/createReply", Application: "Mail.ReadWrite", Delegated: "Mail.ReadWrite",
			Shared: "Mail.ReadWrite.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/message-createreply#permissions",
			Why: "a reply is drafted in its conversation"},
		{Call: CallUpdateDraft, Request: "PATCH /users/{id}/messages/{id}", Application: "Mail.ReadWrite", Delegated: "Mail.ReadWrite",
			Shared: "Mail.ReadWrite.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/message-update#permissions",
			Why: "the reply draft gets the outbox's stable internetMessageId"},
		{Call: CallGetMessage, Request: "GET /users/{id}/messages/{id}", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			Shared: "Mail.ReadBasic.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/message-get#permissions",
			Why: "the outbox reads the draft right before sending (isDraft) and after"},
		{Call: CallSendDraft, Request: "POST /users/{id}/messages/{id}/send", Application: "Mail.Send", Delegated: "Mail.Send",
			Shared: "Mail.Send.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/message-send#permissions",
			Why: "the outbox sends each approved draft"},
		{Call: CallListSentItems, Request: "GET /users/{id}/mailFolders/sentitems/messages?$filter=internetMessageId eq ...", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			Shared: "Mail.ReadBasic.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions",
			Why: "the outbox confirms each send by its copy in Sent Items"},
		{Call: CallBounceCheck, Request: "GET /users/{id}/mailFolders/inbox/messages?$filter=conversationId eq ...", Application: "Mail.ReadBasic.All", Delegated: "Mail.ReadBasic",
			NeedsApplication: "Mail.Read", NeedsDelegated: "Mail.Read", Shared: "Mail.Read.Shared",
			Doc: "https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions",
			Why: "the outbox reads a bounce's preview to record why a message was not delivered"},
		{Call: CallSendMail, Request: "POST /users/{id}/sendMail", Application: "Mail.Send", Delegated: "Mail.Send",
			Shared: "Mail.Send.Shared", Doc: "https://learn.microsoft.com/en-us/graph/api/user-sendmail#permissions",
			Why: "not used: a sendMail that fails after Exchange accepted it cannot be told apart from one that was never sent (see docs/ARCHITECTURE.md)"},
	}
}

// ModeCalls lists the rows the features use: incoming mail reads folders, lists and
// delta; organising adds message updates; outgoing mail uses the outbox's draft path;
// the mailbox picker lists users (and verify then looks each mailbox up).
func ModeCalls(f Features) []CallPermission {
	want := map[Call]bool{}
	if f.Read || f.Write {
		for _, c := range []Call{CallGetFolder, CallListMessages, CallMessageDelta} {
			want[c] = true
		}
	}
	if f.Write {
		want[CallOrganise] = true
	}
	if f.Send {
		for _, c := range []Call{CallGetFolder, CallFindOwnDraft, CallCreateDraft, CallCreateReply, CallUpdateDraft, CallGetMessage, CallSendDraft, CallListSentItems, CallBounceCheck} {
			want[c] = true
		}
	}
	if f.ListUsers {
		want[CallListUsers], want[CallGetUser] = true, true
	}
	var out []CallPermission
	for _, c := range CallTable() {
		if want[c.Call] {
			out = append(out, c)
		}
	}
	return out
}

// impliedBy lists the requestable permissions that include p: Mail.ReadWrite reads
// everything Mail.Read and Mail.ReadBasic do, and the .Shared variants include the
// signed-in user's own mailbox.
// https://learn.microsoft.com/en-us/graph/permissions-reference
func impliedBy(p string) []string {
	switch p {
	case "Mail.ReadBasic.All":
		return []string{"Mail.Read", "Mail.ReadWrite"}
	case "Mail.ReadBasic":
		return []string{"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic.Shared", "Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	case "Mail.Read":
		return []string{"Mail.ReadWrite", "Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	case "Mail.ReadBasic.Shared":
		return []string{"Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	case "Mail.Read.Shared", "Mail.ReadWrite":
		return []string{"Mail.ReadWrite.Shared"}
	case "Mail.Send":
		return []string{"Mail.Send.Shared"}
	case "User.ReadBasic.All":
		return []string{"User.Read.All"}
	}
	return nil
}

// permissionOrder is the display order of requested permissions.
func permissionOrder(p string) int {
	i := slices.Index([]string{"Mail.ReadBasic.All", "Mail.ReadBasic", "Mail.ReadBasic.Shared", "Mail.Read", "Mail.Read.Shared",
		"Mail.ReadWrite", "Mail.ReadWrite.Shared", "Mail.Send", "Mail.Send.Shared", "User.ReadBasic.All", "User.Read.All"}, p)
	if i < 0 {
		return 99
	}
	return i
}

// Higher returns the permissions that include p (p first), for judging a grant.
func Higher(p string) []string { return append([]string{p}, impliedBy(p)...) }

// Grant is one permission to request and why.
type Grant struct {
	Permission string
	Reason     string
	Calls      []Call // the calls that need it
}

// String is "Permission: reason".
func (g Grant) String() string { return g.Permission + ": " + g.Reason }

// ModePermissions is exactly what a connection with these features requests in this
// mode: the union of its calls' permissions, with any permission another requested one
// includes dropped, plus offline_access for delegated sign-in. The order is stable.
func ModePermissions(mode Mode, f Features) []Grant {
	app := mode.AppOnly()
	shared := f.Shared && !app
	byPerm := map[string]*Grant{}
	var order []string
	for _, c := range ModeCalls(f) {
		p := c.delegated(shared)
		if app {
			p = c.application()
		}
		g, ok := byPerm[p]
		if !ok {
			g = &Grant{Permission: p}
			byPerm[p] = g
			order = append(order, p)
		}
		g.Calls = append(g.Calls, c.Call)
	}
	// Fold a permission into a requested one that includes it.
	for _, p := range slices.Clone(order) {
		for _, h := range impliedBy(p) {
			if hg, ok := byPerm[h]; ok {
				hg.Calls = append(hg.Calls, byPerm[p].Calls...)
				delete(byPerm, p)
				order = slices.DeleteFunc(order, func(s string) bool { return s == p })
				break
			}
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return permissionOrder(a) - permissionOrder(b) })
	out := make([]Grant, 0, len(order)+1)
	for _, p := range order {
		g := byPerm[p]
		g.Reason = reasonFor(*g, f)
		out = append(out, *g)
	}
	if !app {
		out = append(out, Grant{Permission: "offline_access", Reason: "keeps the sign-in (a refresh token), so sync and the outbox run without asking again"})
	}
	return out
}

// reasonFor is the one line shown beside a permission: the reason of the call that
// matters most for it (sending before organising before reading).
func reasonFor(g Grant, f Features) string {
	has := func(c Call) bool { return slices.Contains(g.Calls, c) }
	base := strings.TrimSuffix(g.Permission, ".Shared")
	suffix := ""
	if base != g.Permission {
		suffix = " (also in the shared mailboxes the signed-in account may open)"
	}
	switch {
	case has(CallCreateDraft) && f.Read:
		return "the outbox saves each message as a draft first, so that it is sent exactly once; it also covers reading incoming mail" + suffix
	case has(CallCreateDraft):
		return "the outbox saves each message as a draft first, so that it is sent exactly once, and reads the draft, Sent Items and bounces" + suffix
	case has(CallOrganise):
		return "reads incoming mail and moves, flags and deletes it, as chosen" + suffix
	case has(CallSendDraft):
		return "sends each approved draft" + suffix
	case has(CallMessageDelta):
		return "reads incoming messages with their bodies (backfill and delta)" + suffix
	case has(CallListUsers) && g.Permission == "User.Read.All":
		return "lists the directory for the mailbox picker (List users accepts nothing less for an application)"
	case has(CallListUsers):
		return "lists the directory for the mailbox picker"
	}
	for _, c := range CallTable() {
		if len(g.Calls) > 0 && c.Call == g.Calls[0] {
			return c.Why + suffix
		}
	}
	return ""
}

// PermissionLines is the permission list as the screens and the copyable list show
// it: one "Permission: reason" line per requested permission, from ModePermissions.
func PermissionLines(mode Mode, f Features) []string {
	var out []string
	for _, g := range ModePermissions(mode, f) {
		out = append(out, g.String())
	}
	return out
}

// NeedsShared reports whether a delegated connection signed in as account reaches a
// mailbox other than the account's own, and so needs the .Shared permissions
// (Mail.Read.Shared, Mail.ReadWrite.Shared, Mail.Send.Shared) and Exchange rights (Full
// Access, Send As) on it. Only then are they requested.
// https://learn.microsoft.com/en-us/graph/outlook-share-messages-folders
func NeedsShared(account string, mailboxes []string) bool {
	for _, m := range mailboxes {
		if !strings.EqualFold(strings.TrimSpace(m), strings.TrimSpace(account)) {
			return true
		}
	}
	return false
}
