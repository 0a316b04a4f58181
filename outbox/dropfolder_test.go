package outbox

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Finding 6 of issue 14: a half-written drop file was rejected, and one unreadable file
// in processing/ blocked every scan. Now an incomplete file that is still changing waits,
// and a bad or unreadable file is moved aside with its reason while the others go on.
func TestDropFolderTakesOnlyCompleteFiles(t *testing.T) {
	ctx := context.Background()
	o := openTest(t, testPolicy)
	dir := t.TempDir()
	full := `{"from":"support@contoso.com","to":["a@contoso.com"],"subject":"half","text":"x"}`
	half := full[:len(full)/2]
	p := filepath.Join(dir, "half.json")
	os.WriteFile(p, []byte(half), 0o600)
	// Names a writer uses before its rename are never read.
	for _, tmp := range []string{".half.json", "half.json.tmp", "half.json.part", "~half.json.swp"} {
		os.WriteFile(filepath.Join(dir, tmp), []byte(half), 0o600)
	}
	res, err := o.ScanDropFolder(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Waiting != 1 || res.Accepted+res.Rejected != 0 {
		t.Fatalf("a file being written was taken: %+v", res)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the half-written file was moved: %v", err)
	}
	// The writer finishes; the next scan takes it.
	os.WriteFile(p, []byte(full), 0o600)
	res, err = o.ScanDropFolder(ctx, dir)
	if err != nil || res.Accepted != 1 {
		t.Fatalf("complete file: %+v, %v", res, err)
	}
	for _, tmp := range []string{".half.json", "half.json.tmp", "half.json.part", "~half.json.swp"} {
		if _, err := os.Stat(filepath.Join(dir, tmp)); err != nil {
			t.Errorf("temp name %s was touched: %v", tmp, err)
		}
	}
}

func TestDropFolderUnreadableFileNeverBlocks(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs POSIX permissions and a non-root user")
	}
	ctx := context.Background()
	o := openTest(t, testPolicy)
	dir := t.TempDir()
	proc := filepath.Join(dir, "processing")
	os.MkdirAll(proc, 0o700)
	bad := filepath.Join(proc, "a-unreadable.json")
	os.WriteFile(bad, []byte(`{"from":"support@contoso.com","to":["a@contoso.com"],"subject":"s","text":"x"}`), 0o600)
	if err := os.Chmod(bad, 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "b-good.json"), []byte(`{"from":"support@contoso.com","to":["b@contoso.com"],"subject":"s","text":"x"}`), 0o600)
	os.WriteFile(filepath.Join(dir, "c-unreadable.json"), []byte(`{}`), 0)
	for i := 0; i < 2; i++ { // the next scan is not blocked either
		res, err := o.ScanDropFolder(ctx, dir)
		if err != nil {
			t.Fatalf("scan %d: %v", i, err)
		}
		if i == 0 && (res.Accepted != 1 || res.Rejected != 2 || len(res.Failed) != 0) {
			t.Fatalf("scan %d: %+v", i, res)
		}
	}
	for _, name := range []string{"a-unreadable.json", "c-unreadable.json"} {
		reason, err := os.ReadFile(filepath.Join(dir, "rejected", name+".reason.txt"))
		if err != nil || !strings.Contains(string(reason), "cannot read the file") || !strings.Contains(string(reason), "permission denied") {
			t.Errorf("%s: reason %q, %v", name, reason, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "accepted", "b-good.json")); err != nil {
		t.Errorf("the good file was blocked: %v", err)
	}
}

// The same with the read failure injected, so it runs as any user (root reads 0000 files).
func TestDropFolderReadErrorMovedAside(t *testing.T) {
	ctx := context.Background()
	o := openTest(t, testPolicy)
	o.openDrop = func(name string) (io.ReadCloser, error) {
		if strings.Contains(name, "a-unreadable") {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}
		return os.Open(name)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "processing"), 0o700)
	os.WriteFile(filepath.Join(dir, "processing", "a-unreadable.json"), []byte(`{}`), 0o600)
	os.WriteFile(filepath.Join(dir, "b-good.json"), []byte(`{"from":"support@contoso.com","to":["b@contoso.com"],"subject":"s","text":"x"}`), 0o600)
	res, err := o.ScanDropFolder(ctx, dir)
	if err != nil || res.Accepted != 1 || res.Rejected != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	reason, _ := os.ReadFile(filepath.Join(dir, "rejected", "a-unreadable.json.reason.txt"))
	if !strings.Contains(string(reason), "cannot read the file: permission denied") || strings.Contains(string(reason), dir) {
		t.Errorf("reason %q: want the cause, without the path", reason)
	}
	if res, err := o.ScanDropFolder(ctx, dir); err != nil || len(res.Failed) != 0 {
		t.Fatalf("next scan: %+v, %v", res, err)
	}
}

// A file that cannot even be moved aside is reported and skipped; the others go on.
func TestDropFolderStuckFileReportedNotFatal(t *testing.T) {
	ctx := context.Background()
	o := openTest(t, testPolicy)
	dir := t.TempDir()
	if _, err := o.ScanDropFolder(ctx, dir); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "processing", "stuck.json"), []byte(`not json`), 0o600)
	// Its reason file cannot be written: a folder is in the way.
	os.MkdirAll(filepath.Join(dir, "rejected", "stuck.json.reason.txt", "x"), 0o700)
	os.WriteFile(filepath.Join(dir, "good.json"), []byte(`{"from":"support@contoso.com","to":["b@contoso.com"],"subject":"s","text":"x"}`), 0o600)
	res, err := o.ScanDropFolder(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0], "stuck.json") {
		t.Fatalf("%+v", res)
	}
}

func TestParseDropFile(t *testing.T) {
	tests := []struct {
		data string
		err  string // "" = ok
	}{
		{`{"from":"a@b.c","to":["d@e.f"],"text":"x"}`, ""},
		{``, "still being written"},
		{`  `, "still being written"},
		{`{"from":"a@b.c"`, "still being written"},
		{`{"from":1}`, "not a valid outgoing message JSON"},
		{`{"bcc":["x@y.z"]}`, "unknown field"},
		{`{} {}`, "more than one JSON value"},
		{`{}]`, "more than one JSON value"},
		{`[]`, "not a valid"},
		{strings.Repeat(" ", maxDropFile+1), "larger than"},
	}
	for _, tc := range tests {
		n, err := ParseDropFile("m.json", []byte(tc.data))
		if tc.err == "" {
			if err != nil || !strings.HasPrefix(n.Key, "file:m.json:") {
				t.Errorf("%.40q: %+v, %v", tc.data, n, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.40q: err = %v, want %q", tc.data, err, tc.err)
		}
	}
	if _, err := ParseDropFile("m.json", []byte(`{"from":`)); !errors.Is(err, ErrDropIncomplete) {
		t.Errorf("cut-off file: %v", err)
	}
	_ = time.Second
}
