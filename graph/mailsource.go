package graph

// This file is the sync engine's Graph client: raw net/http, no msgraph-sdk-go, so that a
// delta page is decoded as it streams in (one message's bytes at a time) and no retry
// loop hides throttling from the engine, which owns retries. Its request, page and
// message types have the same field lists as mailsync's PageRequest, Page and Message,
// so the wiring converts between them with plain struct conversions; graph never
// imports mailsync and mailsync never imports graph.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// MailSourceRequest asks for one delta page, or with Before set one list page; same field
// list as mailsync.PageRequest.
type MailSourceRequest struct {
	Mailbox     string    // user id or UPN
	Folder      string    // folder id or well-known name
	Link        string    // nextLink or deltaLink; empty starts a new round
	WindowStart time.Time // with an empty Link: $filter=receivedDateTime ge WindowStart
	PageSize    int       // Prefer: odata.maxpagesize (delta), $top (list)
	Body        string    // "preview", "text" or "html"
	// Before, when non-zero, asks for a page of the plain message list (not delta) of
	// messages received in [WindowStart, Before), newest first: the sync engine's gap
	// fill beyond the 5,000-message cap of filtered delta (see ListPageURL).
	Before time.Time
}

// MailSourceMessage is one message or removal; same field list as mailsync.Message.
type MailSourceMessage struct {
	ID                string
	Removed           string // "@removed".reason
	InternetMessageID string
	ConversationID    string
	FromName          string
	FromAddress       string
	To                []string // "Name <address>" or "address"
	Cc                []string
	Subject           string
	BodyPreview       string
	BodyType          string
	Body              string
	ReceivedDateTime  time.Time
	IsRead            bool
	FlagStatus        string
}

// MailSourcePage is one delta page (exactly one of NextLink, DeltaLink) or list page
// (a NextLink except on the last page, never a DeltaLink).
type MailSourcePage struct {
	Messages  []MailSourceMessage
	NextLink  string
	DeltaLink string
}

// MailSourceError is a failed Graph call: HTTP status, Graph error code and message,
// Retry-After when the server sent one. It never holds the URL's query (skip/delta
// tokens) or any credential.
type MailSourceError struct {
	Op            string // e.g. "GET /users/{id}/mailFolders/inbox/messages/delta"
	Status        int
	Code          string
	Message       string
	RetryAfterDur time.Duration
	HasRetryAfter bool
	Err           error // underlying cause (token acquisition), may be nil
}

func (e *MailSourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.HasRetryAfter {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfterDur)
	}
	return b.String()
}

// CodeForeignLink is the MailSourceError code for a next or delta link (stored or
// returned) on another origin than the Graph base URL: it is refused before any token is
// sent, and the folder is synced again from the start (SyncReset).
const CodeForeignLink = "ForeignLink"

// Unwrap returns the underlying cause.
func (e *MailSourceError) Unwrap() error { return e.Err }

// SyncReset reports whether the folder's links must be dropped and its round started
// again: true for a link on a foreign origin.
func (e *MailSourceError) SyncReset() bool { return e.Code == CodeForeignLink }

// HTTPStatus is the response status (401 for a refused token request).
func (e *MailSourceError) HTTPStatus() int { return e.Status }

// GraphCode is Graph's error.code.
func (e *MailSourceError) GraphCode() string { return e.Code }

// RetryAfter is the Retry-After the server asked for, if any.
func (e *MailSourceError) RetryAfter() (time.Duration, bool) { return e.RetryAfterDur, e.HasRetryAfter }

// MailSourceClient fetches message delta pages over plain net/http.
type MailSourceClient struct {
	base    string
	hc      *http.Client
	cred    azcore.TokenCredential
	scope   string
	timeout time.Duration
	now     func() time.Time

	mu  sync.Mutex
	tok azcore.AccessToken
}

// NewMailSourceClient builds a client for baseURL (e.g. "https://graph.microsoft.com/v1.0"
// or the practice tenant's GraphBaseURL), an HTTP client (trusting the practice CA where
// needed), a credential and the scope to ask for ("https://graph.microsoft.com/.default").
func NewMailSourceClient(baseURL string, hc *http.Client, cred azcore.TokenCredential, scope string) *MailSourceClient {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &MailSourceClient{base: strings.TrimRight(baseURL, "/"), hc: hc, cred: cred, scope: scope,
		timeout: 2 * time.Minute, now: time.Now}
}

// mailSourceSelect lists only the stored fields
// (https://learn.microsoft.com/en-us/graph/api/resources/message).
const mailSourceSelect = "id,internetMessageId,conversationId,from,toRecipients,ccRecipients,subject,bodyPreview,receivedDateTime,isRead,flag"

// DeltaPageURL is the first URL of a delta round: per folder, with $select of the stored
// fields, $filter=receivedDateTime ge {window} and $orderby=receivedDateTime desc — the
// only filter and order message delta supports — so the newest mail comes first
// (https://learn.microsoft.com/en-us/graph/api/message-delta#query-parameters).
func (c *MailSourceClient) DeltaPageURL(req MailSourceRequest) string {
	sel := mailSourceSelect
	if req.Body == "text" || req.Body == "html" {
		sel += ",body"
	}
	q := "$select=" + sel
	if !req.WindowStart.IsZero() {
		q += "&$filter=" + mailSourceEscape("receivedDateTime ge "+req.WindowStart.UTC().Format("2006-01-02T15:04:05Z"))
		q += "&$orderby=" + mailSourceEscape("receivedDateTime desc")
	}
	return c.base + "/users/" + url.PathEscape(req.Mailbox) + "/mailFolders/" + url.PathEscape(req.Folder) + "/messages/delta?" + q
}

func mailSourceEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// ListPageURL is the first URL of a gap-fill list: the folder's messages received in
// [WindowStart, Before), newest first, $top=PageSize, $select of the stored fields.
// "Applying $filter in a delta query returns only up to 5,000 messages"
// (https://learn.microsoft.com/en-us/graph/delta-query-messages), so the engine lists what
// a capped first round left out. List paging: "The default page size is 10 messages. Use
// $top to customize the page size, within the range of 1 and 1000"; follow
// @odata.nextLink as given (it carries $skip). With $filter and $orderby together the
// $orderby property must also appear in $filter, first, or Graph answers 400
// InefficientFilter (https://learn.microsoft.com/en-us/graph/api/user-list-messages,
// https://learn.microsoft.com/en-us/graph/api/mailfolder-list-messages).
func (c *MailSourceClient) ListPageURL(req MailSourceRequest) string {
	sel := mailSourceSelect
	if req.Body == "text" || req.Body == "html" {
		sel += ",body"
	}
	top := 10 // Graph's default page size for messages
	if req.PageSize > 0 {
		top = min(req.PageSize, 1000)
	}
	const f = "2006-01-02T15:04:05Z"
	q := "$select=" + sel +
		"&$filter=" + mailSourceEscape("receivedDateTime ge "+req.WindowStart.UTC().Format(f)+" and receivedDateTime lt "+req.Before.UTC().Format(f)) +
		"&$orderby=" + mailSourceEscape("receivedDateTime desc") +
		"&$top=" + strconv.Itoa(top)
	return c.base + "/users/" + url.PathEscape(req.Mailbox) + "/mailFolders/" + url.PathEscape(req.Folder) + "/messages?" + q
}

// DeltaPage fetches one page: req.Link when set (a nextLink or deltaLink exactly as
// Graph gave it), else the round's first URL. With req.Before set it fetches a page of
// the gap-fill list instead (ListPageURL, then its nextLinks). It does not retry.
func (c *MailSourceClient) DeltaPage(ctx context.Context, req MailSourceRequest) (MailSourcePage, error) {
	list := !req.Before.IsZero()
	u := req.Link
	if u != "" {
		// A stored link crosses a trust boundary (the store is a file on disk): it is
		// followed, with the bearer token, only on the configured Graph origin.
		if err := CheckLink(c.base, u); err != nil {
			return MailSourcePage{}, &MailSourceError{Op: "follow stored link", Code: CodeForeignLink, Message: err.Error(), Err: err}
		}
	} else {
		if list {
			u = c.ListPageURL(req)
		} else {
			u = c.DeltaPageURL(req)
		}
	}
	op := "GET /users/{id}/mailFolders/" + req.Folder + "/messages/delta"
	if list {
		op = "GET /users/{id}/mailFolders/" + req.Folder + "/messages"
	}
	// Prefer values (https://learn.microsoft.com/en-us/graph/delta-query-messages,
	// https://learn.microsoft.com/en-us/graph/outlook-immutable-id,
	// https://learn.microsoft.com/en-us/graph/api/user-list-messages#request-headers).
	// A list's page size is its $top.
	prefer := []string{`IdType="ImmutableId"`}
	if req.PageSize > 0 && !list {
		prefer = append(prefer, "odata.maxpagesize="+strconv.Itoa(req.PageSize))
	}
	if req.Body == "text" {
		prefer = append(prefer, `outlook.body-content-type="text"`)
	}
	resp, cancel, err := c.get(ctx, op, u, prefer)
	if err != nil {
		return MailSourcePage{}, err
	}
	defer cancel()
	defer drainClose(resp.Body) // transport.go: keeps an HTTP/1.1 connection reusable
	page, err := mailSourceDecodePage(resp.Body, req.PageSize, list)
	if err != nil {
		return MailSourcePage{}, &MailSourceError{Op: op, Status: resp.StatusCode, Code: "InvalidResponse", Message: err.Error()}
	}
	// A returned link is checked before the engine stores or follows it.
	for _, l := range []string{page.NextLink, page.DeltaLink} {
		if l == "" {
			continue
		}
		if err := CheckLink(c.base, l); err != nil {
			return MailSourcePage{}, &MailSourceError{Op: op, Status: resp.StatusCode, Code: CodeForeignLink, Message: err.Error(), Err: err}
		}
	}
	return page, nil
}

// FolderTotal estimates how many messages a sync of the folder will hold, for the
// engine's progress. With since set, it counts the messages received at or after since
// — the backfill window — with $count=true on the folder's message list, $top=1 so one
// id comes back (https://learn.microsoft.com/en-us/graph/query-parameters#count-parameter,
// https://learn.microsoft.com/en-us/graph/api/user-list-messages); with since zero, the
// folder's totalItemCount (https://learn.microsoft.com/en-us/graph/api/resources/mailfolder).
func (c *MailSourceClient) FolderTotal(ctx context.Context, mailbox, folder string, since time.Time) (int64, error) {
	folderURL := c.base + "/users/" + url.PathEscape(mailbox) + "/mailFolders/" + url.PathEscape(folder)
	u, op := folderURL+"?$select=totalItemCount", "GET /users/{id}/mailFolders/"+folder
	if !since.IsZero() {
		u = folderURL + "/messages?$count=true&$top=1&$select=id&$filter=" +
			mailSourceEscape("receivedDateTime ge "+since.UTC().Format("2006-01-02T15:04:05Z"))
		op += "/messages?$count=true"
	}
	resp, cancel, err := c.get(ctx, op, u, nil)
	if err != nil {
		return 0, err
	}
	defer cancel()
	defer resp.Body.Close()
	var v struct {
		TotalItemCount *int64 `json:"totalItemCount"`
		Count          *int64 `json:"@odata.count"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return 0, fmt.Errorf("read folder: %w", err)
	}
	switch {
	case !since.IsZero() && v.Count != nil:
		return *v.Count, nil
	case since.IsZero() && v.TotalItemCount != nil:
		return *v.TotalItemCount, nil
	}
	return 0, fmt.Errorf("read folder: no count in the answer")
}

// get sends an authorised GET and returns a 2xx response (the caller closes it and
// calls cancel) or a *MailSourceError.
func (c *MailSourceClient) get(ctx context.Context, op, u string, prefer []string) (*http.Response, context.CancelFunc, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, nil, &MailSourceError{Op: op, Code: "InvalidRequest", Message: "bad URL"}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	for _, p := range prefer {
		req.Header.Add("Prefer", p)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cerr := ctx.Err() // before cancel(), which would make every error look cancelled
		cancel()
		if cerr != nil && cerr != context.DeadlineExceeded {
			return nil, nil, cerr
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error would print the URL with its tokens
		}
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, cancel, nil
	}
	defer cancel()
	defer resp.Body.Close()
	e := &MailSourceError{Op: op, Status: resp.StatusCode}
	// Error body: {"error": {"code", "message", "innerError"}}
	// (https://learn.microsoft.com/en-us/graph/errors).
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	}
	if d, ok := mailSourceRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
		e.RetryAfterDur, e.HasRetryAfter = d, true
	}
	if resp.StatusCode == http.StatusUnauthorized {
		c.dropToken() // the next call asks the credential again
	}
	return nil, nil, e
}

// mailSourceRetryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3; Graph sends
// seconds, https://learn.microsoft.com/en-us/graph/throttling).
func mailSourceRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// token returns a cached access token until five minutes before it expires.
func (c *MailSourceClient) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.Token != "" && c.now().Before(c.tok.ExpiresOn.Add(-5*time.Minute)) {
		return c.tok.Token, nil
	}
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		e := &MailSourceError{Op: "token request", Code: "TokenRequestFailed", Err: err}
		var af *azidentity.AuthenticationFailedError
		if errors.As(err, &af) && af.RawResponse != nil && af.RawResponse.StatusCode >= 400 && af.RawResponse.StatusCode < 500 {
			// The identity platform refused the app or user (revoked consent, secret or
			// certificate): for the engine that is a refused token.
			e.Status = http.StatusUnauthorized
			e.Message = "the identity platform refused the token request"
		} else {
			e.Message = "could not get an access token"
		}
		return "", e
	}
	c.tok = tok
	return tok.Token, nil
}

func (c *MailSourceClient) dropToken() {
	c.mu.Lock()
	c.tok = azcore.AccessToken{}
	c.mu.Unlock()
}

// wire shapes of a message (https://learn.microsoft.com/en-us/graph/api/resources/message)
// and of an @removed entry (https://learn.microsoft.com/en-us/graph/delta-query-messages).
type mailSourceWireRecipient struct {
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

type mailSourceWireMessage struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	InternetMessageID string                    `json:"internetMessageId"`
	ConversationID    string                    `json:"conversationId"`
	From              *mailSourceWireRecipient  `json:"from"`
	ToRecipients      []mailSourceWireRecipient `json:"toRecipients"`
	CcRecipients      []mailSourceWireRecipient `json:"ccRecipients"`
	Subject           string                    `json:"subject"`
	BodyPreview       string                    `json:"bodyPreview"`
	Body              *struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	ReceivedDateTime time.Time `json:"receivedDateTime"`
	IsRead           bool      `json:"isRead"`
	Flag             *struct {
		FlagStatus string `json:"flagStatus"`
	} `json:"flag"`
}

// MailSourceFormatAddress renders a recipient the way MailSourceMessage.To holds it.
func MailSourceFormatAddress(name, address string) string {
	if name == "" || name == address {
		return address
	}
	return name + " <" + address + ">"
}

func mailSourceRecipients(rs []mailSourceWireRecipient) []string {
	if len(rs) == 0 {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = MailSourceFormatAddress(r.EmailAddress.Name, r.EmailAddress.Address)
	}
	return out
}

// mailSourceDecodePage walks the page object token by token and decodes "value" one element
// at a time, so at most one message's raw JSON is buffered. A delta page must carry exactly
// one of nextLink and deltaLink; a list page (list) no deltaLink.
func mailSourceDecodePage(r io.Reader, sizeHint int, list bool) (MailSourcePage, error) {
	var page MailSourcePage
	dec := json.NewDecoder(r)
	if err := mailSourceExpectDelim(dec, '{'); err != nil {
		return page, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return page, err
		}
		key, _ := t.(string)
		switch key {
		case "value":
			if err := mailSourceExpectDelim(dec, '['); err != nil {
				return page, err
			}
			page.Messages = make([]MailSourceMessage, 0, min(max(sizeHint, 0), 1000))
			for dec.More() {
				var w mailSourceWireMessage
				if err := dec.Decode(&w); err != nil {
					return page, err
				}
				page.Messages = append(page.Messages, w.message())
			}
			if err := mailSourceExpectDelim(dec, ']'); err != nil {
				return page, err
			}
		case "@odata.nextLink":
			if err := dec.Decode(&page.NextLink); err != nil {
				return page, err
			}
		case "@odata.deltaLink":
			if err := dec.Decode(&page.DeltaLink); err != nil {
				return page, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return page, err
			}
		}
	}
	if err := mailSourceExpectDelim(dec, '}'); err != nil {
		return page, err
	}
	if list {
		if page.DeltaLink != "" {
			return page, errors.New("message list page has an @odata.deltaLink")
		}
	} else if (page.NextLink == "") == (page.DeltaLink == "") {
		return page, errors.New("delta page has neither or both of @odata.nextLink and @odata.deltaLink")
	}
	return page, nil
}

func mailSourceExpectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := t.(json.Delim); !ok || got != d {
		return fmt.Errorf("malformed delta page: want %q, got %v", d, t)
	}
	return nil
}

func (w *mailSourceWireMessage) message() MailSourceMessage {
	m := MailSourceMessage{
		ID: w.ID, InternetMessageID: w.InternetMessageID, ConversationID: w.ConversationID,
		To: mailSourceRecipients(w.ToRecipients), Cc: mailSourceRecipients(w.CcRecipients),
		Subject: w.Subject, BodyPreview: w.BodyPreview, ReceivedDateTime: w.ReceivedDateTime, IsRead: w.IsRead,
	}
	if w.Removed != nil {
		m.Removed = w.Removed.Reason
		if m.Removed == "" {
			m.Removed = "deleted"
		}
	}
	if w.From != nil {
		m.FromName, m.FromAddress = w.From.EmailAddress.Name, w.From.EmailAddress.Address
	}
	if w.Body != nil {
		m.BodyType, m.Body = strings.ToLower(w.Body.ContentType), w.Body.Content
	}
	if w.Flag != nil {
		m.FlagStatus = w.Flag.FlagStatus
	}
	return m
}
