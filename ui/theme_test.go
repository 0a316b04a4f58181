package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance is WCAG 2.2's relative luminance of an opaque sRGB colour.
// https://www.w3.org/TR/WCAG22/#dfn-relative-luminance
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// over blends a possibly translucent colour over an opaque background.
func over(fg, bg color.Color) color.Color {
	f := color.NRGBAModel.Convert(fg).(color.NRGBA)
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(f.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{R: mix(f.R, b.R), G: mix(f.G, b.G), B: mix(f.B, b.B), A: 0xff}
}

// contrast is WCAG 2.2's contrast ratio. https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Every text colour reaches 4.5:1 and every control part 3:1 on the surfaces it is
// drawn on, in both variants. The default theme failed: the border of an unselected
// radio button was 1.4:1 on the dark background, the disabled URL box 1.3:1, green
// success text 1.5:1 on white.
func TestThemeContrast(t *testing.T) {
	th := appTheme{}
	surfaces := []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameInputBackground, theme.ColorNameButton, theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground}
	type pair struct {
		fg  fyne.ThemeColorName
		on  []fyne.ThemeColorName
		min float64
	}
	pairs := []pair{
		{theme.ColorNameForeground, surfaces, 4.5},
		{theme.ColorNameDisabled, surfaces, 4.5}, // disabled buttons' labels, the read-only URL box
		{theme.ColorNamePlaceHolder, []fyne.ThemeColorName{theme.ColorNameInputBackground}, 4.5},
		{theme.ColorNameSuccess, []fyne.ThemeColorName{theme.ColorNameBackground}, 4.5}, // labels with an importance
		{theme.ColorNameWarning, []fyne.ThemeColorName{theme.ColorNameBackground}, 4.5},
		{theme.ColorNameError, []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameInputBackground}, 4.5},
		{theme.ColorNameHyperlink, []fyne.ThemeColorName{theme.ColorNameBackground}, 4.5},
		{theme.ColorNamePrimary, []fyne.ThemeColorName{theme.ColorNameBackground}, 3},                                     // checked radio and check box, focus
		{theme.ColorNameInputBorder, []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameInputBackground}, 3}, // unselected radio, entry border
		{theme.ColorNameForegroundOnPrimary, []fyne.ThemeColorName{theme.ColorNamePrimary}, 4.5},                          // the Next button
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		name := map[fyne.ThemeVariant]string{theme.VariantDark: "dark", theme.VariantLight: "light"}[v]
		for _, p := range pairs {
			for _, s := range p.on {
				bg := over(th.Color(s, v), th.Color(theme.ColorNameBackground, v))
				if r := contrast(over(th.Color(p.fg, v), bg), bg); r < p.min {
					t.Errorf("%s: %s on %s is %.2f:1, want at least %.1f:1", name, p.fg, s, r, p.min)
				}
			}
		}
	}
	// The ratio itself: black on white is 21:1, a colour on itself 1:1.
	if r := contrast(color.Black, color.White); math.Abs(r-21) > 0.01 {
		t.Fatalf("contrast(black, white) = %.2f", r)
	}
}

// The default theme fails the same test: it checks something.
func TestDefaultThemeFailsContrast(t *testing.T) {
	d := theme.DefaultTheme()
	v := theme.VariantDark
	if r := contrast(d.Color(theme.ColorNameInputBorder, v), d.Color(theme.ColorNameBackground, v)); r >= 3 {
		t.Fatalf("default dark radio border is %.2f:1; the fix would be unnecessary", r)
	}
}
