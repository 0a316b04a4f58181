//go:build !windows

package main

// attachParentConsole is needed only on Windows, where the binary is a GUI app.
func attachParentConsole() {}
