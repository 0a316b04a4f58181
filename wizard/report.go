package wizard

import (
	"html/template"
	"io"
	"time"
)

// reportTemplate is the printable verification report handed to the customer. It is an
// html/template, so every value is escaped; the config it renders holds no secret.
const reportTemplate = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>M365 Connect verification report: {{.C.TenantID}}</title>
<style>
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.5em;margin-bottom:.2em} .sub{color:#555;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1em 0} th,td{border:1px solid #ccc;padding:.4em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} .pass{color:#0a7a2f;font-weight:bold} .fail{color:#b00020;font-weight:bold}
.warn{color:#a15c00;font-weight:bold} .skipped{color:#666} .verdict{font-size:1.2em;padding:.6em;border:2px solid}
.ok{border-color:#0a7a2f} .bad{border-color:#b00020} @media print{body{margin:0}}
</style></head><body>
<h1>Microsoft 365 connection: verification report</h1>
<p class="sub">Produced by M365 Connect {{.C.AppVersion}} on {{.Generated}}</p>
<p class="verdict {{if and .O.Passed (not .O.Imported)}}ok{{else}}bad{{end}}">{{.O.Summary}}{{with .C.Verification}}{{if $.O.Verified}} Checks run on {{fmtTime .At}}.{{end}}{{end}}</p>
<table>
<tr><th>Tenant</th><td>{{.C.TenantID}}</td></tr>
<tr><th>Environment</th><td>{{cloudName .C.Cloud}}</td></tr>
<tr><th>App (client) ID</th><td>{{.C.ClientID}}</td></tr>
<tr><th>Access mode</th><td>{{modeName .C.AccessMode}}{{with .C.Credential.ServiceAccount}} ({{.}}){{end}}</td></tr>
<tr><th>What it does</th><td>{{features .C.Features}}</td></tr>
<tr><th>Permissions</th><td>{{range $i, $p := .C.Permissions}}{{if $i}}, {{end}}{{$p}}{{else}}(none recorded){{end}}</td></tr>
{{with .C.Credential.ExpiresAt}}<tr><th>Credential expires</th><td>{{fmtDate .}}{{with $.Expiry}} — <span class="warn">{{.}}</span>{{end}}</td></tr>{{end}}
</table>
<h2>Mailboxes</h2>
<table><tr><th>Address</th><th>Name</th><th>Kind</th></tr>
{{range .C.Mailboxes}}<tr><td>{{.Address}}</td><td>{{.DisplayName}}</td><td>{{.Kind}}</td></tr>{{end}}
</table>
{{with .C.Verification}}<h2>Checks</h2>
<table><tr><th>Check</th><th>Result</th><th>What was seen</th><th>Advice</th><th>Time</th></tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.Seen}}</td><td>{{.Advice}}</td><td>{{fmtTime .At}} ({{.Duration}} ms)</td></tr>{{end}}
</table>{{end}}
<p class="sub">This report contains no secret: client secrets, certificate keys and sign-in tokens stay in the OS keyring of the computer that ran the checks.</p>
</body></html>
`

// WriteReport renders the printable HTML verification report for c. now stamps it.
func WriteReport(w io.Writer, c *Config, now time.Time) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"fmtTime":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"fmtDate":   func(t *time.Time) string { return t.Format("2 January 2006") },
		"cloudName": CloudDisplayName,
		"modeName":  ModeDisplayName,
		"features":  func(f Features) string { return f.String() },
	}).Parse(reportTemplate)
	if err != nil {
		return err
	}
	// The verdict is computed from the checks, never read from the block's "passed".
	return t.Execute(w, struct {
		C         *Config
		O         Outcome
		Generated string
		Expiry    string
	}{c, c.VerificationOutcome(), now.UTC().Format("2006-01-02 15:04 UTC"), c.ExpiryWarning(now)})
}

// CloudDisplayName names a cloud for people.
func CloudDisplayName(cloud string) string {
	switch cloud {
	case CloudGlobal:
		return "Microsoft 365 (worldwide)"
	case CloudUSGov:
		return "Microsoft 365 US Government (GCC High)"
	case CloudUSDoD:
		return "Microsoft 365 US Government (DoD)"
	case CloudChina:
		return "Microsoft 365 operated by 21Vianet (China)"
	case CloudPractice:
		return "Practice tenant (built-in emulator)"
	}
	return cloud
}

// ModeDisplayName names an access mode for people.
func ModeDisplayName(mode string) string {
	for _, m := range ModeChoices(Features{}) {
		if m.Mode == mode {
			return m.Title
		}
	}
	return mode
}

// String describes the features in words: "reads and sends mail".
func (f Features) String() string {
	var parts []string
	switch {
	case f.Write:
		parts = append(parts, "reads and organises incoming mail")
	case f.Read:
		parts = append(parts, "reads incoming mail")
	}
	if f.Send {
		parts = append(parts, "sends mail")
	}
	if f.Shared {
		parts = append(parts, "including shared mailboxes")
	}
	if len(parts) == 0 {
		return "nothing chosen"
	}
	s := parts[0]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			s += " and " + p
		} else {
			s += ", " + p
		}
	}
	return s
}
