package graph

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// MailboxEntry is one row of the wizard's mailbox picker.
type MailboxEntry struct {
	ID          string
	DisplayName string
	Address     string // mail
	UPN         string
	// LikelyShared is true for a mail-enabled account that cannot sign in
	// (accountEnabled false): how shared mailboxes appear in the directory.
	// Graph has no direct flag; Exchange's RecipientTypeDetails is not in Graph.
	LikelyShared bool
}

// MailboxPage is one page of the picker.
type MailboxPage struct {
	Entries []MailboxEntry
	// Next is the @odata.nextLink to pass back for the next page ("" at the end).
	Next string
}

// ListMailboxes lists mail-enabled users for the picker. query, if set,
// matches the start of the display name, mail or user principal name
// ($filter startswith, which needs no advanced-query headers). next, if
// set, continues a previous page. Needs User.ReadBasic.All or User.Read.All.
// https://learn.microsoft.com/en-us/graph/api/user-list
func (c *Client) ListMailboxes(ctx context.Context, query, next string, pageSize int32) (MailboxPage, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if pageSize <= 0 {
		pageSize = 50
	}
	var (
		res models.UserCollectionResponseable
		err error
	)
	if next != "" {
		if err := CheckLink(c.cloud.GraphBaseURL, next); err != nil {
			return MailboxPage{}, err // the token goes only to the configured Graph origin
		}
		res, err = c.Users().WithUrl(next).Get(ctx, nil)
	} else {
		q := &users.UsersRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "mail", "userPrincipalName", "accountEnabled"},
			Top:    &pageSize,
		}
		if s := strings.TrimSpace(query); s != "" {
			e := strings.ReplaceAll(s, "'", "''")
			f := "startswith(displayName,'" + e + "') or startswith(mail,'" + e + "') or startswith(userPrincipalName,'" + e + "')"
			q.Filter = &f
		}
		res, err = c.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	}
	if err != nil {
		return MailboxPage{}, err
	}
	var p MailboxPage
	for _, u := range res.GetValue() {
		mail := str(u.GetMail())
		if mail == "" {
			continue // no mailbox address: not a mailbox
		}
		e := MailboxEntry{ID: str(u.GetId()), DisplayName: str(u.GetDisplayName()), Address: mail, UPN: str(u.GetUserPrincipalName())}
		if en := u.GetAccountEnabled(); en != nil && !*en {
			e.LikelyShared = true
		}
		p.Entries = append(p.Entries, e)
	}
	p.Next = str(res.GetOdataNextLink())
	return p, nil
}
