package graph

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/browser"
)

// Browser opener defaults.
const (
	browserOpenWait = 10 * time.Second
	defaultFlowWait = 5 * time.Minute
	requestTimeout  = 30 * time.Second
)

// DefaultOpenBrowser opens url in the system browser with
// github.com/pkg/browser, discarding the opener's output. It blocks while
// xdg-open runs; the flows call it off the caller's goroutine with a timeout.
func DefaultOpenBrowser(u string) error {
	browser.Stdout = io.Discard
	browser.Stderr = io.Discard
	return browser.OpenURL(u)
}

// openBrowser runs open(u) on its own goroutine. An opener that is still
// running after browserOpenWait is taken as success (xdg-open may block for
// as long as the browser runs).
func openBrowser(ctx context.Context, open func(string) error, u string) error {
	if err := checkOpenable(u); err != nil {
		return err
	}
	if open == nil {
		open = DefaultOpenBrowser
	}
	done := make(chan error, 1)
	go func() { done <- open(u) }()
	t := time.NewTimer(browserOpenWait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBrowserUnavailable, err)
		}
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// checkOpenable is the last guard before any URL reaches the browser opener: https, or
// plain http on a loopback IP address (the practice tenant's pages). The flows check the
// host against the cloud first (CheckBrowserURL).
func checkOpenable(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return fmt.Errorf("%w: not an http(s) address with a host", ErrUnsafeBrowserURL)
	}
	if p.Scheme == "https" || p.Scheme == "http" && isLoopbackIP(p.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w: %s (only https, or http on this computer's loopback address)", ErrUnsafeBrowserURL, RedactURL(u))
}

// newState returns a random, URL-safe value for state and similar nonces.
func newState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// callbackResult is what the loopback listener hands to the waiting flow.
type callbackResult struct {
	query url.Values
	err   error
}

// loopback is a one-shot HTTP listener on 127.0.0.1 receiving the
// identity platform's redirect. It answers exactly one callback carrying the
// expected state; a wrong state ends the flow with ErrStateMismatch; later
// callbacks are refused; requests from non-loopback addresses and with a
// Host other than localhost/127.0.0.1 (DNS rebinding) are refused.
// Redirect URI rules: https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
type loopback struct {
	state  string
	port   int
	ln     net.Listener
	srv    *http.Server
	result chan callbackResult
	mu     sync.Mutex
	done   bool
	// successText is the page text after a good callback.
	successText string
}

// listenLoopback binds what the redirect URI names: "localhost" resolves to 127.0.0.1
// and, where IPv6 is on, to ::1 (browsers try either), so it listens on the same random
// port on both. Where ::1 cannot be bound at all (no IPv6) 127.0.0.1 alone serves; a
// port taken on ::1 by another program is given up for a new one.
func listenLoopback(state, successText string) (*loopback, error) {
	var lns []net.Listener
	var err error
	for try := 0; try < 5 && lns == nil; try++ {
		lns, err = listenBothLoopbacks()
	}
	if lns == nil {
		return nil, fmt.Errorf("%w: %v", ErrPortUnavailable, err)
	}
	l := &loopback{
		state: state, ln: lns[0], port: lns[0].Addr().(*net.TCPAddr).Port,
		result: make(chan callbackResult, 1), successText: successText,
	}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	for _, ln := range lns {
		go func() { _ = l.srv.Serve(ln) }()
	}
	return l, nil
}

// listenBothLoopbacks returns listeners on 127.0.0.1:P and, when IPv6 loopback exists,
// [::1]:P; nil (and the error) when ::1 exists but P is taken there.
func listenBothLoopbacks() ([]net.Listener, error) {
	ln4, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln4.Addr().(*net.TCPAddr).Port
	ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port)))
	switch {
	case err == nil:
		return []net.Listener{ln4, ln6}, nil
	case errors.Is(err, syscall.EADDRINUSE):
		ln4.Close()
		return nil, err
	default: // no IPv6 loopback here: "localhost" is 127.0.0.1 alone
		return []net.Listener{ln4}, nil
	}
}

// RedirectURI is http://localhost:PORT — Entra registers "http://localhost"
// for desktop apps and ignores the port for loopback redirect URIs.
func (l *loopback) RedirectURI() string { return "http://localhost:" + strconv.Itoa(l.port) }

func (l *loopback) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}

func (l *loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if h := hostOnly(r.Host); h != "localhost" && h != "127.0.0.1" && h != "::1" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			q = r.Form
		}
	}
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		writePage(w, http.StatusConflict, "Already done", "This sign-in was already completed. You can close this tab.")
		return
	}
	l.done = true
	l.mu.Unlock()

	// Constant time: how much of a guess matched must not show in the answer's timing.
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1 {
		l.result <- callbackResult{err: ErrStateMismatch}
		writePage(w, http.StatusBadRequest, "Not accepted", "This answer did not belong to the sign-in m365connect started. Close this tab and start again from the app.")
		return
	}
	if e := q.Get("error"); e != "" {
		l.result <- callbackResult{query: q}
		msg := firstLine(q.Get("error_description"))
		writePage(w, http.StatusOK, "Not completed", "Microsoft answered: "+e+". "+msg+" Return to m365connect for what to do next.")
		return
	}
	l.result <- callbackResult{query: q}
	writePage(w, http.StatusOK, "Done", l.successText)
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

func writePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>m365connect: %s</title></head>`+
		`<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>%s</h1><p>%s</p></body></html>`,
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

// wait blocks until the callback arrives, ctx ends or timeout passes.
func (l *loopback) wait(ctx context.Context, timeout time.Duration) (url.Values, error) {
	if timeout <= 0 {
		timeout = defaultFlowWait
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-l.result:
		return r.query, r.err
	case <-t.C:
		return nil, ErrTimeout
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, ErrCancelled
	}
}

// CheckLoopbackPort reports whether a 127.0.0.1 port can be bound (pre-flight).
func CheckLoopbackPort() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPortUnavailable, err)
	}
	return ln.Close()
}
