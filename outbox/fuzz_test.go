package outbox

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParseDropFile: the drop-file parser never panics; what it accepts is one JSON object
// within the size limit that reads back the same, and a cut-off file is reported as
// incomplete, never accepted.
func FuzzParseDropFile(f *testing.F) {
	f.Add([]byte(`{"from":"support@contoso.com","to":["a@contoso.com"],"subject":"hi","text":"x"}`))
	f.Add([]byte(`{"from":"support@contoso.com","to":["a@contoso.com"],"html":"<p>x</p>","key":"k1","replyTo":"AAMk="}`))
	f.Add([]byte(`{"from":`))
	f.Add([]byte(`{"bcc":["x@y.z"]}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(``))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseDropFile("f.json", data)
		if err != nil {
			if errors.Is(err, ErrDropIncomplete) && len(strings.TrimSpace(string(data))) > 0 && json.Valid(data) {
				t.Fatalf("a complete JSON value called incomplete: %q", data)
			}
			return
		}
		if len(data) > maxDropFile {
			t.Fatal("accepted an oversized file")
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if n.Key == "" {
			t.Fatal("no idempotency key")
		}
		b, _ := json.Marshal(n)
		n2, err := ParseDropFile("f.json", b)
		if err != nil || n2.Key != n.Key || n2.From != n.From || n2.Subject != n.Subject {
			t.Fatalf("does not read back: %v", err)
		}
		_ = Render(Message{From: n.From, To: n.To, Cc: n.Cc, Subject: n.Subject, Body: n.HTML, BodyType: "html"})
	})
}
