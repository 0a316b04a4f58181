package main

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/m365connect/m365connect/assets"
	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/ui"
)

// appID is the app's reverse-DNS ID (also in FyneApp.toml): it names the preferences
// and storage folders, so it must never change once released.
const appID = "io.m365connect.app"

// runGUI opens the wizard window and returns when it is closed.
func runGUI(ctx context.Context) error {
	if _, err := connection.DefaultConfigDir(); err != nil {
		return err // no home folder: say so rather than keep files in a shared one
	}
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon())
	w := a.NewWindow("M365 Connect")
	z := ui.Create(a, w)
	w.Resize(fyne.NewSize(960, 640))
	w.CenterOnScreen()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	// A sync still running stops after its current page (every page is committed, so
	// the next start resumes); then the practice tenant closes.
	z.StopSync(10 * time.Second)
	z.Close()
	return nil
}
