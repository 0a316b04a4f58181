package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/graph"
)

// pasteBack is the box shown while a delegated sign-in waits: when the browser runs
// where this computer's listener cannot be reached (a remote session, a kiosk), the
// admin copies the address the browser ended on (http://localhost:PORT/?code=...) from
// its address bar and pastes it here. graph checks it like the listener does.
type pasteBack struct {
	box   *fyne.Container
	entry *widget.Entry
	use   *widget.Button
	note  *widget.Label
	paste func(string) error
}

func newPasteBack() *pasteBack {
	p := &pasteBack{}
	p.entry = widget.NewEntry()
	p.entry.SetPlaceHolder("http://localhost:…/?code=…&state=…")
	p.entry.OnSubmitted = func(string) { p.submit() }
	p.use = widget.NewButtonWithIcon("Use this address", theme.ConfirmIcon(), p.submit)
	p.note = wrapLabel("")
	p.box = container.NewVBox(
		wrapLabel("Signed in on another computer, or the page said it cannot reach localhost? Copy the whole address from that browser's address bar and paste it here."),
		container.NewBorder(nil, nil, nil, p.use, p.entry),
		p.note,
	)
	p.box.Hide()
	return p
}

// offer shows the box for a running sign-in; paste is graph's SignInOptions.OnPasteBack
// function.
func (p *pasteBack) offer(paste func(string) error) {
	p.paste = paste
	p.entry.SetText("")
	p.note.SetText("")
	p.entry.Enable()
	p.use.Enable()
	p.box.Show()
}

// withdraw hides the box when the sign-in ends, however it ended.
func (p *pasteBack) withdraw() {
	p.paste = nil
	p.box.Hide()
}

func (p *pasteBack) submit() {
	if p.paste == nil {
		return
	}
	err := p.paste(p.entry.Text)
	switch {
	case err == nil:
		p.note.SetText("Address accepted: finishing the sign-in…")
		p.entry.Disable()
		p.use.Disable()
	case errors.Is(err, graph.ErrNotRedirect):
		p.note.SetText(pasteBackWords(err))
	default:
		p.note.SetText(pasteBackWords(err))
		p.entry.Disable()
		p.use.Disable()
	}
}

// pasteBackWords says what was wrong with a pasted address.
func pasteBackWords(err error) string {
	switch {
	case errors.Is(err, graph.ErrStateMismatch):
		return "That address belongs to another sign-in (an older attempt?). Start the sign-in again."
	case errors.Is(err, graph.ErrCallbackUsed):
		return "This sign-in already received its answer."
	}
	return "Not accepted: " + err.Error() + "."
}
