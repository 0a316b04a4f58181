package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/graph"
)

// TestPasteBackBox: the box appears while a sign-in waits, hands what is typed to the
// flow (Enter or the button), keeps waiting after text that is not the redirect, and
// stops taking input once the flow took an address or refused its state.
func TestPasteBackBox(t *testing.T) {
	test.NewTempApp(t)
	p := newPasteBack()
	if p.box.Visible() {
		t.Fatal("box shown before a sign-in")
	}
	var got []string
	answers := []error{fmt.Errorf("%w: it points to example.com, not localhost", graph.ErrNotRedirect), nil}
	p.offer(func(s string) error {
		got = append(got, s)
		err := answers[0]
		answers = answers[1:]
		return err
	})
	if !p.box.Visible() {
		t.Fatal("box hidden during a sign-in")
	}
	test.Type(p.entry, "http://example.com/?code=x")
	p.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !strings.Contains(p.note.Text, "example.com") || p.entry.Disabled() {
		t.Fatalf("after a wrong address: %q disabled=%v", p.note.Text, p.entry.Disabled())
	}
	p.entry.SetText("http://localhost:5000/?code=c&state=s")
	test.Tap(p.use)
	if len(got) != 2 || got[1] != "http://localhost:5000/?code=c&state=s" || !p.entry.Disabled() || !strings.Contains(p.note.Text, "accepted") {
		t.Fatalf("after the right address: %v %q", got, p.note.Text)
	}
	p.withdraw()
	if p.box.Visible() {
		t.Fatal("box still shown after the sign-in ended")
	}
	p.offer(func(string) error { return graph.ErrStateMismatch })
	test.Type(p.entry, "http://localhost:5000/?code=c&state=old")
	test.Tap(p.use)
	if !p.entry.Disabled() || !strings.Contains(p.note.Text, "another sign-in") {
		t.Fatalf("state mismatch: %q", p.note.Text)
	}
}
