package ui

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/secretstore"
)

// TestCloseWaitsForThePracticeStart: closing the window while the practice tenant is
// still starting (it starts off the UI goroutine when the wizard opens) waits for that
// start, closes the tenant it started and leaves nothing written into the config folder
// afterwards (a test's temp folder removal failed with "directory not empty" when the
// start finished after Close).
func TestCloseWaitsForThePracticeStart(t *testing.T) {
	keyring.MockInit()
	a := test.NewTempApp(t)
	loop := newUILoop(t)
	dir := t.TempDir()
	release, started := make(chan struct{}), make(chan *emulator.Server, 1)
	opts := Options{
		AppVersion: "test", ConfigDir: dir, DataDir: filepath.Join(dir, "data"),
		Secrets: secretstore.New("m365connect-uitest", filepath.Join(dir, "secrets.json")),
		StartPractice: func() (*emulator.Server, error) {
			<-release
			srv, err := emulator.New(emulator.Options{Seed: 7, MessagesPerMailbox: 1})
			started <- srv
			return srv, err
		},
		Do: loop.Do,
	}
	var z *Wizard
	w := test.NewWindow(nil)
	defer w.Close()
	if !loop.DoAndWait(func() { z = CreateWithOptions(a, w, opts) }) {
		t.FailNow()
	}
	closed := make(chan struct{})
	go func() { loop.DoAndWait(z.Close); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while the practice tenant was still starting")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	<-closed
	srv := <-started
	if _, err := os.Stat(filepath.Join(dir, "practice", "sandbox.json")); err != nil {
		t.Errorf("the start Close waited for did not finish writing its info file: %v", err)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Get(srv.Info().GraphBaseURL); err == nil {
		resp.Body.Close()
		t.Errorf("the practice tenant started during Close still answers at %s", srv.Info().GraphBaseURL)
	}
}
