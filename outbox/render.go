package outbox

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// Render is what an approver reads before approving: every header that decides where the
// message goes and what it says — from, to, cc, bcc, reply-to, subject — the body (HTML
// shown as text, with each link's real address), and the attachments. It is plain text
// for `m365connect outbox show ID` and the window alike. Characters that could hide or
// reorder what is shown (control characters, bidirectional overrides, zero-width marks)
// are made visible as ⟨U+XXXX⟩.
//
// The outbox's messages carry no Bcc, Reply-To header or attachments (a drop file with
// them is refused, see ParseDropFile), so those lines say "(none)": the approver sees
// that nothing is hidden there.
func Render(m Message) string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-12s %s\n", k+":", v) }
	list := func(vs []string) string {
		if len(vs) == 0 {
			return "(none)"
		}
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = visible(v)
		}
		return strings.Join(out, ", ")
	}
	line("From", visible(m.From))
	line("To", list(m.To))
	line("Cc", list(m.Cc))
	line("Bcc", "(none)")
	line("Reply-To", "(none: replies go to "+visible(m.From)+")")
	if m.ReplyTo != "" {
		line("In reply to", "message "+visible(m.ReplyTo)+" in "+visible(m.From)+"'s mailbox (Exchange sets In-Reply-To and References)")
	}
	subject := visible(m.Subject)
	if strings.TrimSpace(m.Subject) == "" {
		subject = "(no subject)"
	}
	line("Subject", subject)
	line("Attachments", "(none)")
	body, kind := m.Body, "text"
	if strings.EqualFold(m.BodyType, "html") {
		body, kind = HTMLText(m.Body), "HTML, shown as text"
	}
	fmt.Fprintf(&b, "Body (%s):\n", kind)
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		b.WriteString("  " + visible(l) + "\n")
	}
	return b.String()
}

// visible replaces characters that hide or reorder text with a visible ⟨U+XXXX⟩ (tab
// stays a tab).
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r): // Cf: bidi overrides, zero-width
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// HTMLText turns an HTML body into the text a mail client would show, with each link's
// address after its text ("text [https://...]") and no script, style or hidden head.
func HTMLText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // inside script, style, head, title
	var hrefs []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapseBlank(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
				if t := z.Text(); len(t) > 0 && unicode.IsSpace(rune(t[len(t)-1])) {
					b.WriteByte(' ')
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "template":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr":
				b.WriteByte('\n')
			case "a":
				if tt == html.StartTagToken {
					href := ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							href = string(v)
						}
					}
					hrefs = append(hrefs, href)
				} else if tt == html.EndTagToken && len(hrefs) > 0 {
					if h := hrefs[len(hrefs)-1]; h != "" {
						b.WriteString(" [" + h + "]")
					}
					hrefs = hrefs[:len(hrefs)-1]
				}
			case "img":
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "src" {
						b.WriteString("[image: " + string(v) + "]")
					}
				}
			}
		}
	}
}

// collapseBlank trims each line and keeps at most one empty line in a row.
func collapseBlank(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
