package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Practice apps per connection mode. Each holds exactly the permissions a real tenant
// needs for that mode, read from Microsoft's permission tables by the emulator's own
// hand (package graph keeps its own table; a test compares the two):
//   - incoming mail: Mail.Read (message bodies: list messages and delta;
//     https://learn.microsoft.com/en-us/graph/api/message-delta#permissions; Mail.ReadBasic
//     omits the body);
//   - outgoing mail: Mail.ReadWrite (drafts,
//     https://learn.microsoft.com/en-us/graph/api/user-post-messages#permissions) and
//     Mail.Send (https://learn.microsoft.com/en-us/graph/api/message-send#permissions);
//   - both: the same as outgoing (Mail.ReadWrite reads too);
//   - the mailbox picker: User.Read.All for applications, User.ReadBasic.All delegated
//     (https://learn.microsoft.com/en-us/graph/api/user-list#permissions);
//   - delegated shared mailboxes: the .Shared variants
//     (https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadshared).
//
// Every practice app has the redirect URI http://localhost (delegated sign-in and admin
// consent land on the app's loopback listener).

// Names of the per-mode practice apps.
const (
	AppIncomingSecret    = "Practice app (incoming, secret)"
	AppOutgoingSecret    = "Practice app (outgoing, secret)"
	AppBothSecret        = "Practice app (incoming and outgoing, secret)"
	AppIncomingDelegated = "Practice app (incoming, delegated)"
	AppOutgoingDelegated = "Practice app (outgoing, delegated)"
	AppBothDelegated     = "Practice app (incoming and outgoing, delegated)"
	AppSharedIncoming    = "Practice app (incoming, delegated, shared mailboxes)"
	AppSharedOutgoing    = "Practice app (outgoing, delegated, shared mailboxes)"
	AppSharedBoth        = "Practice app (incoming and outgoing, delegated, shared mailboxes)"
)

// ModeApp describes one per-mode practice app.
type ModeApp struct {
	Name             string
	Incoming         bool
	Outgoing         bool
	Delegated        bool
	Shared           bool
	PickerPermission string   // the directory permission for the mailbox picker
	Permissions      []string // exactly what the mode needs, picker included
}

// ModeApps lists the per-mode practice apps and their exact permission sets.
func ModeApps() []ModeApp {
	const appPicker, delPicker = "User.Read.All", "User.ReadBasic.All"
	return []ModeApp{
		{Name: AppIncomingSecret, Incoming: true, PickerPermission: appPicker, Permissions: []string{"Mail.Read", appPicker}},
		{Name: AppOutgoingSecret, Outgoing: true, PickerPermission: appPicker, Permissions: []string{"Mail.ReadWrite", "Mail.Send", appPicker}},
		{Name: AppBothSecret, Incoming: true, Outgoing: true, PickerPermission: appPicker, Permissions: []string{"Mail.ReadWrite", "Mail.Send", appPicker}},
		{Name: AppIncomingDelegated, Incoming: true, Delegated: true, PickerPermission: delPicker, Permissions: []string{"Mail.Read", delPicker, "offline_access"}},
		{Name: AppOutgoingDelegated, Outgoing: true, Delegated: true, PickerPermission: delPicker, Permissions: []string{"Mail.ReadWrite", "Mail.Send", delPicker, "offline_access"}},
		{Name: AppBothDelegated, Incoming: true, Outgoing: true, Delegated: true, PickerPermission: delPicker, Permissions: []string{"Mail.ReadWrite", "Mail.Send", delPicker, "offline_access"}},
		{Name: AppSharedIncoming, Incoming: true, Delegated: true, Shared: true, PickerPermission: delPicker, Permissions: []string{"Mail.Read.Shared", delPicker, "offline_access"}},
		{Name: AppSharedOutgoing, Outgoing: true, Delegated: true, Shared: true, PickerPermission: delPicker, Permissions: []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared", delPicker, "offline_access"}},
		{Name: AppSharedBoth, Incoming: true, Outgoing: true, Delegated: true, Shared: true, PickerPermission: delPicker, Permissions: []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared", delPicker, "offline_access"}},
	}
}

// modeApps builds the per-mode apps (consented, stable client ids for a seed).
func modeApps(seed int64, now time.Time) []*App {
	var out []*App
	for _, m := range ModeApps() {
		out = append(out, newPracticeApp(m.Name, seededGUID(seed, "mode-app/"+m.Name), m.Delegated, m.Permissions, now))
	}
	return out
}

// newPracticeApp builds a consented practice app: a public client with delegated
// permissions, or an app-only one with a client secret. A certificate, when the app
// gets one, is added to its credentials by the caller (exactapps.go).
func newPracticeApp(name, clientID string, delegated bool, perms []string, now time.Time) *App {
	a := &App{Name: name, ClientID: clientID, RedirectURIs: []string{"http://localhost"}, consented: true}
	if delegated {
		a.Access, a.Scopes, a.Public = AccessDelegated, slices.Clone(perms), true
	} else {
		a.Access, a.Roles = AccessApplication, slices.Clone(perms)
	}
	newReadyMadeCredentials(a, !delegated, now)
	return a
}

// RegisterAppWithout registers a consented copy of the practice app base that lacks
// one permission (a negative app: verify must fail and name it). The copy is named
// "<base> without <permission>" and gets its own client id (and secret, app-only).
func (id *Identity) RegisterAppWithout(base, permission string) (*App, error) {
	b := id.App(base)
	if b == nil {
		return nil, fmt.Errorf("no practice app %q", base)
	}
	perms := id.grantedRoles(b)
	if b.Access == AccessDelegated {
		perms = b.Scopes
	}
	if !slices.ContainsFunc(perms, func(p string) bool { return strings.EqualFold(p, permission) }) {
		return nil, fmt.Errorf("practice app %q does not hold %s", base, permission)
	}
	kept := slices.DeleteFunc(slices.Clone(perms), func(p string) bool { return strings.EqualFold(p, permission) })
	a := newPracticeApp(base+" without "+permission, newGUID(), b.Access == AccessDelegated, kept, id.now())
	id.dir.appsMu.Lock()
	id.dir.apps = append(id.dir.apps, a)
	id.dir.appsMu.Unlock()
	id.dir.reg.addReadyMade(a, id.now())
	return a, nil
}
