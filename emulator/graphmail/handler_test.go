package graphmail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

type fixture struct {
	s      *Store
	h      http.Handler
	users  []Mailbox // user mailboxes
	shared Mailbox
}

func newFixture(t testing.TB, perMailbox int) *fixture {
	t.Helper()
	s := NewStore(StoreOptions{TenantID: "11111111-2222-3333-4444-555555555555", TenantDomain: "contoso.test", TenantName: "Contoso", Now: func() time.Time { return testNow }})
	Generate(s, GenOptions{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: perMailbox, Days: 30, Seed: 7, Now: testNow})
	f := &fixture{s: s}
	for _, m := range s.Mailboxes() {
		if m.Kind == KindShared {
			f.shared = m
		} else {
			f.users = append(f.users, m)
		}
	}
	f.h = s.Handler()
	return f
}

var appFull = Principal{TenantID: "t", AppID: "app-1", AppOnly: true,
	Roles: []string{"Mail.ReadWrite", "Mail.Send", "User.Read.All", "MailboxSettings.Read", "Organization.Read.All"}}

func delegated(userID string, scopes ...string) Principal {
	return Principal{TenantID: "t", AppID: "app-2", UserID: userID, Scopes: scopes}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func (r resp) errCode(t testing.TB) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (f *fixture) do(t testing.TB, p *Principal, method, path string, body any, hdr ...string) resp {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, "https://graph.test"+path, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	if p != nil {
		req = req.WithContext(WithPrincipal(req.Context(), *p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func TestAuthorizationTable(t *testing.T) {
	f := newFixture(t, 20)
	u0, u1, sh := f.users[0], f.users[1], f.shared
	readOnlyApp := Principal{AppID: "app-r", AppOnly: true, Roles: []string{"Mail.Read"}}
	noRoleApp := Principal{AppID: "app-n", AppOnly: true}
	sendMail := map[string]any{"message": map[string]any{"subject": "x", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u1.Address}}}}}
	tests := []struct {
		name   string
		p      *Principal
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"no principal", nil, "GET", "/v1.0/users", nil, 401, "InvalidAuthenticationToken"},
		{"app lists users", &appFull, "GET", "/v1.0/users", nil, 200, ""},
		{"app without directory role", &readOnlyApp, "GET", "/v1.0/users", nil, 403, "Authorization_RequestDenied"},
		{"app calls /me", &appFull, "GET", "/v1.0/me", nil, 400, "BadRequest"},
		{"app reads mail", &readOnlyApp, "GET", "/v1.0/users/" + u0.ID + "/messages", nil, 200, ""},
		{"app without mail role", &noRoleApp, "GET", "/v1.0/users/" + u0.ID + "/messages", nil, 403, "ErrorAccessDenied"},
		{"read-only app cannot create draft", &readOnlyApp, "POST", "/v1.0/users/" + u0.ID + "/messages", map[string]any{"subject": "d"}, 403, "ErrorAccessDenied"},
		{"read-only app cannot send", &readOnlyApp, "POST", "/v1.0/users/" + u0.ID + "/sendMail", sendMail, 403, "ErrorAccessDenied"},
		{"app sends", &appFull, "POST", "/v1.0/users/" + u0.Address + "/sendMail", sendMail, 202, ""},
		{"unknown user mail", &appFull, "GET", "/v1.0/users/nobody@contoso.test/messages", nil, 404, "ErrorInvalidUser"},
		{"unknown user directory", &appFull, "GET", "/v1.0/users/nobody@contoso.test", nil, 404, "Request_ResourceNotFound"},
		{"delegated /me", ptr(delegated(u0.ID, "User.Read")), "GET", "/v1.0/me", nil, 200, ""},
		{"delegated /me without User.Read", ptr(delegated(u0.ID, "Mail.Read")), "GET", "/v1.0/me", nil, 403, "Authorization_RequestDenied"},
		{"delegated own mail", ptr(delegated(u0.ID, "Mail.Read")), "GET", "/v1.0/me/messages", nil, 200, ""},
		{"delegated own mail without scope", ptr(delegated(u0.ID, "User.Read")), "GET", "/v1.0/me/messages", nil, 403, "ErrorAccessDenied"},
		{"delegated other user's mail", ptr(delegated(u0.ID, "Mail.Read", "Mail.Read.Shared")), "GET", "/v1.0/users/" + u1.ID + "/messages", nil, 403, "ErrorAccessDenied"},
		{"delegated shared as member", ptr(delegated(u0.ID, "Mail.Read.Shared")), "GET", "/v1.0/users/" + sh.ID + "/messages", nil, 200, ""},
		{"delegated shared without .Shared", ptr(delegated(u0.ID, "Mail.Read")), "GET", "/v1.0/users/" + sh.ID + "/messages", nil, 403, "ErrorAccessDenied"},
		{"delegated shared not member", ptr(delegated(f.users[2].ID, "Mail.Read.Shared")), "GET", "/v1.0/users/" + sh.ID + "/messages", nil, 403, "ErrorAccessDenied"},
		{"delegated send as shared with SendAs", ptr(delegated(u0.ID, "Mail.Send.Shared")), "POST", "/v1.0/users/" + sh.ID + "/sendMail", sendMail, 202, ""},
		{"delegated send as shared without SendAs", ptr(delegated(u1.ID, "Mail.Send.Shared")), "POST", "/v1.0/users/" + sh.ID + "/sendMail", sendMail, 403, "ErrorSendAsDenied"},
		{"delegated from: shared without SendAs", ptr(delegated(u1.ID, "Mail.Send")), "POST", "/v1.0/me/sendMail",
			map[string]any{"message": map[string]any{"from": map[string]any{"emailAddress": map[string]any{"address": sh.Address}}, "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u0.Address}}}}}, 403, "ErrorSendAsDenied"},
		{"delegated from: shared with SendAs and Mail.Send.Shared", ptr(delegated(u0.ID, "Mail.Send", "Mail.Send.Shared")), "POST", "/v1.0/me/sendMail",
			map[string]any{"message": map[string]any{"from": map[string]any{"emailAddress": map[string]any{"address": sh.Address}}, "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u1.Address}}}}}, 202, ""},
		{"delegated from: shared with SendAs but only Mail.Send", ptr(delegated(u0.ID, "Mail.Send")), "POST", "/v1.0/me/sendMail",
			map[string]any{"message": map[string]any{"from": map[string]any{"emailAddress": map[string]any{"address": sh.Address}}, "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u1.Address}}}}}, 403, "ErrorSendAsDenied"},
		{"mailboxSettings app", &appFull, "GET", "/v1.0/users/" + sh.ID + "/mailboxSettings", nil, 200, ""},
		{"mailboxSettings without role", &readOnlyApp, "GET", "/v1.0/users/" + sh.ID + "/mailboxSettings", nil, 403, "ErrorAccessDenied"},
		{"organization app", &appFull, "GET", "/v1.0/organization", nil, 200, ""},
		{"organization without role", &readOnlyApp, "GET", "/v1.0/organization", nil, 403, "Authorization_RequestDenied"},
		{"organization delegated", ptr(delegated(u0.ID, "User.Read")), "GET", "/v1.0/organization", nil, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.p, tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if got := r.errCode(t); got != tc.code {
					t.Fatalf("code = %q, want %q", got, tc.code)
				}
				e := r.json(t)["error"].(map[string]any)
				inner, _ := e["innerError"].(map[string]any)
				if inner["request-id"] == "" || inner["request-id"] != r.header.Get("request-id") {
					t.Fatalf("innerError request-id %v does not match header %q", inner["request-id"], r.header.Get("request-id"))
				}
			}
			if r.header.Get("request-id") == "" || r.header.Get("client-request-id") == "" {
				t.Fatal("missing request-id/client-request-id headers")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestAccessPolicy(t *testing.T) {
	f := newFixture(t, 5)
	u0, u1 := f.users[0], f.users[1]
	f.s.SetAccessPolicy(appFull.AppID, AccessPolicy{Mode: RestrictAccess, MailboxIDs: []string{u0.Address}})
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages", nil); r.status != 200 {
		t.Fatalf("in-scope mailbox: %d %s", r.status, r.body)
	}
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u1.ID+"/messages", nil)
	if r.status != 403 || r.errCode(t) != "ErrorAccessDenied" || !strings.Contains(string(r.body), "[RAOP]") {
		t.Fatalf("out-of-scope mailbox: %d %s", r.status, r.body)
	}
	// Directory calls are not scoped by the policy.
	if r := f.do(t, &appFull, "GET", "/v1.0/users", nil); r.status != 200 {
		t.Fatalf("/users under policy: %d", r.status)
	}
	f.s.SetAccessPolicy(appFull.AppID, AccessPolicy{Mode: DenyAccess, MailboxIDs: []string{u0.ID}})
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages", nil); r.status != 403 {
		t.Fatalf("denied mailbox: %d", r.status)
	}
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u1.ID+"/messages", nil); r.status != 200 {
		t.Fatalf("not-denied mailbox: %d", r.status)
	}
	// Delegated calls ignore app-only policies.
	if r := f.do(t, ptr(delegated(u0.ID, "Mail.Read")), "GET", "/v1.0/me/messages", nil); r.status != 200 {
		t.Fatalf("delegated under policy: %d", r.status)
	}
	f.s.SetAccessPolicy(appFull.AppID, AccessPolicy{})
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages", nil); r.status != 200 {
		t.Fatalf("policy removed: %d", r.status)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t, 5)
	u0, u1 := f.users[0], f.users[1]
	path := "/v1.0/users/" + u0.ID + "/messages"
	tests := []struct {
		fault      Fault
		status     int
		code       string
		retryAfter string
	}{
		{Fault{Kind: FaultThrottle, RetryAfter: 7 * time.Second}, 429, "ApplicationThrottled", "7"},
		{Fault{Kind: FaultMailboxConcurrency}, 429, "ApplicationThrottled", "1"},
		{Fault{Kind: FaultUnavailable, RetryAfter: 3 * time.Second}, 503, "serviceNotAvailable", "3"},
		{Fault{Kind: FaultMailboxNotFound}, 404, "ErrorInvalidUser", ""},
		{Fault{Kind: FaultRESTDisabled}, 404, "MailboxNotEnabledForRESTAPI", ""},
		{Fault{Kind: FaultAccessDenied}, 403, "ErrorAccessDenied", ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault.Kind), func(t *testing.T) {
			ft := tc.fault
			ft.Mailbox, ft.Count = u0.Address, 1
			f.s.InjectFault(ft)
			// Another mailbox is unaffected.
			if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u1.ID+"/messages", nil); r.status != 200 {
				t.Fatalf("other mailbox: %d", r.status)
			}
			r := f.do(t, &appFull, "GET", path, nil)
			if r.status != tc.status || r.errCode(t) != tc.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfter {
				t.Fatalf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
			// Count 1: the next request succeeds.
			if r := f.do(t, &appFull, "GET", path, nil); r.status != 200 {
				t.Fatalf("after count exhausted: %d %s", r.status, r.body)
			}
		})
	}
	t.Run("by app until cleared", func(t *testing.T) {
		f.s.InjectFault(Fault{Kind: FaultUnavailable, AppID: "other-app"})
		for i := 0; i < 3; i++ {
			if r := f.do(t, &appFull, "GET", path, nil); r.status != 200 {
				t.Fatalf("unmatched app: %d", r.status)
			}
			other := appFull
			other.AppID = "other-app"
			if r := f.do(t, &other, "GET", path, nil); r.status != 503 {
				t.Fatalf("matched app try %d: %d", i, r.status)
			}
		}
		f.s.ClearFaults()
		other := appFull
		other.AppID = "other-app"
		if r := f.do(t, &other, "GET", path, nil); r.status != 200 {
			t.Fatalf("after clear: %d", r.status)
		}
	})
}

func TestMailboxConcurrencyLimit(t *testing.T) {
	f := newFixture(t, 5)
	u0 := f.users[0]
	path := "/v1.0/users/" + u0.ID + "/messages"
	f.s.InjectFault(Fault{Kind: FaultSlow, Mailbox: u0.ID, Delay: 300 * time.Millisecond, Count: 4})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := f.do(t, &appFull, "GET", path, nil); r.status != 200 {
				t.Errorf("held request: %d", r.status)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		f.s.limitMu.Lock()
		n := f.s.inflight[strings.ToLower(appFull.AppID)+"|"+u0.ID]
		f.s.limitMu.Unlock()
		if n == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := f.do(t, &appFull, "GET", path, nil)
	if r.status != 429 || !strings.Contains(string(r.body), "MailboxConcurrency") || r.header.Get("Retry-After") == "" {
		t.Fatalf("5th concurrent request: %d %s", r.status, r.body)
	}
	// Another app on the same mailbox has its own budget.
	other := appFull
	other.AppID = "app-9"
	if r := f.do(t, &other, "GET", path, nil); r.status != 200 {
		t.Fatalf("other app: %d", r.status)
	}
	wg.Wait()
	if r := f.do(t, &appFull, "GET", path, nil); r.status != 200 {
		t.Fatalf("after the slow ones finished: %d", r.status)
	}
}

func TestRequestRateLimit(t *testing.T) {
	now := testNow
	s := NewStore(StoreOptions{TenantDomain: "contoso.test", Now: func() time.Time { return now }, MailboxRequestLimit: 3})
	s.AddMailbox(Mailbox{ID: "u1", Address: "a@contoso.test", DisplayName: "A"})
	f := &fixture{s: s, h: s.Handler()}
	for i := 0; i < 3; i++ {
		if r := f.do(t, &appFull, "GET", "/v1.0/users/u1/mailFolders", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := f.do(t, &appFull, "GET", "/v1.0/users/u1/mailFolders", nil)
	if r.status != 429 || !strings.Contains(string(r.body), "RequestRate") || r.header.Get("Retry-After") != "600" {
		t.Fatalf("over budget: %d %s %q", r.status, r.body, r.header.Get("Retry-After"))
	}
	now = now.Add(10 * time.Minute)
	if r := f.do(t, &appFull, "GET", "/v1.0/users/u1/mailFolders", nil); r.status != 200 {
		t.Fatalf("next window: %d", r.status)
	}
}

func TestListMessagesPagingFilterOrder(t *testing.T) {
	f := newFixture(t, 60)
	u0 := f.users[0]
	all, _ := f.s.Messages(u0.ID, FolderInbox)
	var ids []string
	next := "/v1.0/users/" + url.PathEscape(u0.Address) + "/mailFolders/inbox/messages?$top=7&$select=subject,receivedDateTime"
	var prev time.Time
	for next != "" {
		r := f.do(t, &appFull, "GET", next, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q", ct)
		}
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			item := v.(map[string]any)
			if _, ok := item["body"]; ok {
				t.Fatal("$select did not drop body")
			}
			rt, err := time.Parse(time.RFC3339, item["receivedDateTime"].(string))
			if err != nil || !strings.HasSuffix(item["receivedDateTime"].(string), "Z") {
				t.Fatalf("receivedDateTime %v", item["receivedDateTime"])
			}
			if !prev.IsZero() && rt.After(prev) {
				t.Fatal("not ordered receivedDateTime desc")
			}
			prev = rt
			ids = append(ids, item["id"].(string))
		}
		next = ""
		if nl, ok := m["@odata.nextLink"].(string); ok {
			if !strings.HasPrefix(nl, "https://graph.test/v1.0/") {
				t.Fatalf("nextLink not absolute on the request host: %s", nl)
			}
			next = strings.TrimPrefix(nl, "https://graph.test")
		}
	}
	if len(ids) != len(all) {
		t.Fatalf("paged %d messages, folder has %d", len(ids), len(all))
	}
	for i := range ids {
		if ids[i] != all[i].ID {
			t.Fatalf("message %d: %s != %s", i, ids[i], all[i].ID)
		}
	}

	// receivedDateTime window and internetMessageId eq.
	lo, hi := all[len(all)-1].Received.Add(time.Hour), all[0].Received
	want := 0
	for _, m := range all {
		if !m.Received.Before(lo) && m.Received.Before(hi) {
			want++
		}
	}
	q := url.Values{"$filter": {"receivedDateTime ge " + lo.Format(time.RFC3339) + " and receivedDateTime lt " + hi.Format(time.RFC3339)}, "$top": {"1000"}, "$count": {"true"}}
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages?"+q.Encode(), nil)
	got := r.json(t)
	if n := len(got["value"].([]any)); n != want || int(got["@odata.count"].(float64)) != want {
		t.Fatalf("window returned %d (count %v), want %d", n, got["@odata.count"], want)
	}
	q = url.Values{"$filter": {"internetMessageId eq '" + all[3].InternetMessageID + "'"}}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages?"+q.Encode(), nil)
	vals := r.json(t)["value"].([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["id"] != all[3].ID {
		t.Fatalf("internetMessageId filter: %s", r.body)
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages?$orderby=receivedDateTime%20asc&$top=2", nil)
	asc := r.json(t)["value"].([]any)
	if asc[0].(map[string]any)["id"] != mustAll(t, f.s, u0.ID)[len(mustAll(t, f.s, u0.ID))-1].ID {
		t.Fatal("$orderby asc did not start with the oldest message")
	}
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages?$filter=bogus%20eq%201", nil); r.status != 400 {
		t.Fatalf("bad filter: %d", r.status)
	}
}

func mustAll(t testing.TB, s *Store, mb string) []Message {
	all, err := s.Messages(mb, "")
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestMessageShapeAndImmutableIDs(t *testing.T) {
	f := newFixture(t, 10)
	u0 := f.users[0]
	m := mustAll(t, f.s, u0.ID)[0]
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(m.ID), nil)
	got := r.json(t)
	for _, k := range []string{"@odata.context", "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "receivedDateTime", "sentDateTime",
		"hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId", "conversationId", "isRead", "isDraft",
		"webLink", "body", "sender", "from", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag"} {
		if _, ok := got[k]; !ok {
			t.Errorf("message lacks %q", k)
		}
	}
	if got["id"] != m.ID || r.header.Get("Preference-Applied") != "" {
		t.Fatalf("regular id expected by default, got %v", got["id"])
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(m.ID), nil, "Prefer", `IdType="ImmutableId"`)
	if r.json(t)["id"] != m.ImmutableID || r.header.Get("Preference-Applied") != `IdType="ImmutableId"` {
		t.Fatalf("immutable: id %v, Preference-Applied %q", r.json(t)["id"], r.header.Get("Preference-Applied"))
	}
	// Move: regular id changes, immutable id stays; the old regular id is gone.
	r = f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(m.ImmutableID)+"/move", map[string]any{"DestinationId": "archive"})
	if r.status != 201 {
		t.Fatalf("move: %d %s", r.status, r.body)
	}
	moved := r.json(t)
	if moved["id"] == m.ID {
		t.Fatal("regular id did not change on move")
	}
	after, _ := f.s.Message(u0.ID, m.ImmutableID)
	if after.ImmutableID != m.ImmutableID || after.Folder != FolderArchive {
		t.Fatalf("after move: %+v", after)
	}
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(m.ID), nil); r.status != 404 || r.errCode(t) != "ErrorItemNotFound" {
		t.Fatalf("old regular id: %d", r.status)
	}
	// PATCH isRead; a sent message's subject is read-only.
	r = f.do(t, &appFull, "PATCH", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(after.ID), map[string]any{"IsRead": false})
	if r.status != 200 || r.json(t)["isRead"] != false {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if r := f.do(t, &appFull, "PATCH", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(after.ID), map[string]any{"subject": "x"}); r.status != 400 {
		t.Fatalf("patch subject of a received message: %d", r.status)
	}
	// DELETE moves to Deleted Items; again deletes for good.
	if r := f.do(t, &appFull, "DELETE", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(after.ImmutableID), nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if del, _ := f.s.Message(u0.ID, m.ImmutableID); del.Folder != FolderDeletedItems {
		t.Fatalf("deleted message in %q", del.Folder)
	}
	f.do(t, &appFull, "DELETE", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(after.ImmutableID), nil)
	if _, err := f.s.Message(u0.ID, m.ImmutableID); err != ErrNoMessage {
		t.Fatalf("second delete: %v", err)
	}
	// Mail.ReadBasic hides body and bodyPreview.
	basic := Principal{AppID: "b", AppOnly: true, Roles: []string{"Mail.ReadBasic.All"}}
	r = f.do(t, &basic, "GET", "/v1.0/users/"+u0.ID+"/messages?$top=1", nil)
	item := r.json(t)["value"].([]any)[0].(map[string]any)
	if _, ok := item["body"]; ok {
		t.Fatal("Mail.ReadBasic.All returned body")
	}
}

func TestFoldersUsersSettingsOrganization(t *testing.T) {
	f := newFixture(t, 10)
	u0 := f.users[0]
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders", nil)
	names := map[string]bool{}
	for _, v := range r.json(t)["value"].([]any) {
		names[v.(map[string]any)["displayName"].(string)] = true
	}
	for _, n := range []string{"Inbox", "Sent Items", "Drafts", "Deleted Items", "Archive"} {
		if !names[n] {
			t.Errorf("missing folder %s", n)
		}
	}
	inboxCount, _ := f.s.Count(u0.ID, FolderInbox)
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders('Inbox')", nil)
	if got := r.json(t)["totalItemCount"]; int(got.(float64)) != inboxCount {
		t.Fatalf("totalItemCount %v, want %d", got, inboxCount)
	}

	// Users: filter, select, paging.
	r = f.do(t, &appFull, "GET", "/v1.0/users?$top=2&$select=id,displayName,accountEnabled", nil)
	page := r.json(t)
	if len(page["value"].([]any)) != 2 || page["@odata.nextLink"] == nil {
		t.Fatalf("users page: %s", r.body)
	}
	r = f.do(t, &appFull, "GET", strings.TrimPrefix(page["@odata.nextLink"].(string), "https://graph.test"), nil)
	rest := r.json(t)["value"].([]any)
	if len(rest) != 2 || rest[1].(map[string]any)["accountEnabled"] != false {
		t.Fatalf("second users page (shared mailbox last, accountEnabled false): %s", r.body)
	}
	q := url.Values{"$filter": {"startswith(displayName,'" + u0.DisplayName[:3] + "')"}}
	r = f.do(t, &appFull, "GET", "/v1.0/users?"+q.Encode(), nil)
	if vals := r.json(t)["value"].([]any); len(vals) != 1 || vals[0].(map[string]any)["mail"] != u0.Address {
		t.Fatalf("startswith: %s", r.body)
	}
	q = url.Values{"$filter": {"mail eq '" + f.shared.Address + "'"}}
	if vals := f.do(t, &appFull, "GET", "/v1.0/users?"+q.Encode(), nil).json(t)["value"].([]any); len(vals) != 1 {
		t.Fatal("mail eq")
	}
	if _, ok := f.do(t, &appFull, "GET", "/v1.0/users/"+url.PathEscape(u0.Address), nil).json(t)["accountEnabled"]; ok {
		t.Fatal("accountEnabled is not in the default user property set")
	}
	q = url.Values{"$search": {`"displayName:` + u0.Surname[:3] + `"`}}
	if r := f.do(t, &appFull, "GET", "/v1.0/users?"+q.Encode(), nil); r.status != 400 {
		t.Fatalf("$search without ConsistencyLevel: %d", r.status)
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users?"+q.Encode(), nil, "ConsistencyLevel", "eventual")
	if vals := r.json(t)["value"].([]any); len(vals) != 1 || vals[0].(map[string]any)["id"] != u0.ID {
		t.Fatalf("$search by surname word: %s", r.body)
	}
	set := f.do(t, &appFull, "GET", "/v1.0/users/"+f.shared.ID+"/mailboxSettings", nil).json(t)
	if set["userPurpose"] != "shared" || set["timeZone"] == "" {
		t.Fatalf("mailboxSettings: %v", set)
	}
	org := f.do(t, &appFull, "GET", "/v1.0/organization", nil).json(t)["value"].([]any)[0].(map[string]any)
	if org["id"] != "11111111-2222-3333-4444-555555555555" || org["displayName"] != "Contoso" {
		t.Fatalf("organization: %v", org)
	}
}

func TestSendMailDelivery(t *testing.T) {
	f := newFixture(t, 5)
	u0, u1 := f.users[0], f.users[1]
	body := `{"Message":{"Subject":"Lunch?","Body":{"ContentType":"Text","Content":"12:30 at the usual place"},` +
		`"ToRecipients":[{"EmailAddress":{"Address":"` + u1.Address + `"}},{"EmailAddress":{"Address":"ghost@contoso.test"}},{"EmailAddress":{"Address":"bob@fabrikam.com"}}],` +
		`"InternetMessageId":"<lunch-1@m365connect.test>"},"SaveToSentItems":true}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/sendMail", gz.Bytes(), "Content-Encoding", "gzip", "Content-Type", "application/json")
	if r.status != 202 || len(r.body) != 0 {
		t.Fatalf("sendMail: %d %q", r.status, r.body)
	}
	if n := f.s.DeliveryCount("<lunch-1@m365connect.test>", u1.Address); n != 1 {
		t.Fatalf("delivered to recipient %d times", n)
	}
	inbox, _ := f.s.Messages(u1.ID, FolderInbox)
	if inbox[0].Subject != "Lunch?" || inbox[0].IsRead || inbox[0].From.Address != u0.Address {
		t.Fatalf("recipient inbox top: %+v", inbox[0])
	}
	sent, _ := f.s.Messages(u0.ID, FolderSentItems)
	if sent[0].InternetMessageID != "<lunch-1@m365connect.test>" {
		t.Fatalf("sent items top: %+v", sent[0])
	}
	own, _ := f.s.Messages(u0.ID, FolderInbox)
	if !strings.HasPrefix(own[0].Subject, "Undeliverable: Lunch?") || own[0].From.Address != "postmaster@contoso.test" || own[0].From.Name != "Microsoft Outlook" {
		t.Fatalf("no NDR in sender inbox: %+v", own[0])
	}
	recs := f.s.Sent()
	last := recs[len(recs)-1]
	if len(last.External) != 1 || last.External[0] != "bob@fabrikam.com" || len(last.Undeliverable) != 1 || len(last.Delivered) != 1 {
		t.Fatalf("sent record: %+v", last)
	}
	// saveToSentItems false: no copy.
	before, _ := f.s.Count(u0.ID, FolderSentItems)
	f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/sendMail", `{"message":{"subject":"nocopy","toRecipients":[{"emailAddress":{"address":"`+u1.Address+`"}}]},"saveToSentItems":false}`)
	if after, _ := f.s.Count(u0.ID, FolderSentItems); after != before {
		t.Fatal("saveToSentItems false still saved a copy")
	}
	if r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/sendMail", `{"message":{"subject":"none"}}`); r.status != 400 || r.errCode(t) != "ErrorInvalidRecipients" {
		t.Fatalf("no recipients: %d %s", r.status, r.body)
	}
}

func TestDelayedDelivery(t *testing.T) {
	s := NewStore(StoreOptions{TenantDomain: "contoso.test", DeliveryDelay: 80 * time.Millisecond})
	s.AddMailbox(Mailbox{ID: "a", Address: "a@contoso.test"})
	s.AddMailbox(Mailbox{ID: "b", Address: "b@contoso.test"})
	f := &fixture{s: s, h: s.Handler()}
	r := f.do(t, &appFull, "POST", "/v1.0/users/a/sendMail", `{"message":{"subject":"later","toRecipients":[{"emailAddress":{"address":"b@contoso.test"}}]}}`)
	if r.status != 202 {
		t.Fatal(r.status)
	}
	if n, _ := s.Count("b", FolderInbox); n != 0 {
		t.Fatal("delivered before DeliveryDelay")
	}
	s.Wait()
	if n, _ := s.Count("b", FolderInbox); n != 1 {
		t.Fatalf("inbox has %d after delay", n)
	}
}

func TestDraftAndSend(t *testing.T) {
	f := newFixture(t, 5)
	u0, u1 := f.users[0], f.users[1]
	r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages", map[string]any{"subject": "Draft 1", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u1.Address}}}})
	if r.status != 201 {
		t.Fatalf("create draft: %d %s", r.status, r.body)
	}
	d := r.json(t)
	if d["isDraft"] != true || d["sentDateTime"] != nil {
		t.Fatalf("draft shape: %v", d)
	}
	drafts, _ := f.s.Messages(u0.ID, FolderDrafts)
	if len(drafts) != 1 || d["parentFolderId"] != drafts[0].FolderID {
		t.Fatal("draft not in Drafts")
	}
	r = f.do(t, &appFull, "PATCH", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(d["id"].(string)), map[string]any{"subject": "Draft 1 (edited)"})
	if r.status != 200 {
		t.Fatalf("patch draft: %d", r.status)
	}
	r = f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(d["id"].(string))+"/send", nil)
	if r.status != 202 {
		t.Fatalf("send draft: %d %s", r.status, r.body)
	}
	if n, _ := f.s.Count(u0.ID, FolderDrafts); n != 0 {
		t.Fatal("draft still in Drafts")
	}
	inbox, _ := f.s.Messages(u1.ID, FolderInbox)
	if inbox[0].Subject != "Draft 1 (edited)" {
		t.Fatalf("recipient got %q", inbox[0].Subject)
	}
	if f.s.DeliveryCount(d["internetMessageId"].(string), u1.Address) != 1 {
		t.Fatal("delivery count")
	}
}

func TestBatch(t *testing.T) {
	f := newFixture(t, 5)
	u0 := f.users[0]
	reqs := []any{
		map[string]any{"id": "1", "method": "GET", "url": "/users/" + u0.ID + "/mailFolders/inbox"},
		map[string]any{"id": "2", "method": "GET", "url": "users/nobody@contoso.test/messages"},
		map[string]any{"id": "3", "method": "POST", "url": "/users/" + u0.ID + "/messages", "headers": map[string]any{"Content-Type": "application/json"}, "body": map[string]any{"subject": "via batch"}},
		map[string]any{"id": "4", "method": "GET", "url": "/users/nobody/messages", "dependsOn": []any{"2"}},
	}
	r := f.do(t, &appFull, "POST", "/v1.0/$batch", map[string]any{"requests": reqs})
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	got := map[string]map[string]any{}
	for _, v := range r.json(t)["responses"].([]any) {
		item := v.(map[string]any)
		got[item["id"].(string)] = item
	}
	want := map[string]float64{"1": 200, "2": 404, "3": 201, "4": 424}
	for id, st := range want {
		if got[id]["status"] != st {
			t.Errorf("request %s: status %v, want %v", id, got[id]["status"], st)
		}
	}
	if got["1"]["body"].(map[string]any)["displayName"] != "Inbox" {
		t.Fatalf("batch body: %v", got["1"])
	}
	if n, _ := f.s.Count(u0.ID, FolderDrafts); n != 1 {
		t.Fatal("batched POST did not create the draft")
	}
	var many []any
	for i := 0; i < 21; i++ {
		many = append(many, map[string]any{"id": strings.Repeat("x", i+1), "method": "GET", "url": "/me"})
	}
	if r := f.do(t, &appFull, "POST", "/v1.0/$batch", map[string]any{"requests": many}); r.status != 400 {
		t.Fatalf("21 requests: %d", r.status)
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"/v1.0/users/a%40b.com/messages", "users|a@b.com|messages"},
		{"/v1.0/users/ABC/mailFolders('Inbox')/messages/delta()", "users|ABC|mailfolders|Inbox|messages|delta"},
		{"/v1.0/me/mailFolders/AQMk-x/messages/microsoft.graph.delta", "me|mailfolders|AQMk-x|messages|delta"},
		{"/v1.0/users/u/messages/AAMk_a=/move", "users|u|messages|AAMk_a=|move"},
		{"/v1.0/$batch", "$batch"},
		{"/v1.0/Users/u/SendMail", "users|u|sendmail"},
	}
	for _, tc := range tests {
		got, ok := splitPath(tc.in)
		if !ok || strings.Join(got, "|") != tc.want {
			t.Errorf("splitPath(%q) = %q, want %q", tc.in, strings.Join(got, "|"), tc.want)
		}
	}
	if _, ok := splitPath("/beta/users"); ok {
		t.Error("beta accepted")
	}
}

func TestCreateReplyAndHeaders(t *testing.T) {
	f := newFixture(t, 10)
	u0, u1 := f.users[0], f.users[1]
	orig, _ := f.s.DeliverMessage(u0.ID, Message{Subject: "Question", Body: "<p>ok?</p>", From: Recipient{Name: u1.DisplayName, Address: u1.Address},
		To: []Recipient{{Address: u0.Address}}, Cc: []Recipient{{Address: "carol@fabrikam.com"}}})
	r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(orig.ID)+"/createReply",
		`{"message":{"internetMessageHeaders":[{"name":"X-M365Connect-Outbox","value":"job-1"}],"internetMessageId":"<reply-1@m365connect.test>"},"comment":"Yes."}`)
	if r.status != 201 {
		t.Fatalf("createReply: %d %s", r.status, r.body)
	}
	d := r.json(t)
	to := d["toRecipients"].([]any)
	if d["subject"] != "RE: Question" || d["conversationId"] != orig.ConversationID || d["isDraft"] != true || len(to) != 1 ||
		to[0].(map[string]any)["emailAddress"].(map[string]any)["address"] != u1.Address || d["internetMessageId"] != "<reply-1@m365connect.test>" {
		t.Fatalf("reply draft: %s", r.body)
	}
	if _, ok := d["internetMessageHeaders"]; ok {
		t.Fatal("internetMessageHeaders returned without $select")
	}
	r = f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(orig.ID)+"/createReplyAll", nil)
	if cc := r.json(t)["ccRecipients"].([]any); r.status != 201 || len(cc) != 1 {
		t.Fatalf("createReplyAll: %d %s", r.status, r.body)
	}
	if r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(orig.ID)+"/createReply",
		`{"message":{"body":{"content":"x"}},"comment":"y"}`); r.status != 400 {
		t.Fatalf("comment and body together: %d", r.status)
	}
	// Send the reply: the header travels to the recipient.
	if r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(d["id"].(string))+"/send", nil); r.status != 202 {
		t.Fatalf("send reply: %d %s", r.status, r.body)
	}
	q := url.Values{"$filter": {"internetMessageId eq '<reply-1@m365connect.test>'"}, "$select": {"internetMessageHeaders,conversationId"}}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u1.ID+"/mailFolders/inbox/messages?"+q.Encode(), nil)
	vals := r.json(t)["value"].([]any)
	if len(vals) != 1 {
		t.Fatalf("recipient lookup: %s", r.body)
	}
	hs := vals[0].(map[string]any)["internetMessageHeaders"].([]any)
	if len(hs) != 1 || hs[0].(map[string]any)["value"] != "job-1" {
		t.Fatalf("headers: %v", hs)
	}
	if r := f.do(t, &appFull, "POST", "/v1.0/users/"+u0.ID+"/messages", `{"internetMessageHeaders":[{"name":"Subject","value":"x"}]}`); r.status != 400 {
		t.Fatalf("non X- header accepted: %d", r.status)
	}
}

func TestPreferBodyContentType(t *testing.T) {
	f := newFixture(t, 3)
	u0 := f.users[0]
	m := mustAll(t, f.s, u0.ID)[0]
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages/"+url.PathEscape(m.ID)+"?$select=body", nil,
		"Prefer", `IdType="ImmutableId", outlook.body-content-type="text"`)
	body := r.json(t)["body"].(map[string]any)
	content := body["content"].(string)
	if body["contentType"] != "text" || strings.Contains(content, "<") || !strings.HasPrefix(content, "Hi ") {
		t.Fatalf("text body: %v", body)
	}
	if pa := r.header.Get("Preference-Applied"); !strings.Contains(pa, `outlook.body-content-type="text"`) || !strings.Contains(pa, "ImmutableId") {
		t.Fatalf("Preference-Applied %q", pa)
	}
	byName, err := f.s.Count(u0.ID, "Sent Items")
	byWK, _ := f.s.Count(u0.ID, FolderSentItems)
	if err != nil || byName != byWK {
		t.Fatalf("display-name folder lookup: %d %v, want %d", byName, err, byWK)
	}
}
