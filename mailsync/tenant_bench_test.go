//go:build linux

package mailsync_test

// BenchmarkTenant: a latency-true run of a whole practice tenant (see docs/PERFORMANCE.md).
// Three processes: the practice tenant (with its latency model and Outlook limits), and
// one child per strategy, so that each strategy's peak RSS and CPU time are its own
// (read from the child's rusage by the parent).

import (
	"bufio"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// benchFolders are the six folders of the benchmark tenant.
var benchFolders = []string{"inbox", "sentitems", "archive", "deleteditems", "junkemail", "drafts"}

const (
	tenantChildEnv   = "MAILSYNC_TENANT_CHILD"
	strategyChildEnv = "MAILSYNC_STRATEGY_CHILD"
	benchWindowDays  = 30
)

// tenantSpec sizes the benchmark tenant.
type tenantSpec struct {
	Info       string  `json:"info"`
	Mailboxes  int     `json:"mailboxes"`
	PerMailbox int     `json:"perMailbox"`
	Scale      float64 `json:"scale"`
}

// truthMsg is one message the tenant holds in the window: what a sync must store.
type truthMsg struct {
	ID     string `json:"id"`
	Folder string `json:"f"`
	R      int64  `json:"r"` // receivedDateTime, unix seconds
}

// TestTenantChild serves BenchmarkTenant's practice tenant: mail received over the last
// 29 days spread over six folders, latency model on. Commands on stdin: STATS, RESET,
// CHANGE (new mail and deletions for the delta round), TRUTH path.
func TestTenantChild(t *testing.T) {
	v := os.Getenv(tenantChildEnv)
	if v == "" {
		t.Skip("only runs as BenchmarkTenant's tenant process")
	}
	var spec tenantSpec
	mustOK(t, json.Unmarshal([]byte(v), &spec))
	srv, err := emulator.New(emulator.Options{Users: spec.Mailboxes, SharedMailboxes: -1, MessagesPerMailbox: spec.PerMailbox, MailDays: benchWindowDays - 1, Seed: 19})
	mustOK(t, err)
	defer srv.Close()
	mail := srv.Mail()
	mbs := mail.Mailboxes()
	// The generator fills Inbox and Sent Items over the last 29 days (all inside the
	// 30-day window): spread Inbox over four more folders.
	for _, mb := range mbs {
		msgs, err := mail.Messages(mb.ID, "inbox")
		mustOK(t, err)
		for i, m := range msgs {
			var dest string
			switch i % 20 {
			case 8, 9, 10, 11, 12:
				dest = "archive"
			case 13, 14, 15:
				dest = "deleteditems"
			case 16, 17:
				dest = "junkemail"
			case 18, 19:
				dest = "drafts"
			default:
				continue
			}
			_, err := mail.MoveMessage(mb.ID, m.ID, dest)
			mustOK(t, err)
		}
	}
	mustOK(t, srv.WriteInfo(spec.Info))
	mail.SetLatency(&graphmail.Latency{Scale: spec.Scale, Seed: 19})
	fmt.Println("READY")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "STATS":
			b, _ := json.Marshal(mail.Stats())
			fmt.Println("STATS " + string(b))
		case "RESET":
			mail.ResetStats()
			fmt.Println("OK")
		case "CHANGE":
			// The delta round's work: per mailbox 5 new messages, 2 deleted, 2 marked read.
			for i, mb := range mbs {
				for j := range 5 {
					_, err := mail.DeliverMessage(mb.ID, graphmail.Message{Subject: fmt.Sprintf("delta %d/%d", i, j),
						From: graphmail.Recipient{Name: "Pat", Address: "pat@fabrikam.com"}, To: []graphmail.Recipient{{Address: mb.Address}},
						Body: "new", BodyContentType: "text"})
					mustOK(t, err)
				}
				msgs, _ := mail.Messages(mb.ID, "archive")
				for k := 0; k < 2 && k < len(msgs); k++ {
					mustOK(t, mail.DeleteMessage(mb.ID, msgs[k].ID))
				}
				msgs, _ = mail.Messages(mb.ID, "junkemail")
				for k := 0; k < 2 && k < len(msgs); k++ {
					mustOK(t, mail.MarkRead(mb.ID, msgs[k].ID, !msgs[k].IsRead))
				}
			}
			fmt.Println("OK")
		case "TRUTH":
			truth := map[string][]truthMsg{}
			for _, mb := range mbs {
				for _, f := range benchFolders {
					msgs, err := mail.Messages(mb.ID, f)
					mustOK(t, err)
					for _, m := range msgs {
						truth[mb.ID] = append(truth[mb.ID], truthMsg{ID: m.ImmutableID, Folder: f, R: m.Received.Unix()})
					}
				}
			}
			writeJSON(t, arg, truth)
			fmt.Println("OK")
		}
	}
}

// strategySpec tells a strategy child what to run.
type strategySpec struct {
	Strategy     string   `json:"strategy"` // engine, naive, corso
	Info         string   `json:"info"`
	CA           string   `json:"ca"`
	Mailboxes    []string `json:"mailboxes"`
	Scale        float64  `json:"scale"`
	MaxInFlight  int      `json:"maxInFlight,omitempty"`
	MaxMailboxes int      `json:"maxMailboxes,omitempty"`
	PageSize     int      `json:"pageSize"`
	Truth        string   `json:"truth,omitempty"`     // verify: the tenant's messages
	Transport    string   `json:"transport,omitempty"` // "" as graph builds it, h1 (Go defaults, no HTTP/2), h1-64 (64 idle per host)
	Dir          string   `json:"dir"`
}

// strategyResult is what a child measured; times are in emulated time.
type strategyResult struct {
	Seconds      float64 `json:"seconds"`
	FirstUsable  float64 `json:"firstUsable"` // first mailbox complete
	Requests     int64   `json:"requests"`
	Bytes        int64   `json:"bytes"`
	Messages     int64   `json:"messages"` // stored (engine: in the store after the round)
	Missing      int     `json:"missing"`  // tenant ids not stored
	Extra        int     `json:"extra"`    // stored ids the tenant does not hold (duplicates, stale)
	DeltaSeconds float64 `json:"deltaSeconds,omitempty"`
	DeltaReqs    int64   `json:"deltaRequests,omitempty"`
	PeakHeapMB   float64 `json:"peakHeapMB"`
	WindowStart  int64   `json:"windowStart"`
	Conns        int64   `json:"conns"` // TCP connections opened
}

// connsOpened counts the strategy child's TCP connections (one child, one strategy).
var connsOpened atomic.Int64

// benchTransport counts Graph requests and response bytes.
type benchTransport struct {
	rt          http.RoundTripper
	req, nbytes atomic.Int64
}

func (t *benchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	graphCall := strings.HasPrefix(r.URL.Path, "/v1.0")
	if graphCall {
		t.req.Add(1)
	}
	resp, err := t.rt.RoundTrip(r)
	if err == nil && graphCall {
		resp.Body = &countBody{ReadCloser: resp.Body, n: &t.nbytes}
	}
	return resp, err
}

type countBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// scaledClock is emulated time: real time since start times scale; Sleep sleeps d/scale.
type scaledClock struct {
	start time.Time
	scale float64
}

func (c scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.scale))
}

func (c scaledClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c scaledClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(time.Duration(float64(d) / c.scale))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TestStrategyChild runs one strategy for BenchmarkTenant and prints RESULT lines.
func TestStrategyChild(t *testing.T) {
	v := os.Getenv(strategyChildEnv)
	if v == "" {
		t.Skip("only runs as BenchmarkTenant's strategy process")
	}
	var spec strategySpec
	mustOK(t, json.Unmarshal([]byte(v), &spec))
	var info emulator.Info
	ib, err := os.ReadFile(spec.Info)
	mustOK(t, err)
	mustOK(t, json.Unmarshal(ib, &info))
	ca, err := os.ReadFile(info.CACertFile)
	mustOK(t, err)
	cl, err := graph.PracticeCloud(info.AuthorityHost, info.BrowserAuthorityHost, info.GraphBaseURL, ca)
	mustOK(t, err)
	var app emulator.InfoApp
	for _, a := range info.Apps {
		if a.Name == emulator.AppSecretName {
			app = a
		}
	}
	cred, err := graph.NewSecretCredential(cl, info.TenantID, app.ClientID, app.ClientSecret)
	mustOK(t, err)
	ht := cl.HTTPClient().Transport.(*http.Transport).Clone()
	switch spec.Transport {
	case "h1", "h1-64":
		ht.ForceAttemptHTTP2 = false
		ht.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		ht.TLSClientConfig = ht.TLSClientConfig.Clone()
		ht.TLSClientConfig.NextProtos = []string{"http/1.1"}
		ht.MaxIdleConnsPerHost = 0 // Go's default: 2
		if spec.Transport == "h1-64" {
			ht.MaxIdleConnsPerHost = 64
		}
	}
	conns := &connsOpened
	dial := (&net.Dialer{Timeout: 30 * time.Second}).DialContext
	ht.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conns.Add(1)
		return dial(ctx, network, addr)
	}
	tr := &benchTransport{rt: ht}
	hc := &http.Client{Transport: tr}
	// A token first, so no strategy is timed on Entra ID.
	_, err = cred.GetToken(context.Background(), tokenOpts(cl))
	mustOK(t, err)
	clock := scaledClock{start: time.Now(), scale: spec.Scale}
	window := clock.Now().Add(-benchWindowDays * 24 * time.Hour).Truncate(time.Second)
	var mbs []mailsync.Mailbox
	for _, id := range spec.Mailboxes {
		mbs = append(mbs, mailsync.Mailbox{ID: id})
	}
	stopHeap := peakHeap()
	var res strategyResult
	ctx := context.Background()
	switch spec.Strategy {
	case "engine", "engine-before":
		st, err := mailsync.OpenSQLite(ctx, filepath.Join(spec.Dir, "engine.db"))
		mustOK(t, err)
		defer st.Close()
		var first atomic.Int64
		start := clock.Now()
		opts := mailsync.Options{Mailboxes: mbs, Folders: benchFolders, Once: true, BackfillDays: benchWindowDays,
			PageSize: spec.PageSize, MaxInFlight: spec.MaxInFlight, MaxMailboxes: spec.MaxMailboxes,
			Now: clock.Now, Sleep: clock.Sleep}
		e, err := mailsync.NewEngine(st, graphSource(info.GraphBaseURL, hc, cred, cl), opts, func(p mailsync.Progress) {
			if p.MailboxState == mailsync.StateDone {
				first.CompareAndSwap(0, int64(clock.Since(start)))
			}
		})
		mustOK(t, err)
		mustOK(t, e.Run(ctx))
		res.Seconds = clock.Since(start).Seconds()
		res.FirstUsable = time.Duration(first.Load()).Seconds()
		res.Requests, res.Bytes = tr.req.Load(), tr.nbytes.Load()
		fs, err := st.Folder(ctx, mbs[0].ID, "inbox")
		mustOK(t, err)
		res.WindowStart = fs.WindowStart.Unix()
		res.PeakHeapMB = float64(stopHeap()) / (1 << 20)
		printResult("BACKFILL", res)
		// The parent changes the tenant, then asks for the delta round.
		sc := bufio.NewScanner(os.Stdin)
		sc.Scan()
		truthPath := sc.Text()
		before := tr.req.Load()
		start = clock.Now()
		e2, err := mailsync.NewEngine(st, graphSource(info.GraphBaseURL, hc, cred, cl), opts, nil)
		mustOK(t, err)
		mustOK(t, e2.Run(ctx))
		res.DeltaSeconds = clock.Since(start).Seconds()
		res.DeltaReqs = tr.req.Load() - before
		_ = truthPath // compared by the "verify" child, so that its memory is not the engine's
		printResult("RESULT", res)
	case "verify":
		st, err := mailsync.OpenSQLite(ctx, filepath.Join(spec.Dir, "engine.db"))
		mustOK(t, err)
		defer st.Close()
		fs, err := st.Folder(ctx, mbs[0].ID, "inbox")
		mustOK(t, err)
		stored := map[string][]string{}
		for _, mb := range mbs {
			stored[mb.ID] = nil // a mailbox with nothing stored still counts its missing
			msgs, err := st.Messages(ctx, mb.ID)
			mustOK(t, err)
			for _, m := range msgs {
				stored[mb.ID] = append(stored[mb.ID], m.ID+"|"+m.Folder)
			}
		}
		res.Messages, res.Missing, res.Extra = compareTruth(t, spec.Truth, stored, fs.WindowStart)
		printResult("RESULT", res)
	case "naive":
		res = naiveStrategy(t, info, hc, cred, cl, mbs, spec.PageSize, window, clock, spec.Dir)
		res.Requests, res.Bytes = tr.req.Load(), tr.nbytes.Load()
		res.PeakHeapMB = float64(stopHeap()) / (1 << 20)
		printResult("RESULT", res)
	case "corso":
		stored := map[string][]string{}
		for _, mb := range mbs {
			stored[mb.ID] = nil
		}
		res = corsoStrategy(t, info, hc, cred, cl, mbs, window, clock, stored)
		res.Requests, res.Bytes = tr.req.Load(), tr.nbytes.Load()
		res.PeakHeapMB = float64(stopHeap()) / (1 << 20)
		printResult("BACKFILL", res)
		sc := bufio.NewScanner(os.Stdin)
		sc.Scan()
		res.Messages, res.Missing, res.Extra = compareTruth(t, sc.Text(), stored, window)
		printResult("RESULT", res)
	}
}

func printResult(tag string, r strategyResult) {
	r.Conns = connsOpened.Load()
	b, _ := json.Marshal(r)
	fmt.Println(tag + " " + string(b))
}

// compareTruth counts the stored "id|folder" entries against the tenant's messages
// received at or after window in the mailboxes synced: missing and extra (a duplicate
// counts as extra).
func compareTruth(t *testing.T, path string, stored map[string][]string, window time.Time) (int64, int, int) {
	var truth map[string][]truthMsg
	b, err := os.ReadFile(path)
	mustOK(t, err)
	mustOK(t, json.Unmarshal(b, &truth))
	var n int64
	missing, extra := 0, 0
	for mb, got := range stored {
		want := map[string]int{}
		for _, m := range truth[mb] {
			if m.R >= window.Unix() {
				want[m.ID+"|"+m.Folder]++
			}
		}
		for _, g := range got {
			n++
			if want[g] > 0 {
				want[g]--
			} else {
				extra++
			}
		}
		for _, c := range want {
			missing += c
		}
	}
	return n, missing, extra
}

// BenchmarkTenant syncs a practice tenant with latency (80–300 ms + 0.5 ms/KiB per
// answer) and the Outlook limits: our engine, the engine as it was (4 mailboxes at a
// time), a naive msgraph-sdk-go loop and a corso-like strategy, against the computed
// limit. Sizes from the environment (defaults: the 100 × 2,000 tenant):
//
//	BENCH_MAILBOXES=100 BENCH_PER_MAILBOX=2000 BENCH_SCALE=1 BENCH_BASELINE_MAILBOXES=5 BENCH_CORSO_MAILBOXES=1
//	go test ./mailsync -run '^$' -bench BenchmarkTenant -benchtime 1x
//
// BENCH_CURVE=1 adds the scale curve (engine only) at 10, 100 and 1,000 mailboxes.
func BenchmarkTenant(b *testing.B) {
	mbN := envInt("BENCH_MAILBOXES", 100)
	per := envInt("BENCH_PER_MAILBOX", 2000)
	baseN := envInt("BENCH_BASELINE_MAILBOXES", 5)
	scale := float64(envInt("BENCH_SCALE", 1))
	page := mailsync.DefaultPageSize
	for b.Loop() {
		rows := runTenant(b, mbN, per, baseN, scale, page, os.Getenv("BENCH_ENGINE_ONLY") == "")
		printTable(fmt.Sprintf("%d mailboxes × %d messages (%d folders, %d-day window), page %d, latency 80–300 ms + 0.5 ms/KiB, time scale %g",
			mbN, per, len(benchFolders), benchWindowDays, page, scale), rows)
		if os.Getenv("BENCH_CURVE") != "" {
			var curve []benchRow
			for _, n := range []int{10, 100, 1000} {
				p := per
				if n >= 1000 {
					p = min(per, 400) // 1,000 × 2,000 would not fit the tenant process in memory here
				}
				r := runTenant(b, n, p, 0, scale, page, false)
				r[0].Name = fmt.Sprintf("engine, %d × %d", n, p)
				curve = append(curve, r...)
			}
			printTable("scale curve (engine only; limit is Graph's per-mailbox limit, all mailboxes in parallel)", curve)
		}
		e := rows[0]
		b.ReportMetric(e.MsgsPerSec, "msgs/s")
		b.ReportMetric(e.ReqPer1000, "req/1000msgs")
		b.ReportMetric(e.PctLimit, "%limit")
		b.ReportMetric(e.PeakRSSMB, "peakRSS-MB")
		fmt.Printf("engine: %.0f%% of limit, %.1f req/1000 msgs, %.0f MB peak\n", e.PctLimit, e.ReqPer1000, e.PeakRSSMB)
	}
}

// benchRow is one line of the table.
type benchRow struct {
	Name                      string
	Mailboxes                 int
	Messages                  int64
	Seconds, MsgsPerSec       float64
	ReqPer1000, PctLimit      float64
	Throttled, Concurrency429 int64
	PeakRSSMB, CPUPct         float64
	FirstUsable               float64
	Missing, Extra            int
	DeltaSeconds              float64
	DeltaReqs                 int64
	PeakInFlight              int
	Conns                     int64
	Note                      string
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

// tenantProc is a running tenant child.
type tenantProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

func (p *tenantProc) ask(b *testing.B, cmd string) string {
	_, err := io.WriteString(p.in, cmd+"\n")
	mustOK(b, err)
	for l := range p.lines {
		if l == "OK" || strings.HasPrefix(l, "STATS ") {
			return l
		}
	}
	b.Fatal("tenant process ended")
	return ""
}

func (p *tenantProc) stats(b *testing.B) graphmail.Stats {
	var s graphmail.Stats
	mustOK(b, json.Unmarshal([]byte(strings.TrimPrefix(p.ask(b, "STATS"), "STATS ")), &s))
	return s
}

func startTenant(b *testing.B, spec tenantSpec) (*tenantProc, emulator.Info) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestTenantChild$", "-test.count=1")
	sb, _ := json.Marshal(spec)
	cmd.Env = append(os.Environ(), tenantChildEnv+"="+string(sb))
	in, err := cmd.StdinPipe()
	mustOK(b, err)
	out, err := cmd.StdoutPipe()
	mustOK(b, err)
	cmd.Stderr = os.Stderr
	mustOK(b, cmd.Start())
	p := &tenantProc{cmd: cmd, in: in, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	for l := range p.lines {
		if l == "READY" {
			break
		}
	}
	var info emulator.Info
	ib, err := os.ReadFile(spec.Info)
	mustOK(b, err)
	mustOK(b, json.Unmarshal(ib, &info))
	return p, info
}

// runChild runs a strategy child; between the backfill and the final result it hands
// the child what between(…) returns (a truth file path). It returns the final result,
// the backfill result (engine) and the child's rusage.
func runChild(b *testing.B, spec strategySpec, between func() string) (strategyResult, strategyResult, *syscall.Rusage) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestStrategyChild$", "-test.count=1")
	sb, _ := json.Marshal(spec)
	cmd.Env = append(os.Environ(), strategyChildEnv+"="+string(sb))
	in, err := cmd.StdinPipe()
	mustOK(b, err)
	out, err := cmd.StdoutPipe()
	mustOK(b, err)
	cmd.Stderr = os.Stderr
	mustOK(b, cmd.Start())
	var back, res strategyResult
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "BACKFILL "):
			mustOK(b, json.Unmarshal([]byte(strings.TrimPrefix(l, "BACKFILL ")), &back))
			io.WriteString(in, between()+"\n")
		case strings.HasPrefix(l, "RESULT "):
			mustOK(b, json.Unmarshal([]byte(strings.TrimPrefix(l, "RESULT ")), &res))
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s child: %v", spec.Strategy, err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return res, back, ru
}

// verify compares the store an engine child left in spec.Dir with the tenant's messages,
// in a child of its own, and returns res with the counts.
func verify(b *testing.B, spec strategySpec, truthPath string, res strategyResult) strategyResult {
	spec.Strategy, spec.Truth = "verify", truthPath
	v, _, _ := runChild(b, spec, func() string { return "" })
	res.Messages, res.Missing, res.Extra = v.Messages, v.Missing, v.Extra
	return res
}

// limitSeconds is the least time Graph's documented limits allow for syncing these
// folder sizes with this page size: per mailbox, 4 requests in flight
// (https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits)
// with each folder's delta pages a chain (a page's nextLink comes with the previous
// page), each request taking the model's mean latency for a full page, and at most
// 10,000 requests per 10 minutes; mailboxes in parallel (the limits are per mailbox).
func limitSeconds(sizes map[string]map[string]int, page int, kibPerMsg float64) (float64, int64) {
	mean := float64(graphmail.DefaultLatencyMin+graphmail.DefaultLatencyMax) / 2
	lat := (mean + kibPerMsg*float64(page)*float64(graphmail.DefaultLatencyPerKiB)) / float64(time.Second)
	worst := 0.0
	var reqs int64
	for _, folders := range sizes {
		r, chain := 0, 0
		for _, n := range folders {
			c := max((n+page-1)/page, 1)
			r += c
			chain = max(chain, c)
		}
		reqs += int64(r)
		rounds := max((r+3)/4, chain)
		worst = max(worst, float64(rounds)*lat, float64(r)/(10000.0/600))
	}
	return worst, reqs
}

func runTenant(b *testing.B, mbN, per, baseN int, scale float64, page int, all bool) []benchRow {
	dir := b.TempDir()
	tp, info := startTenant(b, tenantSpec{Info: filepath.Join(dir, "info.json"), Mailboxes: mbN, PerMailbox: per, Scale: scale})
	defer func() { tp.in.Close(); tp.cmd.Wait() }()
	var ids []string
	for _, m := range info.Mailboxes {
		ids = append(ids, m.ID)
	}
	truth := func(name string) string {
		p := filepath.Join(dir, name)
		tp.ask(b, "TRUTH "+p)
		return p
	}
	base := strategySpec{Info: filepath.Join(dir, "info.json"), Scale: scale, PageSize: page}
	row := func(name string, res strategyResult, ru *syscall.Rusage, st graphmail.Stats, n int) benchRow {
		r := benchRow{Name: name, Mailboxes: n, Messages: res.Messages, Seconds: res.Seconds, FirstUsable: res.FirstUsable,
			Missing: res.Missing, Extra: res.Extra, Throttled: st.MailboxConcurrency + st.RequestRate,
			Concurrency429: st.MailboxConcurrency, PeakInFlight: st.PeakInFlight, DeltaSeconds: res.DeltaSeconds, DeltaReqs: res.DeltaReqs}
		if res.Seconds > 0 {
			r.MsgsPerSec = float64(res.Messages) / res.Seconds
		}
		if res.Messages > 0 {
			r.ReqPer1000 = float64(res.Requests) * 1000 / float64(res.Messages)
		}
		if ru != nil {
			r.PeakRSSMB = float64(ru.Maxrss) / 1024 // KiB on Linux
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			if res.Seconds > 0 {
				r.CPUPct = 100 * cpu.Seconds() / (res.Seconds + res.DeltaSeconds) * scale
			}
		}
		return r
	}

	// Our engine, all mailboxes.
	tp.ask(b, "RESET")
	spec := base
	spec.Strategy, spec.Mailboxes, spec.Dir = "engine", ids, b.TempDir()
	spec.MaxInFlight, spec.Transport = envInt("BENCH_INFLIGHT", 0), os.Getenv("BENCH_TRANSPORT")
	var backStats graphmail.Stats
	var truthPath string
	res, back, ru := runChild(b, spec, func() string {
		backStats = tp.stats(b)
		tp.ask(b, "CHANGE")
		truthPath = truth("truth-engine.json")
		return truthPath
	})
	res = verify(b, spec, truthPath, res)
	back.Messages, back.Missing, back.Extra, back.DeltaSeconds, back.DeltaReqs = res.Messages, res.Missing, res.Extra, res.DeltaSeconds, res.DeltaReqs
	engine := row("engine (this branch)", back, ru, backStats, mbN)
	engine.Conns = back.Conns
	engine.ReqPer1000 = float64(back.Requests) * 1000 / float64(back.Messages)

	// The limit, from what the tenant holds in the window (after the delta round's
	// changes; the backfill sizes differ by the 5 new, 2 deleted per mailbox).
	var tr map[string][]truthMsg
	tb, err := os.ReadFile(filepath.Join(dir, "truth-engine.json"))
	mustOK(b, err)
	mustOK(b, json.Unmarshal(tb, &tr))
	sizes := map[string]map[string]int{}
	var total int64
	for mb, msgs := range tr {
		sizes[mb] = map[string]int{}
		for _, m := range msgs {
			if m.R >= back.WindowStart {
				sizes[mb][m.Folder]++
				total++
			}
		}
	}
	kibPerMsg := float64(back.Bytes) / 1024 / float64(back.Messages)
	limS, limReq := limitSeconds(sizes, page, kibPerMsg)
	limit := benchRow{Name: "limit (computed)", Mailboxes: mbN, Messages: total, Seconds: limS, MsgsPerSec: float64(total) / limS,
		ReqPer1000: float64(limReq) * 1000 / float64(total), PctLimit: 100, FirstUsable: limS,
		Note: fmt.Sprintf("4 in flight/mailbox, %.0f ms per %d-message page, pages of a folder in sequence", meanPageMs(page, kibPerMsg), page)}
	engine.PctLimit = 100 * limS / engine.Seconds
	rows := []benchRow{engine}
	if !all {
		rows = append(rows, limit)
		return rows
	}

	// The engine as it was: 4 mailboxes at a time, 4 requests each.
	tp.ask(b, "RESET")
	spec = base
	spec.Strategy, spec.Mailboxes, spec.Dir, spec.MaxMailboxes, spec.MaxInFlight = "engine", ids, b.TempDir(), 4, 16
	var oldStats graphmail.Stats
	res, back, ru = runChild(b, spec, func() string { oldStats = tp.stats(b); truthPath = truth("truth-old.json"); return truthPath })
	res = verify(b, spec, truthPath, res)
	back.Messages, back.Missing, back.Extra = res.Messages, res.Missing, res.Extra
	old := row("engine before (4 mailboxes at once)", back, ru, oldStats, mbN)
	old.ReqPer1000 = float64(back.Requests) * 1000 / float64(back.Messages)
	old.PctLimit = 100 * limS / old.Seconds
	rows = append(rows, old)

	// Baselines run mailboxes one after another: measured on the first baseN mailboxes
	// and extrapolated linearly to all (their time is the sum of per-mailbox times).
	for _, s := range []struct {
		strategy, name string
		n              int
	}{{"naive", "naive msgraph-sdk-go loop", baseN}, {"corso", "corso-like (delta ids + GET each)", envInt("BENCH_CORSO_MAILBOXES", 1)}} {
		sub := ids[:min(s.n, len(ids))]
		factor := float64(len(ids)) / float64(len(sub))
		tp.ask(b, "RESET")
		spec = base
		spec.Strategy, spec.Mailboxes, spec.Dir = s.strategy, sub, b.TempDir()
		res, _, ru := runChild(b, spec, func() string { return truth("truth-" + s.strategy + ".json") })
		st := tp.stats(b)
		if s.strategy == "naive" {
			res.Missing, res.Extra = -1, -1
		}
		r := row(s.name, res, ru, st, len(sub))
		r.Seconds *= factor
		r.FirstUsable = res.FirstUsable
		r.PctLimit = 100 * limS / r.Seconds
		r.Note = fmt.Sprintf("measured on %d mailboxes, time ×%.0f", len(sub), factor)
		rows = append(rows, r)
	}
	rows = append(rows, limit)
	return rows
}

func meanPageMs(page int, kibPerMsg float64) float64 {
	mean := float64(graphmail.DefaultLatencyMin+graphmail.DefaultLatencyMax) / 2
	return (mean + kibPerMsg*float64(page)*float64(graphmail.DefaultLatencyPerKiB)) / float64(time.Millisecond)
}

func printTable(title string, rows []benchRow) {
	fmt.Println()
	fmt.Println(title)
	fmt.Printf("%-38s %7s %9s %8s %9s %8s %7s %5s %5s %8s %6s %8s %9s %s\n",
		"strategy", "mboxes", "msgs", "time s", "msgs/s", "req/1k", "%limit", "429s", "peak", "RSS MB", "CPU%", "1st s", "lost/dup", "notes")
	for _, r := range rows {
		ld := fmt.Sprintf("%d/%d", r.Missing, r.Extra)
		if r.Missing < 0 {
			ld = "n/a"
		}
		rss, cpu, peak := fmt.Sprintf("%.0f", r.PeakRSSMB), fmt.Sprintf("%.0f", r.CPUPct), strconv.Itoa(r.PeakInFlight)
		if r.Name == "limit (computed)" {
			rss, cpu, peak, ld = "-", "-", "4", "-"
		}
		note := r.Note
		if r.Conns > 0 {
			note = strings.TrimSpace(note + fmt.Sprintf(" %d conns", r.Conns))
		}
		if r.DeltaReqs > 0 {
			note = strings.TrimSpace(note + fmt.Sprintf(" delta round %.1f s, %d req", r.DeltaSeconds, r.DeltaReqs))
		}
		fmt.Printf("%-38s %7d %9d %8.1f %9.0f %8.1f %7.0f %5d %5s %8s %6s %8.2f %9s %s\n",
			r.Name, r.Mailboxes, r.Messages, r.Seconds, r.MsgsPerSec, r.ReqPer1000, r.PctLimit, r.Throttled, peak, rss, cpu, r.FirstUsable, ld, note)
	}
}

// ---- baselines ----

func tokenOpts(cl graph.Cloud) policyOpts { return policyOpts{Scopes: []string{cl.DefaultScope()}} }

// getJSON sends an authorised GET and decodes the answer into v.
func getJSON(ctx context.Context, hc *http.Client, tok, u string, prefer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Prefer", `IdType="ImmutableId"`+prefer)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// corsoStrategy is corso's way (github.com/alcionai/corso, exchange backup): per folder
// a delta of ids, then one GET per message, 4 GETs in flight, mailboxes one after
// another. It keeps the messages in memory only (generous: no store).
func corsoStrategy(t *testing.T, info emulator.Info, hc *http.Client, cred tokenGetter, cl graph.Cloud, mbs []mailsync.Mailbox, window time.Time, clock scaledClock, stored map[string][]string) strategyResult {
	ctx := context.Background()
	tk, err := cred.GetToken(ctx, tokenOpts(cl))
	mustOK(t, err)
	tok := tk.Token
	start := clock.Now()
	var res strategyResult
	for i, mb := range mbs {
		for _, f := range benchFolders {
			var ids []string
			u := info.GraphBaseURL + "/users/" + url.PathEscape(mb.ID) + "/mailFolders/" + f + "/messages/delta?$select=id&$filter=" +
				url.QueryEscape("receivedDateTime ge "+window.UTC().Format("2006-01-02T15:04:05Z"))
			for u != "" {
				var page struct {
					Value []struct {
						ID string `json:"id"`
					} `json:"value"`
					Next string `json:"@odata.nextLink"`
				}
				mustOK(t, getWithRetry(ctx, hc, tok, u, ", odata.maxpagesize=999", &page, clock))
				for _, m := range page.Value {
					ids = append(ids, m.ID)
				}
				u = page.Next
			}
			var mu sync.Mutex
			sem := make(chan struct{}, 4)
			var wg sync.WaitGroup
			for _, id := range ids {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					var m map[string]any
					mustOK(t, getWithRetry(ctx, hc, tok, info.GraphBaseURL+"/users/"+url.PathEscape(mb.ID)+"/messages/"+url.PathEscape(id), "", &m, clock))
					mu.Lock()
					stored[mb.ID] = append(stored[mb.ID], id+"|"+f)
					mu.Unlock()
				}()
			}
			wg.Wait()
		}
		if i == 0 {
			res.FirstUsable = clock.Since(start).Seconds()
		}
	}
	res.Seconds = clock.Since(start).Seconds()
	return res
}

// getWithRetry retries 429/503 after Retry-After, as corso's middleware does.
func getWithRetry(ctx context.Context, hc *http.Client, tok, u, prefer string, v any, clock scaledClock) error {
	for attempt := 0; ; attempt++ {
		err := getJSON(ctx, hc, tok, u, prefer, v)
		if err == nil || attempt > 8 || !(strings.Contains(err.Error(), ": 429 ") || strings.Contains(err.Error(), ": 503 ")) {
			return err
		}
		_ = clock.Sleep(ctx, time.Second)
	}
}

// naiveStrategy is naiveSync (bench_test.go) over the six folders, mailboxes one after
// another, timed in emulated time.
func naiveStrategy(t *testing.T, info emulator.Info, hc *http.Client, cred tokenGetter, cl graph.Cloud, mbs []mailsync.Mailbox, page int, window time.Time, clock scaledClock, dir string) strategyResult {
	start := clock.Now()
	var res strategyResult
	n := naiveLoop(t, info, hc, cred, cl, mbs, page, window, dir, func(i int) {
		if i == 0 {
			res.FirstUsable = clock.Since(start).Seconds()
		}
	})
	res.Seconds = clock.Since(start).Seconds()
	res.Messages = int64(n)
	return res
}

type (
	tokenGetter = azcore.TokenCredential
	policyOpts  = policy.TokenRequestOptions
)

func graphSource(base string, hc *http.Client, cred azcore.TokenCredential, cl graph.Cloud) mailsync.Source {
	return connection.MailSource(graph.NewMailSourceClient(base, hc, cred, cl.DefaultScope()))
}

// naiveLoop is the straightforward msgraph-sdk-go way (as naiveSync in bench_test.go):
// list + NewPageIterator per folder, one INSERT per message in autocommit; it calls
// done(i) after mailbox i and returns the messages stored.
func naiveLoop(t *testing.T, info emulator.Info, hc *http.Client, cred azcore.TokenCredential, cl graph.Cloud, mbs []mailsync.Mailbox, page int, window time.Time, dir string, done func(int)) int {
	ctx := context.Background()
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{cl.DefaultScope()}, []string{cl.GraphHost()})
	mustOK(t, err)
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	sdkHC := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(hc.Transport, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)}
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonParseNodeFactory()
	ser := absser.NewSerializationWriterFactoryRegistry()
	ser.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonSerializationWriterFactory()
	ad, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, parse, ser, sdkHC)
	mustOK(t, err)
	ad.SetBaseUrl(info.GraphBaseURL)
	u := users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": info.GraphBaseURL}, ad)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "naive.db"))
	mustOK(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE messages (mailbox_id TEXT, id TEXT, folder_id TEXT, internet_message_id TEXT,
		conversation_id TEXT, from_address TEXT, to_addrs TEXT, subject TEXT, body_preview TEXT, received_at TEXT,
		is_read INTEGER, PRIMARY KEY (mailbox_id, id))`)
	mustOK(t, err)
	filter := "receivedDateTime ge " + window.UTC().Format("2006-01-02T15:04:05Z")
	top := int32(page)
	n := 0
	for i, mb := range mbs {
		for _, f := range benchFolders {
			cfg := &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
					Select: strings.Split("id,internetMessageId,conversationId,from,toRecipients,subject,bodyPreview,receivedDateTime,isRead", ","),
					Filter: &filter, Top: &top,
				},
			}
			resp, err := u.ByUserId(mb.ID).MailFolders().ByMailFolderId(f).Messages().Get(ctx, cfg)
			mustOK(t, err)
			it, err := msgraphcore.NewPageIterator[models.Messageable](resp, ad, models.CreateMessageCollectionResponseFromDiscriminatorValue)
			mustOK(t, err)
			var ierr error
			mustOK(t, it.Iterate(ctx, func(m models.Messageable) bool {
				var to []string
				for _, r := range m.GetToRecipients() {
					to = append(to, deref(r.GetEmailAddress().GetAddress()))
				}
				from := ""
				if m.GetFrom() != nil {
					from = deref(m.GetFrom().GetEmailAddress().GetAddress())
				}
				_, ierr = db.Exec(`INSERT OR REPLACE INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?)`, mb.ID, deref(m.GetId()), f,
					deref(m.GetInternetMessageId()), deref(m.GetConversationId()), from, strings.Join(to, ";"),
					deref(m.GetSubject()), deref(m.GetBodyPreview()), m.GetReceivedDateTime().UTC().Format(time.RFC3339),
					m.GetIsRead() != nil && *m.GetIsRead())
				n++
				return ierr == nil
			}))
			mustOK(t, ierr)
		}
		done(i)
	}
	return n
}
