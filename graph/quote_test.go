package graph

import (
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileValues are what a tenant, app name or mailbox might carry to break out of a
// generated script.
var hostileValues = []string{
	"plain",
	"o'brien@contoso.com",
	"x'; Remove-Item -Recurse C:\\ ; '",
	"smart \u2018quote\u2019 and \u201alow\u201b",
	"\u2019; Stop-Computer; \u2019",
	"double \" \u201c \u201d \u201e quotes",
	"$(Invoke-Expression 'calc') and $env:USERNAME and `backtick`",
	"line\nbreak; rm -rf ~",
	"cr\rand\ttab",
	"nul\x00byte",
	"esc\x1b[31mred",
	"$(rm -rf ~) `rm -rf ~` ${HOME}",
	"'\\''",
	"",
	"emoji 📧 and ünïcödé",
}

// psUnquote reads one PowerShell string literal back by the language's rules (single:
// a doubled single quote of any kind is one; double: backtick escapes), failing when the
// literal ends before the end of the text (a break-out).
func psUnquote(t *testing.T, lit string) string {
	t.Helper()
	rs := []rune(lit)
	if len(rs) < 2 {
		t.Fatalf("literal %q too short", lit)
	}
	var b strings.Builder
	switch {
	case strings.ContainsRune(psSingleQuotes, rs[0]):
		for i := 1; i < len(rs); i++ {
			if strings.ContainsRune(psSingleQuotes, rs[i]) {
				if i == len(rs)-1 {
					return b.String()
				}
				if !strings.ContainsRune(psSingleQuotes, rs[i+1]) {
					t.Fatalf("literal %q ends early at rune %d: the value breaks out", lit, i)
				}
				i++
			}
			b.WriteRune(rs[i])
		}
	case strings.ContainsRune(psDoubleQuotes, rs[0]):
		for i := 1; i < len(rs); i++ {
			r := rs[i]
			switch {
			case r == '`':
				i++
				switch rs[i] {
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				case 't':
					b.WriteByte('\t')
				case '0':
					b.WriteByte(0)
				default:
					b.WriteRune(rs[i])
				}
			case strings.ContainsRune(psDoubleQuotes, r):
				if i != len(rs)-1 {
					t.Fatalf("literal %q ends early at rune %d", lit, i)
				}
				return b.String()
			case r == '$':
				// Only our own $([char]0xNN) may expand.
				rest := string(rs[i:])
				var n int
				var c rune
				if _, err := fmtSscanf(rest, &c, &n); err != nil {
					t.Fatalf("literal %q has an unescaped $ at %d", lit, i)
				}
				b.WriteRune(c)
				i += n - 1
			default:
				b.WriteRune(r)
			}
		}
	}
	t.Fatalf("literal %q is not closed", lit)
	return ""
}

// fmtSscanf reads "$([char]0xNN)" at the start of s.
func fmtSscanf(s string, c *rune, n *int) (int, error) {
	if !strings.HasPrefix(s, "$([char]0x") {
		return 0, errBadEscape
	}
	end := strings.IndexByte(s, ')')
	var v rune
	for _, h := range s[len("$([char]0x"):end] {
		v = v*16 + rune(strings.IndexRune("0123456789ABCDEF", h))
	}
	*c, *n = v, end+1
	return 1, nil
}

var errBadEscape = errorString("not our escape")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestPowerShellQuotingHostileValues(t *testing.T) {
	for _, v := range hostileValues {
		for name, q := range map[string]func(string) string{"psQuote": psQuote, "psDQuote": psDQuote} {
			lit := q(v)
			if got := psUnquote(t, lit); got != v {
				t.Errorf("%s(%q) = %s, reads back as %q", name, v, lit, got)
			}
			if strings.ContainsAny(lit, "\n\r\x00\x1b") {
				t.Errorf("%s(%q) = %q keeps a raw control character", name, v, lit)
			}
		}
	}
	// The documented shapes.
	for _, tc := range []struct{ in, want string }{
		{"o'brien", "'o''brien'"},
		{"a\u2019b", "'a\u2019\u2019b'"},
		{"a\u201ab\u201bc\u2018", "'a\u201a\u201ab\u201b\u201bc\u2018\u2018'"},
		{"a\nb", "\"a`nb\""},
	} {
		if got := psQuote(tc.in); got != tc.want {
			t.Errorf("psQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := psDQuote("\u201c$x`\u201e"); got != "\"`\u201c`$x```\u201e\"" {
		t.Errorf("psDQuote = %q", got)
	}
}

// The shell's own reading: /bin/sh prints each quoted value back unchanged.
func TestShellQuotingHostileValues(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, v := range hostileValues {
		if strings.ContainsRune(v, 0) {
			continue // no argument can hold a NUL; the generators never get one (validators refuse control characters)
		}
		out, err := exec.Command(sh, "-c", "printf '%s' "+shQuote(v)).Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != v {
			t.Errorf("shQuote(%q) = %s, sh read %q", v, shQuote(v), out)
		}
	}
}

// A hostile app name, tenant or mailbox stays inside its quotes in every generated script.
func TestGeneratedScriptsQuoteHostileValues(t *testing.T) {
	g, _ := CloudByName(CloudGlobal)
	evil := "x\u2019; Stop-Computer; \u2019\n$(calc)"
	s := GenerateScripts(ScriptInput{Cloud: g, TenantID: evil, AppName: evil, ClientID: evil, Mode: ModeSecret,
		Features: Features{Read: true, Send: true}, Mailboxes: []string{evil}, GroupAddress: evil, Account: evil})
	for name, script := range map[string]string{"graph": s.GraphPowerShell, "rbac": s.ExchangeRBAC, "legacy": s.ExchangeLegacy} {
		if strings.Contains(script, "Stop-Computer; \u2019\n") || strings.Contains(script, "\u2019; Stop-Computer; \u2019\n") {
			t.Errorf("%s: the value broke out:\n%s", name, script)
		}
		for _, line := range strings.Split(script, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "$(calc)") {
				t.Errorf("%s: a newline in a value started a new line: %q", name, line)
			}
		}
		if !utf8.ValidString(script) {
			t.Errorf("%s: invalid UTF-8", name)
		}
	}
	if !strings.Contains(s.AzureCLI, shQuote(evil)) {
		t.Errorf("azure cli script does not quote the tenant/app name:\n%s", s.AzureCLI)
	}
}
