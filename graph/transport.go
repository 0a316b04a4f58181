package graph

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"time"
)

// maxConnsIdle is how many idle connections per host the transport keeps: the sync
// engine's global request budget (mailsync.DefaultMaxInFlight).
const maxConnsIdle = 64

// newHTTPClient is the HTTP client of one cloud (rootCAs nil: the system's CAs), tuned
// for the sync engine's many concurrent requests to one Graph host and measured in
// mailsync's BenchmarkTenant (docs/PERFORMANCE.md, "Transport"):
//   - HTTP/2 when the server offers it (Graph does): every request multiplexed on one
//     TLS connection. ForceAttemptHTTP2 keeps it on with our own TLS config.
//   - MaxIdleConnsPerHost 64 instead of Go's 2, for HTTP/1.1 (a proxy that does not
//     speak HTTP/2): with 64 requests in flight and 2 idle connections kept, almost
//     every request would open a new TLS connection.
//   - gzip: Go's transport asks for it and decompresses when the caller sets no
//     Accept-Encoding (we never do); Graph compresses JSON answers.
func newHTTPClient(rootCAs *x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = true
	tr.MaxIdleConns = 2 * maxConnsIdle
	tr.MaxIdleConnsPerHost = maxConnsIdle
	if rootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// drainClose reads what is left of a response body (at most 256 KiB) and closes it. A
// JSON decoder stops at the closing brace; an HTTP/1.1 body closed before its end closes
// the connection, so without this every page would cost a new TLS connection
// (BenchmarkTenant over HTTP/1.1: 1,196 connections for 1,841 requests before, see
// docs/PERFORMANCE.md).
func drainClose(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 256<<10))
	_ = b.Close()
}
