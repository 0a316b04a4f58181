package graphmail_test

// End-to-end tests through msgraph-sdk-go's request builders (users + models +
// core), over TLS, with the SDK's default middleware (gzip request bodies,
// parameter-name decoding, ...) but retries off so faults surface.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/m365connect/m365connect/emulator/graphmail"
)

var registerOnce sync.Once

// tokenProvider hands the SDK a fixed bearer token; the test server maps it to
// a Principal (standing in for the emulator core's token validation).
type tokenProvider struct {
	token string
	hosts *absauth.AllowedHostsValidator
}

func (p tokenProvider) GetAuthorizationToken(context.Context, *url.URL, map[string]interface{}) (string, error) {
	return p.token, nil
}
func (p tokenProvider) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return p.hosts }

type sdkEnv struct {
	store   *graphmail.Store
	srv     *httptest.Server
	users   []graphmail.Mailbox
	shared  graphmail.Mailbox
	mu      sync.Mutex
	gzipped int // requests that arrived with Content-Encoding: gzip
}

func newSDKEnv(t *testing.T, perMailbox int, principals map[string]graphmail.Principal) *sdkEnv {
	t.Helper()
	registerOnce.Do(func() {
		// What the root msgraph package would register (we avoid importing it).
		absser.DefaultParseNodeFactoryInstance.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonParseNodeFactory()
		absser.DefaultParseNodeFactoryInstance.ContentTypeAssociatedFactories["text/plain"] = textser.NewTextParseNodeFactory()
		absser.DefaultSerializationWriterFactoryInstance.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonSerializationWriterFactory()
		absser.DefaultSerializationWriterFactoryInstance.ContentTypeAssociatedFactories["text/plain"] = textser.NewTextSerializationWriterFactory()
	})
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	s := graphmail.NewStore(graphmail.StoreOptions{TenantID: "tid", TenantDomain: "contoso.test", TenantName: "Contoso", Now: func() time.Time { return now }})
	graphmail.Generate(s, graphmail.GenOptions{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: perMailbox, Days: 30, Seed: 3, Now: now})
	env := &sdkEnv{store: s}
	for _, m := range s.Mailboxes() {
		if m.Kind == graphmail.KindShared {
			env.shared = m
		} else {
			env.users = append(env.users, m)
		}
	}
	h := s.Handler()
	env.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") == "gzip" {
			env.mu.Lock()
			env.gzipped++
			env.mu.Unlock()
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if p, ok := principals[tok]; ok {
			r = r.WithContext(graphmail.WithPrincipal(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(env.srv.Close)
	return env
}

func (e *sdkEnv) adapter(t *testing.T, token string) *msgraphcore.GraphRequestAdapterBase {
	t.Helper()
	host := strings.Split(strings.TrimPrefix(e.srv.URL, "https://"), ":")[0]
	hosts := absauth.NewAllowedHostsValidator([]string{host})
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(tokenProvider{token: token, hosts: &hosts})
	kiota, err := khttp.GetDefaultMiddlewaresWithOptions(&khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}
	mws := append([]khttp.Middleware{msgraphcore.NewGraphTelemetryHandler(&opts), khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs)}, kiota...)
	client := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(e.srv.Client().Transport, mws...), Timeout: 30 * time.Second}
	ad, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, opts, absser.DefaultParseNodeFactoryInstance, absser.DefaultSerializationWriterFactoryInstance, client)
	if err != nil {
		t.Fatal(err)
	}
	ad.SetBaseUrl(e.srv.URL + "/v1.0")
	return ad
}

func usersOf(ad *msgraphcore.GraphRequestAdapterBase) *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{}, ad)
}

func odataErr(t *testing.T, err error, status int, code string) {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("want *odataerrors.ODataError %d %s, got %T %v", status, code, err, err)
	}
	got := ""
	if oe.GetErrorEscaped() != nil && oe.GetErrorEscaped().GetCode() != nil {
		got = *oe.GetErrorEscaped().GetCode()
	}
	if oe.ResponseStatusCode != status || got != code {
		t.Fatalf("got %d %q, want %d %q", oe.ResponseStatusCode, got, status, code)
	}
}

var sdkPrincipals = map[string]graphmail.Principal{
	"app":        {TenantID: "tid", AppID: "app-1", AppOnly: true, Roles: []string{"Mail.ReadWrite", "Mail.Send", "User.Read.All", "MailboxSettings.Read"}},
	"app-noperm": {TenantID: "tid", AppID: "app-3", AppOnly: true},
}

func ptr[T any](v T) *T { return &v }

func TestSDKUsersFilterPaging(t *testing.T) {
	env := newSDKEnv(t, 5, sdkPrincipals)
	ad := env.adapter(t, "app")
	ctx := context.Background()
	resp, err := usersOf(ad).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(1)), Select: []string{"id", "displayName", "mail", "accountEnabled"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](resp, ad, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	disabled := 0
	if err := it.Iterate(ctx, func(u models.Userable) bool {
		seen = append(seen, *u.GetMail())
		if u.GetAccountEnabled() != nil && !*u.GetAccountEnabled() {
			disabled++
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || disabled != 1 {
		t.Fatalf("paged users %v, %d disabled", seen, disabled)
	}
	f := "startswith(mail,'" + env.users[1].Address[:4] + "')"
	resp, err = usersOf(ad).Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: &f},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.GetValue(); len(v) != 1 || *v[0].GetId() != env.users[1].ID {
		t.Fatalf("filter %s returned %d users", f, len(v))
	}
	// Percent-encoded UPN as the user id.
	u, err := usersOf(ad).ByUserId(env.users[0].Address).Get(ctx, nil)
	if err != nil || *u.GetDisplayName() != env.users[0].DisplayName {
		t.Fatalf("get user by UPN: %v", err)
	}
	_, err = usersOf(env.adapter(t, "app-noperm")).Get(ctx, nil)
	odataErr(t, err, 403, "Authorization_RequestDenied")
	_, err = usersOf(ad).ByUserId("nobody@contoso.test").Get(ctx, nil)
	odataErr(t, err, 404, "Request_ResourceNotFound")
}

func TestSDKReadMessages(t *testing.T) {
	env := newSDKEnv(t, 40, sdkPrincipals)
	ad := env.adapter(t, "app")
	ctx := context.Background()
	u0 := env.users[0]
	resp, err := usersOf(ad).ByUserId(u0.ID).MailFolders().ByMailFolderId("inbox").Messages().Get(ctx,
		&users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
			Top: ptr(int32(5)), Select: []string{"subject", "receivedDateTime", "from", "internetMessageId"}, Orderby: []string{"receivedDateTime desc"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := env.store.Messages(u0.ID, graphmail.FolderInbox)
	it, _ := msgraphcore.NewPageIterator[models.Messageable](resp, ad, models.CreateMessageCollectionResponseFromDiscriminatorValue)
	i := 0
	err = it.Iterate(ctx, func(m models.Messageable) bool {
		if *m.GetId() != want[i].ID || *m.GetSubject() != want[i].Subject || !m.GetReceivedDateTime().Equal(want[i].Received) ||
			*m.GetFrom().GetEmailAddress().GetAddress() != want[i].From.Address {
			t.Errorf("message %d mismatch", i)
		}
		if m.GetBody() != nil {
			t.Errorf("$select did not drop body")
		}
		i++
		return true
	})
	if err != nil || i != len(want) {
		t.Fatalf("iterated %d of %d: %v", i, len(want), err)
	}
	// Immutable ids via Prefer.
	h := abs.NewRequestHeaders()
	h.Add("Prefer", `IdType="ImmutableId"`)
	one, err := usersOf(ad).ByUserId(u0.ID).Messages().ByMessageId(want[0].ID).Get(ctx, &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{Headers: h})
	if err != nil || *one.GetId() != want[0].ImmutableID || *one.GetBody().GetContent() != want[0].Body {
		t.Fatalf("immutable get: %v", err)
	}
	// Unknown user and unknown message.
	_, err = usersOf(ad).ByUserId("ghost@contoso.test").Messages().Get(ctx, nil)
	odataErr(t, err, 404, "ErrorInvalidUser")
	_, err = usersOf(ad).ByUserId(u0.ID).Messages().ByMessageId("AAMkNOPE").Get(ctx, nil)
	odataErr(t, err, 404, "ErrorItemNotFound")
	set, err := usersOf(ad).ByUserId(env.shared.Address).MailboxSettings().Get(ctx, nil)
	if err != nil || set.GetUserPurpose() == nil || *set.GetUserPurpose() != models.SHARED_USERPURPOSE {
		t.Fatalf("mailboxSettings: %v", err)
	}
}

func TestSDKDelta(t *testing.T) {
	env := newSDKEnv(t, 50, sdkPrincipals)
	ad := env.adapter(t, "app")
	ctx := context.Background()
	u0 := env.users[0]
	inbox, _ := env.store.Messages(u0.ID, graphmail.FolderInbox)
	folder := usersOf(ad).ByUserId(u0.ID).MailFolders().ByMailFolderId("inbox")

	round := func(start *users.ItemMailFoldersItemMessagesDeltaRequestBuilder) (ids map[string]bool, removed map[string]bool, deltaLink string) {
		t.Helper()
		h := abs.NewRequestHeaders()
		h.Add("Prefer", "odata.maxpagesize=7")
		cfg := &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetRequestConfiguration{Headers: h,
			QueryParameters: &users.ItemMailFoldersItemMessagesDeltaRequestBuilderGetQueryParameters{Select: []string{"subject", "isRead"}}}
		ids, removed = map[string]bool{}, map[string]bool{}
		b := start
		for {
			page, err := b.GetAsDeltaGetResponse(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.GetValue() {
				if _, ok := m.GetAdditionalData()["@removed"]; ok {
					removed[*m.GetId()] = true
				} else {
					ids[*m.GetId()] = true
				}
			}
			if len(page.GetValue()) > 7 {
				t.Fatalf("page of %d with maxpagesize 7", len(page.GetValue()))
			}
			if nl := page.GetOdataNextLink(); nl != nil {
				b = folder.Messages().Delta().WithUrl(*nl)
				continue
			}
			if page.GetOdataDeltaLink() == nil {
				t.Fatal("last page without deltaLink")
			}
			return ids, removed, *page.GetOdataDeltaLink()
		}
	}
	ids, removed, link := round(folder.Messages().Delta())
	if len(ids) != len(inbox) || len(removed) != 0 {
		t.Fatalf("initial: %d ids (inbox %d), %d removed", len(ids), len(inbox), len(removed))
	}
	added, _ := env.store.DeliverMessage(u0.ID, graphmail.Message{Subject: "new one"})
	env.store.MoveMessage(u0.ID, inbox[0].ID, graphmail.FolderDeletedItems)
	ids, removed, link = round(folder.Messages().Delta().WithUrl(link))
	if len(ids) != 1 || !ids[added.ID] || len(removed) != 1 || !removed[inbox[0].ID] {
		t.Fatalf("incremental: ids %v removed %v", ids, removed)
	}
	env.store.ExpireDeltaTokens(u0.ID, graphmail.FolderInbox)
	_, err := folder.Messages().Delta().WithUrl(link).GetAsDeltaGetResponse(ctx, nil)
	odataErr(t, err, 410, "SyncStateNotFound")
}

func TestSDKSendMailAndDrafts(t *testing.T) {
	principals := map[string]graphmail.Principal{"app": sdkPrincipals["app"]}
	env := newSDKEnv(t, 5, principals)
	u0, u1 := env.users[0], env.users[1]
	principals["u1"] = graphmail.Principal{TenantID: "tid", AppID: "app-2", UserID: u1.ID, Scopes: []string{"Mail.Send", "Mail.Send.Shared", "User.Read"}}
	ctx := context.Background()
	ad := env.adapter(t, "app")

	msg := models.NewMessage()
	msg.SetSubject(ptr("Status"))
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	body.SetContentType(&ct)
	body.SetContent(ptr("All green."))
	msg.SetBody(body)
	rcpt := models.NewRecipient()
	ea := models.NewEmailAddress()
	ea.SetAddress(ptr(u1.Address))
	rcpt.SetEmailAddress(ea)
	msg.SetToRecipients([]models.Recipientable{rcpt})
	msg.SetInternetMessageId(ptr("<status-1@m365connect.test>"))
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	req.SetSaveToSentItems(ptr(true))
	if err := usersOf(ad).ByUserId(u0.ID).SendMail().Post(ctx, req, nil); err != nil {
		t.Fatal(err)
	}
	if n := env.store.DeliveryCount("<status-1@m365connect.test>", u1.Address); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
	env.mu.Lock()
	gz := env.gzipped
	env.mu.Unlock()
	if gz == 0 {
		t.Fatal("the SDK's gzip request body never reached the handler (test would not cover decompression)")
	}

	// Draft + send.
	draft := models.NewMessage()
	draft.SetSubject(ptr("Draft via SDK"))
	draft.SetToRecipients([]models.Recipientable{rcpt})
	created, err := usersOf(ad).ByUserId(u0.ID).Messages().Post(ctx, draft, nil)
	if err != nil || !*created.GetIsDraft() {
		t.Fatalf("create draft: %v", err)
	}
	if err := usersOf(ad).ByUserId(u0.ID).Messages().ByMessageId(*created.GetId()).Send().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}
	inbox, _ := env.store.Messages(u1.ID, graphmail.FolderInbox)
	if inbox[0].Subject != "Draft via SDK" {
		t.Fatalf("recipient inbox top %q", inbox[0].Subject)
	}

	// u1 is a member of the shared mailbox but has no SendAs on it.
	dl := env.adapter(t, "u1")
	req2 := users.NewItemSendMailPostRequestBody()
	req2.SetMessage(msg)
	err = usersOf(dl).ByUserId(env.shared.ID).SendMail().Post(ctx, req2, nil)
	odataErr(t, err, 403, "ErrorSendAsDenied")
	// app-only cannot use /me: the SDK's Me() is users/me-token-to-replace.
	err = usersOf(ad).ByUserId("me-token-to-replace").SendMail().Post(ctx, req, nil)
	odataErr(t, err, 400, "BadRequest")
}

func TestSDKFaultsAndRefusals(t *testing.T) {
	principals := map[string]graphmail.Principal{
		"app":        sdkPrincipals["app"],
		"app-noperm": sdkPrincipals["app-noperm"],
	}
	env := newSDKEnv(t, 5, principals)
	ctx := context.Background()
	ad := env.adapter(t, "app")
	u0, u1 := env.users[0], env.users[1]
	principals["u0-nosh"] = graphmail.Principal{TenantID: "tid", AppID: "app-2", UserID: u0.ID, Scopes: []string{"Mail.Read"}}
	list := func(a *msgraphcore.GraphRequestAdapterBase, mb string) error {
		_, err := usersOf(a).ByUserId(mb).Messages().Get(ctx, nil)
		return err
	}
	tests := []struct {
		name   string
		fault  *graphmail.Fault
		setup  func()
		token  string
		mb     string
		status int
		code   string
		retry  string
	}{
		{name: "throttle", fault: &graphmail.Fault{Kind: graphmail.FaultThrottle, RetryAfter: 2 * time.Second}, status: 429, code: "ApplicationThrottled", retry: "2"},
		{name: "concurrency", fault: &graphmail.Fault{Kind: graphmail.FaultMailboxConcurrency}, status: 429, code: "ApplicationThrottled", retry: "1"},
		{name: "unavailable", fault: &graphmail.Fault{Kind: graphmail.FaultUnavailable, RetryAfter: 5 * time.Second}, status: 503, code: "serviceNotAvailable", retry: "5"},
		{name: "mailbox not found", fault: &graphmail.Fault{Kind: graphmail.FaultMailboxNotFound}, status: 404, code: "ErrorInvalidUser"},
		{name: "REST disabled", fault: &graphmail.Fault{Kind: graphmail.FaultRESTDisabled}, status: 404, code: "MailboxNotEnabledForRESTAPI"},
		{name: "access denied fault", fault: &graphmail.Fault{Kind: graphmail.FaultAccessDenied}, status: 403, code: "ErrorAccessDenied"},
		{name: "no mail role", token: "app-noperm", status: 403, code: "ErrorAccessDenied"},
		{name: "delegated other mailbox", token: "u0-nosh", mb: u1.ID, status: 403, code: "ErrorAccessDenied"},
		{name: "access policy", setup: func() {
			env.store.SetAccessPolicy("app-1", graphmail.AccessPolicy{Mode: graphmail.RestrictAccess, MailboxIDs: []string{u1.ID}})
		}, status: 403, code: "ErrorAccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				f := *tc.fault
				f.Mailbox, f.Count = u0.Address, 1
				env.store.InjectFault(f)
			}
			if tc.setup != nil {
				tc.setup()
				defer env.store.SetAccessPolicy("app-1", graphmail.AccessPolicy{})
			}
			tok, mb := tc.token, tc.mb
			if tok == "" {
				tok = "app"
			}
			if mb == "" {
				mb = u0.ID
			}
			err := list(env.adapter(t, tok), mb)
			odataErr(t, err, tc.status, tc.code)
			var oe *odataerrors.ODataError
			errors.As(err, &oe)
			if got := oe.GetResponseHeaders().Get("Retry-After"); strings.Join(got, "") != tc.retry {
				t.Fatalf("Retry-After %v, want %q", got, tc.retry)
			}
			if oe.GetErrorEscaped().GetInnerError() == nil {
				t.Fatal("no innerError parsed")
			}
		})
	}
	// After the one-shot faults, the mailbox reads normally.
	if err := list(ad, u0.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSDKBatch(t *testing.T) {
	env := newSDKEnv(t, 5, sdkPrincipals)
	ctx := context.Background()
	ad := env.adapter(t, "app")
	u0 := env.users[0]
	batch := msgraphcore.NewBatchRequest(ad)
	infoInbox, _ := usersOf(ad).ByUserId(u0.ID).MailFolders().ByMailFolderId("inbox").ToGetRequestInformation(ctx, nil)
	infoGhost, _ := usersOf(ad).ByUserId("ghost@contoso.test").Messages().ToGetRequestInformation(ctx, nil)
	itInbox, err := batch.AddBatchRequestStep(*infoInbox)
	if err != nil {
		t.Fatal(err)
	}
	itGhost, _ := batch.AddBatchRequestStep(*infoGhost)
	resp, err := batch.Send(ctx, ad)
	if err != nil {
		t.Fatal(err)
	}
	folder, err := msgraphcore.GetBatchResponseById[models.MailFolderable](resp, *itInbox.GetId(), models.CreateMailFolderFromDiscriminatorValue)
	if err != nil || *folder.GetDisplayName() != "Inbox" {
		t.Fatalf("batched folder: %v", err)
	}
	if st := resp.GetStatusCodes()[*itGhost.GetId()]; st != 404 {
		t.Fatalf("batched unknown user status %d", st)
	}
}

// TestSDKSentDraftKeepsImmutableID follows Microsoft's recipe: create a draft
// with Prefer: IdType="ImmutableId", send it by that id, GET the same id: it is
// the Sent Items copy (isDraft false). The regular id changes, as on a move.
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id#immutable-id-with-sending-mail
func TestSDKSentDraftKeepsImmutableID(t *testing.T) {
	env := newSDKEnv(t, 5, sdkPrincipals)
	ad := env.adapter(t, "app")
	ctx := context.Background()
	u0, u1 := env.users[0], env.users[1]
	box := usersOf(ad).ByUserId(u0.ID)
	immutable := func() *abs.RequestHeaders {
		h := abs.NewRequestHeaders()
		h.Add("Prefer", `IdType="ImmutableId"`)
		return h
	}

	draft := models.NewMessage()
	draft.SetSubject(ptr("Kept id"))
	rcpt := models.NewRecipient()
	ea := models.NewEmailAddress()
	ea.SetAddress(ptr(u1.Address))
	rcpt.SetEmailAddress(ea)
	draft.SetToRecipients([]models.Recipientable{rcpt})
	created, err := box.Messages().Post(ctx, draft, &users.ItemMessagesRequestBuilderPostRequestConfiguration{Headers: immutable()})
	if err != nil {
		t.Fatal(err)
	}
	immID := *created.GetId()
	before, err := env.store.Message(u0.ID, immID)
	if err != nil || before.ImmutableID != immID || before.Folder != graphmail.FolderDrafts {
		t.Fatalf("draft %+v (%v): the create response must carry the immutable id", before, err)
	}
	if err := box.Messages().ByMessageId(immID).Send().Post(ctx, nil); err != nil {
		t.Fatal(err)
	}

	got, err := box.Messages().ByMessageId(immID).Get(ctx, &users.ItemMessagesMessageItemRequestBuilderGetRequestConfiguration{
		Headers:         immutable(),
		QueryParameters: &users.ItemMessagesMessageItemRequestBuilderGetQueryParameters{Select: []string{"subject", "isDraft", "parentFolderId"}},
	})
	if err != nil {
		t.Fatalf("GET the draft's immutable id after send: %v", err)
	}
	sentFolder, _ := env.store.Messages(u0.ID, graphmail.FolderSentItems)
	if *got.GetId() != immID || got.GetIsDraft() == nil || *got.GetIsDraft() || *got.GetSubject() != "Kept id" ||
		len(sentFolder) == 0 || got.GetParentFolderId() == nil || *got.GetParentFolderId() != sentFolder[0].FolderID {
		t.Fatalf("GET %s: id %v isDraft %v parent %v, want the Sent Items copy", immID, *got.GetId(), got.GetIsDraft(), got.GetParentFolderId())
	}
	after, _ := env.store.Message(u0.ID, immID)
	if after.ImmutableID != immID || after.ID == before.ID {
		t.Fatalf("regular id %s → %s: want a new regular id and the same immutable id", before.ID, after.ID)
	}
	// The old regular id is gone, as after a move; the draft left Drafts.
	_, err = box.Messages().ByMessageId(before.ID).Get(ctx, nil)
	odataErr(t, err, 404, "ErrorItemNotFound")
	if drafts, _ := env.store.Messages(u0.ID, graphmail.FolderDrafts); len(drafts) != 0 {
		t.Fatalf("%d drafts left", len(drafts))
	}
	// The recipient's copy is another mailbox's item with its own id.
	inbox, _ := env.store.Messages(u1.ID, graphmail.FolderInbox)
	if inbox[0].Subject != "Kept id" || inbox[0].ImmutableID == immID {
		t.Fatalf("recipient copy %+v", inbox[0])
	}
}
