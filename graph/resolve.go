package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// ErrMailboxNotFound: no user has this id, user principal name or SMTP address.
var ErrMailboxNotFound = errors.New("no mailbox with this address or id")

// Mailbox types (MailboxInfo.Type), from mailboxSettings.userPurpose.
// https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings#properties
const (
	MailboxUser      = "user"
	MailboxShared    = "shared"
	MailboxRoom      = "room"
	MailboxEquipment = "equipment"
	MailboxOther     = "other"
)

// How a mailbox was found (MailboxInfo.By).
const (
	FoundByID   = "object id"
	FoundByUPN  = "user principal name"
	FoundBySMTP = "SMTP address"
)

// MailboxInfo is a mailbox the admin typed, resolved in the directory: what the
// Mailboxes step shows next to the field.
type MailboxInfo struct {
	Input       string
	By          string // FoundBy*
	ID          string
	UPN         string
	Address     string // primary SMTP address (mail)
	DisplayName string
	Aliases     []string // further SMTP addresses (proxyAddresses smtp:)
	// Type is one of the Mailbox* constants; TypeSure is false when it is guessed from
	// accountEnabled because mailboxSettings could not be read (no MailboxSettings.Read).
	Type     string
	TypeSure bool
	// Licensed is nil when assignedLicenses could not be read (User.ReadBasic.All only).
	Licensed *bool
}

// Summary is the resolved mailbox in words: "Anna Berg — user mailbox, licensed".
func (m MailboxInfo) Summary() string {
	t := m.Type + " mailbox"
	if !m.TypeSure {
		t = "probably a " + t
	}
	lic := "licence not readable"
	switch {
	case m.Licensed == nil:
	case *m.Licensed:
		lic = "licensed"
	case m.Type == MailboxUser:
		lic = "no licence (a user mailbox needs one; without it the mailbox is removed after 30 days)"
	default:
		lic = "no licence (none needed)"
	}
	s := fmt.Sprintf("%s — %s, %s", m.DisplayName, t, lic)
	if m.By != FoundByUPN && m.Address != "" && !strings.EqualFold(m.Address, m.Input) {
		s += "; address " + m.Address
	}
	return s
}

// ResolveMailbox finds the mailbox an admin typed: an object id (GUID), a user principal
// name, or any of its SMTP addresses (primary or alias, as proxyAddresses lists them).
// GET /users/{id | userPrincipalName}, then $filter=proxyAddresses/any(x:x eq 'smtp:...')
// (https://learn.microsoft.com/en-us/graph/api/user-get,
// https://learn.microsoft.com/en-us/graph/api/user-list#example-4-use-filter-and-top-to-get-one-user-with-a-display-name-that-starts-with-a-including-a-count-of-returned-objects),
// then mailboxSettings.userPurpose for the type and assignedLicenses for the licence.
// Needs User.Read.All (or User.ReadBasic.All without the licence) and, for a sure type,
// MailboxSettings.Read.
func (c *Client) ResolveMailbox(ctx context.Context, input string) (MailboxInfo, error) {
	in := strings.TrimSpace(input)
	if l := strings.ToLower(in); strings.HasPrefix(l, "smtp:") {
		in = in[len("smtp:"):]
	}
	info := MailboxInfo{Input: input}
	if in == "" {
		return info, fmt.Errorf("%w: empty", ErrMailboxNotFound)
	}
	sel := []string{"id", "displayName", "mail", "userPrincipalName", "accountEnabled", "assignedLicenses", "proxyAddresses"}
	var u models.Userable
	get := func(key string) (models.Userable, error) {
		ctx, cancel := withTimeout(ctx)
		defer cancel()
		return c.user(key).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: sel}})
	}
	notFound := func(err error) bool {
		st, code := graphStatus(err)
		return st == 404 || code == "Request_ResourceNotFound"
	}
	var err error
	switch {
	case isGUID(in):
		info.By = FoundByID
		if u, err = get(in); err != nil {
			if notFound(err) {
				return info, fmt.Errorf("%w: %s", ErrMailboxNotFound, in)
			}
			return info, err
		}
	case strings.Contains(in, "@"):
		info.By = FoundByUPN
		u, err = get(in)
		if err != nil && !notFound(err) {
			return info, err
		}
		if err != nil {
			info.By = FoundBySMTP
			if u, err = c.userBySMTP(ctx, in, sel); err != nil {
				return info, err
			}
		}
	default:
		return info, fmt.Errorf("%w: %q is neither an address (name@domain) nor an object id (GUID)", ErrMailboxNotFound, in)
	}
	info.ID, info.UPN, info.Address, info.DisplayName = str(u.GetId()), str(u.GetUserPrincipalName()), str(u.GetMail()), str(u.GetDisplayName())
	for _, p := range u.GetProxyAddresses() {
		if a, ok := strings.CutPrefix(p, "smtp:"); ok { // lower-case prefix: not the primary
			info.Aliases = append(info.Aliases, a)
		}
	}
	if ls := u.GetAssignedLicenses(); ls != nil { // absent (nil) when not readable
		l := len(ls) > 0
		info.Licensed = &l
	}
	info.Type, info.TypeSure = MailboxUser, false
	if en := u.GetAccountEnabled(); en != nil && !*en {
		info.Type = MailboxShared // how shared and resource mailboxes look in the directory
	}
	if t, err := c.mailboxPurpose(ctx, info.ID); err == nil && t != "" {
		info.Type, info.TypeSure = t, true
	}
	return info, nil
}

// userBySMTP finds the user with addr among its proxyAddresses.
func (c *Client) userBySMTP(ctx context.Context, addr string, sel []string) (models.Userable, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	f := "proxyAddresses/any(x:x eq 'smtp:" + strings.ReplaceAll(addr, "'", "''") + "')"
	res, err := c.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: &f, Select: sel}})
	if err != nil {
		return nil, err
	}
	if v := res.GetValue(); len(v) > 0 {
		return v[0], nil
	}
	return nil, fmt.Errorf("%w: %s", ErrMailboxNotFound, addr)
}

// mailboxPurpose reads mailboxSettings.userPurpose ("" when not readable).
func (c *Client) mailboxPurpose(ctx context.Context, id string) (string, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	ms, err := c.user(id).MailboxSettings().Get(ctx, &users.ItemMailboxSettingsRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMailboxSettingsRequestBuilderGetQueryParameters{Select: []string{"userPurpose"}}})
	if err != nil {
		return "", err
	}
	p := ms.GetUserPurpose()
	if p == nil {
		return "", nil
	}
	switch *p {
	case models.USER_USERPURPOSE, models.LINKED_USERPURPOSE:
		return MailboxUser, nil
	case models.SHARED_USERPURPOSE:
		return MailboxShared, nil
	case models.ROOM_USERPURPOSE:
		return MailboxRoom, nil
	case models.EQUIPMENT_USERPURPOSE:
		return MailboxEquipment, nil
	}
	return MailboxOther, nil
}
