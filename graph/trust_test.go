package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestCheckLink(t *testing.T) {
	base := "https://graph.microsoft.com/v1.0"
	tests := []struct {
		link string
		ok   bool
		msg  string
	}{
		{"https://graph.microsoft.com/v1.0/users/a/mailFolders/inbox/messages/delta?$deltatoken=x", true, ""},
		{"https://GRAPH.microsoft.com:443/v1.0/users/a/messages?$skiptoken=x", true, ""},
		{"http://graph.microsoft.com/v1.0/users/a/messages/delta?$deltatoken=SECRET", false, "http://graph.microsoft.com:80"},
		{"https://evil.example/v1.0/users/a/messages/delta?$deltatoken=SECRET", false, "evil.example"},
		{"https://graph.microsoft.com:8443/v1.0/x?$deltatoken=SECRET", false, "graph.microsoft.com:8443"},
		{"https://graph.microsoft.com.evil.example/v1.0/x?$deltatoken=SECRET", false, "not https://graph.microsoft.com:443"},
		{"https://user:pw@graph.microsoft.com/v1.0/x?$deltatoken=SECRET", false, "not an absolute URL"},
		{"https://graph.microsoft.com/beta/x?$deltatoken=SECRET", false, "not under /v1.0"},
		{"https://graph.microsoft.com/v1.0evil/x?$deltatoken=SECRET", false, "not under /v1.0"},
		{"/v1.0/users/a/messages/delta?$deltatoken=SECRET", false, "not an absolute URL"},
		{"file:///etc/passwd", false, "not an absolute URL"},
		{"javascript:alert(1)", false, "not an absolute URL"},
	}
	for _, tc := range tests {
		err := CheckLink(base, tc.link)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.link, err, tc.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrForeignLink) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: err = %v, want ErrForeignLink with %q", tc.link, err, tc.msg)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("%s: the error shows the query string: %v", tc.link, err)
			}
		}
	}
	// The practice tenant (and test servers) may be plain http on loopback.
	if err := CheckLink("http://127.0.0.1:9/v1.0", "http://127.0.0.1:9/v1.0/x"); err != nil {
		t.Error(err)
	}
}

type constCred struct{}

func (constCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "bearer-secret", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Finding 2: a delta link planted in the store, or returned by the server, on plain http
// on another host never receives the bearer token.
func TestForeignLinksNeverGetTheToken(t *testing.T) {
	var evilHits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the token reached the foreign host")
		}
		fmt.Fprint(w, `{"value":[],"@odata.deltaLink":"x"}`)
	}))
	defer evil.Close()
	evilLink := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) + "/v1.0/users/a/mailFolders/inbox/messages/delta?$deltatoken=SECRET"
	var graphHits atomic.Int64
	graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		graphHits.Add(1)
		// A hostile or confused server returns a link to the other host.
		fmt.Fprintf(w, `{"value":[],"@odata.deltaLink":%q}`, evilLink)
	}))
	defer graphSrv.Close()
	c := NewMailSourceClient(graphSrv.URL+"/v1.0", graphSrv.Client(), constCred{}, "https://graph.microsoft.com/.default")

	for i := 0; i < 7; i++ { // the engine retried seven times before
		_, err := c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "a", Folder: "inbox", Link: evilLink})
		var me *MailSourceError
		if !errors.As(err, &me) || me.Code != CodeForeignLink || !me.SyncReset() || !errors.Is(err, ErrForeignLink) {
			t.Fatalf("stored foreign link: err = %v, want a ForeignLink reset", err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("error shows the link's query: %v", err)
		}
	}
	_, err := c.DeltaPage(context.Background(), MailSourceRequest{Mailbox: "a", Folder: "inbox"})
	if !errors.Is(err, ErrForeignLink) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("returned foreign link: err = %v", err)
	}
	if evilHits.Load() != 0 {
		t.Fatalf("the foreign host was called %d times", evilHits.Load())
	}
	if graphHits.Load() != 1 {
		t.Fatalf("Graph called %d times, want 1 (the stored links were refused before any request)", graphHits.Load())
	}
}

func TestCheckBrowserURL(t *testing.T) {
	global, _ := CloudByName(CloudGlobal)
	prac := Cloud{Name: CloudPractice, AuthorityHost: "https://127.0.0.1:8443/", BrowserAuthorityHost: "http://127.0.0.1:8080/"}
	tests := []struct {
		c   Cloud
		u   string
		ok  bool
		msg string
	}{
		{global, "https://login.microsoftonline.com/contoso/v2.0/adminconsent?client_id=x", true, ""},
		{global, "http://login.microsoftonline.com/contoso/v2.0/adminconsent", false, "plain http"},
		{global, "https://evil.example/contoso/v2.0/adminconsent", false, "not on the sign-in host"},
		{global, "file:///etc/passwd", false, "not an http(s) address"},
		{global, "javascript:alert(1)", false, "not an http(s) address"},
		{global, "data:text/html,<script>alert(1)</script>", false, "not an http(s) address"},
		{global, "ftp://login.microsoftonline.com/x", false, "never ftp:"},
		{global, "http://127.0.0.1:8080/x", false, "plain http"},
		{prac, "http://127.0.0.1:8080/t/oauth2/v2.0/authorize?state=x", true, ""},
		{prac, "http://127.0.0.1:9999/t/oauth2/v2.0/authorize", false, "not on the sign-in host"},
		{prac, "http://evil.example:8080/t/oauth2/v2.0/authorize", false, "plain http"},
	}
	for _, tc := range tests {
		err := CheckBrowserURL(tc.c, tc.u)
		if (err == nil) != tc.ok || err != nil && (!errors.Is(err, ErrUnsafeBrowserURL) || !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("%s %s: err = %v, want ok=%v %q", tc.c.Name, tc.u, err, tc.ok, tc.msg)
		}
	}
	// The flows themselves refuse: an unsafe browser host never reaches the opener.
	bad := Cloud{Name: CloudPractice, AuthorityHost: "https://127.0.0.1:1/", BrowserAuthorityHost: "javascript:alert(1)//"}
	opened := false
	_, err := RequestAdminConsent(context.Background(), ConsentOptions{Cloud: bad, TenantID: "contoso.onmicrosoft.com", ClientID: "c",
		OpenBrowser: func(string) error { opened = true; return nil }, Timeout: time.Second})
	if err == nil || opened {
		t.Fatalf("consent with a javascript: browser host: err=%v opened=%v", err, opened)
	}
	if err := openBrowser(context.Background(), func(string) error { opened = true; return nil }, "file:///etc/passwd"); !errors.Is(err, ErrUnsafeBrowserURL) || opened {
		t.Fatalf("openBrowser(file:) = %v, opened=%v", err, opened)
	}
}

// The national cloud hosts are Microsoft's documented ones
// (https://learn.microsoft.com/en-us/graph/deployments), and only those.
func TestRealCloudHostsAreDocumented(t *testing.T) {
	want := map[string][2]string{
		CloudGlobal: {"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
		CloudUSGov:  {"https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"},
		CloudUSDoD:  {"https://login.microsoftonline.us/", "https://dod-graph.microsoft.us/v1.0"},
		CloudChina:  {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
	}
	for _, c := range Clouds() {
		w, ok := want[c.Name]
		if !ok || c.AuthorityHost != w[0] || c.GraphBaseURL != w[1] || c.browserHost() != w[0] {
			t.Errorf("%s: %s %s, want %v", c.Name, c.AuthorityHost, c.GraphBaseURL, w)
		}
	}
}

func TestPracticeCloudRefusesForeignHostsAndCAs(t *testing.T) {
	srv, _ := practice(t)
	ca := srv.CACertPEM()
	leafAndCA := append(append([]byte{}, ca...), ca...)
	tests := []struct {
		name                  string
		auth, browser, graphU string
		pem                   []byte
		msg                   string
	}{
		{"evil authority", "https://evil.example/", "", srv.GraphBaseURL(), ca, "not a loopback address"},
		{"evil graph", srv.AuthorityHost(), "", "https://203.0.113.1/v1.0", ca, "not a loopback address"},
		{"http graph", srv.AuthorityHost(), "", strings.Replace(srv.GraphBaseURL(), "https", "http", 1), ca, "must be https"},
		{"evil browser", srv.AuthorityHost(), "https://evil.example/", srv.GraphBaseURL(), ca, "not a loopback address"},
		{"file browser", srv.AuthorityHost(), "file:///etc/passwd", srv.GraphBaseURL(), ca, "not a URL"},
		{"two PEM blocks", srv.AuthorityHost(), "", srv.GraphBaseURL(), leafAndCA, "more than one PEM block"},
		{"not PEM", srv.AuthorityHost(), "", srv.GraphBaseURL(), []byte("hello"), "no CA certificate"},
	}
	for _, tc := range tests {
		if _, err := PracticeCloud(tc.auth, tc.browser, tc.graphU, tc.pem); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.msg)
		}
	}
	// The client trusts the practice CA only, not the system's roots.
	c, err := PracticeCloud(srv.AuthorityHost(), srv.BrowserAuthorityHost(), srv.GraphBaseURL(), ca)
	if err != nil {
		t.Fatal(err)
	}
	tr := c.HTTPClient().Transport.(*http.Transport)
	if tr.TLSClientConfig.RootCAs == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("practice client does not pin the practice CA")
	}
}

// The redirect says localhost: the listener answers on 127.0.0.1 and, where this machine
// has IPv6 loopback, on ::1 at the same port.
func TestLoopbackBindsWhatTheRedirectNames(t *testing.T) {
	lb, err := listenLoopback("st", "ok")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	port := strings.TrimPrefix(lb.RedirectURI(), "http://localhost:")
	hosts := []string{"127.0.0.1"}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		hosts = append(hosts, "::1")
	} else {
		t.Log("no IPv6 loopback here: 127.0.0.1 only")
	}
	for _, h := range hosts {
		req, _ := http.NewRequest("GET", "http://"+net.JoinHostPort(h, port)+"/?state=wrong", nil)
		req.Host = "localhost:" + port
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		resp.Body.Close()
		if h == hosts[0] && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %s, want 400 for a wrong state", h, resp.Status)
		}
		if h != hosts[0] && resp.StatusCode != http.StatusConflict {
			t.Fatalf("%s: %s, want 409 (the one callback was taken)", h, resp.Status)
		}
	}
	if _, err := lb.wait(context.Background(), time.Second); !errors.Is(err, ErrStateMismatch) {
		t.Fatal(err)
	}
}

// A state that shares a prefix with the real one, or differs only in length, is refused.
func TestLoopbackStateComparedWhole(t *testing.T) {
	for _, guess := range []string{"", "abc", "abcdef-", "abcdeF", "abcde"} {
		lb := &loopback{state: "abcdef", result: make(chan callbackResult, 1)}
		r := httptest.NewRequest("GET", "/?code=c&state="+guess, nil)
		r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost:1"
		w := httptest.NewRecorder()
		lb.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Errorf("state %q: %d", guess, w.Code)
		}
		if res := <-lb.result; !errors.Is(res.err, ErrStateMismatch) {
			t.Errorf("state %q: %v", guess, res.err)
		}
	}
}
