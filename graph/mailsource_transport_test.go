package graph

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection reset by peer")
}

// A transport failure is reported as such, not as context.Canceled: the source's own
// per-request cancel must not turn every network error into a stop.
func TestMailSourceTransportErrorIsNotCancellation(t *testing.T) {
	cred := &mailSourceCountingCred{ttl: time.Hour, now: time.Now}
	c := NewMailSourceClient("https://graph.example.test/v1.0", &http.Client{Transport: failingTransport{}}, cred, "https://graph.microsoft.com/.default")
	_, err := c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "a", Folder: "inbox", PageSize: 10})
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("error %v: want the transport's error, not context.Canceled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DeltaPage(ctx, MailSourceRequest{Mailbox: "a", Folder: "inbox", PageSize: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want context.Canceled", err)
	}
}
