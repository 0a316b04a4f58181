package graphmail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// odataJSON is the Content-Type Graph answers JSON with.
const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

const maxBody = 36 << 20

// call is one Graph request being served.
type call struct {
	s           *Store
	w           http.ResponseWriter
	r           *http.Request
	p           Principal
	reqID       string
	clientReqID string
	immutable   bool
	maxPage     int
	applied     []string
	base        string // scheme://host/v1.0
	body        []byte
	basic       bool   // caller holds only Mail.ReadBasic(.All): no body/bodyPreview
	bodyAs      string // Prefer outlook.body-content-type: "text", "html" or ""
	slot        string // MaxConcurrency slot held (app|mailbox), "" when none
}

// freeSlot gives back the request's concurrency slot once its answer is complete: a
// client that reads the answer and sends its next request at once must find the slot
// free, as on Exchange, whatever the scheduling of this goroutine.
func (c *call) freeSlot() {
	if c.slot != "" {
		c.s.release(c.slot)
		c.slot = ""
	}
}

func newRequestID() string {
	a, b := rand.Uint64(), rand.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

func (c *call) setup() error {
	c.reqID = newRequestID()
	c.clientReqID = c.r.Header.Get("client-request-id")
	if c.clientReqID == "" {
		c.clientReqID = c.reqID
	}
	h := c.w.Header()
	h.Set("request-id", c.reqID)
	h.Set("client-request-id", c.clientReqID)
	// Graph's diagnostic header; see https://learn.microsoft.com/en-us/graph/errors
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Practice Tenant","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"LOCAL"}}`)
	scheme := "https"
	if c.r.TLS == nil && c.r.Header.Get("X-Forwarded-Proto") != "https" {
		scheme = "http"
	}
	c.base = scheme + "://" + c.r.Host + "/v1.0"

	// Prefer: IdType="ImmutableId", odata.maxpagesize=N
	// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
	// https://learn.microsoft.com/en-us/graph/delta-query-messages
	for _, v := range c.r.Header.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			pref = strings.TrimSpace(pref)
			name, val, _ := strings.Cut(pref, "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "idtype":
				if strings.EqualFold(val, "ImmutableId") {
					c.immutable = true
					c.applied = append(c.applied, `IdType="ImmutableId"`)
				}
			case "outlook.body-content-type":
				// https://learn.microsoft.com/en-us/graph/api/user-list-messages#request-headers
				if v := strings.ToLower(val); v == "text" || v == "html" {
					c.bodyAs = v
					c.applied = append(c.applied, `outlook.body-content-type="`+v+`"`)
				}
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(val); err == nil && n > 0 {
					c.maxPage = n
				}
			}
		}
	}
	if len(c.applied) > 0 {
		h.Set("Preference-Applied", strings.Join(c.applied, ", "))
	}

	if c.r.Body != nil && c.r.Method != http.MethodGet {
		var rd io.Reader = io.LimitReader(c.r.Body, maxBody)
		// The Graph SDK's compression middleware gzips request bodies.
		if strings.EqualFold(strings.TrimSpace(c.r.Header.Get("Content-Encoding")), "gzip") {
			zr, err := gzip.NewReader(rd)
			if err != nil {
				return fmt.Errorf("invalid gzip body: %w", err)
			}
			defer zr.Close()
			rd = io.LimitReader(zr, maxBody)
		}
		b, err := io.ReadAll(rd)
		if err != nil {
			return fmt.Errorf("reading body: %w", err)
		}
		c.body = b
	}
	return nil
}

// applyMaxPage records that odata.maxpagesize was honoured.
func (c *call) applyMaxPage() {
	if c.maxPage > 0 {
		c.applied = append(c.applied, fmt.Sprintf("odata.maxpagesize=%d", c.maxPage))
		c.w.Header().Set("Preference-Applied", strings.Join(c.applied, ", "))
	}
}

// fail writes a Graph error response.
// Shape: https://learn.microsoft.com/en-us/graph/errors#json-representation
func (c *call) fail(status int, code, message string) {
	c.s.noteFail(status, message)
	o := newObj()
	o.str("code", code)
	o.str("message", message)
	inner := newObj()
	// Graph writes this date without a zone; we add the Z because kiota parses
	// it as RFC 3339 and would otherwise drop the whole error body.
	inner.str("date", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	inner.str("request-id", c.reqID)
	inner.str("client-request-id", c.clientReqID)
	o.raw("innerError", inner.done())
	top := newObj()
	top.raw("error", o.done())
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	c.w.Write(top.done())
}

func (c *call) retryAfter(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	secs := int((d + time.Second - 1) / time.Second)
	c.w.Header().Set("Retry-After", strconv.Itoa(secs))
}

func (c *call) ok(status int, body []byte) {
	c.s.delay(c.r.Context(), len(body)) // latency.go: off unless a benchmark sets it
	c.freeSlot()
	c.w.Header().Set("Content-Type", odataJSON)
	c.w.WriteHeader(status)
	c.w.Write(body)
}

func (c *call) noContent(status int) {
	c.s.delay(c.r.Context(), 0)
	c.freeSlot()
	c.w.WriteHeader(status)
}

// ---- case-insensitive JSON request bodies ----

// decodeLower decodes a JSON object with every object key lower-cased, so the
// SDK's capitalised sendMail keys (Message, SaveToSentItems) match.
func decodeLower(b []byte) (map[string]any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := lowerKeys(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	return m, nil
}

func lowerKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[strings.ToLower(k)] = lowerKeys(x)
		}
		return out
	case []any:
		for i := range t {
			t[i] = lowerKeys(t[i])
		}
		return t
	}
	return v
}

func getMap(m map[string]any, k string) (map[string]any, bool) {
	v, ok := m[k].(map[string]any)
	return v, ok
}

func getString(m map[string]any, k string) (string, bool) {
	v, ok := m[k].(string)
	return v, ok
}

func getBool(m map[string]any, k string) (bool, bool) {
	v, ok := m[k].(bool)
	return v, ok
}

func parseRecipients(v any) ([]Recipient, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, v == nil
	}
	out := make([]Recipient, 0, len(arr))
	for _, x := range arr {
		r, ok := parseRecipient(x)
		if !ok {
			return nil, false
		}
		out = append(out, r)
	}
	return out, true
}

func parseRecipient(v any) (Recipient, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return Recipient{}, false
	}
	ea, ok := getMap(m, "emailaddress")
	if !ok {
		return Recipient{}, false
	}
	addr, _ := getString(ea, "address")
	name, _ := getString(ea, "name")
	return Recipient{Name: name, Address: strings.TrimSpace(addr)}, true
}

// ---- ordered JSON writer ----

type obj struct {
	b     []byte
	first bool
}

func newObj() *obj { return &obj{b: append(make([]byte, 0, 256), '{'), first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *obj) str(k, v string)        { o.key(k); o.b = appendJSONString(o.b, v) }
func (o *obj) raw(k string, v []byte) { o.key(k); o.b = append(o.b, v...) }
func (o *obj) num(k string, v int)    { o.key(k); o.b = strconv.AppendInt(o.b, int64(v), 10) }
func (o *obj) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}
func (o *obj) null(k string)              { o.key(k); o.b = append(o.b, "null"...) }
func (o *obj) time(k string, t time.Time) { o.str(k, t.UTC().Format("2006-01-02T15:04:05Z")) }
func (o *obj) strOrNull(k, v string) {
	if v == "" {
		o.null(k)
		return
	}
	o.str(k, v)
}
func (o *obj) done() []byte { return append(o.b, '}') }

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// arr joins pre-rendered JSON values into an array.
func arr(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// selection is a $select set (lower-cased); nil selects the default set.
type selection map[string]bool

func parseSelect(q string) selection {
	if strings.TrimSpace(q) == "" {
		return nil
	}
	sel := selection{}
	for _, f := range strings.Split(q, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			sel[f] = true
		}
	}
	return sel
}

func (s selection) has(field string) bool { return s == nil || s[strings.ToLower(field)] }
