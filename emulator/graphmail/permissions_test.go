package graphmail

import (
	"net/http"
	"strings"
	"testing"
)

// TestPermissionColumns audits every endpoint the product calls against its
// documentation page's permission table, application and delegated columns apart:
// each documented permission alone is accepted, the ones not listed are refused with
// the API's 403 body. Pages are cited in handler.go beside the lists.
func TestPermissionColumns(t *testing.T) {
	f := newFixture(t, 10)
	u0, sh := f.users[0], f.shared
	draftOf := func(p Principal, mb string) string {
		r := f.do(t, &Principal{AppID: "setup", AppOnly: true, Roles: []string{"Mail.ReadWrite"}}, "POST", "/v1.0/users/"+mb+"/messages",
			map[string]any{"subject": "audit", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u0.Address}}}})
		if r.status != 201 {
			t.Fatalf("setup draft: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	msgOf := func(mb string) string {
		r := f.do(t, &appFull, "GET", "/v1.0/users/"+mb+"/mailFolders/inbox/messages?$top=1", nil)
		return r.json(t)["value"].([]any)[0].(map[string]any)["id"].(string)
	}
	sendMail := map[string]any{"message": map[string]any{"subject": "x", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": u0.Address}}}}}
	type endpoint struct {
		name   string
		method string
		path   func(mb string) string
		body   func(mb string) any
		// app / own / shared: permissions accepted (each alone); refused: refused in every column.
		app, own, shared []string
		refused          []string
		refusedApp       []string // names that exist only as delegated permissions for this API
		deniedCode       string
	}
	mailRead := func(path func(mb string) string, name string) endpoint {
		return endpoint{name: name, method: "GET", path: path,
			app: []string{"Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"}, own: []string{"Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite", "Mail.Read.Shared"},
			shared: []string{"Mail.ReadBasic.Shared", "Mail.Read.Shared", "Mail.ReadWrite.Shared"}, refused: []string{"Mail.Send", "User.Read.All", "MailboxSettings.Read"}, deniedCode: "ErrorAccessDenied"}
	}
	mailWrite := func(path func(mb string) string, body func(mb string) any, method, name string) endpoint {
		return endpoint{name: name, method: method, path: path, body: body,
			app: []string{"Mail.ReadWrite"}, own: []string{"Mail.ReadWrite", "Mail.ReadWrite.Shared"}, shared: []string{"Mail.ReadWrite.Shared"},
			refused: []string{"Mail.Read", "Mail.ReadBasic.All", "Mail.ReadBasic", "Mail.Send", "Mail.Read.Shared"}, deniedCode: "ErrorAccessDenied"}
	}
	eps := []endpoint{
		{name: "list users", method: "GET", path: func(string) string { return "/v1.0/users" },
			app: []string{"User.Read.All", "Directory.Read.All"}, own: []string{"User.ReadBasic.All", "User.Read.All"},
			refused: []string{"Mail.Read", "User.Read"}, refusedApp: []string{"User.ReadBasic.All"}, deniedCode: "Authorization_RequestDenied"},
		{name: "get user", method: "GET", path: func(mb string) string { return "/v1.0/users/" + mb },
			app: []string{"User.Read.All"}, own: []string{"User.ReadBasic.All", "User.Read"}, shared: []string{"User.ReadBasic.All"},
			refused: []string{"Mail.Read"}, refusedApp: []string{"User.ReadBasic.All"}, deniedCode: "Authorization_RequestDenied"},
		mailRead(func(mb string) string { return "/v1.0/users/" + mb + "/mailFolders/inbox" }, "get folder"),
		mailRead(func(mb string) string {
			return "/v1.0/users/" + mb + "/mailFolders/sentitems/messages?$filter=internetMessageId%20eq%20'x'"
		}, "list messages"),
		mailRead(func(mb string) string { return "/v1.0/users/" + mb + "/mailFolders/inbox/messages/delta()" }, "message delta"),
		mailRead(func(mb string) string { return "/v1.0/users/" + mb + "/messages/" + msgOf(mb) }, "get message"),
		mailWrite(func(mb string) string { return "/v1.0/users/" + mb + "/messages" },
			func(string) any { return map[string]any{"subject": "d"} }, "POST", "create draft"),
		mailWrite(func(mb string) string { return "/v1.0/users/" + mb + "/messages/" + msgOf(mb) + "/createReply" },
			func(string) any { return map[string]any{} }, "POST", "create reply"),
		mailWrite(func(mb string) string { return "/v1.0/users/" + mb + "/messages/" + draftOf(appFull, mb) },
			func(string) any { return map[string]any{"subject": "e"} }, "PATCH", "update draft"),
		{name: "send draft", method: "POST", path: func(mb string) string { return "/v1.0/users/" + mb + "/messages/" + draftOf(appFull, mb) + "/send" },
			app: []string{"Mail.Send"}, own: []string{"Mail.Send", "Mail.Send.Shared"}, shared: []string{"Mail.Send.Shared"},
			refused: []string{"Mail.ReadWrite", "Mail.Read"}, deniedCode: "ErrorAccessDenied"},
		{name: "sendMail", method: "POST", path: func(mb string) string { return "/v1.0/users/" + mb + "/sendMail" }, body: func(string) any { return sendMail },
			app: []string{"Mail.Send"}, own: []string{"Mail.Send", "Mail.Send.Shared"}, shared: []string{"Mail.Send.Shared"},
			refused: []string{"Mail.ReadWrite"}, deniedCode: "ErrorAccessDenied"},
	}
	call := func(ep endpoint, p Principal, mb string) resp {
		var body any
		if ep.body != nil {
			body = ep.body(mb)
		}
		return f.do(t, &p, ep.method, ep.path(mb), body)
	}
	wantDenied := func(t *testing.T, r resp, code string) {
		t.Helper()
		if r.status != http.StatusForbidden || r.errCode(t) != code {
			t.Fatalf("want 403 %s, got %d %s", code, r.status, r.body)
		}
		msg := r.json(t)["error"].(map[string]any)["message"].(string)
		if want := map[string]string{"ErrorAccessDenied": msgAccessDenied, "Authorization_RequestDenied": dirDenied}[code]; msg != want {
			t.Fatalf("message %q, want %q", msg, want)
		}
	}
	for _, ep := range eps {
		t.Run(ep.name, func(t *testing.T) {
			for _, perm := range ep.app {
				if r := call(ep, Principal{AppID: "a-" + perm, AppOnly: true, Roles: []string{perm}}, u0.ID); r.status/100 != 2 {
					t.Errorf("application %s: %d %s", perm, r.status, r.body)
				}
			}
			for _, perm := range ep.own {
				if r := call(ep, delegated(u0.ID, perm), u0.ID); r.status/100 != 2 {
					t.Errorf("delegated own %s: %d %s", perm, r.status, r.body)
				}
			}
			for _, perm := range ep.shared {
				if r := call(ep, delegated(u0.ID, perm), sh.ID); r.status/100 != 2 {
					t.Errorf("delegated shared %s: %d %s", perm, r.status, r.body)
				}
			}
			// Delegated-only names are not application permissions and the reverse.
			for _, perm := range ep.own {
				if strings.HasSuffix(perm, ".All") || strings.Contains(perm, ".Shared") || slicesContains(ep.app, perm) {
					continue
				}
				wantDenied(t, call(ep, Principal{AppID: "x", AppOnly: true, Roles: []string{perm}}, u0.ID), ep.deniedCode)
			}
			for _, perm := range ep.refusedApp {
				wantDenied(t, call(ep, Principal{AppID: "x", AppOnly: true, Roles: []string{perm}}, u0.ID), ep.deniedCode)
			}
			for _, perm := range ep.refused {
				wantDenied(t, call(ep, Principal{AppID: "x", AppOnly: true, Roles: []string{perm}}, u0.ID), ep.deniedCode)
				wantDenied(t, call(ep, delegated(u0.ID, perm), u0.ID), ep.deniedCode)
			}
			if ep.deniedCode == "ErrorAccessDenied" {
				// Someone else's mailbox needs a .Shared scope: the plain one is refused,
				// and so is a .Shared one without Full Access (user 3 is no member).
				for _, perm := range ep.own {
					if !strings.Contains(perm, ".Shared") {
						wantDenied(t, call(ep, delegated(u0.ID, perm), sh.ID), ep.deniedCode)
					}
				}
				if !strings.Contains(ep.name, "send") {
					for _, perm := range ep.shared {
						wantDenied(t, call(ep, delegated(f.users[2].ID, perm), sh.ID), ep.deniedCode)
					}
				}
			}
		})
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Mail.ReadBasic(.All) reads no body or bodyPreview.
func TestReadBasicHidesBody(t *testing.T) {
	f := newFixture(t, 5)
	u0 := f.users[0]
	for _, p := range []Principal{{AppID: "b", AppOnly: true, Roles: []string{"Mail.ReadBasic.All"}}, delegated(u0.ID, "Mail.ReadBasic")} {
		r := f.do(t, &p, "GET", "/v1.0/users/"+u0.ID+"/mailFolders/inbox/messages?$top=1&$select=subject,body,bodyPreview", nil)
		m := r.json(t)["value"].([]any)[0].(map[string]any)
		if _, ok := m["body"]; ok || m["bodyPreview"] != nil {
			t.Errorf("%v: body visible: %v", p.Roles, m)
		}
	}
}
