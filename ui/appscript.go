package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
)

// The App registration step's "Or let a script create the app": the script for the
// admin (package graph writes it) in three flavours, to copy or save.

// newScriptSection builds the script's kind, its text and the Copy and Save buttons.
func (s *appRegistrationScreen) newScriptSection() {
	z := s.z
	s.script = widget.NewMultiLineEntry()
	s.script.Wrapping = fyne.TextWrapOff
	s.script.SetMinRowsVisible(8)
	s.scriptKind = widget.NewSelect([]string{"Azure CLI (bash)", "Microsoft Graph PowerShell", "Exchange Online: limit to the chosen mailboxes"}, func(string) { s.updateScript() })
	saveScript := widget.NewButtonWithIcon("Save script…", theme.DocumentSaveIcon(), func() {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			if _, err := w.Write([]byte(s.script.Text)); err != nil {
				dialog.ShowError(fmt.Errorf("the script was not saved: %w", err), z.win)
			}
		}, z.win)
		d.SetFileName(map[bool]string{true: "m365connect-app.ps1", false: "m365connect-app.sh"}[strings.Contains(s.scriptKind.Selected, "PowerShell") || strings.HasPrefix(s.scriptKind.Selected, "Exchange")])
		d.Show()
	})
	s.scriptRow = container.NewHBox(wideSelect(s.scriptKind), z.copyButton("Copy script", func() string { return s.script.Text }), saveScript)
}

// updateScript writes the script for the values so far.
func (s *appRegistrationScreen) updateScript() {
	st := s.z.state
	cl, err := conn.CloudFor(st.Cloud, st.Practice)
	if err != nil || st.Mode == "" {
		s.script.SetText("# Choose the environment and the access mode first.")
		return
	}
	var mbs []string
	for _, m := range st.Mailboxes {
		mbs = append(mbs, m.Address)
	}
	sc := graph.GenerateScripts(graph.ScriptInput{Cloud: cl, TenantID: st.TenantID, AppName: "m365connect", ClientID: st.ClientID,
		Mode: graph.Mode(st.Mode), Features: conn.GraphFeatures(st.Features()), Mailboxes: mbs})
	switch s.scriptKind.SelectedIndex() {
	case 1:
		s.script.SetText(sc.GraphPowerShell)
	case 2:
		s.script.SetText(sc.ExchangeRBAC)
	default:
		s.script.SetText(sc.AzureCLI)
	}
}
