package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// cancelRow is a long action's progress line: what it does, an endless bar and Cancel,
// which cancels the action's context. One action at a time: starting another cancels
// the one running. Every method runs on the UI goroutine.
type cancelRow struct {
	box    *fyne.Container
	text   *widget.Label
	bar    *widget.ProgressBarInfinite
	cancel *widget.Button
	stop   context.CancelFunc
	gen    int // the running action's number; an older action's answer is dropped
	// onCancel, when set, says on screen that the action was cancelled.
	onCancel func()
	// owner, when set, is the container holding box, laid out again when the row shows
	// or hides (inside tabs nothing else does it, and the row would lie over the text).
	owner *fyne.Container
}

func newCancelRow() *cancelRow {
	r := &cancelRow{text: wrapLabel(""), bar: widget.NewProgressBarInfinite()}
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), r.doCancel)
	r.box = container.NewVBox(container.NewBorder(nil, nil, nil, r.cancel, r.text), r.bar)
	r.bar.Stop()
	r.box.Hide()
	return r
}

// start shows the row saying text and returns the action's context and number.
func (r *cancelRow) start(text string) (context.Context, int) {
	if r.stop != nil {
		r.stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	r.gen++
	r.text.SetText(text)
	r.box.Show()
	r.bar.Start()
	r.relayout()
	return ctx, r.gen
}

// finish ends action gen: it reports false when the answer is stale (cancelled, or a
// newer action started) and must not reach the screen.
func (r *cancelRow) finish(gen int) bool {
	if gen != r.gen || r.stop == nil {
		return false
	}
	r.stop()
	r.stop = nil
	r.hide()
	return true
}

func (r *cancelRow) doCancel() {
	if r.stop == nil {
		return
	}
	r.stop()
	r.stop = nil
	r.hide()
	if r.onCancel != nil {
		r.onCancel()
	}
}

func (r *cancelRow) hide() {
	r.bar.Stop()
	r.box.Hide()
	r.relayout()
}

func (r *cancelRow) relayout() {
	if r.owner != nil {
		r.owner.Refresh()
	}
}

// running reports whether an action is under way.
func (r *cancelRow) running() bool { return r.stop != nil }

// actionCanceller is a screen with long actions: cancelAction cancels the one under way
// and reports whether there was one (Escape cancels it before it goes Back).
type actionCanceller interface {
	cancelAction() bool
}

// cancelFirst cancels the first action under way: a cancelRow running, or a Cancel button
// shown and enabled (each screen shows its Cancel only while its action runs).
func cancelFirst(rows []*cancelRow, buttons ...*widget.Button) bool {
	for _, r := range rows {
		if r.running() {
			r.doCancel()
			return true
		}
	}
	for _, b := range buttons {
		if b.Visible() && !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
			return true
		}
	}
	return false
}
