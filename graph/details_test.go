package graph

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

func TestFirstLinesAndDetails(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"one", 3, "one"},
		{"  a \r\n\r\n b\nc\nd", 3, "a\nb\nc"},
		{"a\nb", 1, "a"},
	}
	for _, tc := range tests {
		if got := FirstLines(tc.in, tc.n); got != tc.want {
			t.Errorf("FirstLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	at := time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	got := ReadDetail(MessageSummary{Subject: "Q4", From: "bo@contoso.com", FromName: "Bo", To: []string{"anna@contoso.com"}, Cc: []string{"cy@contoso.com"},
		Received: at, BodyPreview: "Hi Anna,\r\nnumbers attached.\r\nBo\r\nsecond page"})
	want := `"Q4" from Bo <bo@contoso.com> to anna@contoso.com, cc cy@contoso.com, received 4 Dec 2026 10:30 UTC: Hi Anna, / numbers attached. / Bo`
	if got != want {
		t.Errorf("ReadDetail =\n%s\nwant\n%s", got, want)
	}
	got = SendDetail(SendResult{Subject: "m365connect test message m365c-x", Marker: "m365c-x", From: "a@c.com", To: []string{"b@c.com"}, SentAt: at, ArrivedAt: at.Add(3 * time.Second)})
	want = `sent "m365connect test message m365c-x" from a@c.com to b@c.com (marker m365c-x) at 4 Dec 2026 10:30 UTC, arrived 4 Dec 2026 10:30 UTC (after 3s)`
	if got != want {
		t.Errorf("SendDetail =\n%s\nwant\n%s", got, want)
	}
	// The draft or send step failed: Graph never accepted it.
	got = SendDetail(SendResult{Subject: "m365connect test message m365c-y", Marker: "m365c-y", From: "a@c.com", To: []string{"b@c.com"}})
	want = `not sent "m365connect test message m365c-y" from a@c.com to b@c.com (marker m365c-y)`
	if got != want {
		t.Errorf("SendDetail of a failed send =\n%s\nwant\n%s", got, want)
	}
}

// TestE2EReadAndSendDetails: the test read reports the newest message's sender,
// recipients, subject, received time and first body lines as the practice tenant
// stored them; the test send reports from, to, subject with the marker, and when the
// message arrived in the recipient's inbox.
func TestE2EReadAndSendDetails(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	received := time.Now().UTC().Add(time.Minute).Truncate(time.Second) // newest of all
	_, err := srv.Mail().DeliverMessage(users[0], graphmail.Message{Subject: "Quarterly numbers", Body: "Hello,\nthe numbers are in.\nRegards\nBo", BodyContentType: "text",
		From: graphmail.Recipient{Name: "Bo Berg", Address: "bo@fabrikam.com"}, To: []graphmail.Recipient{{Address: users[0]}}, Cc: []graphmail.Recipient{{Address: users[1]}},
		Received: received, InternetMessageID: "<q4@fabrikam.com>"})
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret,
		Features: Features{Read: true, Send: true}, Mailboxes: users[:1], TestRecipient: users[1], DeliveryWait: 5 * time.Second, DeliveryPoll: 100 * time.Millisecond}
	rs, err := Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, rs, "read", "send")
	rd := byID(rs)["read"]
	msgs := rd.Data.([]MessageSummary)
	m := msgs[0]
	if m.Subject != "Quarterly numbers" || m.From != "bo@fabrikam.com" || m.FromName != "Bo Berg" || len(m.To) != 1 || !strings.EqualFold(m.To[0], users[0]) ||
		len(m.Cc) != 1 || !strings.EqualFold(m.Cc[0], users[1]) || !m.Received.Equal(received) || !strings.HasPrefix(m.BodyPreview, "Hello,") {
		t.Errorf("read data %+v", m)
	}
	for _, w := range []string{"Quarterly numbers", "Bo Berg <bo@fabrikam.com>", "cc " + strings.ToLower(users[1]), "the numbers are in."} {
		if !strings.Contains(strings.ToLower(rd.Seen), strings.ToLower(w)) {
			t.Errorf("read seen lacks %q: %s", w, rd.Seen)
		}
	}
	sd := byID(rs)["send"]
	sr := sd.Data.(SendResult)
	if sr.From != users[0] || len(sr.To) != 1 || sr.To[0] != users[1] || !strings.Contains(sr.Subject, sr.Marker) || sr.SentAt.IsZero() ||
		sr.ArrivedAt.IsZero() || sr.ArrivedAt.Before(sr.SentAt.Add(-time.Second)) {
		t.Errorf("send data %+v", sr)
	}
	if n := srv.Mail().DeliveryCount(sr.InternetID, users[1]); n != 1 {
		t.Errorf("the practice tenant delivered the test message %d times to %s", n, users[1])
	}
	for _, w := range []string{users[1], sr.Marker, "arrived"} {
		if !strings.Contains(sd.Seen, w) {
			t.Errorf("send seen lacks %q: %s", w, sd.Seen)
		}
	}
}
