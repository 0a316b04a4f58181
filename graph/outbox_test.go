package graph

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type outboxTestToken string

func (s outboxTestToken) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(o.Scopes) != 1 || o.Scopes[0] != "https://graph.microsoft.com/.default" {
		return azcore.AccessToken{}, errors.New("wrong scope")
	}
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestOutboxCreateReplyWire checks the createReply + PATCH sequence against Microsoft's
// documented shapes (the practice tenant does not implement createReply yet):
// https://learn.microsoft.com/en-us/graph/api/message-createreply (201 + message),
// https://learn.microsoft.com/en-us/graph/api/message-update (200 + message).
func TestOutboxCreateReplyWire(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOiJ5ZXMifQ.c2lnbmF0dXJl"
	var mu sync.Mutex
	var seen []string
	var bodies []map[string]any
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath())
		if r.Header.Get("Authorization") != "Bearer "+tok || r.Header.Get("Prefer") != `IdType="ImmutableId"` {
			t.Errorf("headers %v", r.Header)
		}
		var in map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &in)
		bodies = append(bodies, in)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/createReply"):
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"IMM1","isDraft":true,"subject":"RE: hi","internetMessageId":"<exchange@x>","conversationId":"C1"}`)
		case r.Method == http.MethodPatch:
			io.WriteString(w, `{"id":"IMM1","isDraft":true,"subject":"RE: hi","internetMessageId":"<ours@contoso.com>","conversationId":"C1"}`)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/send"):
			w.Header().Set("Retry-After", "4")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"ErrorItemNotFound","message":"The specified object was not found in the store."}}`)
		}
	}))
	defer srv.Close()
	c, err := NewOutboxClient(OutboxClientOptions{GraphBaseURL: srv.URL + "/v1.0", HTTPClient: srv.Client(), Credential: outboxTestToken(tok)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := c.CreateDraft(ctx, OutboxDraft{Mailbox: "a@contoso.com", To: []string{"b@contoso.com"}, Body: "thanks", BodyType: "text",
		InternetMessageID: "<ours@contoso.com>", ReplyTo: "ORIG/1=", Marker: "ob-1"})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "IMM1" || m.InternetMessageID != "<ours@contoso.com>" || !m.IsDraft || m.ConversationID != "C1" {
		t.Errorf("draft %+v", m)
	}
	if len(seen) != 2 || seen[0] != "POST /v1.0/users/a@contoso.com/messages/ORIG%2F1=/createReply" || seen[1] != "PATCH /v1.0/users/a@contoso.com/messages/IMM1" {
		t.Errorf("calls %v", seen)
	}
	msg, _ := bodies[0]["message"].(map[string]any)
	if msg["internetMessageId"] != "<ours@contoso.com>" || msg["body"] == nil || bodies[0]["comment"] != nil {
		t.Errorf("createReply body %v", bodies[0])
	}
	hs, _ := msg["internetMessageHeaders"].([]any)
	if len(hs) != 1 || hs[0].(map[string]any)["name"] != OutboxMarkerHeader {
		t.Errorf("headers %v", msg["internetMessageHeaders"])
	}
	if bodies[1]["internetMessageId"] != "<ours@contoso.com>" {
		t.Errorf("patch %v", bodies[1])
	}

	err = c.SendDraft(ctx, "a@contoso.com", "IMM1")
	var oe *Error
	if !errors.As(err, &oe) || oe.HTTPStatus() != 429 || oe.GraphCode() != "ApplicationThrottled" {
		t.Fatalf("send err %v", err)
	}
	if d, ok := oe.RetryAfter(); !ok || d != 4*time.Second {
		t.Errorf("Retry-After %v %v", d, ok)
	}
	if a := AdviceFor(err); a.Code == "" || a.Code == "unknown" {
		t.Errorf("advice %+v", a)
	}
	_, err = c.GetMessage(ctx, "a@contoso.com", "gone")
	if !errors.As(err, &oe) || oe.HTTPStatus() != 404 || oe.GraphCode() != "ErrorItemNotFound" {
		t.Errorf("get err %v", err)
	}
	for _, e := range []error{err} {
		if strings.Contains(e.Error(), tok) || strings.Contains(e.Error(), "eyJ") {
			t.Errorf("token in error: %v", e)
		}
	}
}
