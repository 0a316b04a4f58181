package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/m365connect/m365connect/outbox"
)

// The outbox's draft and message are package outbox's own types: the client satisfies
// outbox.Graph directly, no copies.
type (
	// OutboxDraft is a draft to create for the outbox.
	OutboxDraft = outbox.Draft
	// OutboxMessage is a message as the outbox needs it.
	OutboxMessage = outbox.Remote
)

var _ outbox.Graph = (*OutboxClient)(nil)

// OutboxMarkerHeader is the custom internet message header put on every outbox draft.
// Graph accepts only "x-" headers on create:
// https://learn.microsoft.com/en-us/graph/api/resources/internetmessageheader
const OutboxMarkerHeader = "x-m365connect-id"

// OutboxClient is the outbox's Graph client: raw net/http, no SDK, no retries of its own
// (the outbox engine owns retries). Every request carries Prefer: IdType="ImmutableId"
// so ids survive the draft's move to Sent Items:
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
type OutboxClient struct {
	base     string
	hc       *http.Client
	cred     azcore.TokenCredential
	scope    string
	timeout  time.Duration
	maxBytes int64
}

// OutboxClientOptions are the plain inputs of an OutboxClient.
type OutboxClientOptions struct {
	// GraphBaseURL is the service root with version, e.g. "https://graph.microsoft.com/v1.0"
	// or the practice tenant's.
	GraphBaseURL string
	// HTTPClient is used for every call (default http.DefaultClient). For the practice
	// tenant it must trust the emulator's CA.
	HTTPClient *http.Client
	// Credential gets the access token.
	Credential azcore.TokenCredential
	// Resource is the Graph resource id for the scope (default "https://graph.microsoft.com";
	// national clouds use their own, see Cloud.GraphResource).
	Resource string
	// Timeout bounds each call that has no earlier deadline (default 30s).
	Timeout time.Duration
}

// NewOutboxClient returns the client.
func NewOutboxClient(o OutboxClientOptions) (*OutboxClient, error) {
	if o.GraphBaseURL == "" || o.Credential == nil {
		return nil, errors.New("outbox client: Graph base URL and credential are required")
	}
	u, err := url.Parse(o.GraphBaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("outbox client: Graph base URL must be https://host/v1.0")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Resource == "" {
		o.Resource = "https://graph.microsoft.com"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &OutboxClient{
		base: strings.TrimSuffix(o.GraphBaseURL, "/"), hc: o.HTTPClient, cred: o.Credential,
		scope: strings.TrimSuffix(o.Resource, "/") + "/.default", timeout: o.Timeout, maxBytes: 8 << 20,
	}, nil
}

// wire shapes: https://learn.microsoft.com/en-us/graph/api/resources/message
type wireAddress struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

type wireRecipient struct {
	EmailAddress wireAddress `json:"emailAddress"`
}

type wireBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type wireHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type wireDraft struct {
	Subject                string          `json:"subject,omitempty"`
	Body                   *wireBody       `json:"body,omitempty"`
	ToRecipients           []wireRecipient `json:"toRecipients,omitempty"`
	CcRecipients           []wireRecipient `json:"ccRecipients,omitempty"`
	InternetMessageID      string          `json:"internetMessageId,omitempty"`
	InternetMessageHeaders []wireHeader    `json:"internetMessageHeaders,omitempty"`
}

type wireMessage struct {
	ID                string         `json:"id"`
	InternetMessageID string         `json:"internetMessageId"`
	ConversationID    string         `json:"conversationId"`
	ParentFolderID    string         `json:"parentFolderId"`
	IsDraft           bool           `json:"isDraft"`
	Subject           string         `json:"subject"`
	From              *wireRecipient `json:"from"`
	BodyPreview       string         `json:"bodyPreview"`
	SentDateTime      *time.Time     `json:"sentDateTime"`
	ReceivedDateTime  *time.Time     `json:"receivedDateTime"`
}

func (w wireMessage) toOutbox() OutboxMessage {
	m := OutboxMessage{ID: w.ID, InternetMessageID: w.InternetMessageID, ConversationID: w.ConversationID,
		ParentFolderID: w.ParentFolderID, IsDraft: w.IsDraft, Subject: w.Subject, BodyPreview: w.BodyPreview}
	if w.From != nil {
		m.FromAddress = w.From.EmailAddress.Address
	}
	if w.SentDateTime != nil {
		m.SentDateTime = *w.SentDateTime
	}
	if w.ReceivedDateTime != nil {
		m.ReceivedDateTime = *w.ReceivedDateTime
	}
	return m
}

const outboxSelect = "id,internetMessageId,conversationId,parentFolderId,isDraft,subject,from,bodyPreview,sentDateTime,receivedDateTime"

func recipients(addrs []string) []wireRecipient {
	out := make([]wireRecipient, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, wireRecipient{EmailAddress: wireAddress{Address: a}})
	}
	return out
}

func bodyOf(d OutboxDraft) *wireBody {
	// body.contentType is "text" or "html": https://learn.microsoft.com/en-us/graph/api/resources/itembody
	t := "text"
	if strings.EqualFold(d.BodyType, "html") {
		t = "html"
	}
	return &wireBody{ContentType: t, Content: d.Body}
}

func (c *OutboxClient) userPath(mailbox string) string {
	return c.base + "/users/" + url.PathEscape(mailbox)
}

// CreateDraft creates the draft in the mailbox's Drafts folder:
// POST /users/{id}/messages → 201 (https://learn.microsoft.com/en-us/graph/api/user-post-messages).
// With ReplyTo it calls POST /users/{id}/messages/{replyTo}/createReply → 201
// (https://learn.microsoft.com/en-us/graph/api/message-createreply), so Exchange sets
// In-Reply-To/References and the conversation, then PATCHes our internetMessageId,
// subject and recipients onto the draft (a draft's internetMessageId is updatable:
// https://learn.microsoft.com/en-us/graph/api/message-update).
func (c *OutboxClient) CreateDraft(ctx context.Context, d OutboxDraft) (OutboxMessage, error) {
	w := wireDraft{
		Subject: d.Subject, Body: bodyOf(d), ToRecipients: recipients(d.To), InternetMessageID: d.InternetMessageID,
	}
	if len(d.Cc) > 0 {
		w.CcRecipients = recipients(d.Cc)
	}
	if d.Marker != "" {
		w.InternetMessageHeaders = []wireHeader{{Name: OutboxMarkerHeader, Value: d.Marker}}
	}
	var out wireMessage
	if d.ReplyTo == "" {
		if err := c.do(ctx, http.MethodPost, c.userPath(d.Mailbox)+"/messages", w, &out, http.StatusCreated); err != nil {
			return OutboxMessage{}, err
		}
		return out.toOutbox(), nil
	}
	// createReply takes a "message" with the writable properties to set on the reply;
	// the body goes there too (not "comment": both together are a 400).
	reply := struct {
		Message wireDraft `json:"message"`
	}{Message: w}
	reply.Message.Subject = "" // keep Exchange's "RE: ..." unless we PATCH one below
	if err := c.do(ctx, http.MethodPost, c.userPath(d.Mailbox)+"/messages/"+url.PathEscape(d.ReplyTo)+"/createReply",
		reply, &out, http.StatusCreated); err != nil {
		return OutboxMessage{}, err
	}
	patch := wireDraft{Subject: d.Subject}
	if out.InternetMessageID != d.InternetMessageID {
		patch.InternetMessageID = d.InternetMessageID
	}
	if patch.Subject != "" || patch.InternetMessageID != "" {
		var after wireMessage
		if err := c.do(ctx, http.MethodPatch, c.userPath(d.Mailbox)+"/messages/"+url.PathEscape(out.ID), patch, &after, http.StatusOK); err != nil {
			return OutboxMessage{}, err
		}
		if after.ID != "" {
			out = after
		}
	}
	return out.toOutbox(), nil
}

// SendDraft sends a draft: POST /users/{id}/messages/{id}/send → 202 Accepted, no body.
// https://learn.microsoft.com/en-us/graph/api/message-send
func (c *OutboxClient) SendDraft(ctx context.Context, mailbox, id string) error {
	return c.do(ctx, http.MethodPost, c.userPath(mailbox)+"/messages/"+url.PathEscape(id)+"/send", nil, nil, http.StatusAccepted)
}

// GetMessage reads one message: GET /users/{id}/messages/{id}
// (https://learn.microsoft.com/en-us/graph/api/message-get); 404 ErrorItemNotFound when gone.
func (c *OutboxClient) GetMessage(ctx context.Context, mailbox, id string) (OutboxMessage, error) {
	var out wireMessage
	u := c.userPath(mailbox) + "/messages/" + url.PathEscape(id) + "?$select=" + outboxSelect
	if err := c.do(ctx, http.MethodGet, u, nil, &out, http.StatusOK); err != nil {
		return OutboxMessage{}, err
	}
	return out.toOutbox(), nil
}

// FindByInternetMessageID lists a folder's messages with that internetMessageId:
// GET /users/{id}/mailFolders/{folder}/messages?$filter=internetMessageId eq '...'
// (https://learn.microsoft.com/en-us/graph/api/user-list-messages, $filter on
// internetMessageId: https://learn.microsoft.com/en-us/graph/query-parameters#filter-parameter).
func (c *OutboxClient) FindByInternetMessageID(ctx context.Context, mailbox, folder, imid string) ([]OutboxMessage, error) {
	return c.list(ctx, mailbox, folder, "internetMessageId eq "+odataString(imid))
}

// ListConversation lists a folder's messages of one conversation
// ($filter=conversationId eq '...').
func (c *OutboxClient) ListConversation(ctx context.Context, mailbox, folder, conversationID string) ([]OutboxMessage, error) {
	return c.list(ctx, mailbox, folder, "conversationId eq "+odataString(conversationID))
}

func (c *OutboxClient) list(ctx context.Context, mailbox, folder, filter string) ([]OutboxMessage, error) {
	q := url.Values{}
	q.Set("$filter", filter)
	q.Set("$select", outboxSelect)
	q.Set("$top", "50")
	next := c.userPath(mailbox) + "/mailFolders/" + url.PathEscape(folder) + "/messages?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	var out []OutboxMessage
	for page := 0; next != "" && page < 20; page++ {
		var resp struct {
			Value    []wireMessage `json:"value"`
			NextLink string        `json:"@odata.nextLink"`
		}
		if err := c.do(ctx, http.MethodGet, next, nil, &resp, http.StatusOK); err != nil {
			return nil, err
		}
		for _, m := range resp.Value {
			out = append(out, m.toOutbox())
		}
		next = resp.NextLink
		if next != "" && !strings.HasPrefix(next, c.base+"/") {
			return nil, fmt.Errorf("graph: nextLink points outside %s", c.base)
		}
	}
	return out, nil
}

// odataString quotes s as an OData string literal (a quote is doubled).
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// do sends one request and decodes a JSON answer into out (when not nil). Any 2xx is
// success (Graph documents one per call: _ names it for the reader). Errors are
// *Error for Graph answers; they never contain the token.
func (c *OutboxClient) do(ctx context.Context, method, u string, in, out any, _ int) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return tokenError(err)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Prefer", `IdType="ImmutableId"`)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("graph %s %s: %w", method, redactURL(u), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes))
	if err != nil {
		return fmt.Errorf("graph %s: read answer: %w", method, err)
	}
	if resp.StatusCode/100 != 2 {
		return graphError(method+" "+outboxOp(c.base, u), resp.StatusCode, resp.Header, data, time.Now())
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("graph %s: unexpected answer: %w", method, err)
		}
	}
	return nil
}

// outboxOp names a call for an error: the path below the base URL without its query,
// with the mailbox and message ids left out.
func outboxOp(base, u string) string {
	p := strings.TrimPrefix(redactURL(u), base)
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := range parts {
		if i > 0 && (parts[i-1] == "users" || parts[i-1] == "messages") {
			parts[i] = "{id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// redactURL drops the query (filters name addresses and message ids) from error text.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
