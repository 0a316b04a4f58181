package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// MessageSummary is one message as the test read shows it.
type MessageSummary struct {
	ID          string
	InternetID  string
	Subject     string
	From        string
	To          []string
	Received    time.Time
	BodyPreview string
	// FromName is the sender's display name; Cc the copied addresses. BodyPreview is
	// Graph's first 255 characters of the body as text (the test read's "first lines").
	// https://learn.microsoft.com/en-us/graph/api/resources/message#properties
	FromName         string
	Cc               []string
	IsNonDelivery    bool
	ParentFolderHint string
}

// FolderInfo is what the reachability check reads from the inbox.
type FolderInfo struct {
	ID          string
	DisplayName string
	Total       int32
	Unread      int32
}

// immutableIDHeaders asks Graph for immutable ids, which survive moves
// (draft → Sent Items). https://learn.microsoft.com/en-us/graph/outlook-immutable-id
func immutableIDHeaders() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	h.Add("Prefer", `IdType="ImmutableId"`)
	return h
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// Inbox reads /users/{mailbox}/mailFolders/inbox.
func (c *Client) Inbox(ctx context.Context, mailbox string) (FolderInfo, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	f, err := c.user(mailbox).MailFolders().ByMailFolderId("inbox").Get(ctx, nil)
	if err != nil {
		return FolderInfo{}, err
	}
	return FolderInfo{ID: str(f.GetId()), DisplayName: str(f.GetDisplayName()), Total: i32(f.GetTotalItemCount()), Unread: i32(f.GetUnreadItemCount())}, nil
}

// UserInfo is a directory entry.
type UserInfo struct {
	ID, DisplayName, Mail, UPN string
	AccountEnabled             *bool
}

// User reads /users/{idOrUPN} (needs User.ReadBasic.All/User.Read.All app-only).
func (c *Client) User(ctx context.Context, idOrUPN string) (UserInfo, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	u, err := c.user(idOrUPN).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "mail", "userPrincipalName", "accountEnabled"}},
	})
	if err != nil {
		return UserInfo{}, err
	}
	return UserInfo{ID: str(u.GetId()), DisplayName: str(u.GetDisplayName()), Mail: str(u.GetMail()), UPN: str(u.GetUserPrincipalName()), AccountEnabled: u.GetAccountEnabled()}, nil
}

// NewestMessages reads the newest n messages of a mailbox's folder.
func (c *Client) NewestMessages(ctx context.Context, mailbox, folder string, n int32, filter string) ([]MessageSummary, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	q := &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
		Top:     &n,
		Select:  []string{"id", "internetMessageId", "subject", "from", "toRecipients", "ccRecipients", "receivedDateTime", "bodyPreview"},
		Orderby: []string{"receivedDateTime desc"},
	}
	if filter != "" {
		q.Filter = &filter
		q.Orderby = nil
	}
	res, err := c.user(mailbox).MailFolders().ByMailFolderId(folder).Messages().Get(ctx, &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
		QueryParameters: q, Headers: immutableIDHeaders(),
	})
	if err != nil {
		return nil, err
	}
	var out []MessageSummary
	for _, m := range res.GetValue() {
		out = append(out, summarise(m))
	}
	return out, nil
}

func summarise(m models.Messageable) MessageSummary {
	s := MessageSummary{ID: str(m.GetId()), InternetID: str(m.GetInternetMessageId()), Subject: str(m.GetSubject()), BodyPreview: str(m.GetBodyPreview())}
	if f := m.GetFrom(); f != nil && f.GetEmailAddress() != nil {
		s.From = str(f.GetEmailAddress().GetAddress())
		s.FromName = str(f.GetEmailAddress().GetName())
	}
	for _, r := range m.GetCcRecipients() {
		if r.GetEmailAddress() != nil {
			s.Cc = append(s.Cc, str(r.GetEmailAddress().GetAddress()))
		}
	}
	for _, r := range m.GetToRecipients() {
		if r.GetEmailAddress() != nil {
			s.To = append(s.To, str(r.GetEmailAddress().GetAddress()))
		}
	}
	if t := m.GetReceivedDateTime(); t != nil {
		s.Received = *t
	}
	s.IsNonDelivery = isNonDelivery(s)
	return s
}

// isNonDelivery recognises a non-delivery report: Exchange sends it from
// the postmaster / "Microsoft Outlook" with subject "Undeliverable: ...".
// https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online
func isNonDelivery(s MessageSummary) bool {
	subj := strings.ToLower(s.Subject)
	from := strings.ToLower(s.From)
	return strings.HasPrefix(subj, "undeliverable:") || strings.HasPrefix(subj, "delivery has failed") ||
		strings.HasPrefix(from, "postmaster@") || strings.HasPrefix(from, "microsoftexchange") || strings.HasPrefix(from, "mailer-daemon@")
}

// SendResult is what a test send observed.
type SendResult struct {
	Marker        string
	MessageID     string // immutable id of the draft / sent item
	InternetID    string
	InSentItems   bool
	Delivered     bool // seen in the recipient's inbox
	DeliveryKnown bool // whether the recipient's inbox could be read
	NonDelivery   *MessageSummary
	// What was sent and when it arrived, for the Verify step and `verify` output:
	// the sending mailbox, the recipients, the subject (it carries Marker), when
	// Graph accepted it and when the recipient's inbox received it (its
	// receivedDateTime; zero when not seen).
	From      string
	To        []string
	Subject   string
	SentAt    time.Time
	ArrivedAt time.Time
}

// newTestMessage builds the marked test message.
func newTestMessage(to, subject, body string) models.Messageable {
	m := models.NewMessage()
	m.SetSubject(&subject)
	b := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	b.SetContentType(&ct)
	b.SetContent(&body)
	m.SetBody(b)
	r := models.NewRecipient()
	ea := models.NewEmailAddress()
	ea.SetAddress(&to)
	r.SetEmailAddress(ea)
	m.SetToRecipients([]models.Recipientable{r})
	return m
}

// createDraft posts a draft in mailbox with immutable ids and returns its
// id and internetMessageId. Creating a message needs Mail.ReadWrite.
// https://learn.microsoft.com/en-us/graph/api/user-post-messages
func (c *Client) createDraft(ctx context.Context, from string, m models.Messageable) (string, string, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	d, err := c.user(from).Messages().Post(ctx, m, &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutableIDHeaders()})
	if err != nil {
		return "", "", err
	}
	if d.GetId() == nil {
		return "", "", errors.New("graph created the draft but returned no id")
	}
	return *d.GetId(), str(d.GetInternetMessageId()), nil
}

// sendDraft sends a draft: POST /users/{from}/messages/{id}/send (202).
// https://learn.microsoft.com/en-us/graph/api/message-send
func (c *Client) sendDraft(ctx context.Context, from, id string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return c.user(from).Messages().ByMessageId(id).Send().Post(ctx, &users.ItemMessagesItemSendRequestBuilderPostRequestConfiguration{Headers: immutableIDHeaders()})
}

// sentItem gets the message by the draft's immutable id: after sending,
// that id names the copy in Sent Items ("Immutable ID with sending mail").
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id#immutable-id-with-sending-mail
func (c *Client) sentItem(ctx context.Context, from, id string) (MessageSummary, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	m, err := c.user(from).Messages().ByMessageId(id).Get(ctx,
		&users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{Headers: immutableIDHeaders()})
	if err != nil {
		return MessageSummary{}, err
	}
	if d := m.GetIsDraft(); d != nil && *d {
		return MessageSummary{}, errors.New("still a draft")
	}
	return summarise(m), nil
}

// SendTest sends a marked test message from → to and watches for it. It
// creates a draft with immutable ids and sends it, then finds it by that
// id (the Sent Items copy) and, when the recipient's inbox is readable, by
// internetMessageId there; a non-delivery report in the sender's inbox ends
// the wait. wait bounds the watch; poll is the interval. A failure to draft
// or send is a *TestSendError naming the step.
func (c *Client) SendTest(ctx context.Context, from, to string, wait, poll time.Duration) (SendResult, error) {
	marker := "m365c-" + newState()[:12]
	subject := "m365connect test message " + marker
	res := SendResult{Marker: marker, From: from, To: []string{to}, Subject: subject}
	body := "This is a test message sent by m365connect to check the connection. You can delete it.\n\nMarker: " + marker
	// The outbox's own path (draft, then send) and nothing else: a test that fell back
	// to sendMail would pass with permissions the outbox cannot work with.
	id, imid, err := c.createDraft(ctx, from, newTestMessage(to, subject, body))
	if err != nil {
		return res, &TestSendError{Step: "draft", Err: err}
	}
	res.MessageID, res.InternetID = id, imid
	if err := c.sendDraft(ctx, from, id); err != nil {
		return res, &TestSendError{Step: "send", Err: err}
	}
	if poll <= 0 {
		poll = 2 * time.Second
	}
	start := time.Now()
	res.SentAt = start.UTC()
	deadline := start.Add(wait)
	// When the recipient's inbox cannot be read, keep watching for a
	// non-delivery report for a short while before calling it sent.
	ndrWait := min(wait, 15*time.Second)
	res.DeliveryKnown = true
	for {
		if !res.InSentItems {
			if s, err := c.sentItem(ctx, from, id); err == nil {
				res.InSentItems = true
				if s.InternetID != "" {
					res.InternetID = s.InternetID
				}
			}
		}
		if res.InternetID != "" && res.DeliveryKnown {
			filter := "internetMessageId eq '" + strings.ReplaceAll(res.InternetID, "'", "''") + "'"
			got, err := c.NewestMessages(ctx, to, "inbox", 5, filter)
			switch {
			case err == nil && len(got) > 0:
				res.Delivered, res.ArrivedAt = true, got[0].Received
				if res.InSentItems {
					return res, nil
				}
			case err != nil && isDenied(err):
				res.DeliveryKnown = false
			}
		}
		if ndr := c.findNDR(ctx, from, marker); ndr != nil {
			res.NonDelivery = ndr
			return res, nil
		}
		if res.InSentItems && !res.DeliveryKnown && time.Since(start) >= ndrWait {
			return res, nil
		}
		if time.Now().Add(poll).After(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func (c *Client) findNDR(ctx context.Context, mailbox, marker string) *MessageSummary {
	msgs, err := c.NewestMessages(ctx, mailbox, "inbox", 10, "")
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		if m.IsNonDelivery && (strings.Contains(m.Subject, marker) || strings.Contains(m.BodyPreview, marker)) {
			mm := m
			return &mm
		}
	}
	return nil
}

// isDenied reports a 401/403/404 Graph answer (mailbox not readable).
func isDenied(err error) bool {
	var ode *odataerrors.ODataError
	if errors.As(err, &ode) {
		s := ode.ResponseStatusCode
		return s == 401 || s == 403 || s == 404
	}
	return false
}

// graphStatus returns the HTTP status and code of a Graph error, if any.
func graphStatus(err error) (int, string) {
	var ode *odataerrors.ODataError
	if errors.As(err, &ode) {
		code := ""
		if e := ode.GetErrorEscaped(); e != nil {
			code = str(e.GetCode())
		}
		return ode.ResponseStatusCode, code
	}
	return 0, ""
}

// TestSendError is a test send that failed at Step ("draft" or "send").
type TestSendError struct {
	Step string
	Err  error
}

func (e *TestSendError) Error() string {
	if e.Step == "draft" {
		return "creating the test draft: " + e.Err.Error()
	}
	return "sending the test message: " + e.Err.Error()
}

// Unwrap returns the Graph error.
func (e *TestSendError) Unwrap() error { return e.Err }
