package ui

import (
	"fmt"
	"image/color"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/wizard"
)

// screenSize is the size of the documented screenshots: a window that fits a 1366×768
// laptop screen with the task bar.
func screenSize() fyne.Size { return fyne.NewSize(1024, 700) }

// screenLook dresses a harness for TestScreens: the app's theme in one variant, the
// documented window size, pictures into dir named "<name>-<variant>.png".
type screenLook struct {
	name    string // "light" or "dark"
	variant fyne.ThemeVariant
	dir     string
}

func (l *screenLook) theme() fyne.Theme { return fixedVariant{Theme: Theme(), variant: l.variant} }

// fixedVariant is a theme drawn in one variant whatever the system prefers.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (f fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(n, f.variant)
}

// TestScreens regenerates docs/screens: every step and its notable states, in both
// theme variants, at 1024×700 (`make screens`). Each picture is checked for clipped
// text before it is written. It runs only when M365_SCREENS_DIR names the folder, so
// `make test` does not rewrite the docs.
func TestScreens(t *testing.T) {
	dir := os.Getenv("M365_SCREENS_DIR")
	if dir == "" {
		t.Skip("set M365_SCREENS_DIR (make screens) to regenerate the screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	small := emulator.Options{Seed: 7, MessagesPerMailbox: 20}
	flows := []struct {
		name string
		eo   emulator.Options
		run  func(h *harness)
	}{
		{"walk", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.walk(wizard.ModeSecret, true)
		}},
		{"failures", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.failurePaths()
		}},
		{"consent-waiting", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.consentWaiting()
		}},
		{"no-keyring", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.noKeyring()
		}},
		{"shared", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.delegatedShared()
		}},
		{"rotate", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.resetRotates()
		}},
		{"sync", syncTenant(), func(h *harness) { h.saveStepSync() }},
		{"outbox", small, func(h *harness) {
			h.waitFor("the practice tenant to start", func() bool { return h.z.state.Practice != nil })
			h.saveStepOutbox()
		}},
	}
	for _, v := range []*screenLook{{name: "light", variant: theme.VariantLight, dir: dir}, {name: "dark", variant: theme.VariantDark, dir: dir}} {
		for _, f := range flows {
			t.Run(v.name+"/"+f.name, func(t *testing.T) { f.run(newHarnessLook(t, f.eo, v)) })
		}
		t.Run(v.name+"/profiles", func(t *testing.T) { profilesOnFirstScreen(t, v) })
	}
}

// consentWaiting photographs the Consent step while it waits for the browser, then
// cancels.
func (h *harness) consentWaiting() {
	t := h.t
	h.browser.mu.Lock()
	h.browser.idle = true
	h.browser.mu.Unlock()
	h.walkTo(wizard.StepConsent)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.tap(cs.start)
	h.waitFor("the wait for the browser", func() bool { return strings.HasPrefix(cs.waiting.Text, "Waiting for the browser") })
	h.shot("3-consent-waiting")
	h.tap(cs.cancel)
	h.waitFor("the cancellation", func() bool { return strings.HasPrefix(cs.outcome.Text, "Cancelled") })
	h.do(func() {
		if cs.stop != nil {
			t.Fatal("still waiting after Cancel")
		}
	})
}

// clippedText lists the text the window cuts off: a label, check box or button whose
// text needs more width than it got, and anything reaching past the window's right
// edge (a scroll may hide what is below the window, never what is beside it).
func clippedText(w fyne.Window) []string {
	var out []string
	d := fyne.CurrentApp().Driver()
	width := w.Canvas().Size().Width
	objs := test.LaidOutObjects(w.Content())
	for _, ov := range w.Canvas().Overlays().List() {
		objs = append(objs, test.LaidOutObjects(ov)...)
	}
	for _, o := range objs {
		if !o.Visible() || o.Size().Width == 0 {
			continue
		}
		text := ""
		switch x := o.(type) {
		case *widget.Label:
			if x.Truncation != fyne.TextTruncateOff && x.Text != "" && !strings.Contains(x.Text, "\n") {
				// Cut with an ellipsis: hidden text unless the whole line fits.
				need := fyne.MeasureText(x.Text, theme.TextSize(), x.TextStyle).Width + 2*theme.InnerPadding()
				if need > o.Size().Width+0.5 {
					out = append(out, fmt.Sprintf("%q is cut with an ellipsis: needs %.0f px, has %.0f", short(x.Text), need, o.Size().Width))
				}
				continue
			}
			if x.Wrapping == fyne.TextWrapOff {
				text = x.Text
			}
		case *widget.Check:
			text = x.Text
		case *widget.Button:
			text = x.Text
		default:
			continue
		}
		if text == "" {
			continue
		}
		if need := o.MinSize().Width; need > o.Size().Width+0.5 {
			out = append(out, fmt.Sprintf("%q needs %.0f px, has %.0f", short(text), need, o.Size().Width))
		}
		if right := d.AbsolutePositionForObject(o).X + o.Size().Width; right > width+0.5 {
			out = append(out, fmt.Sprintf("%q ends at x=%.0f, past the window's %.0f", short(text), right, width))
		}
	}
	return out
}

func short(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// TestClippedTextFindsCutText: the check TestScreens runs on every picture finds a
// label cut by a narrow window and a button pushed past its right edge, and passes
// text that fits.
func TestClippedTextFindsCutText(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	defer w.Close()
	w.SetContent(widget.NewLabel("fits"))
	w.Resize(fyne.NewSize(300, 100))
	if c := clippedText(w); len(c) != 0 {
		t.Fatalf("short label reported: %v", c)
	}
	w.SetContent(widget.NewLabel("a label far too long for a window this narrow, so its end is cut off"))
	w.Resize(fyne.NewSize(200, 100))
	if c := clippedText(w); len(c) == 0 {
		t.Fatal("cut label not reported")
	}
	wrapped := widget.NewLabel("a label far too long for a window this narrow, but it wraps")
	wrapped.Wrapping = fyne.TextWrapWord
	w.SetContent(wrapped)
	w.Resize(fyne.NewSize(200, 300))
	if c := clippedText(w); len(c) != 0 {
		t.Fatalf("wrapping label reported: %v", c)
	}
	// Cut with an ellipsis is hidden text too (the Sync tab's store path once showed as
	// "Local store:…").
	cut := widget.NewLabel(`Local store: C:\Users\Administrator\AppData\Local\m365connect\data\profiles\p0123\mail.db`)
	cut.Truncation = fyne.TextTruncateEllipsis
	w.SetContent(cut)
	w.Resize(fyne.NewSize(300, 100))
	if c := clippedText(w); len(c) == 0 {
		t.Fatal("label cut with an ellipsis not reported")
	}
}
