package graph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLoopbackAcceptsOnceAndRefusesSecond(t *testing.T) {
	lb, err := listenLoopback("s1", "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if !strings.HasPrefix(lb.RedirectURI(), "http://localhost:") {
		t.Fatal(lb.RedirectURI())
	}
	base := "http://127.0.0.1:" + strings.TrimPrefix(lb.RedirectURI(), "http://localhost:")
	resp, err := http.Get(base + "/?code=c1&state=s1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	q, err := lb.wait(context.Background(), time.Second)
	if err != nil || q.Get("code") != "c1" {
		t.Fatal(q, err)
	}
	resp, err = http.Get(base + "/?code=c2&state=s1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second callback: %s", resp.Status)
	}
}

func TestLoopbackWrongState(t *testing.T) {
	lb, err := listenLoopback("good", "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	base := "http://127.0.0.1:" + strings.TrimPrefix(lb.RedirectURI(), "http://localhost:")
	resp, err := http.Get(base + "/?code=c&state=evil")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatal(resp.Status)
	}
	if _, err := lb.wait(context.Background(), time.Second); !errors.Is(err, ErrStateMismatch) {
		t.Fatal(err)
	}
}

func TestLoopbackRefusesNonLoopbackAndForeignHost(t *testing.T) {
	lb := &loopback{state: "s", result: make(chan callbackResult, 1)}
	for _, tc := range []struct{ remote, host string }{
		{"10.1.2.3:5555", "localhost:1"},
		{"192.168.0.9:1", "127.0.0.1:1"},
		{"127.0.0.1:1", "evil.example:1"},
	} {
		r := httptest.NewRequest("GET", "/?code=c&state=s", nil)
		r.RemoteAddr, r.Host = tc.remote, tc.host
		w := httptest.NewRecorder()
		lb.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("%v: %d", tc, w.Code)
		}
	}
	select {
	case r := <-lb.result:
		t.Fatalf("a refused request reached the flow: %v", r)
	default:
	}
}

func TestLoopbackTimeoutAndCancel(t *testing.T) {
	lb, err := listenLoopback("s", "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if _, err := lb.wait(context.Background(), 20*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lb.wait(ctx, time.Second); !errors.Is(err, ErrCancelled) {
		t.Fatal(err)
	}
}

func TestOpenBrowserFailureAndBlocking(t *testing.T) {
	err := openBrowser(context.Background(), func(string) error { return errors.New("exit status 3") }, "http://127.0.0.1:1/")
	if !errors.Is(err, ErrBrowserUnavailable) {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	block := make(chan struct{})
	defer close(block)
	if err := openBrowser(ctx, func(string) error { <-block; return nil }, "http://127.0.0.1:1/"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("openBrowser blocked on the opener")
	}
}

// TestSignInCancelled: the flow ends with ErrCancelled when ctx is
// cancelled while waiting, and the URL was offered for copying.
func TestSignInCancelledAndURL(t *testing.T) {
	c, _ := CloudByName(CloudGlobal)
	ctx, cancel := context.WithCancel(context.Background())
	var got string
	done := make(chan error, 1)
	go func() {
		_, err := SignIn(ctx, SignInOptions{Cloud: c, TenantID: "contoso.onmicrosoft.com", ClientID: "cid", Permissions: []string{"Mail.Read"},
			OpenBrowser: func(u string) error { return errors.New("no browser") },
			OnURL:       func(u string) { got = u; cancel() }})
		done <- err
	}()
	if err := <-done; !errors.Is(err, ErrCancelled) {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "login.microsoftonline.com" || u.Path != "/contoso.onmicrosoft.com/oauth2/v2.0/authorize" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
		!strings.Contains(q.Get("scope"), "offline_access") || !strings.HasPrefix(q.Get("redirect_uri"), "http://localhost:") {
		t.Fatalf("authorize URL: %s", got)
	}
	if _, err := SignIn(context.Background(), SignInOptions{Cloud: c, TenantID: "common"}); !errors.Is(err, ErrCommonTenant) {
		t.Fatal(err)
	}
}
