package graph

import (
	"fmt"
	"strings"
	"unicode"
)

// Quoting for the generated admin scripts. Every value that comes from the user or a
// config (tenant, app name, mailbox addresses, account) goes through one of these, so a
// hostile value stays one argument and never becomes code.
//
// PowerShell (about_Quoting_Rules,
// https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_quoting_rules,
// and the language specification §2.3.5.2, which lists the quote characters): PowerShell
// treats the Unicode quotation marks as quotes too — single: U+0027 ', U+2018 ‘, U+2019 ’,
// U+201A ‚, U+201B ‛; double: U+0022 ", U+201C “, U+201D ”, U+201E „. In a single-quoted
// string nothing is expanded and a single quote of any of the five kinds is written
// twice; in a double-quoted string the backtick escapes `, $ and each double quote.
//
// POSIX shell (XCU 2.2.2 Single-Quotes,
// https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html#tag_19_02_02):
// inside single quotes every character is literal, newlines included, and a single quote
// cannot occur, so it is written as '\'' (close, escaped quote, reopen). The Unicode
// quotes are ordinary characters to the shell.

// psSingleQuotes are the characters PowerShell takes as a single quote.
const psSingleQuotes = "'\u2018\u2019\u201a\u201b"

// psDoubleQuotes are the characters PowerShell takes as a double quote.
const psDoubleQuotes = "\"\u201c\u201d\u201e"

// psQuote makes a PowerShell string literal of s: single-quoted (nothing expands) with
// every kind of single quote doubled. A value with control characters (a newline, an
// escape) is written double-quoted instead, with each control character as an escape,
// so it can neither end the line nor hide in the script.
func psQuote(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return psDQuote(s)
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(psSingleQuotes, r) {
			b.WriteRune(r) // doubled: ' → '' and ’ → ’’
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// psDQuote makes a double-quoted PowerShell string of s: backtick before `, $ and every
// kind of double quote; control characters as PowerShell escapes (`n, `r, `t, `0) or, for
// the rest, $([char]0xNN), which Windows PowerShell 5.1 understands too (`u{} is 6+ only).
func psDQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '`' || r == '$' || strings.ContainsRune(psDoubleQuotes, r):
			b.WriteByte('`')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString("`n")
		case r == '\r':
			b.WriteString("`r")
		case r == '\t':
			b.WriteString("`t")
		case r == 0:
			b.WriteString("`0")
		case unicode.IsControl(r):
			fmt.Fprintf(&b, "$([char]0x%X)", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// shQuote makes a POSIX shell word of s: single-quoted, each single quote written as
// close quote, backslash, quote, open quote.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
