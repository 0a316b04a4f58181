package graph

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Where secrets and tokens may go (docs/SECURITY.md). A real cloud's hosts are fixed data
// from Microsoft's table of national cloud endpoints
// (https://learn.microsoft.com/en-us/graph/deployments: "App registration and token
// service root endpoints" and "Microsoft Graph and Graph Explorer service root
// endpoints"); the practice tenant's hosts come from a file, so they must be loopback IP
// addresses and the HTTP client trusts only the practice tenant's own CA.

// ErrForeignLink is matched (errors.Is) by a next or delta link that points anywhere but
// the configured Graph origin: following it would send the bearer token there.
var ErrForeignLink = errors.New("link is not on the configured Graph origin")

// ErrUnsafeBrowserURL is matched by a URL the app refuses to open in a browser.
var ErrUnsafeBrowserURL = errors.New("refusing to open this address in a browser")

// isLoopbackIP reports whether host (no port) is an IP address in 127.0.0.0/8 or ::1.
func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin is a URL's scheme, host and port (the default port made explicit).
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) origin {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}

func (o origin) String() string { return o.scheme + "://" + net.JoinHostPort(o.host, o.port) }

// RedactURL is u without its query string and fragment (where delta and skip tokens,
// codes and state live), for logs and errors.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.RawQuery, p.Fragment, p.RawFragment, p.User = "", "", "", nil
	return p.String()
}

// CheckLink checks that link (a stored or returned @odata.nextLink or @odata.deltaLink)
// is on the same origin as base (scheme, host and port) and under its path, and is https
// (plain http only on a loopback address, for a test server). The error matches
// ErrForeignLink and names the link without its query string.
func CheckLink(base, link string) error {
	b, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("%w: the Graph base URL is not a URL", ErrForeignLink)
	}
	l, err := url.Parse(link)
	if err != nil || !l.IsAbs() || l.Host == "" || l.User != nil {
		return fmt.Errorf("%w: %s is not an absolute URL on %s", ErrForeignLink, RedactURL(link), originOf(b))
	}
	bo, lo := originOf(b), originOf(l)
	switch {
	case lo != bo:
		return fmt.Errorf("%w: %s is on %s, not %s", ErrForeignLink, RedactURL(link), lo, bo)
	case lo.scheme != "https" && !(lo.scheme == "http" && isLoopbackIP(lo.host)):
		return fmt.Errorf("%w: %s is not https", ErrForeignLink, RedactURL(link))
	case !strings.HasPrefix(l.EscapedPath()+"/", strings.TrimSuffix(b.EscapedPath(), "/")+"/"):
		return fmt.Errorf("%w: %s is not under %s", ErrForeignLink, RedactURL(link), b.EscapedPath())
	}
	return nil
}

// CheckBrowserURL checks a URL before it is opened in the system browser: https on the
// cloud's browser (sign-in) host, or for the practice tenant plain http on a loopback IP
// address. file:, javascript:, data: and every other scheme or host are refused.
func CheckBrowserURL(c Cloud, u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Opaque != "" || p.Host == "" || p.User != nil {
		return fmt.Errorf("%w: %q is not an http(s) address with a host", ErrUnsafeBrowserURL, RedactURL(u))
	}
	want, err := url.Parse(c.browserHost())
	if err != nil {
		return fmt.Errorf("%w: the cloud's sign-in host is not a URL", ErrUnsafeBrowserURL)
	}
	po, wo := originOf(p), originOf(want)
	switch {
	case po.scheme == "http" && !(c.Name == CloudPractice && isLoopbackIP(po.host)):
		return fmt.Errorf("%w: %s is plain http; only https is opened (plain http only for the practice tenant on this computer)", ErrUnsafeBrowserURL, RedactURL(u))
	case po.scheme != "https" && po.scheme != "http":
		return fmt.Errorf("%w: %s: only https addresses are opened, never %s:", ErrUnsafeBrowserURL, RedactURL(u), po.scheme)
	case po != wo:
		return fmt.Errorf("%w: %s is not on the sign-in host %s", ErrUnsafeBrowserURL, RedactURL(u), wo)
	}
	return nil
}

// checkPracticeHosts refuses practice-tenant addresses that are not on this computer's
// loopback (so a config cannot send a secret or token elsewhere).
func checkPracticeHosts(authorityHost, browserAuthorityHost, graphBaseURL string) error {
	for _, h := range []struct {
		name, v string
		http    bool
	}{{"authority host", authorityHost, false}, {"Graph base URL", graphBaseURL, false}, {"browser authority host", browserAuthorityHost, true}} {
		if h.v == "" && h.http {
			continue
		}
		u, err := url.Parse(h.v)
		if err != nil || u.Host == "" || u.User != nil {
			return fmt.Errorf("practice cloud: the %s is not a URL such as https://127.0.0.1:8443/", h.name)
		}
		if u.Scheme != "https" && !(h.http && u.Scheme == "http") {
			return fmt.Errorf("practice cloud: the %s must be https (the browser host may be http)", h.name)
		}
		if !isLoopbackIP(u.Hostname()) {
			return fmt.Errorf("practice cloud: the %s %s is not a loopback address (127.0.0.0/8 or ::1); the practice tenant runs on this computer", h.name, u.Hostname())
		}
	}
	return nil
}

// parsePracticeCA accepts exactly one PEM certificate that is a self-signed CA (the
// practice tenant's own, as `m365connect sandbox` writes it), nothing else.
func parsePracticeCA(caPEM []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(caPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("practice cloud: no CA certificate in the PEM data")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("practice cloud: the CA file holds more than one PEM block; use the file `m365connect sandbox --info` wrote")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("practice cloud: the CA certificate does not parse: %w", err)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, errors.New("practice cloud: the certificate in the CA file is not a CA certificate")
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		return nil, errors.New("practice cloud: the CA certificate is not self-signed (the practice tenant makes its own root)")
	}
	return cert, nil
}
