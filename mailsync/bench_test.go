package mailsync_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
)

// benchTenant starts a practice tenant of 2 mailboxes with n messages each in a child
// process (so that its data does not inflate this process' heap figures) and connects
// to it. All messages are inside the 120-day window used (the generator spreads 90 days).
func benchTenant(b *testing.B, n int) (*tenant, []mailsync.Mailbox, map[string]int, int) {
	dir := b.TempDir()
	infoPath := filepath.Join(dir, "info.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmulatorChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), emuChildEnv+"="+fmt.Sprintf("%s|%d", infoPath, n))
	stdin, err := cmd.StdinPipe()
	mustOK(b, err)
	out, err := cmd.StdoutPipe()
	mustOK(b, err)
	cmd.Stderr = os.Stderr
	mustOK(b, cmd.Start())
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "READY" {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	var info emulator.Info
	ib, err := os.ReadFile(infoPath)
	mustOK(b, err)
	mustOK(b, json.Unmarshal(ib, &info))
	ca, err := os.ReadFile(info.CACertFile)
	mustOK(b, err)
	var counts map[string]int
	cb, err := os.ReadFile(infoPath + ".counts")
	mustOK(b, err)
	mustOK(b, json.Unmarshal(cb, &counts))
	tn := connect(b, info, ca, nil)
	mbs := tn.mailboxes(2)
	total := 0
	for _, mb := range mbs {
		total += counts[mb.ID+"/inbox"] + counts[mb.ID+"/sentitems"]
	}
	return tn, mbs, counts, total
}

const emuChildEnv = "MAILSYNC_EMULATOR_CHILD"

// TestEmulatorChild serves a practice tenant for BenchmarkSync until stdin closes.
func TestEmulatorChild(t *testing.T) {
	v := os.Getenv(emuChildEnv)
	if v == "" {
		t.Skip("only runs as BenchmarkSync's tenant process")
	}
	path, ns, _ := strings.Cut(v, "|")
	n, _ := strconv.Atoi(ns)
	srv, err := emulator.New(emulator.Options{Users: 2, SharedMailboxes: 0, MessagesPerMailbox: n, Seed: 5})
	mustOK(t, err)
	defer srv.Close()
	counts := map[string]int{}
	for _, mb := range srv.Info().Mailboxes {
		for _, f := range []string{"inbox", "sentitems"} {
			c, _ := srv.Mail().Count(mb.ID, f)
			counts[mb.ID+"/"+f] = c
		}
	}
	writeJSON(t, path+".counts", counts)
	mustOK(t, srv.WriteInfo(path))
	fmt.Println("READY")
	io.Copy(io.Discard, os.Stdin)
}

// minRequests is the fewest requests a page size allows: ceil(n/p) per folder, and for a
// folder above filtered delta's 5,000-message cap ceil(5000/p) delta pages plus
// ceil((n-5000)/p) gap-fill list pages.
func minRequests(counts map[string]int, mbs []mailsync.Mailbox, p int) int {
	req := 0
	for _, mb := range mbs {
		for _, f := range []string{"inbox", "sentitems"} {
			n := counts[mb.ID+"/"+f]
			req += max((min(n, mailsync.DefaultDeltaCap)+p-1)/p, 1)
			if n > mailsync.DefaultDeltaCap {
				req += (n - mailsync.DefaultDeltaCap + p - 1) / p
			}
		}
	}
	return req
}

// peakHeap samples the live heap every 2 ms until stop is called, returning the peak
// above the heap at start.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > base && v-base > peak.Load() {
					peak.Store(v - base)
				}
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

func runEngine(b *testing.B, tn *tenant, mbs []mailsync.Mailbox, page int) (time.Duration, int64, uint64) {
	ctx := context.Background()
	st, err := mailsync.OpenSQLite(ctx, filepath.Join(b.TempDir(), "engine.db"))
	mustOK(b, err)
	defer st.Close()
	opts := mailsync.Options{Mailboxes: mbs, Once: true, PageSize: page, BackfillDays: 120}
	e, err := mailsync.NewEngine(st, tn.source(), opts, nil)
	mustOK(b, err)
	before := tn.counter.graph.Load()
	stop := peakHeap()
	start := time.Now()
	mustOK(b, e.Run(ctx))
	d := time.Since(start)
	peak := stop()
	return d, tn.counter.graph.Load() - before, peak
}

// naiveSync is the straightforward way: msgraph-sdk-go list + NewPageIterator, one
// INSERT per message in autocommit on a default-configured SQLite file.
func naiveSync(b *testing.B, tn *tenant, mbs []mailsync.Mailbox, page int) (time.Duration, int64, uint64, int) {
	ctx := context.Background()
	cred, err := graph.NewSecretCredential(tn.cloud, tn.info.TenantID, appClientID(tn), appSecret(tn))
	mustOK(b, err)
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{tn.cloud.DefaultScope()}, []string{tn.cloud.GraphHost()})
	mustOK(b, err)
	opts := msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.89.0"}
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(tn.counter, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)}
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonParseNodeFactory()
	ser := absser.NewSerializationWriterFactoryRegistry()
	ser.ContentTypeAssociatedFactories["application/json"] = kjson.NewJsonSerializationWriterFactory()
	ad, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, opts, parse, ser, hc)
	mustOK(b, err)
	ad.SetBaseUrl(tn.cloud.GraphBaseURL)
	var _ abs.RequestAdapter = ad
	u := users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": tn.cloud.GraphBaseURL}, ad)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "naive.db"))
	mustOK(b, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE messages (mailbox_id TEXT, id TEXT, folder_id TEXT, internet_message_id TEXT,
		conversation_id TEXT, from_address TEXT, to_addrs TEXT, subject TEXT, body_preview TEXT, received_at TEXT,
		is_read INTEGER, PRIMARY KEY (mailbox_id, id))`)
	mustOK(b, err)

	before := tn.counter.graph.Load()
	stop := peakHeap()
	start := time.Now()
	window := time.Now().Add(-120 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	filter := "receivedDateTime ge " + window
	top := int32(page)
	n := 0
	for _, mb := range mbs {
		for _, f := range []string{"inbox", "sentitems"} {
			cfg := &users.ItemMailFoldersItemMessagesRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.ItemMailFoldersItemMessagesRequestBuilderGetQueryParameters{
					Select: strings.Split("id,internetMessageId,conversationId,from,toRecipients,subject,bodyPreview,receivedDateTime,isRead", ","),
					Filter: &filter, Top: &top,
				},
			}
			resp, err := u.ByUserId(mb.ID).MailFolders().ByMailFolderId(f).Messages().Get(ctx, cfg)
			mustOK(b, err)
			it, err := msgraphcore.NewPageIterator[models.Messageable](resp, ad, models.CreateMessageCollectionResponseFromDiscriminatorValue)
			mustOK(b, err)
			var ierr error
			mustOK(b, it.Iterate(ctx, func(m models.Messageable) bool {
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
			mustOK(b, ierr)
		}
	}
	d := time.Since(start)
	peak := stop()
	return d, tn.counter.graph.Load() - before, peak, n
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func appClientID(tn *tenant) string { return tn.appID }

func appSecret(tn *tenant) string {
	for _, a := range tn.info.Apps {
		if a.ClientID == tn.appID {
			return a.ClientSecret
		}
	}
	return ""
}

// BenchmarkSync syncs a practice tenant into a fresh store per iteration with the engine
// and, in the same run, with the naive SDK loop; it reports throughput, Graph requests
// per 1,000 messages (and against the minimum the page size allows), peak heap, and the
// engine/naive throughput ratio.
//
//	go test ./mailsync -run '^$' -bench BenchmarkSync -benchtime 1x
func BenchmarkSync(b *testing.B) {
	for _, n := range []int{2000, 8000} {
		tn, mbs, counts, total := benchTenant(b, n)
		// At 8,000 per mailbox each Inbox holds more than the 5,000 messages a filtered
		// delta round returns: the engine's numbers include its gap fill.
		b.Logf("folders: %v", counts)
		for _, page := range []int{50, 200, 1000} {
			b.Run(fmt.Sprintf("engine/msgs=%d/page=%d", total, page), func(b *testing.B) {
				var d time.Duration
				var req int64
				var peak uint64
				for b.Loop() {
					dd, r, p := runEngine(b, tn, mbs, page)
					d += dd
					req += r
					peak = max(peak, p)
				}
				it := float64(b.N)
				b.ReportMetric(float64(total)*it/d.Seconds(), "msgs/s")
				b.ReportMetric(float64(req)/it*1000/float64(total), "req/1000msgs")
				b.ReportMetric(float64(req)/it/float64(minRequests(counts, mbs, page)), "req/min")
				b.ReportMetric(float64(peak)/(1<<20), "peakMB")
			})
		}
		b.Run(fmt.Sprintf("naive-vs-engine/msgs=%d/page=%d", total, mailsync.DefaultPageSize), func(b *testing.B) {
			var dn, de time.Duration
			var reqN int64
			var peakN uint64
			for b.Loop() {
				d, r, p, got := naiveSync(b, tn, mbs, mailsync.DefaultPageSize)
				if got != total {
					b.Fatalf("naive loop stored %d of %d", got, total)
				}
				dn += d
				reqN += r
				peakN = max(peakN, p)
				d2, _, _ := runEngine(b, tn, mbs, mailsync.DefaultPageSize)
				de += d2
			}
			it := float64(b.N)
			b.ReportMetric(float64(total)*it/dn.Seconds(), "naive-msgs/s")
			b.ReportMetric(float64(total)*it/de.Seconds(), "engine-msgs/s")
			b.ReportMetric(dn.Seconds()/de.Seconds(), "speedup")
			b.ReportMetric(float64(reqN)/it*1000/float64(total), "naive-req/1000msgs")
			b.ReportMetric(float64(peakN)/(1<<20), "naive-peakMB")
		})
	}
}
