package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// mailSourceCountingCred hands out numbered tokens that expire after ttl.
type mailSourceCountingCred struct {
	mu    sync.Mutex
	calls int
	ttl   time.Duration
	now   func() time.Time
}

func (c *mailSourceCountingCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if len(o.Scopes) != 1 || o.Scopes[0] != "https://graph.microsoft.com/.default" {
		return azcore.AccessToken{}, fmt.Errorf("unexpected scopes %v", o.Scopes)
	}
	return azcore.AccessToken{Token: fmt.Sprintf("secret-token-%d", c.calls), ExpiresOn: c.now().Add(c.ttl)}, nil
}

func TestMailSourceDeltaPageWireAndDecode(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		// Shapes from https://learn.microsoft.com/en-us/graph/api/message-delta#response-1
		fmt.Fprint(w, `{"@odata.context":"x","value":[
			{"@odata.etag":"W/1","id":"AAMk1","internetMessageId":"<1@x>","conversationId":"c1","subject":"Hi",
			 "bodyPreview":"pre","receivedDateTime":"2026-02-27T10:00:00Z","isRead":true,"flag":{"flagStatus":"flagged"},
			 "from":{"emailAddress":{"name":"Ann","address":"ann@x.test"}},
			 "toRecipients":[{"emailAddress":{"name":"Bob","address":"bob@x.test"}},{"emailAddress":{"address":"c@x.test"}}],
			 "ccRecipients":[]},
			{"@odata.type":"#microsoft.graph.message","id":"AAMk2","@removed":{"reason":"deleted"}}
		],"@odata.nextLink":"http://`+r.Host+`/v1.0/next?$skiptoken=abc"}`)
	}))
	defer srv.Close()
	clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cred := &mailSourceCountingCred{ttl: time.Hour, now: func() time.Time { return clock }}
	c := NewMailSourceClient(srv.URL+"/v1.0/", srv.Client(), cred, "https://graph.microsoft.com/.default")
	c.now = func() time.Time { return clock }
	p, err := c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "ann@x.test", Folder: "inbox",
		WindowStart: time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC), PageSize: 250, Body: "preview"})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != "/v1.0/users/ann@x.test/mailFolders/inbox/messages/delta" {
		t.Errorf("path %s", got.URL.Path)
	}
	q := got.URL.Query()
	if q.Get("$filter") != "receivedDateTime ge 2026-01-30T00:00:00Z" || q.Get("$orderby") != "receivedDateTime desc" ||
		strings.Contains(q.Get("$select"), "body,") || !strings.Contains(q.Get("$select"), "bodyPreview") {
		t.Errorf("query %v", q)
	}
	if strings.Contains(got.URL.RawQuery, "+") {
		t.Errorf("spaces sent as '+': %s", got.URL.RawQuery)
	}
	prefer := strings.Join(got.Header.Values("Prefer"), ",")
	if !strings.Contains(prefer, `IdType="ImmutableId"`) || !strings.Contains(prefer, "odata.maxpagesize=250") {
		t.Errorf("Prefer %q", prefer)
	}
	if got.Header.Get("Authorization") != "Bearer secret-token-1" {
		t.Errorf("Authorization %q", got.Header.Get("Authorization"))
	}
	if len(p.Messages) != 2 || p.NextLink != srv.URL+"/v1.0/next?$skiptoken=abc" || p.DeltaLink != "" {
		t.Fatalf("page %+v", p)
	}
	m := p.Messages[0]
	if m.ID != "AAMk1" || m.FromName != "Ann" || m.FromAddress != "ann@x.test" || !m.IsRead || m.FlagStatus != "flagged" ||
		len(m.To) != 2 || m.To[0] != "Bob <bob@x.test>" || m.To[1] != "c@x.test" || m.Cc != nil ||
		!m.ReceivedDateTime.Equal(time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)) || m.Removed != "" {
		t.Errorf("message %+v", m)
	}
	if p.Messages[1].ID != "AAMk2" || p.Messages[1].Removed != "deleted" {
		t.Errorf("removal %+v", p.Messages[1])
	}
	// A link is followed exactly as given; the token is reused from the cache.
	if _, err := c.DeltaPage(context.Background(), MailSourceRequest{Link: srv.URL + "/v1.0/users/x/mailFolders/inbox/messages/delta?$deltatoken=zz", Folder: "inbox"}); err != nil {
		t.Fatal(err)
	}
	if got.URL.Query().Get("$deltatoken") != "zz" || got.URL.Query().Get("$filter") != "" || cred.calls != 1 {
		t.Errorf("link not followed verbatim (%s) or token not cached (%d calls)", got.URL, cred.calls)
	}
	// Near expiry the token is fetched again.
	clock = clock.Add(56 * time.Minute)
	c.DeltaPage(context.Background(), MailSourceRequest{Link: srv.URL + "/v1.0/x?$deltatoken=zz", Folder: "inbox"})
	if cred.calls != 2 || got.Header.Get("Authorization") != "Bearer secret-token-2" {
		t.Errorf("token not refreshed near expiry: %d calls, %q", cred.calls, got.Header.Get("Authorization"))
	}
}

func TestMailSourceErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		header     string
		body       string
		code       string
		retryAfter time.Duration
		hasRA      bool
	}{
		// https://learn.microsoft.com/en-us/graph/throttling#sample-response
		{"429", 429, "7", `{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}`, "ApplicationThrottled", 7 * time.Second, true},
		{"503 date", 503, "Sun, 01 Mar 2026 00:00:30 GMT", `{"error":{"code":"serviceNotAvailable","message":"x"}}`, "serviceNotAvailable", 30 * time.Second, true},
		{"410", 410, "", `{"error":{"code":"SyncStateNotFound","message":"The sync state generation is not found."}}`, "SyncStateNotFound", 0, false},
		{"401", 401, "", `{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}`, "InvalidAuthenticationToken", 0, false},
		{"404 html body", 404, "", `<html>nope</html>`, "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			cred := &mailSourceCountingCred{ttl: time.Hour, now: func() time.Time { return clock }}
			c := NewMailSourceClient(srv.URL, srv.Client(), cred, "https://graph.microsoft.com/.default")
			c.now = func() time.Time { return clock }
			link := srv.URL + "/users/u/mailFolders/inbox/messages/delta?$skiptoken=SKIPSECRET"
			_, err := c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "u", Folder: "inbox", Link: link})
			var me *MailSourceError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v", err, err)
			}
			ra, has := me.RetryAfter()
			if me.HTTPStatus() != tc.status || me.GraphCode() != tc.code || ra != tc.retryAfter || has != tc.hasRA {
				t.Fatalf("got %d %q %v %v", me.HTTPStatus(), me.GraphCode(), ra, has)
			}
			if s := err.Error(); strings.Contains(s, "SKIPSECRET") || strings.Contains(s, "secret-token") {
				t.Fatalf("error leaks a token: %s", s)
			}
			// After a 401 the next call asks the credential for a new token.
			c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "u", Folder: "inbox", Link: link})
			want := 1
			if tc.status == 401 {
				want = 2
			}
			if cred.calls != want {
				t.Fatalf("credential asked %d times, want %d", cred.calls, want)
			}
		})
	}
}

func TestMailSourceDecodeRejectsBadPages(t *testing.T) {
	for _, body := range []string{
		`{"value":[]}`, // neither link
		`{"value":[],"@odata.nextLink":"a","@odata.deltaLink":"b"}`,
		`{"value":[{"id":1}],"@odata.deltaLink":"b"}`,
		`[1,2]`,
		`{"value":[`,
	} {
		if _, err := mailSourceDecodePage(strings.NewReader(body), 10, false); err == nil {
			t.Errorf("%s: want an error", body)
		}
	}
}

func TestMailSourceNetworkErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	cred := &mailSourceCountingCred{ttl: time.Hour, now: time.Now}
	c := NewMailSourceClient(srv.URL, http.DefaultClient, cred, "https://graph.microsoft.com/.default")
	_, err := c.DeltaPage(context.Background(), MailSourceRequest{Folder: "inbox", Link: srv.URL + "/x?$deltatoken=TOKENVALUE"})
	if err == nil || strings.Contains(err.Error(), "TOKENVALUE") {
		t.Fatalf("err %v", err)
	}
}

// TestMailSourceListPage: with Before set the client lists the folder's messages in
// [WindowStart, Before) newest first (the sync engine's gap fill beyond filtered delta's
// 5,000-message cap), follows the list's nextLink verbatim, and accepts a last page
// without any link — but never a deltaLink.
func TestMailSourceListPage(t *testing.T) {
	var got []*http.Request
	pages := []string{
		`{"value":[{"id":"AAkA1","receivedDateTime":"2026-02-01T10:00:00Z","subject":"a"}],"@odata.nextLink":"LINK?$skip=1"}`,
		`{"@odata.context":"x","value":[{"id":"AAkA2","receivedDateTime":"2026-02-01T09:00:00Z"}]}`,
		`{"value":[],"@odata.deltaLink":"https://graph.test/x?$deltatoken=1"}`,
	}
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r)
		fmt.Fprint(w, strings.ReplaceAll(pages[len(got)-1], "LINK", srvURL+"/v1.0/users/u/mailFolders/inbox/messages"))
	}))
	defer srv.Close()
	srvURL = srv.URL
	cred := &mailSourceCountingCred{ttl: time.Hour, now: time.Now}
	c := NewMailSourceClient(srv.URL+"/v1.0", srv.Client(), cred, "https://graph.microsoft.com/.default")
	req := MailSourceRequest{Mailbox: "u", Folder: "inbox", PageSize: 5000, Body: "text",
		WindowStart: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Before: time.Date(2026, 2, 1, 10, 0, 1, 0, time.UTC)}
	p, err := c.DeltaPage(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	r0 := got[0]
	q := r0.URL.Query()
	if r0.URL.Path != "/v1.0/users/u/mailFolders/inbox/messages" ||
		q.Get("$filter") != "receivedDateTime ge 2026-01-02T00:00:00Z and receivedDateTime lt 2026-02-01T10:00:01Z" ||
		q.Get("$orderby") != "receivedDateTime desc" || q.Get("$top") != "1000" || !strings.HasSuffix(q.Get("$select"), ",body") {
		t.Fatalf("first list request %s ? %v", r0.URL.Path, q)
	}
	if strings.Contains(r0.URL.RawQuery, "+") {
		t.Errorf("spaces sent as '+': %s", r0.URL.RawQuery)
	}
	prefer := strings.Join(r0.Header.Values("Prefer"), ",")
	if !strings.Contains(prefer, `IdType="ImmutableId"`) || strings.Contains(prefer, "maxpagesize") || !strings.Contains(prefer, `outlook.body-content-type="text"`) {
		t.Errorf("Prefer %q", prefer)
	}
	if len(p.Messages) != 1 || p.Messages[0].ID != "AAkA1" || !strings.HasSuffix(p.NextLink, "/messages?$skip=1") || p.DeltaLink != "" {
		t.Fatalf("page 1 %+v", p)
	}
	req.Link = p.NextLink
	p, err = c.DeltaPage(context.Background(), req)
	if err != nil || len(p.Messages) != 1 || p.NextLink != "" || p.DeltaLink != "" {
		t.Fatalf("last list page %+v %v", p, err)
	}
	if got[1].URL.RequestURI() != "/v1.0/users/u/mailFolders/inbox/messages?$skip=1" {
		t.Fatalf("nextLink not followed verbatim: %s", got[1].URL.RequestURI())
	}
	if _, err := c.DeltaPage(context.Background(), req); err == nil {
		t.Fatal("a list page with a deltaLink must be refused")
	}
	// Without Before the same client still speaks delta.
	if u := c.DeltaPageURL(MailSourceRequest{Mailbox: "u", Folder: "inbox"}); !strings.Contains(u, "/messages/delta?") {
		t.Fatalf("delta URL %s", u)
	}
}
