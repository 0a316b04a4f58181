package graphmail

import (
	"net/http"
	"slices"
	"strings"
)

// Who may do what: the permissions each endpoint accepts (from Microsoft's pages) and
// authorize, which applies them to a request on a mailbox like Exchange and Entra ID
// do — the token's permissions, Full Access and Send As in Exchange, RBAC for
// Applications grants (scoping.go) and application access policies.

// Permission names each endpoint accepts, from the "Permissions" table of its page
// (least privileged and higher privileged together), application and delegated columns
// apart. This table is the emulator's own reading of Microsoft's pages; the client side
// (package graph) keeps its own, and the two are never shared.
var (
	// GET /users: https://learn.microsoft.com/en-us/graph/api/user-list#permissions
	// Application: User.Read.All, User.ReadWrite.All, Directory.Read.All,
	// Directory.ReadWrite.All (User.ReadBasic.All is not accepted for applications).
	// Delegated: User.ReadBasic.All and the same higher ones.
	// GET /users/{id}: https://learn.microsoft.com/en-us/graph/api/user-get#permissions
	// (delegated User.Read for the signed-in user's own entry).
	appDirRead = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	delDirRead = []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// Reading mail (GET mailFolders/{id}, .../messages, .../messages/delta, messages/{id}):
	// https://learn.microsoft.com/en-us/graph/api/mailfolder-get#permissions
	// https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-delta#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-get#permissions
	// Application: Mail.ReadBasic.All (least), Mail.Read, Mail.ReadWrite.
	// Delegated: Mail.ReadBasic (least), Mail.Read, Mail.ReadWrite; in other people's
	// mailboxes the .Shared ones, which also cover the user's own
	// (https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadshared).
	// Mail.ReadBasic(.All) omits body and bodyPreview
	// (https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadbasicall).
	appMailRead      = []string{"Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"}
	appMailFull      = []string{"Mail.Read", "Mail.ReadWrite"}
	delMailOwn       = []string{"Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"}
	delMailOwnFull   = []string{"Mail.Read", "Mail.ReadWrite"}
	delMailShared    = []string{"Mail.ReadBasic.Shared", "Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	delMailSharedAll = []string{"Mail.Read.Shared", "Mail.ReadWrite.Shared"}
	// Writing mail (POST messages, createReply, PATCH, move, DELETE):
	// https://learn.microsoft.com/en-us/graph/api/user-post-messages#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-createreply#permissions
	// https://learn.microsoft.com/en-us/graph/api/message-update#permissions
	// Application and delegated: Mail.ReadWrite only; other people's: Mail.ReadWrite.Shared.
	// Sending (POST messages/{id}/send, sendMail):
	// https://learn.microsoft.com/en-us/graph/api/message-send#permissions
	// https://learn.microsoft.com/en-us/graph/api/user-sendmail#permissions
	// Application and delegated: Mail.Send only; as someone else: Mail.Send.Shared and
	// Send As in Exchange (https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user).
	orgReadApp      = []string{"Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	settingsPerms   = []string{"MailboxSettings.Read", "MailboxSettings.ReadWrite"}
	msgAccessDenied = "Access is denied. Check credentials and try again."
	dirDenied       = "Insufficient privileges to complete the operation."
	raopDenied      = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
)

// dirRead is the list GET /users and GET /users/{id} accept for p's token type.
func (p Principal) dirRead() []string {
	if p.AppOnly {
		return appDirRead
	}
	return delDirRead
}

// authorize checks the principal's permissions for kind on mb like Exchange
// and Entra ID do; false means a 403 was written.
func (s *Store) authorize(c *call, kind op, mb *mailbox, info *Mailbox) bool {
	p := s.rbacPrincipal(c.p, mb) // Entra roles plus RBAC for Applications grants on mb (scoping.go)
	own := !p.AppOnly && strings.EqualFold(p.UserID, info.ID)
	if kind == opUserGet {
		if p.has(p.dirRead()...) || (own && p.has("User.Read")) {
			return true
		}
		c.fail(http.StatusForbidden, "Authorization_RequestDenied", dirDenied)
		return false
	}
	if !c.mailAllowed(kind, p, own, info) {
		return false
	}
	if p.AppOnly {
		s.mu.RLock()
		allowed := s.policyAllowsLocked(p.AppID, mb)
		s.mu.RUnlock()
		if !allowed {
			// https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
			c.fail(http.StatusForbidden, "ErrorAccessDenied", raopDenied)
			return false
		}
	}
	return true
}

// mailRule is what an operation on a mailbox needs: one of app as an application, one
// of own in the user's own mailbox, one of other in someone else's, with Full Access
// there (or, for sending, Send As).
type mailRule struct {
	app, own, other []string
	sendAs          bool
}

// mailRuleFor is the rule of kind, from the table above; false for kinds that are not
// about a mailbox's mail.
func mailRuleFor(kind op) (mailRule, bool) {
	switch kind {
	case opSettings:
		// https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings#permissions
		return mailRule{app: settingsPerms, own: settingsPerms}, true
	case opMailRead:
		return mailRule{app: appMailRead, own: slices.Concat(delMailOwn, delMailShared), other: delMailShared}, true
	case opMailWrite:
		return mailRule{app: []string{"Mail.ReadWrite"}, own: []string{"Mail.ReadWrite", "Mail.ReadWrite.Shared"}, other: []string{"Mail.ReadWrite.Shared"}}, true
	case opMailSend:
		return mailRule{app: []string{"Mail.Send"}, own: []string{"Mail.Send", "Mail.Send.Shared"}, other: []string{"Mail.Send.Shared"}, sendAs: true}, true
	}
	return mailRule{}, false
}

// mailAllowed applies kind's mailRule to p, answering 403 itself: ErrorAccessDenied,
// or ErrorSendAsDenied for a send as someone who did not grant Send As. A read by a
// caller with Mail.ReadBasic(.Shared/.All) only is marked basic (no body, no preview).
func (c *call) mailAllowed(kind op, p Principal, own bool, info *Mailbox) bool {
	rule, ok := mailRuleFor(kind)
	if !ok {
		return true
	}
	isUser := func(ids []string) bool {
		return slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, p.UserID) })
	}
	var allowed bool
	switch {
	case p.AppOnly:
		allowed = p.has(rule.app...)
	case own:
		allowed = p.has(rule.own...)
	default:
		// Someone else's mailbox: a .Shared scope and Full Access in Exchange.
		allowed = (rule.sendAs || isUser(info.Members)) && p.has(rule.other...)
	}
	if !allowed {
		c.fail(http.StatusForbidden, "ErrorAccessDenied", msgAccessDenied)
		return false
	}
	if rule.sendAs && !p.AppOnly && !own && !isUser(info.SendAs) {
		c.fail(http.StatusForbidden, "ErrorSendAsDenied", sendAsDenied)
		return false
	}
	if kind == opMailRead {
		switch {
		case p.AppOnly:
			c.basic = !p.has(appMailFull...)
		case own:
			c.basic = !p.has(delMailOwnFull...) && !p.has(delMailSharedAll...)
		default:
			c.basic = !p.has(delMailSharedAll...)
		}
	}
	return true
}

// sendAsDenied is Exchange's ErrorSendAsDenied message.
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
const sendAsDenied = "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message."
