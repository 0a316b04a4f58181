package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/m365connect/m365connect/emulator"
)

const graphDefault = "https://graph.microsoft.com/.default"

// clock is a test clock that can be moved forward.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

func newServer(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	if opts.MessagesPerMailbox == 0 {
		opts.MessagesPerMailbox = 5
	}
	s, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func credOpts(s *emulator.Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
		Transport: s.Client(),
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

func secretCredential(t *testing.T, s *emulator.Server, tenant string, app *emulator.App, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	c, err := azidentity.NewClientSecretCredential(tenant, app.ClientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: credOpts(s), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return c
}

func getToken(ctx context.Context, c azcore.TokenCredential) (string, error) {
	tok, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphDefault}})
	return tok.Token, err
}

// claimsOf decodes a JWT's payload without verifying it (the app does the same).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload json: %v", err)
	}
	return m
}

// authFailure extracts the status and body of an azidentity authentication failure.
func authFailure(t *testing.T, err error) (int, string) {
	t.Helper()
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) {
		t.Fatalf("error is %T, want *azidentity.AuthenticationFailedError: %v", err, err)
	}
	if afe.RawResponse == nil {
		t.Fatalf("AuthenticationFailedError without RawResponse: %v", err)
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, rerr := afe.RawResponse.Body.Read(buf)
		b.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	return afe.RawResponse.StatusCode, b.String()
}

// callback is a loopback listener playing the app's redirect URI.
type callback struct {
	URL string
	got chan url.Values
}

func newCallback(t *testing.T) *callback {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cb := &callback{URL: "http://" + ln.Addr().String() + "/", got: make(chan url.Values, 4)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		cb.got <- r.Form
		_, _ = w.Write([]byte("You can close this window."))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return cb
}

// browse plays the browser: GET u following redirects (to the callback listener).
// It returns the final response body and status.
func browse(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		t.Fatalf("browser GET: %v", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 8192)
	for {
		n, rerr := resp.Body.Read(buf)
		b.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func (cb *callback) wait(t *testing.T) url.Values {
	t.Helper()
	select {
	case v := <-cb.got:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no callback on the loopback redirect URI")
		return nil
	}
}
