package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// fitWidth holds a step's content inside the vertical scroll. A VScroll is as wide as
// its content's minimum, and Fyne grows the window to fit: one long unwrapped line (an
// inline field error) widened the window from 960 to 1,106 px and it never shrank back.
// This layout asks for no width, so the content always gets the window's width and
// wrapped labels wrap inside it; TestStepsFitTheWindow keeps every step narrow enough
// for that.
type fitWidth struct{}

func (fitWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(0, h)
}

func (fitWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// wideSelect wraps a Select so that it is as wide as its longest option: a Select's own
// minimum fits its placeholder, so "Shared mailbox" showed as "Shared mai…".
func wideSelect(s *widget.Select) fyne.CanvasObject {
	return container.New(minWidth{w: selectWidth(s)}, s)
}

// selectWidth is the width a Select needs to show its longest option whole: the text,
// the drop-down icon and the paddings around both.
func selectWidth(s *widget.Select) float32 {
	var w float32
	for _, o := range s.Options {
		w = max(w, fyne.MeasureText(o, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	return w + theme.IconInlineSize() + 6*theme.Padding()
}

// minWidth lays out its objects stacked and asks for at least w of width.
type minWidth struct{ w float32 }

func (m minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(max(s.Width, m.w), s.Height)
}

func (m minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// errorLabel is a word-wrapped label in the error colour, hidden while empty.
func errorLabel() *widget.Label {
	l := wrapLabel("")
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

// setMessage shows text in l (hiding l when text is empty).
func setMessage(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}
