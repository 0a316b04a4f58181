// Package assets embeds the files the app ships inside its binary: the app icon.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon returns the app icon (512×512 PNG).
func Icon() fyne.Resource { return fyne.NewStaticResource("icon.png", iconPNG) }
