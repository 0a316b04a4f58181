package graphmail

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// deltaRound follows nextLinks to the deltaLink; it returns the items and the deltaLink.
func deltaRound(t testing.TB, f *fixture, p *Principal, start string, hdr ...string) ([]map[string]any, string, int) {
	t.Helper()
	var items []map[string]any
	next := start
	pages := 0
	for {
		r := f.do(t, p, "GET", next, nil, hdr...)
		if r.status != 200 {
			t.Fatalf("delta %s: %d %s", next, r.status, r.body)
		}
		pages++
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			items = append(items, v.(map[string]any))
		}
		nl, hasNext := m["@odata.nextLink"].(string)
		dl, hasDelta := m["@odata.deltaLink"].(string)
		if hasNext == hasDelta {
			t.Fatalf("page must have exactly one of nextLink/deltaLink: %s", r.body)
		}
		if hasDelta {
			if !strings.Contains(dl, "$deltatoken=") {
				t.Fatalf("deltaLink without $deltatoken: %s", dl)
			}
			return items, strings.TrimPrefix(dl, "https://graph.test"), pages
		}
		if !strings.Contains(nl, "$skiptoken=") {
			t.Fatalf("nextLink without $skiptoken: %s", nl)
		}
		next = strings.TrimPrefix(nl, "https://graph.test")
	}
}

func TestDeltaInitialIncrementalRemovedExpired(t *testing.T) {
	f := newFixture(t, 45)
	u0 := f.users[0]
	inbox, _ := f.s.Messages(u0.ID, FolderInbox)
	start := "/v1.0/users/" + url.PathEscape(u0.Address) + "/mailFolders('inbox')/messages/delta()?$select=subject,isRead"

	// Default page size is 10.
	items, deltaLink, pages := deltaRound(t, f, &appFull, start)
	if len(items) != len(inbox) {
		t.Fatalf("initial sync returned %d, inbox has %d", len(items), len(inbox))
	}
	if want := (len(inbox) + 9) / 10; pages != want && pages != want+1 {
		t.Fatalf("%d pages for %d items at default size 10", pages, len(items))
	}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it["id"].(string)] {
			t.Fatalf("duplicate %v", it["id"])
		}
		seen[it["id"].(string)] = true
		if _, ok := it["body"]; ok {
			t.Fatal("$select not applied in delta")
		}
	}

	// No changes: empty page with a fresh deltaLink.
	items, deltaLink, _ = deltaRound(t, f, &appFull, deltaLink)
	if len(items) != 0 {
		t.Fatalf("no-change round returned %d items", len(items))
	}

	// Changes: one new message, one read-flag update, one moved out, one deleted.
	newMsg, _ := f.s.DeliverMessage(u0.ID, Message{Subject: "fresh", From: Recipient{Address: "x@fabrikam.com"}})
	if err := f.s.MarkRead(u0.ID, inbox[1].ID, !inbox[1].IsRead); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.MoveMessage(u0.ID, inbox[2].ID, FolderArchive); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteMessage(u0.ID, inbox[3].ID); err != nil {
		t.Fatal(err)
	}
	// A change in another folder must not show up.
	f.s.DeliverMessage(u0.ID, Message{Subject: "elsewhere", Folder: FolderArchive})

	items, deltaLink, _ = deltaRound(t, f, &appFull, deltaLink)
	got := map[string]string{}
	for _, it := range items {
		if rm, ok := it["@removed"].(map[string]any); ok {
			if rm["reason"] != "deleted" {
				t.Fatalf("@removed reason %v", rm["reason"])
			}
			got[it["id"].(string)] = "removed"
		} else {
			got[it["id"].(string)] = it["subject"].(string)
		}
	}
	want := map[string]string{newMsg.ID: "fresh", inbox[1].ID: inbox[1].Subject, inbox[2].ID: "removed", inbox[3].ID: "removed"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("incremental round:\n got %v\nwant %v", got, want)
	}

	// Immutable ids in @removed when asked for.
	ch, _ := f.s.MoveMessage(u0.ID, inbox[4].ID, FolderArchive)
	items, _, _ = deltaRound(t, f, &appFull, deltaLink, "Prefer", `IdType="ImmutableId"`)
	if len(items) != 1 || items[0]["id"] != ch.ImmutableID || items[0]["@removed"] == nil {
		t.Fatalf("immutable removed: %v", items)
	}

	// Expired token: 410 SyncStateNotFound; a garbage token: 400.
	if err := f.s.ExpireDeltaTokens(u0.ID, FolderInbox); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, &appFull, "GET", deltaLink, nil)
	if r.status != 410 || r.errCode(t) != "SyncStateNotFound" {
		t.Fatalf("expired token: %d %s", r.status, r.body)
	}
	r = f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages/delta?$deltatoken=bogus", nil)
	if r.status != 400 || r.errCode(t) != "ErrorInvalidSyncStateData" {
		t.Fatalf("garbage token: %d %s", r.status, r.body)
	}
	// Resync from scratch works.
	items, _, _ = deltaRound(t, f, &appFull, start)
	now, _ := f.s.Count(u0.ID, FolderInbox)
	if len(items) != now {
		t.Fatalf("resync returned %d, inbox has %d", len(items), now)
	}
}

func TestDeltaMaxPageSizeAndFilter(t *testing.T) {
	f := newFixture(t, 80)
	u0 := f.users[0]
	inbox, _ := f.s.Messages(u0.ID, FolderInbox)
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages/delta", nil, "Prefer", "odata.maxpagesize=25")
	if n := len(r.json(t)["value"].([]any)); n != 25 {
		t.Fatalf("page of %d with maxpagesize 25", n)
	}
	if !strings.Contains(r.header.Get("Preference-Applied"), "odata.maxpagesize=25") {
		t.Fatalf("Preference-Applied %q", r.header.Get("Preference-Applied"))
	}
	cut := inbox[len(inbox)/2].Received
	want := 0
	for _, m := range inbox {
		if !m.Received.Before(cut) {
			want++
		}
	}
	q := url.Values{"$filter": {"receivedDateTime ge " + cut.Format(time.RFC3339)}}
	items, _, _ := deltaRound(t, f, &appFull, "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages/delta?"+q.Encode(), "Prefer", "odata.maxpagesize=7")
	if len(items) != want {
		t.Fatalf("filtered initial sync: %d, want %d", len(items), want)
	}
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/messages/delta", nil); r.status != 400 {
		t.Fatalf("mailbox-level delta: %d", r.status)
	}
}

// TestDeltaConcurrentChanges: changes made while a round is being paged show
// up in the next round, never lost.
func TestDeltaConcurrentChanges(t *testing.T) {
	f := newFixture(t, 30)
	u0 := f.users[0]
	r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages/delta", nil, "Prefer", "odata.maxpagesize=5")
	next := strings.TrimPrefix(r.json(t)["@odata.nextLink"].(string), "https://graph.test")
	mid, _ := f.s.DeliverMessage(u0.ID, Message{Subject: "during round"})
	items, deltaLink, _ := deltaRound(t, f, &appFull, next)
	for _, it := range items {
		if it["id"] == mid.ID {
			t.Fatal("message created after the round started appeared in it")
		}
	}
	items, _, _ = deltaRound(t, f, &appFull, deltaLink)
	if len(items) != 1 || items[0]["id"] != mid.ID {
		t.Fatalf("next round: %v", items)
	}
}

func TestDeltaOrderbyDescInitialRound(t *testing.T) {
	f := newFixture(t, 60)
	u0 := f.users[0]
	inbox, _ := f.s.Messages(u0.ID, FolderInbox) // newest first
	cut := inbox[len(inbox)*2/3].Received
	want := 0
	for _, m := range inbox {
		if !m.Received.Before(cut) {
			want++
		}
	}
	q := url.Values{"$filter": {"receivedDateTime ge " + cut.Format(time.RFC3339)}, "$orderby": {"receivedDateTime desc"}, "$select": {"receivedDateTime"}}
	start := "/v1.0/users/" + u0.ID + "/mailFolders/inbox/messages/delta?" + q.Encode()
	r := f.do(t, &appFull, "GET", start, nil, "Prefer", "odata.maxpagesize=4")
	first := r.json(t)
	// A message arriving mid-round lands at the top; the cursor must not repeat or skip.
	mid, _ := f.s.DeliverMessage(u0.ID, Message{Subject: "mid-round"})
	items, deltaLink, _ := deltaRound(t, f, &appFull, strings.TrimPrefix(first["@odata.nextLink"].(string), "https://graph.test"), "Prefer", "odata.maxpagesize=4")
	var all []map[string]any
	for _, v := range first["value"].([]any) {
		all = append(all, v.(map[string]any))
	}
	all = append(all, items...)
	if len(all) != want {
		t.Fatalf("desc initial round returned %d, want %d", len(all), want)
	}
	for i, it := range all {
		if it["id"] != inbox[i].ID {
			t.Fatalf("item %d is %v, want %v (newest first)", i, it["id"], inbox[i].ID)
		}
	}
	items, _, _ = deltaRound(t, f, &appFull, deltaLink)
	if len(items) != 1 || items[0]["id"] != mid.ID {
		t.Fatalf("next round: %v", items)
	}
	if r := f.do(t, &appFull, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages/delta?$orderby=subject", nil); r.status != 400 {
		t.Fatalf("unsupported $orderby: %d", r.status)
	}
}

func TestDeltaFilterCap(t *testing.T) {
	s := NewStore(StoreOptions{TenantDomain: "contoso.test", Now: func() time.Time { return testNow }, DeltaFilterCap: 12})
	Generate(s, GenOptions{Users: 1, SharedMailboxes: -1, MessagesPerMailbox: 60, Days: 10, Seed: 9, Now: testNow})
	f := &fixture{s: s, h: s.Handler()}
	mb := s.Mailboxes()[0].ID
	inbox, _ := s.Count(mb, FolderInbox)
	q := url.Values{"$filter": {"receivedDateTime ge " + testNow.Add(-30*24*time.Hour).Format(time.RFC3339)}}
	for _, extra := range []string{"", "&$orderby=receivedDateTime%20desc"} {
		items, link, _ := deltaRound(t, f, &appFull, "/v1.0/users/"+mb+"/mailFolders/inbox/messages/delta?"+q.Encode()+extra, "Prefer", "odata.maxpagesize=5")
		if len(items) != 12 || inbox <= 12 {
			t.Fatalf("capped round returned %d (inbox %d)", len(items), inbox)
		}
		s.DeliverMessage(mb, Message{Subject: "after"})
		items, _, _ = deltaRound(t, f, &appFull, link)
		if len(items) != 1 {
			t.Fatalf("incremental after capped round: %d", len(items))
		}
	}
	// Without a filter there is no cap.
	items, _, _ := deltaRound(t, f, &appFull, "/v1.0/users/"+mb+"/mailFolders/inbox/messages/delta", "Prefer", "odata.maxpagesize=50")
	if n, _ := s.Count(mb, FolderInbox); len(items) != n {
		t.Fatalf("unfiltered round: %d of %d", len(items), n)
	}
}

// TestDeltaFilterCapDefault: with default options a filtered initial round
// stops at Microsoft's documented 5,000 messages — the newest 5,000 with
// $orderby=receivedDateTime desc — and ends with a deltaLink; a negative cap
// turns it off. The messages left out are reachable with a plain list
// filtered on receivedDateTime, which is how a client fills the gap.
// https://learn.microsoft.com/en-us/graph/delta-query-messages
func TestDeltaFilterCapDefault(t *testing.T) {
	const n = DefaultDeltaFilterCap + 237
	build := func(cap int) (*fixture, string) {
		s := NewStore(StoreOptions{TenantDomain: "contoso.test", Now: func() time.Time { return testNow }, DeltaFilterCap: cap, MailboxRequestLimit: -1})
		s.AddMailbox(Mailbox{ID: "busy", Address: "busy@contoso.test", DisplayName: "Busy"})
		for i := range n {
			// Two messages per minute, so equal receivedDateTimes straddle pages.
			if _, err := s.DeliverMessage("busy", Message{Subject: "m", Received: testNow.Add(-time.Duration(i/2) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		return &fixture{s: s, h: s.Handler()}, "busy"
	}
	window := testNow.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	start := "/v1.0/users/busy/mailFolders/inbox/messages/delta?" + url.Values{
		"$filter": {"receivedDateTime ge " + window}, "$orderby": {"receivedDateTime desc"}, "$select": {"receivedDateTime"}}.Encode()

	f, mb := build(0)
	items, link, pages := deltaRound(t, f, &appFull, start, "Prefer", "odata.maxpagesize=300")
	if len(items) != DefaultDeltaFilterCap || pages != (DefaultDeltaFilterCap+299)/300 {
		t.Fatalf("capped round: %d items in %d pages, want %d", len(items), pages, DefaultDeltaFilterCap)
	}
	all, _ := f.s.Messages(mb, FolderInbox) // newest first
	for i, it := range items {
		if it["id"] != all[i].ID {
			t.Fatalf("item %d is %v, want the %d-th newest", i, it["id"], i)
		}
	}
	// The rest: list with receivedDateTime ge window and le the oldest seen.
	oldest := all[DefaultDeltaFilterCap-1].Received
	q := url.Values{"$filter": {"receivedDateTime ge " + window + " and receivedDateTime lt " + oldest.Add(time.Second).Format(time.RFC3339)},
		"$orderby": {"receivedDateTime desc"}, "$top": {"1000"}, "$select": {"receivedDateTime"}}
	seen := map[any]bool{}
	for _, it := range items {
		seen[it["id"]] = true
	}
	next := "/v1.0/users/busy/mailFolders/inbox/messages?" + q.Encode()
	for next != "" {
		r := f.do(t, &appFull, "GET", next, nil)
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			seen[v.(map[string]any)["id"]] = true
		}
		nl, _ := m["@odata.nextLink"].(string)
		next = strings.TrimPrefix(nl, "https://graph.test")
	}
	if len(seen) != n {
		t.Fatalf("delta + gap list saw %d of %d", len(seen), n)
	}
	// The deltaLink of the capped round reports later changes to any message
	// in the window, also one the capped round left out.
	f.s.MarkRead(mb, all[n-1].ID, true)
	items, _, _ = deltaRound(t, f, &appFull, link)
	if len(items) != 1 || items[0]["id"] != all[n-1].ID {
		t.Fatalf("incremental after the capped round: %v", items)
	}

	f, _ = build(-1)
	if items, _, _ := deltaRound(t, f, &appFull, start, "Prefer", "odata.maxpagesize=1000"); len(items) != n {
		t.Fatalf("cap off: %d of %d", len(items), n)
	}
}
