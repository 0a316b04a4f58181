package outbox

import (
	"strings"
	"testing"
)

// The approver sees what they approve: every header, the HTML body as text with the real
// link targets, and nothing hidden by control or bidi characters.
func TestRenderShowsEverything(t *testing.T) {
	m := Message{ID: "m1", From: "support@contoso.com", To: []string{"a@contoso.com", "Evil\u202egro.live@x.com"}, Cc: []string{"c@contoso.com"},
		Subject: "Invoice\r\nBcc: boss@evil.example", BodyType: "html", ReplyTo: "AAMkAD=",
		Body: `<html><head><title>t</title><style>p{display:none}</style><script>alert(1)</script></head>` +
			`<body><p>Dear customer,</p><p>Pay <a href="https://evil.example/pay">https://contoso.com/pay</a> today.</p>` +
			`<img src="https://tracker.example/p.gif"><div style="display:none">hidden text</div>&amp; thanks</body></html>`}
	out := Render(m)
	for _, want := range []string{
		"From:        support@contoso.com",
		"To:          a@contoso.com, Evil⟨U+202E⟩gro.live@x.com",
		"Cc:          c@contoso.com",
		"Bcc:         (none)",
		"Reply-To:    (none: replies go to support@contoso.com)",
		"In reply to: message AAMkAD=",
		"Subject:     Invoice⟨U+000D⟩⟨U+000A⟩Bcc: boss@evil.example",
		"Attachments: (none)",
		"Body (HTML, shown as text):",
		"Dear customer,",
		"https://contoso.com/pay [https://evil.example/pay]",
		"[image: https://tracker.example/p.gif]",
		"hidden text",
		"& thanks",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"<p>", "alert(1)", "display:none", "\u202e", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("render contains %q:\n%s", bad, out)
		}
	}
	// Every line of the header block is one line: a CR/LF in a value cannot forge one.
	if strings.Count(out, "\nBcc:") != 1 {
		t.Errorf("a forged Bcc line:\n%s", out)
	}
	text := Render(Message{From: "a@b.c", To: []string{"d@e.f"}, Body: "line 1\nline 2", BodyType: "text"})
	if !strings.Contains(text, "Body (text):\n  line 1\n  line 2\n") || !strings.Contains(text, "Subject:     (no subject)") {
		t.Errorf("text body:\n%s", text)
	}
}
