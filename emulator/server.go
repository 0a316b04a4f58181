package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a practice tenant. The zero value is usable.
type Options struct {
	// Users, SharedMailboxes and MessagesPerMailbox size the generated mail data
	// (0 = defaults 5, 1, 200; a negative SharedMailboxes means none).
	Users, SharedMailboxes, MessagesPerMailbox int
	// MailDays is how many days before now the generated mail spreads over (default 90).
	MailDays int
	// Seed makes the tenant id, client ids and mail data reproducible.
	Seed int64
	// Listen is the API (TLS) listener address, default "127.0.0.1:0". Only loopback
	// addresses are accepted.
	Listen string
	// BrowserListen is the plain-HTTP listener for browser pages, default "127.0.0.1:0".
	BrowserListen string
	// DeliveryDelay is the sendMail → recipient inbox delay (0 delivers at once).
	DeliveryDelay time.Duration
	// Now is the clock (default time.Now); tokens are issued and checked against it.
	Now func() time.Time
	// StateFile, when set, keeps the tenant's generated credentials (client secrets,
	// certificates), consent and refresh tokens across runs: read by New when it
	// exists, written by New, SaveState and Close (0600, atomically). See persist.go.
	StateFile string
}

// Server is a running practice tenant. It is listening when New returns.
type Server struct {
	opts     Options
	pki      *pki
	identity *Identity
	mail     *mailSide
	pages    pages

	apiLn, browserLn   net.Listener
	apiSrv, browserSrv *http.Server
	client             *http.Client

	mu        sync.Mutex
	infoFiles infoFiles // paths written by WriteInfo

	saveMu sync.Mutex // one writer of the state and info files at a time (persist.go)

	closeOnce sync.Once
}

// New builds the practice tenant (directory, certificates, mail data) and starts both
// listeners on loopback.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.BrowserListen == "" {
		opts.BrowserListen = "127.0.0.1:0"
	}
	for _, addr := range []string{opts.Listen, opts.BrowserListen} {
		if err := checkLoopback(addr); err != nil {
			return nil, err
		}
	}
	now := opts.Now()
	p, err := newPKI(now)
	if err != nil {
		return nil, err
	}
	dir, err := newDirectory(opts.Seed, now)
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(dir, opts.Now)
	if err != nil {
		return nil, err
	}
	mail := newMailSide(opts, dir)
	id.users = mail.users
	if opts.StateFile != "" {
		if err := id.loadState(opts.StateFile); err != nil {
			return nil, err
		}
		if err := id.saveState(opts.StateFile); err != nil {
			return nil, err
		}
	}

	s := &Server{opts: opts, pki: p, identity: id, mail: mail, pages: newPages()}
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	s.client = &http.Client{Transport: tr, Timeout: 60 * time.Second}

	apiLn, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", opts.Listen, err)
	}
	browserLn, err := net.Listen("tcp", opts.BrowserListen)
	if err != nil {
		apiLn.Close()
		return nil, fmt.Errorf("listen %s: %w", opts.BrowserListen, err)
	}
	s.apiLn, s.browserLn = apiLn, browserLn
	s.apiSrv = &http.Server{
		Handler:           s.apiHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{p.leaf}, MinVersion: tls.VersionTLS12},
	}
	s.browserSrv = &http.Server{Handler: s.browserHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.apiSrv.ServeTLS(apiLn, "", "") }()
	go func() { _ = s.browserSrv.Serve(browserLn) }()
	return s, nil
}

// checkLoopback refuses listen addresses that are not on a loopback IP.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: the practice tenant listens on loopback only (e.g. 127.0.0.1:0)", addr)
	}
	return nil
}

// AuthorityHost is the identity authority host for MSAL/azidentity, "https://127.0.0.1:PORT/".
func (s *Server) AuthorityHost() string { return "https://" + s.apiLn.Addr().String() + "/" }

// BrowserAuthorityHost is the plain-HTTP host serving the same authorize and admin
// consent paths for a real browser, "http://127.0.0.1:PORT2/".
func (s *Server) BrowserAuthorityHost() string { return "http://" + s.browserLn.Addr().String() + "/" }

// GraphBaseURL is the Graph v1.0 base URL, "https://127.0.0.1:PORT/v1.0".
func (s *Server) GraphBaseURL() string { return "https://" + s.apiLn.Addr().String() + "/v1.0" }

// CACertPEM returns the per-run CA certificate (PEM) that clients must trust.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.pki.caPEM...) }

// Client returns an HTTP client that trusts the per-run CA (never InsecureSkipVerify).
func (s *Server) Client() *http.Client { return s.client }

// Identity returns the identity side's control API (apps, consent, faults, revocation).
func (s *Server) Identity() *Identity { return s.identity }

// Close stops both listeners and waits for in-flight requests (up to 5 s).
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.apiSrv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			_ = s.apiSrv.Close()
		}
		_ = s.browserSrv.Shutdown(ctx)
		s.client.CloseIdleConnections()
		s.mail.close()
		_ = s.SaveState() // best effort: New wrote the credentials already
	})
}

// apiHandler routes the TLS listener: Graph under /v1.0, identity everywhere else.
func (s *Server) apiHandler() http.Handler {
	idMux := http.NewServeMux()
	idMux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleOpenIDConfig)
	idMux.HandleFunc("GET /common/discovery/instance", s.handleInstanceDiscovery)
	idMux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleJWKS)
	idMux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)
	idMux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", s.handleDeviceCode)
	s.browserRoutes(idMux)
	graph := s.graphGate(s.directoryRoutes(s.mail.handler()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0" || strings.HasPrefix(r.URL.Path, "/v1.0/") {
			graph.ServeHTTP(w, r)
			return
		}
		idMux.ServeHTTP(w, r)
	})
}

// browserHandler routes the plain-HTTP listener: only the pages a browser opens.
func (s *Server) browserHandler() http.Handler {
	mux := http.NewServeMux()
	s.browserRoutes(mux)
	return mux
}

func (s *Server) browserRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.handleAuthorizeDecision)
	mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.handleAdminConsent)
	mux.HandleFunc("POST /{tenant}/v2.0/adminconsent", s.handleAdminConsentDecision)
	mux.HandleFunc("/devicelogin", s.handleDeviceLogin)
}

// baseURL is the scheme://host/ the request came in on (so discovery documents fetched
// from either listener point back to it).
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host + "/"
	}
	return "http://" + r.Host + "/"
}
