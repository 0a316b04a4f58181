// Package realwindow holds the end-to-end test of the wizard in the real window: the
// GLFW driver (fyne.io/fyne/v2/app) on an X display, its event loop on the main
// goroutine, against the practice tenant. It has no code of its own.
//
// The UI tests in package ui run on fyne/test's driver, which draws nothing and has no
// loop of its own; this test is the one that sees what a user of the window sees: fyne.Do
// callbacks run later, on the main loop, between frames. Run it with an X display
// (scripts/with-xvfb.sh starts Xvfb when there is none; `make test` does); without one
// it skips.
package realwindow
