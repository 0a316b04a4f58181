package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/m365connect/m365connect/wizard"
)

// environmentChoices maps what the user reads to the cloud it selects.
func environmentChoices() []struct{ label, cloud string } {
	return []struct{ label, cloud string }{
		{"Microsoft 365 (worldwide)", "global"},
		{"Microsoft 365 US Government (GCC High)", "usgov"},
		{"Microsoft 365 US Government (DoD)", "usgovdod"},
		{"Microsoft 365 operated by 21Vianet (China)", "china"},
		{"Practice tenant (built in, works offline)", "practice"},
	}
}

type environmentScreen struct {
	radio *widget.RadioGroup
	root  fyne.CanvasObject
}

func newEnvironmentScreen(st *wizard.State, changed func()) *environmentScreen {
	labels := make([]string, len(environmentChoices()))
	for i, c := range environmentChoices() {
		labels[i] = c.label
	}
	s := &environmentScreen{}
	s.radio = widget.NewRadioGroup(labels, func(label string) {
		st.Cloud = ""
		for _, c := range environmentChoices() {
			if c.label == label {
				st.Cloud = c.cloud
			}
		}
		changed()
	})
	hint := widget.NewLabel("Not sure? Choose the practice tenant to try every step without touching a real tenant.")
	hint.Wrapping = fyne.TextWrapWord
	s.root = container.NewVBox(s.radio, hint)
	return s
}

func (s *environmentScreen) object() fyne.CanvasObject { return s.root }
