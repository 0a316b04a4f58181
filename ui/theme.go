package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// appTheme is Fyne's default theme with the colours that were too faint to read
// replaced, in both variants: the border of inputs and of unselected radio buttons and
// check boxes (1.4:1 on the dark background), disabled text such as the consent URL box
// (grey on grey, 1.3:1), and the success, warning and error texts of the light variant
// (green on white, 1.5:1). Targets are WCAG 2.2's: text 4.5:1 (1.4.3), the parts of a
// control needed to see it 3:1 (1.4.11); TestThemeContrast computes them.
// https://www.w3.org/TR/WCAG22/#contrast-minimum
// https://www.w3.org/TR/WCAG22/#non-text-contrast
type appTheme struct{}

var _ fyne.Theme = appTheme{}

// themeColors are the replaced colours, per variant.
func themeColors(v fyne.ThemeVariant) map[fyne.ThemeColorName]color.Color {
	if v == theme.VariantLight {
		return map[fyne.ThemeColorName]color.Color{
			theme.ColorNameForeground:          color.NRGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff},
			theme.ColorNameInputBorder:         color.NRGBA{R: 0x76, G: 0x76, B: 0x76, A: 0xff},
			theme.ColorNameDisabled:            color.NRGBA{R: 0x60, G: 0x60, B: 0x60, A: 0xff},
			theme.ColorNamePlaceHolder:         color.NRGBA{R: 0x60, G: 0x60, B: 0x60, A: 0xff},
			theme.ColorNamePrimary:             color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff},
			theme.ColorNameHyperlink:           color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff},
			theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
			theme.ColorNameSuccess:             color.NRGBA{R: 0x1b, G: 0x6e, B: 0x20, A: 0xff},
			theme.ColorNameWarning:             color.NRGBA{R: 0x8a, G: 0x4b, B: 0x00, A: 0xff},
			theme.ColorNameError:               color.NRGBA{R: 0xb7, G: 0x1c, B: 0x1c, A: 0xff},
			theme.ColorNameScrollBar:           color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0x99},
		}
	}
	return map[fyne.ThemeColorName]color.Color{
		theme.ColorNameInputBorder:         color.NRGBA{R: 0x8e, G: 0x8e, B: 0x93, A: 0xff},
		theme.ColorNameDisabled:            color.NRGBA{R: 0x9a, G: 0x9a, B: 0x9e, A: 0xff},
		theme.ColorNamePlaceHolder:         color.NRGBA{R: 0xb2, G: 0xb2, B: 0xb2, A: 0xff},
		theme.ColorNamePrimary:             color.NRGBA{R: 0x1f, G: 0x6f, B: 0xeb, A: 0xff},
		theme.ColorNameHyperlink:           color.NRGBA{R: 0x6c, G: 0xb0, B: 0xff, A: 0xff},
		theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		theme.ColorNameSuccess:             color.NRGBA{R: 0x43, G: 0xf4, B: 0x36, A: 0xff},
		theme.ColorNameWarning:             color.NRGBA{R: 0xff, G: 0x98, B: 0x00, A: 0xff},
		theme.ColorNameError:               color.NRGBA{R: 0xff, G: 0x6b, B: 0x5e, A: 0xff},
	}
}

// Color returns the replaced colour, or the default theme's.
func (appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c, ok := themeColors(v)[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, v)
}

// Font is the default theme's.
func (appTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon is the default theme's.
func (appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size is the default theme's.
func (appTheme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }
