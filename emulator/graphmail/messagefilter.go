package graphmail

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The $filter subset the message list understands
// (https://learn.microsoft.com/en-us/graph/filter-query-parameter): receivedDateTime
// ranges, equality on internetMessageId / conversationId / subject, and the isRead /
// isDraft / hasAttachments flags, joined by "and"; with the OData literal helpers the
// user list's filter shares.

type msgFilter struct {
	lo, hi   time.Time // received in [lo, hi); zero = open
	preds    []func(*message) bool
	hasRange bool
}

func parseTime(v string) (time.Time, error) {
	v = strings.Trim(v, "'")
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", v)
}

func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
}

// splitClauses splits an OData filter on a top-level keyword (" and "), in any case.
func splitClauses(q, sep string) []string {
	var out []string
	inQuote := false
	start := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '\'' {
			inQuote = !inQuote
			continue
		}
		if !inQuote && hasPrefixFold(q[i:], sep) {
			out = append(out, strings.TrimSpace(q[start:i]))
			i += len(sep) - 1
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(q[start:]))
}

func parseMessageFilter(q string) (msgFilter, error) {
	var f msgFilter
	if strings.TrimSpace(q) == "" {
		return f, nil
	}
	for _, clause := range splitClauses(q, " and ") {
		clause = stripParens(clause)
		parts := strings.SplitN(clause, " ", 3)
		if len(parts) != 3 {
			return f, fmt.Errorf("invalid filter clause %q", clause)
		}
		field, opr, val := strings.ToLower(parts[0]), strings.ToLower(parts[1]), strings.TrimSpace(parts[2])
		switch field {
		case "receiveddatetime":
			t, err := parseTime(val)
			if err != nil {
				return f, err
			}
			f.hasRange = true
			switch opr {
			case "ge":
				f.lo = maxTime(f.lo, t)
			case "gt":
				f.lo = maxTime(f.lo, t.Add(time.Nanosecond))
			case "lt":
				f.hi = minTime(f.hi, t)
			case "le":
				f.hi = minTime(f.hi, t.Add(time.Nanosecond))
			case "eq":
				f.lo, f.hi = maxTime(f.lo, t), minTime(f.hi, t.Add(time.Nanosecond))
			default:
				return f, fmt.Errorf("unsupported operator %q", opr)
			}
		case "internetmessageid", "conversationid", "subject":
			s, ok := unquote(val)
			if !ok || opr != "eq" {
				return f, fmt.Errorf("invalid filter clause %q", clause)
			}
			switch field {
			case "internetmessageid":
				f.preds = append(f.preds, func(m *message) bool { return m.imid == s })
			case "conversationid":
				f.preds = append(f.preds, func(m *message) bool { return m.convID == s })
			default:
				f.preds = append(f.preds, func(m *message) bool { return m.subject == s })
			}
		case "isread", "isdraft", "hasattachments":
			b, err := strconv.ParseBool(val)
			if err != nil || (opr != "eq" && opr != "ne") {
				return f, fmt.Errorf("invalid filter clause %q", clause)
			}
			want := b == (opr == "eq")
			switch field {
			case "isread":
				f.preds = append(f.preds, func(m *message) bool { return m.isRead == want })
			case "isdraft":
				f.preds = append(f.preds, func(m *message) bool { return m.isDraft == want })
			default:
				f.preds = append(f.preds, func(m *message) bool { return m.hasAttachments == want })
			}
		default:
			return f, fmt.Errorf("unsupported filter property %q", parts[0])
		}
	}
	return f, nil
}

// hasPrefixFold reports whether s begins with prefix, ignoring case. It compares in
// place: a position in a lower-cased copy need not be the same position in s (lower
// case can be shorter or longer, as "ẞ" → "ß" is).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexFold is strings.Index ignoring case, with positions in s itself.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// stripParens removes one pair of enclosing parentheses.
func stripParens(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

func maxTime(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func (f msgFilter) match(m *message) bool {
	for _, p := range f.preds {
		if !p(m) {
			return false
		}
	}
	return true
}

// bounds returns the index range of list inside the received-time window.
func (f msgFilter) bounds(list msgList) (int, int) {
	lo, hi := 0, len(list)
	if !f.lo.IsZero() {
		lo = sort.Search(len(list), func(i int) bool { return !list[i].received.Before(f.lo) })
	}
	if !f.hi.IsZero() {
		hi = sort.Search(len(list), func(i int) bool { return !list[i].received.Before(f.hi) })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}
