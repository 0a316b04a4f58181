package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	ktext "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/m365connect/m365connect/emulator"
)

// graphUsers builds msgraph-sdk-go's /users request builder against the emulator, the
// way an app does without the root msgraph package.
func graphUsers(t *testing.T, s *emulator.Server, cred azcore.TokenCredential) *users.UsersRequestBuilder {
	t.Helper()
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphDefault}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	mw := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(s.Client().Transport, mw...), Timeout: time.Minute}
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonParseNodeFactory()
	parse.ContentTypeAssociatedFactories["text/plain"] = ktext.NewTextParseNodeFactory()
	ser := absser.NewSerializationWriterFactoryRegistry()
	ser.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonSerializationWriterFactory()
	ser.ContentTypeAssociatedFactories["text/plain"] = ktext.NewTextSerializationWriterFactory()
	ad, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, parse, ser, hc)
	if err != nil {
		t.Fatal(err)
	}
	ad.SetBaseUrl(s.GraphBaseURL())
	return users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": s.GraphBaseURL()}, ad)
}

func TestGraphSDKReadsAndSendsWithAzidentityToken(t *testing.T) {
	s := newServer(t, emulator.Options{MessagesPerMailbox: 12})
	id := s.Identity()
	app := id.App(emulator.AppSecretName)
	cred := secretCredential(t, s, id.TenantID(), app, app.ClientSecret())
	u := graphUsers(t, s, cred)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mbx := id.Users()[0]

	top := int32(5)
	page, err := u.ByUserId(mbx.Address).Messages().Get(ctx, &users.ItemMessagesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMessagesRequestBuilderGetQueryParameters{Top: &top},
	})
	if err != nil {
		t.Fatalf("list messages: %v", describe(err))
	}
	if len(page.GetValue()) == 0 || page.GetValue()[0].GetId() == nil || page.GetValue()[0].GetSubject() == nil {
		t.Fatalf("messages page = %+v", page.GetValue())
	}

	// sendMail: msgraph-sdk-go gzips the body; the core decompresses it.
	msg := models.NewMessage()
	subject := "practice tenant gzip check"
	msg.SetSubject(&subject)
	to := models.NewRecipient()
	ea := models.NewEmailAddress()
	addr := id.Users()[1].Address
	ea.SetAddress(&addr)
	to.SetEmailAddress(ea)
	msg.SetToRecipients([]models.Recipientable{to})
	body := users.NewItemSendMailPostRequestBody()
	body.SetMessage(msg)
	if err := u.ByUserId(mbx.Address).SendMail().Post(ctx, body, nil); err != nil {
		t.Fatalf("sendMail: %v", describe(err))
	}

	// After the app's tokens are revoked and the cached token is replayed, Graph says 401.
	id.RevokeTokens(app.ClientID)
	_, err = u.ByUserId(mbx.Address).Messages().Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != http.StatusUnauthorized || oe.GetErrorEscaped() == nil ||
		*oe.GetErrorEscaped().GetCode() != "InvalidAuthenticationToken" {
		t.Fatalf("after revocation: %v", describe(err))
	}
}

func describe(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil && oe.GetErrorEscaped().GetCode() != nil {
		msg := ""
		if oe.GetErrorEscaped().GetMessage() != nil {
			msg = *oe.GetErrorEscaped().GetMessage()
		}
		return *oe.GetErrorEscaped().GetCode() + ": " + msg
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
