package graph

import (
	"fmt"
	"strings"
	"time"
)

// detailTime is how message times appear in check results (UTC, so the words do not
// depend on the machine's zone; the window formats Data in local time itself).
const detailTime = "2 Jan 2006 15:04 MST"

// previewLines is how many lines of the body preview the test read shows.
const previewLines = 3

// ReadDetail is one message of the test read in words: subject, sender, recipients,
// received time and the first lines of the body.
func ReadDetail(m MessageSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q from %s", m.Subject, addressWithName(m.From, m.FromName))
	if len(m.To) > 0 {
		b.WriteString(" to " + strings.Join(m.To, ", "))
	}
	if len(m.Cc) > 0 {
		b.WriteString(", cc " + strings.Join(m.Cc, ", "))
	}
	if !m.Received.IsZero() {
		b.WriteString(", received " + m.Received.UTC().Format(detailTime))
	}
	if p := FirstLines(m.BodyPreview, previewLines); p != "" {
		b.WriteString(": " + strings.ReplaceAll(p, "\n", " / "))
	}
	return b.String()
}

// SendDetail is the test send in words: from, to, subject (with its marker), when it
// was sent and when it arrived.
func SendDetail(r SendResult) string {
	var b strings.Builder
	verb := "sent"
	if r.SentAt.IsZero() {
		// Graph did not accept it (the draft or the send step failed): say so, or a
		// failed check would read "sent" above its advice.
		verb = "not sent"
	}
	fmt.Fprintf(&b, "%s %q from %s to %s (marker %s)", verb, r.Subject, r.From, strings.Join(r.To, ", "), r.Marker)
	if !r.SentAt.IsZero() {
		b.WriteString(" at " + r.SentAt.UTC().Format(detailTime))
	}
	if !r.ArrivedAt.IsZero() {
		b.WriteString(", arrived " + r.ArrivedAt.UTC().Format(detailTime))
		if !r.SentAt.IsZero() {
			if d := r.ArrivedAt.Sub(r.SentAt); d >= 0 {
				b.WriteString(fmt.Sprintf(" (after %s)", d.Round(time.Second)))
			}
		}
	}
	return b.String()
}

// FirstLines returns up to n non-empty lines of text, each trimmed, joined by "\n".
func FirstLines(text string, n int) string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func addressWithName(addr, name string) string {
	if name == "" || strings.EqualFold(name, addr) {
		return addr
	}
	return name + " <" + addr + ">"
}
