package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// placeholderScreen stands in for a step whose screen is not built yet.
type placeholderScreen struct{ root fyne.CanvasObject }

func newPlaceholderScreen(text string) *placeholderScreen {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return &placeholderScreen{root: l}
}

func (s *placeholderScreen) object() fyne.CanvasObject { return s.root }
