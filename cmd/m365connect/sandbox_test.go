package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the command goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSandboxInfoFileIsEnough runs the sandbox command and talks to it using nothing
// but the values in the info file it wrote: CA file, authority host, tenant, app
// credentials, Graph base URL and mailboxes.
// sandbox is `m365connect sandbox` running in the test's process.
type sandbox struct {
	cancel         context.CancelFunc
	done           chan error // runSandbox's result
	stdout, stderr syncBuffer
}

// startSandbox runs `m365connect sandbox args...` until the test ends (or cancel) and
// waits for the file waitFor to appear.
func startSandbox(t *testing.T, waitFor string, args ...string) *sandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sb := &sandbox{cancel: cancel, done: make(chan error, 1)}
	go func() {
		_, err := execute(ctx, append([]string{"sandbox"}, args...), &sb.stdout, &sb.stderr)
		sb.done <- err
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(waitFor); err == nil {
			return sb
		}
		select {
		case err := <-sb.done:
			t.Fatalf("sandbox exited early: %v\n%s", err, sb.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", waitFor)
		}
	}
}

func TestSandboxInfoFileIsEnough(t *testing.T) {
	dir := t.TempDir()
	infoPath := filepath.Join(dir, "sandbox.json")
	sb := startSandbox(t, infoPath, "--info", infoPath, "--users", "2", "--messages", "3", "--seed", "5")
	st, err := os.Stat(infoPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("info file mode: %v %v", st.Mode(), err)
	}
	raw, err := os.ReadFile(infoPath)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		AuthorityHost string `json:"authority_host"`
		GraphBaseURL  string `json:"graph_base_url"`
		CACertFile    string `json:"ca_cert_file"`
		TenantID      string `json:"tenant_id"`
		Apps          []struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			Access       string `json:"access"`
		} `json:"apps"`
		Mailboxes []struct {
			Address string `json:"address"`
			Kind    string `json:"kind"`
		} `json:"mailboxes"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatalf("info json: %v", err)
	}
	if !strings.Contains(sb.stdout.String(), infoPath) || !strings.Contains(sb.stdout.String(), info.GraphBaseURL) {
		t.Errorf("stdout does not show the info path and URLs:\n%s", sb.stdout.String())
	}
	pemData, err := os.ReadFile(info.CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("ca_cert_file holds no certificate")
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	var clientID, secret string
	for _, a := range info.Apps {
		if a.Access == "application" && a.ClientSecret != "" {
			clientID, secret = a.ClientID, a.ClientSecret
			break
		}
	}
	resp, err := hc.PostForm(info.AuthorityHost+info.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token: %d %v %+v", resp.StatusCode, err, tok)
	}
	if len(info.Mailboxes) < 3 {
		t.Fatalf("mailboxes = %+v, want 2 users + 1 shared", info.Mailboxes)
	}
	req, _ := http.NewRequest(http.MethodGet, info.GraphBaseURL+"/users/"+url.PathEscape(info.Mailboxes[0].Address)+"/messages", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Value []map[string]any `json:"value"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(list.Value) == 0 {
		t.Fatalf("list messages: %d %v %d", resp.StatusCode, err, len(list.Value))
	}
	if strings.Contains(sb.stdout.String(), secret) || strings.Contains(sb.stderr.String(), secret) {
		t.Error("the client secret was printed")
	}

	sb.cancel()
	select {
	case err := <-sb.done:
		if err != nil {
			t.Errorf("sandbox returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop after cancel")
	}
}

func TestSandboxRefusesNonLoopback(t *testing.T) {
	err := runSandbox(context.Background(), &sandboxOptions{streams: streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, Listen: "0.0.0.0:0",
		BrowserListen: "127.0.0.1:0", Users: 1, Info: filepath.Join(t.TempDir(), "x.json")})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %v, want a loopback-only refusal", err)
	}
}
