// Package ui holds the Fyne screens of the setup wizard, one file per step. The flow,
// the values and their validation live in package wizard; screens only show them, and
// every change made from another goroutine reaches a widget through fyne.Do.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

// screen is one step's content. changed is called whenever a value changes, so the
// wizard can re-check whether Next may be pressed.
type screen interface {
	object() fyne.CanvasObject
}

// Wizard is the window's content: the step list on the left, the current step on the
// right, Back and Next below.
type Wizard struct {
	win     fyne.Window
	state   *wizard.State
	flow    *wizard.Flow
	screens map[wizard.StepID]screen

	stepIcons  []*widget.Icon
	stepLabels []*widget.Label
	title    *widget.Label
	summary  *widget.Label
	body     *fyne.Container
	problem  *widget.Label
	back     *widget.Button
	next     *widget.Button
	root     fyne.CanvasObject
}

// Create builds the wizard and sets it as w's content.
func Create(a fyne.App, w fyne.Window) *Wizard {
	st := &wizard.State{}
	z := &Wizard{win: w, state: st, flow: wizard.NewFlow(st.Gate)}
	z.screens = map[wizard.StepID]screen{
		wizard.StepEnvironment:     newEnvironmentScreen(st, z.refresh),
		wizard.StepPrerequisites:   newPlaceholderScreen("Who must be present, what the connection will do, and the access mode that fits."),
		wizard.StepAppRegistration: newAppRegistrationScreen(st, z.refresh),
		wizard.StepConsent:         newPlaceholderScreen("An administrator approves the app's permissions in the browser."),
		wizard.StepMailboxes:       newPlaceholderScreen("Pick the user and shared mailboxes to connect."),
		wizard.StepVerify:          newPlaceholderScreen("Every check of the connection, with what was seen and what to do."),
		wizard.StepSave:            newPlaceholderScreen("Save the secrets in the OS keyring and export the verified config."),
	}

	stepList := container.NewVBox()
	for _, s := range z.flow.Steps() {
		icon := widget.NewIcon(theme.RadioButtonIcon())
		label := widget.NewLabel(s.Title)
		z.stepIcons = append(z.stepIcons, icon)
		z.stepLabels = append(z.stepLabels, label)
		stepList.Add(container.NewHBox(icon, label))
	}
	z.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	z.title.SizeName = theme.SizeNameSubHeadingText
	z.summary = widget.NewLabel("")
	z.summary.Wrapping = fyne.TextWrapWord
	z.body = container.NewStack()
	z.problem = widget.NewLabel("")
	z.problem.Wrapping = fyne.TextWrapWord
	z.problem.Importance = widget.WarningImportance
	z.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), z.Back)
	z.next = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), z.Next)
	z.next.IconPlacement = widget.ButtonIconTrailingText
	z.next.Importance = widget.HighImportance

	header := container.NewVBox(z.title, z.summary, widget.NewSeparator())
	buttons := container.NewBorder(nil, nil, z.back, z.next, z.problem)
	right := container.NewBorder(header, buttons, nil, nil, container.NewVScroll(z.body))
	left := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewPadded(stepList))
	z.root = container.NewBorder(nil, nil, left, nil, container.NewPadded(right))
	w.SetContent(z.root)
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			z.Next()
		}
	})
	z.show()
	return z
}

// Current is the step being shown.
func (z *Wizard) Current() wizard.StepID { return z.flow.Current().ID }

// NextEnabled reports whether Next can be pressed now.
func (z *Wizard) NextEnabled() bool { return !z.next.Disabled() }

// Next advances if the current step is complete.
func (z *Wizard) Next() {
	if z.flow.Next() == nil {
		z.show()
	}
}

// Back returns to the previous step, keeping every value typed.
func (z *Wizard) Back() {
	if z.flow.Back() {
		z.show()
	}
}

// show renders the current step and the step list.
func (z *Wizard) show() {
	cur := z.flow.Current()
	z.title.SetText(cur.Title)
	z.summary.SetText(cur.Summary)
	z.body.Objects = []fyne.CanvasObject{z.screens[cur.ID].object()}
	z.body.Refresh()

	for i := range z.stepIcons {
		icon := theme.RadioButtonIcon()
		switch {
		case i < z.flow.Index():
			icon = theme.ConfirmIcon()
		case i == z.flow.Index():
			icon = theme.RadioButtonCheckedIcon()
		}
		z.stepIcons[i].SetResource(icon)
		z.stepLabels[i].TextStyle = fyne.TextStyle{Bold: i == z.flow.Index()}
		z.stepLabels[i].Refresh()
	}
	z.refresh()
}

// refresh re-checks the Next guard after a value changed.
func (z *Wizard) refresh() {
	if z.flow.IsFirst() {
		z.back.Disable()
	} else {
		z.back.Enable()
	}
	err := z.flow.CanNext()
	switch {
	case err == nil:
		z.next.Enable()
		z.problem.SetText("")
	case z.flow.IsLast():
		z.next.Disable()
		z.problem.SetText("")
	default:
		z.next.Disable()
		z.problem.SetText(err.Error())
	}
}
