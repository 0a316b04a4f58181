package graphmail

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestParseBatch checks what the whole batch must satisfy before any request of it runs
// (https://learn.microsoft.com/en-us/graph/json-batching).
func TestParseBatch(t *testing.T) {
	req := func(id string, deps ...string) string {
		d := ""
		if len(deps) > 0 {
			d = `,"dependsOn":["` + strings.Join(deps, `","`) + `"]`
		}
		return `{"id":"` + id + `","method":"GET","url":"/me"` + d + `}`
	}
	batch := func(reqs ...string) string { return `{"requests":[` + strings.Join(reqs, ",") + `]}` }
	var many []string
	for i := range batchLimit + 1 {
		many = append(many, req(fmt.Sprint(i)))
	}
	for _, tc := range []struct {
		name, body, wantMsg string
		wantN               int
	}{
		{"not json", `{`, "Invalid batch payload format.", 0},
		{"no requests", `{"requests":[]}`, "Invalid batch payload format.", 0},
		{"over the limit", batch(many...), "Number of batch requests exceeds the maximum of 20.", 0},
		{"at the limit", batch(many[:batchLimit]...), "", batchLimit},
		{"no url", batch(`{"id":"1","method":"GET"}`), "Each batch request needs id, method and url.", 0},
		{"duplicate id, other case", batch(req("a"), req("A")), "Batch request ids must be unique: 'A'.", 0},
		{"unknown dependency", batch(req("1"), req("2", "3")), "Request '2' depends on unknown request '3'.", 0},
		{"dependency named in other case", batch(req("first"), req("2", "FIRST")), "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs, byID, msg := parseBatch([]byte(tc.body))
			if msg != tc.wantMsg || len(reqs) != tc.wantN {
				t.Fatalf("parseBatch = %d requests, %q; want %d, %q", len(reqs), msg, tc.wantN, tc.wantMsg)
			}
			for i, r := range reqs {
				if byID[strings.ToLower(r.ID)] != i {
					t.Errorf("byID[%q] = %d, want %d", r.ID, byID[strings.ToLower(r.ID)], i)
				}
			}
		})
	}
}

// TestParseListQuery checks the message list's query options
// (https://learn.microsoft.com/en-us/graph/api/user-list-messages).
func TestParseListQuery(t *testing.T) {
	for _, tc := range []struct {
		query     string
		wantMsg   string
		top, skip int
		desc      bool
		count     bool
	}{
		{"", "", 10, 0, true, false},
		{"$top=5&$skip=7&$count=true", "", 5, 7, true, true},
		{"$top=5000", "", 1000, 0, true, false},
		{"$top=0", "Invalid $top value.", 0, 0, false, false},
		{"$top=x", "Invalid $top value.", 0, 0, false, false},
		{"$skip=-1", "Invalid $skip value.", 0, 0, false, false},
		{"$orderby=receivedDateTime", "", 10, 0, false, false},
		{"$orderby=receivedDateTime%20%20ASC", "", 10, 0, false, false},
		{"$orderby=ReceivedDateTime%20desc", "", 10, 0, true, false},
		{"$orderby=subject", "The $orderby expression is not supported: subject", 0, 0, false, false},
		{"$filter=isRead%20eq%20maybe", "Invalid filter clause: invalid filter clause \"isRead eq maybe\"", 0, 0, false, false},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		lq, msg := parseListQuery(q)
		if msg != tc.wantMsg {
			t.Errorf("%q: message %q, want %q", tc.query, msg, tc.wantMsg)
			continue
		}
		if msg == "" && (lq.top != tc.top || lq.skip != tc.skip || lq.desc != tc.desc || lq.count != tc.count) {
			t.Errorf("%q: top %d skip %d desc %v count %v; want %d %d %v %v", tc.query, lq.top, lq.skip, lq.desc, lq.count, tc.top, tc.skip, tc.desc, tc.count)
		}
	}
}

// TestCaseFoldingKeepsPositions: lower-casing can change a string's length ("ẞ" is
// three bytes, "ß" two; an invalid byte becomes three), so a position found in a
// lower-cased copy must not be used in the original. A $filter or a body with such
// text is refused or rendered, never a panic.
func TestCaseFoldingKeepsPositions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ẞ<br>x", "ẞ\r\nx"},
		{"ẞẞẞẞẞẞ<BR>x", "ẞẞẞẞẞẞ\r\nx"},
		{"\xeb<p>a</P>b", "\ufffda\r\nb"}, // the invalid byte comes out as U+FFFD, as before
		{"ẞẞẞ<HEAD><title>t</title></HEAD>body", "ẞẞẞbody"},
	} {
		if got := htmlToText(tc.in); got != tc.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"subject eq 'ẞẞẞ' AND isRead eq true", []string{"subject eq 'ẞẞẞ'", "isRead eq true"}},
		{"0000000\xeb00000'00''0'0 And ", []string{"0000000\xeb00000'00''0'0", ""}},
		{"ẞẞẞẞẞẞẞ and isRead eq true", []string{"ẞẞẞẞẞẞẞ", "isRead eq true"}},
	} {
		got := splitClauses(tc.in, " and ")
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitClauses(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
