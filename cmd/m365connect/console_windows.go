//go:build windows

package main

import (
	"os"
	"syscall"
)

// attachParentConsole lets the one Windows binary be both programs: it is linked as a
// GUI app (-H=windowsgui), so a double-click opens the wizard with no console window;
// when a subcommand is run from cmd.exe or PowerShell, it attaches to that terminal's
// console so its output appears there. Handles the parent already redirected (to a file
// or a pipe) are kept as they are.
func attachParentConsole() {
	if validStdHandle(syscall.STD_OUTPUT_HANDLE) && validStdHandle(syscall.STD_ERROR_HANDLE) {
		return
	}
	kernel32 := syscall.NewLazyDLL("kernel32.dll")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS = (DWORD)-1
	if r, _, _ := kernel32.NewProc("AttachConsole").Call(attachParentProcess); r == 0 {
		return // started from Explorer: no console to attach to
	}
	if !validStdHandle(syscall.STD_OUTPUT_HANDLE) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !validStdHandle(syscall.STD_ERROR_HANDLE) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
	if f, err := os.OpenFile("CONIN$", os.O_RDONLY, 0); err == nil {
		os.Stdin = f
	}
}

// validStdHandle reports whether the process was given a usable standard handle.
func validStdHandle(which int) bool {
	h, err := syscall.GetStdHandle(which)
	if err != nil || h == 0 || h == syscall.InvalidHandle {
		return false
	}
	t, err := syscall.GetFileType(h)
	return err == nil && t != syscall.FILE_TYPE_UNKNOWN
}
