package graph

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud describes one Microsoft cloud: where users sign in and where Graph
// lives. Values for the public and national clouds come from Microsoft's
// table "Microsoft Graph national cloud deployments":
// https://learn.microsoft.com/en-us/graph/deployments
type Cloud struct {
	// Name is a stable identifier: "global", "usgov", "usdod", "china" or "practice".
	Name string
	// DisplayName is what the wizard shows.
	DisplayName string
	// AuthorityHost is the identity platform host, with scheme and trailing
	// slash, e.g. "https://login.microsoftonline.com/".
	AuthorityHost string
	// BrowserAuthorityHost is the host a real browser is sent to for sign-in
	// and consent pages. It defaults to AuthorityHost; the practice tenant
	// serves its browser pages on a plain-HTTP loopback host.
	BrowserAuthorityHost string
	// GraphBaseURL is the Graph service root including the version,
	// e.g. "https://graph.microsoft.com/v1.0".
	GraphBaseURL string
	// GraphResource is the resource identifier used in scopes
	// ("https://graph.microsoft.com/.default"). For national clouds it is the
	// cloud's own Graph host; the practice tenant keeps the global one.
	GraphResource string
	// InstanceName is the cloud_instance_name a tenant of this cloud reports
	// in its OpenID configuration.
	InstanceName string
	// EntraAdminCenter is the admin portal URL named in advice.
	EntraAdminCenter string
	// CACertPEM, when set, is the only CA the HTTP client trusts (practice tenant).
	CACertPEM []byte

	client *http.Client
}

// Cloud names.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"
	CloudUSDoD    = "usdod"
	CloudChina    = "china"
	CloudPractice = "practice"
)

// Clouds returns the real Microsoft clouds, global first.
// Source: https://learn.microsoft.com/en-us/graph/deployments (App registration
// and token service root endpoints; Microsoft Graph service root endpoints).
func Clouds() []Cloud {
	cs := []Cloud{
		{
			Name: CloudGlobal, DisplayName: "Microsoft 365 (worldwide, includes GCC)",
			AuthorityHost: "https://login.microsoftonline.com/", GraphBaseURL: "https://graph.microsoft.com/v1.0",
			GraphResource: "https://graph.microsoft.com", InstanceName: "microsoftonline.com",
			EntraAdminCenter: "https://entra.microsoft.com",
		},
		{
			Name: CloudUSGov, DisplayName: "US Government GCC High (L4)",
			AuthorityHost: "https://login.microsoftonline.us/", GraphBaseURL: "https://graph.microsoft.us/v1.0",
			GraphResource: "https://graph.microsoft.us", InstanceName: "microsoftonline.us",
			EntraAdminCenter: "https://entra.microsoft.us",
		},
		{
			Name: CloudUSDoD, DisplayName: "US Government DoD (L5)",
			AuthorityHost: "https://login.microsoftonline.us/", GraphBaseURL: "https://dod-graph.microsoft.us/v1.0",
			GraphResource: "https://dod-graph.microsoft.us", InstanceName: "microsoftonline.us",
			EntraAdminCenter: "https://entra.microsoft.us",
		},
		{
			Name: CloudChina, DisplayName: "Microsoft 365 operated by 21Vianet (China)",
			AuthorityHost: "https://login.chinacloudapi.cn/", GraphBaseURL: "https://microsoftgraph.chinacloudapi.cn/v1.0",
			GraphResource: "https://microsoftgraph.chinacloudapi.cn", InstanceName: "partner.microsoftonline.cn",
			EntraAdminCenter: "https://entra.microsoftonline.cn",
		},
	}
	for i := range cs {
		cs[i].client = newHTTPClient(nil)
	}
	return cs
}

// CloudByName returns the real cloud with that name.
func CloudByName(name string) (Cloud, bool) {
	for _, c := range Clouds() {
		if c.Name == name {
			return c, true
		}
	}
	return Cloud{}, false
}

// PracticeCloud describes the built-in practice tenant: identity at
// authorityHost (https), browser pages at browserAuthorityHost (may be plain
// http on loopback; empty means authorityHost), Graph at graphBaseURL, and an
// HTTP client that trusts only caPEM (and not the system's roots). Every host must be a
// loopback IP address and caPEM exactly one self-signed CA certificate (see trust.go). The Graph resource id stays
// https://graph.microsoft.com, as the emulator issues tokens for it.
func PracticeCloud(authorityHost, browserAuthorityHost, graphBaseURL string, caPEM []byte) (Cloud, error) {
	ca, err := parsePracticeCA(caPEM)
	if err != nil {
		return Cloud{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if err := checkPracticeHosts(authorityHost, browserAuthorityHost, graphBaseURL); err != nil {
		return Cloud{}, err
	}
	if browserAuthorityHost == "" {
		browserAuthorityHost = authorityHost
	}
	return Cloud{
		Name: CloudPractice, DisplayName: "Practice tenant (built in, offline)",
		AuthorityHost:        withSlash(authorityHost),
		BrowserAuthorityHost: withSlash(browserAuthorityHost),
		GraphBaseURL:         strings.TrimSuffix(graphBaseURL, "/"),
		GraphResource:        "https://graph.microsoft.com",
		InstanceName:         "microsoftonline.com",
		EntraAdminCenter:     "https://entra.microsoft.com",
		CACertPEM:            caPEM,
		client:               newHTTPClient(pool),
	}, nil
}

func withSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}

// HTTPClient returns the client to use for this cloud: one trusting only the
// practice CA for the practice tenant, otherwise the cloud's tuned client
// (transport.go) of a Cloud from Clouds or CloudByName, else a default client.
func (c Cloud) HTTPClient() *http.Client {
	if c.client != nil {
		return c.client
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// browserHost is where a browser is sent.
func (c Cloud) browserHost() string {
	if c.BrowserAuthorityHost != "" {
		return withSlash(c.BrowserAuthorityHost)
	}
	return withSlash(c.AuthorityHost)
}

// GraphHost is the host name (no port) of the Graph endpoint, as the SDK's
// authentication provider wants it in its valid-hosts list.
func (c Cloud) GraphHost() string {
	u, err := url.Parse(c.GraphBaseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// DefaultScope is the ".default" scope for app-only tokens in this cloud.
func (c Cloud) DefaultScope() string {
	return strings.TrimSuffix(c.GraphResource, "/") + "/.default"
}

func (c Cloud) azcoreConfig() cloud.Configuration {
	return cloud.Configuration{ActiveDirectoryAuthorityHost: withSlash(c.AuthorityHost)}
}

// endpoint builds an identity platform URL for tenant on the API host.
func (c Cloud) endpoint(tenant, path string) string {
	return withSlash(c.AuthorityHost) + url.PathEscape(tenant) + path
}

// browserEndpoint builds an identity platform URL for tenant on the browser host.
func (c Cloud) browserEndpoint(tenant, path string) string {
	return c.browserHost() + url.PathEscape(tenant) + path
}
