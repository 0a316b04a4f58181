package graphmail

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func generated(seed int64) *Store {
	s := NewStore(StoreOptions{TenantDomain: "contoso.test", Now: func() time.Time { return testNow }})
	Generate(s, GenOptions{Users: 4, SharedMailboxes: 2, MessagesPerMailbox: 150, Days: 20, Seed: seed, Now: testNow})
	return s
}

func snapshotAll(t *testing.T, s *Store) ([]Mailbox, [][]Message) {
	t.Helper()
	boxes := s.Mailboxes()
	var msgs [][]Message
	for _, b := range boxes {
		msgs = append(msgs, mustAll(t, s, b.ID))
	}
	return boxes, msgs
}

func TestGenerateDeterministic(t *testing.T) {
	b1, m1 := snapshotAll(t, generated(42))
	b2, m2 := snapshotAll(t, generated(42))
	if !reflect.DeepEqual(b1, b2) || !reflect.DeepEqual(m1, m2) {
		t.Fatal("same seed produced different data")
	}
	b3, m3 := snapshotAll(t, generated(43))
	if reflect.DeepEqual(b1, b3) || reflect.DeepEqual(m1, m3) {
		t.Fatal("different seeds produced identical data")
	}
}

func TestGenerateShape(t *testing.T) {
	s := generated(1)
	boxes := s.Mailboxes()
	if len(boxes) != 6 {
		t.Fatalf("%d mailboxes", len(boxes))
	}
	users, shared := 0, 0
	ids := map[string]bool{}
	for _, b := range boxes {
		if ids[b.ID] || len(b.ID) != 36 || !strings.HasSuffix(b.Address, "@contoso.test") {
			t.Fatalf("bad mailbox %+v", b)
		}
		ids[b.ID] = true
		switch b.Kind {
		case KindUser:
			users++
		case KindShared:
			shared++
			if len(b.Members) == 0 || len(b.SendAs) == 0 {
				t.Fatalf("shared mailbox without members/SendAs: %+v", b)
			}
		}
	}
	if users != 4 || shared != 2 {
		t.Fatalf("%d users, %d shared", users, shared)
	}
	u := boxes[0]
	all := mustAll(t, s, u.ID)
	inbox, _ := s.Count(u.ID, FolderInbox)
	sent, _ := s.Count(u.ID, FolderSentItems)
	if len(all) != 150 || inbox+sent != 150 || inbox < 80 || sent < 20 {
		t.Fatalf("%d messages: inbox %d, sent %d", len(all), inbox, sent)
	}
	oldest := testNow.Add(-20 * 24 * time.Hour)
	convs := map[string]int{}
	inTenant := 0
	for _, m := range all {
		if m.Received.Before(oldest) || m.Received.After(testNow) {
			t.Fatalf("received %v outside the last 20 days", m.Received)
		}
		if m.Subject == "" || !strings.Contains(m.Body, "<html>") || !strings.HasPrefix(m.InternetMessageID, "<") || m.ID == m.ImmutableID {
			t.Fatalf("unrealistic message %+v", m)
		}
		convs[m.ConversationID]++
		if strings.HasSuffix(m.From.Address, "@contoso.test") && m.From.Address != u.Address {
			inTenant++
		}
	}
	threads := 0
	for _, n := range convs {
		if n > 1 {
			threads++
		}
	}
	if threads == 0 || inTenant == 0 {
		t.Fatalf("threads %d, in-tenant senders %d", threads, inTenant)
	}
}

// TestGenerate100k checks the large tenant is complete; its speed lives in
// BenchmarkGenerate100k (no timed assertions in tests: CI machines are shared).
func TestGenerate100k(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	s := NewStore(StoreOptions{TenantDomain: "contoso.test"})
	Generate(s, GenOptions{Users: 9, SharedMailboxes: 1, MessagesPerMailbox: 10000, Seed: 1})
	total := 0
	for _, b := range s.Mailboxes() {
		n, _ := s.Count(b.ID, "")
		total += n
	}
	if total != 100000 {
		t.Fatalf("%d messages", total)
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := NewStore(StoreOptions{TenantDomain: "contoso.test"})
		Generate(s, GenOptions{Users: 9, SharedMailboxes: 1, MessagesPerMailbox: 10000, Seed: int64(i)})
	}
}

// BenchmarkDeltaPage1000 pages a 100k-message folder through delta with
// Prefer: odata.maxpagesize=1000 (one op = the whole folder).
func BenchmarkDeltaPage1000(b *testing.B) {
	s := NewStore(StoreOptions{TenantDomain: "contoso.test", Now: func() time.Time { return testNow }, MailboxRequestLimit: -1})
	s.AddMailbox(Mailbox{ID: "big", Address: "big@contoso.test", DisplayName: "Big"})
	Generate(s, GenOptions{Users: 1, SharedMailboxes: -1, MessagesPerMailbox: 100000, Seed: 1, Now: testNow})
	box := s.Mailboxes()[1].ID
	for _, m := range mustAllB(b, s, box) {
		if m.Folder != FolderInbox {
			s.MoveMessage(box, m.ID, FolderInbox)
		}
	}
	f := &fixture{s: s, h: s.Handler()}
	n, _ := s.Count(box, FolderInbox)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got := 0
		next := "/v1.0/users/" + box + "/mailFolders/inbox/messages/delta"
		for next != "" {
			r := f.do(b, &appFull, "GET", next, nil, "Prefer", "odata.maxpagesize=1000")
			var page struct {
				Value []json.RawMessage `json:"value"`
				Next  string            `json:"@odata.nextLink"`
			}
			if r.status != 200 || json.Unmarshal(r.body, &page) != nil {
				b.Fatalf("delta page: %d", r.status)
			}
			got += len(page.Value)
			next = strings.TrimPrefix(page.Next, "https://graph.test")
		}
		if got != n {
			b.Fatalf("%d of %d items", got, n)
		}
	}
	b.ReportMetric(float64(n), "msgs/op")
}

func mustAllB(b *testing.B, s *Store, mb string) []Message {
	all, err := s.Messages(mb, "")
	if err != nil {
		b.Fatal(err)
	}
	return all
}
