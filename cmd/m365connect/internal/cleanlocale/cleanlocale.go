// Package cleanlocale keeps Fyne's locale lookup quiet on systems whose locale is C.
//
// Fyne's lang package reads the user's locales when it is initialised, before main runs:
// fyne.io/fyne/v2/lang's init() loads its translations and then calls updateLocalizer,
// which takes the locale list from github.com/jeandeaual/go-locale (LC_ALL, LC_MESSAGES
// or LANG, else LANGUAGE) and parses each entry with golang.org/x/text/language. go-locale
// passes "C" and "POSIX" on as "no locale", but "C.UTF-8" (the default of many
// containers and CI images) becomes the language "C", which does not parse, and Fyne
// logs "Fyne error: Error parsing user locale C" with a Cause and an "At:" line naming
// its source file, three lines on stderr of every command.
//
// A blank import of this package from package main fixes that: Go initialises the
// packages of a program in import-path order as soon as their imports are ready
// (go.dev/ref/spec#Package_initialization), so this package (imports: os, runtime,
// strings and x/text/language) runs before github.com/nicksnyder/go-i18n and therefore
// before fyne.io/fyne/v2/lang, which needs it. When an entry would not parse, it sets
// LANGUAGE to the entries that do (else "en"), which go-locale reads because the
// locale is not exactly "C" or "POSIX". Messages stay English, as they are under C.
package cleanlocale

import (
	"os"
	"runtime"
	"strings"

	"golang.org/x/text/language"
)

func init() {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return // go-locale asks the system there, not the environment
	}
	if v, ok := Language(os.Getenv); ok {
		os.Setenv("LANGUAGE", v)
	}
}

// Language returns the LANGUAGE value that makes every locale go-locale reports from
// this environment parse, and whether LANGUAGE needs that value (false: leave it).
func Language(getenv func(string) string) (string, bool) {
	loc := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(name); loc != "" {
			break
		}
	}
	if loc == "C" || loc == "POSIX" {
		return "", false // go-locale reports no locale; Fyne uses English
	}
	list := loc
	if l := getenv("LANGUAGE"); l != "" {
		list = l
	}
	if list == "" {
		return "", false
	}
	var good []string
	bad := false
	for _, entry := range strings.Split(list, ":") {
		if parses(entry) {
			good = append(good, entry)
		} else {
			bad = true
		}
	}
	if !bad {
		return "", false
	}
	if len(good) == 0 {
		return "en", true
	}
	return strings.Join(good, ":"), true
}

// parses reports whether Fyne can parse entry as go-locale hands it over: the encoding
// cut off, language and territory joined with a hyphen.
func parses(entry string) bool {
	l, _, _ := strings.Cut(entry, ".")
	l = strings.ReplaceAll(l, "-", "_")
	lang, region, _ := strings.Cut(l, "_")
	tag := lang
	if region != "" {
		tag += "-" + region
	}
	_, err := language.Parse(tag)
	return err == nil
}
