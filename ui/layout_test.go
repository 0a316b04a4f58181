package ui

import (
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/secretstore"
)

// A new window is sized to its content's minimum before any layout. The wizard's
// word-wrapped header and problem lines must not make that minimum taller than a laptop
// screen (1366×768 with a taskbar): it was 1,217 px.
func TestWizardMinimumFitsALaptop(t *testing.T) {
	keyring.MockInit()
	a := test.NewTempApp(t)
	w := a.NewWindow("M365 Connect") // not resized: content never laid out, as in the real driver
	dir := t.TempDir()
	loop := newUILoop(t)
	loop.do(t, func() {
		z := CreateWithOptions(a, w, Options{AppVersion: "test", ConfigDir: dir, DataDir: filepath.Join(dir, "data"),
			Secrets:       secretstore.New("m365connect-uitest", filepath.Join(dir, "secrets.json")),
			StartPractice: func() (*emulator.Server, error) { return emulator.New(emulator.Options{MessagesPerMailbox: 1}) },
			DeliveryWait:  time.Second, Do: loop.Do})
		t.Cleanup(func() { loop.DoAndWait(func() { z.Close(); w.Close() }) })
		if h := w.Content().MinSize().Height; h > 640 {
			t.Fatalf("the wizard's minimum height is %.0f px before layout; it must fit a 768 px screen", h)
		}
		// Laid out at a normal width, a long problem line still gets the lines it needs.
		w.Resize(fyne.NewSize(960, 640))
		line := unwrappedMin{}.MinSize([]fyne.CanvasObject{z.problem}).Height
		z.problem.SetText("This is a long problem line that wraps. It explains what went wrong and what to do " +
			"about it, in words that take more than one line at this width, and then some more words to be sure.")
		if more := (unwrappedMin{}).MinSize([]fyne.CanvasObject{z.problem}).Height; more <= line {
			t.Fatalf("a long problem line asks for %.0f px, one line is %.0f", more, line)
		}
		// Let the practice tenant finish starting, so its UI update cannot run after the test.
		t.Cleanup(func() {
			loop.waitFor(t, "the practice tenant to start", func() bool { return z.state.Practice != nil })
		})
	})
}
