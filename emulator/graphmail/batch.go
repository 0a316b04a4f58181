package graphmail

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// JSON batching: up to 20 requests, each answered with id/status/headers/body.
// Requests run one after another in dependency order (Graph may run
// independent ones in parallel; responses are correlated by id either way). A
// request whose dependency failed is answered 424 Failed Dependency.
// https://learn.microsoft.com/en-us/graph/json-batching

const batchLimit = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// serveBatch answers POST /$batch: the requests are checked as a whole first, then
// run in dependency order; a cycle in dependsOn is a 400.
func (s *Store) serveBatch(c *call) {
	reqs, byID, msg := parseBatch(c.body)
	if msg != "" {
		c.fail(http.StatusBadRequest, "BadRequest", msg)
		return
	}
	out, ok := s.runBatch(c, reqs, byID)
	if !ok {
		c.fail(http.StatusBadRequest, "BadRequest", "The dependsOn chain of the batch contains a cycle.")
		return
	}
	o := newObj()
	o.raw("responses", arr(out))
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(o.done())
}

// parseBatch reads the batch body and checks it: 1 to 20 requests, each with id,
// method and url, ids unique (case-insensitive), dependsOn naming only requests of the
// batch. It returns the requests and their index by lower-case id, or the 400 message.
func parseBatch(body []byte) ([]batchRequest, map[string]int, string) {
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Requests) == 0 {
		return nil, nil, "Invalid batch payload format."
	}
	if len(in.Requests) > batchLimit {
		return nil, nil, "Number of batch requests exceeds the maximum of " + strconv.Itoa(batchLimit) + "."
	}
	byID := map[string]int{}
	for i, r := range in.Requests {
		key := strings.ToLower(r.ID)
		if r.ID == "" || r.Method == "" || r.URL == "" {
			return nil, nil, "Each batch request needs id, method and url."
		}
		if _, dup := byID[key]; dup {
			return nil, nil, "Batch request ids must be unique: '" + r.ID + "'."
		}
		byID[key] = i
	}
	for _, r := range in.Requests {
		for _, d := range r.DependsOn {
			if _, ok := byID[strings.ToLower(d)]; !ok {
				return nil, nil, "Request '" + r.ID + "' depends on unknown request '" + d + "'."
			}
		}
	}
	return in.Requests, byID, ""
}

// runBatch runs the requests in dependency order, each once all it depends on has
// been answered; one whose dependency failed is answered 424 without running. It
// returns the answers in request order, or false when dependsOn has a cycle.
func (s *Store) runBatch(c *call, reqs []batchRequest, byID map[string]int) ([][]byte, bool) {
	status := make([]int, len(reqs))
	out := make([][]byte, len(reqs))
	for done := 0; done < len(reqs); {
		progressed := false
		for i, r := range reqs {
			if status[i] != 0 {
				continue
			}
			ready, failed := true, false
			for _, d := range r.DependsOn {
				st := status[byID[strings.ToLower(d)]]
				if st == 0 {
					ready = false
				} else if st < 200 || st > 299 {
					failed = true
				}
			}
			if !ready {
				continue
			}
			if failed {
				status[i], out[i] = http.StatusFailedDependency, failedDependency(r.ID)
			} else {
				status[i], out[i] = s.runBatchItem(c, r)
			}
			done++
			progressed = true
		}
		if !progressed {
			return nil, false
		}
	}
	return out, true
}

// failedDependency is the 424 answer of a request whose dependency failed.
func failedDependency(id string) []byte {
	o := newObj()
	o.str("id", id)
	o.num("status", http.StatusFailedDependency)
	o.raw("headers", []byte(`{"Content-Type":"application/json"}`))
	o.raw("body", []byte(`{"error":{"code":"FailedDependency","message":"The dependent request failed."}}`))
	return o.done()
}

// runBatchItem runs one request of the batch through the same handler, as the
// batch's caller, and returns its status and its answer in the batch shape.
func (s *Store) runBatchItem(c *call, br batchRequest) (int, []byte) {
	path := br.URL
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse("/v1.0" + path)
	if err != nil || strings.HasPrefix(strings.ToLower(path), "/$batch") {
		return http.StatusBadRequest, batchItem(br.ID, http.StatusBadRequest, http.Header{"Content-Type": {"application/json"}},
			[]byte(`{"error":{"code":"BadRequest","message":"Invalid request URL."}}`))
	}
	var body []byte
	if len(br.Body) > 0 && string(br.Body) != "null" {
		body = br.Body
	}
	req, _ := http.NewRequestWithContext(c.r.Context(), strings.ToUpper(br.Method), u.String(), bytes.NewReader(body))
	req.URL = u
	req.Host = c.r.Host
	req.TLS = c.r.TLS
	req.RemoteAddr = c.r.RemoteAddr
	for k, v := range br.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("client-request-id") == "" {
		req.Header.Set("client-request-id", c.clientReqID)
	}
	rec := &recorder{header: http.Header{}}
	s.serve(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, batchItem(br.ID, rec.status, rec.header, rec.body.Bytes())
}

func batchItem(id string, status int, h http.Header, body []byte) []byte {
	o := newObj()
	o.str("id", id)
	o.num("status", status)
	hdr := newObj()
	for k, v := range h {
		if len(v) > 0 {
			hdr.str(k, v[0])
		}
	}
	o.raw("headers", hdr.done())
	if len(body) > 0 {
		if json.Valid(body) {
			o.raw("body", body)
		} else {
			o.str("body", string(body))
		}
	}
	return o.done()
}

// recorder is a minimal http.ResponseWriter for batch items.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the item's response headers.
func (r *recorder) Header() http.Header { return r.header }

// WriteHeader records the item's status (the first one written counts).
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// Write records the item's body (status 200 unless one was written).
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
