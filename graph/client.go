package graph

import (
	"context"
	"fmt"
	nethttp "net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	ktext "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Client talks to Microsoft Graph through msgraph-sdk-go's request builders
// (users + models) over msgraph-sdk-go-core's request adapter, with kiota's
// Azure identity authentication provider. Retries are off: checks report
// throttling (with Retry-After) instead of waiting.
type Client struct {
	cloud   Cloud
	cred    azcore.TokenCredential
	adapter *msgraphcore.GraphRequestAdapterBase
}

// NewClient builds a Graph client for cloud c with credential cred. The
// authentication provider's valid hosts contain the cloud's Graph host, so
// the practice tenant's 127.0.0.1 gets the Authorization header too.
func NewClient(c Cloud, cred azcore.TokenCredential) (*Client, error) {
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		cred, []string{c.DefaultScope()}, []string{c.GraphHost()})
	if err != nil {
		return nil, fmt.Errorf("graph auth provider: %w", err)
	}
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	mw := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	for i, m := range mw {
		if _, ok := m.(*khttp.RetryHandler); ok {
			mw[i] = khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
				ShouldRetry: func(time.Duration, int, *nethttp.Request, *nethttp.Response) bool { return false },
			})
		}
	}
	base := c.HTTPClient()
	parent := base.Transport
	if parent == nil {
		parent = nethttp.DefaultTransport
	}
	hc := &nethttp.Client{Transport: khttp.NewCustomTransportWithParentTransport(parent, mw...), Timeout: 2 * time.Minute}

	// Our own factory registries: the SDK's root package would register
	// these in kiota's global defaults; we keep them per client.
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonParseNodeFactory()
	parse.ContentTypeAssociatedFactories["text/plain"] = ktext.NewTextParseNodeFactory()
	ser := absser.NewSerializationWriterFactoryRegistry()
	ser.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonSerializationWriterFactory()
	ser.ContentTypeAssociatedFactories["text/plain"] = ktext.NewTextSerializationWriterFactory()

	ad, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, parse, ser, hc)
	if err != nil {
		return nil, fmt.Errorf("graph request adapter: %w", err)
	}
	ad.SetBaseUrl(c.GraphBaseURL)
	return &Client{cloud: c, cred: cred, adapter: ad}, nil
}

// Cloud returns the client's cloud.
func (c *Client) Cloud() Cloud { return c.cloud }

// Credential returns the client's credential.
func (c *Client) Credential() azcore.TokenCredential { return c.cred }

// Adapter exposes the kiota request adapter (for callers that build other
// request builders of the users package).
func (c *Client) Adapter() abs.RequestAdapter { return c.adapter }

// Users returns the /users request builder.
func (c *Client) Users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": c.cloud.GraphBaseURL}, c.adapter)
}

// user returns /users/{idOrUPN}.
func (c *Client) user(id string) *users.UserItemRequestBuilder { return c.Users().ByUserId(id) }

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, requestTimeout)
}
