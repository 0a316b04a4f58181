package graph

// This file holds the mail checks: each mailbox reachable, the directory listing, a
// test read, one delta page and the outbox's own draft-and-send path.

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

func checkMailbox(ctx context.Context, s *Session, mb string) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	var notes []string
	// The directory is read only when the mailbox picker is part of the connection
	// (a mode without it holds no directory permission).
	if s.Settings.Features.ListUsers {
		if u, err := s.client.User(ctx, mb); err == nil {
			notes = append(notes, "exists ("+u.DisplayName+")")
		} else if st, code := graphStatus(err); st == 404 || code == "Request_ResourceNotFound" || code == "ResourceNotFound" {
			return fail(err, "no such user in the directory")
		} else {
			return fail(err, "")
		}
	}
	f, err := s.client.Inbox(ctx, mb)
	if err != nil {
		return s.mailboxFail(err, mb)
	}
	s.reached[strings.ToLower(mb)] = true
	notes = append(notes, fmt.Sprintf("inbox reachable: %d messages, %d unread", f.Total, f.Unread))
	return CheckResult{Status: StatusPass, Seen: strings.Join(notes, "; "), Data: f}
}

// mailboxFail explains a refused mailbox. In delegated mode, a mailbox other than the
// signed-in account's is reached through Exchange mailbox permissions: a 403 there
// while the .Shared scope is granted means Full Access (or Send As) is missing, which
// an Exchange administrator grants, not the app registration.
// https://learn.microsoft.com/en-us/graph/outlook-share-messages-folders
// https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user
func (s *Session) mailboxFail(err error, mb string) CheckResult {
	r := fail(err, "")
	st, code := graphStatus(err)
	if s.Settings.Mode != ModeDelegated || st != 403 || code != "ErrorAccessDenied" || strings.EqualFold(mb, s.claims.UPN) {
		return r
	}
	acct := s.claims.UPN
	if acct == "" {
		acct = "<signed-in account>"
	}
	if !s.Settings.Features.Shared {
		a := adviceCode("shared_not_chosen", mb+" is not the signed-in account's mailbox")
		a.Fix = "Tick \"shared mailboxes\" in the Prerequisites step (it asks for Mail.Read.Shared / Mail.Send.Shared), sign in again, and have an Exchange administrator give " + acct + " Full Access to " + mb + "."
		r.Advice = &a
		return r
	}
	a := adviceCode("full_access_missing", acct+" has no Full Access to "+mb)
	a.Fix = "An Exchange administrator runs, in Exchange Online PowerShell: Add-MailboxPermission -Identity " + psQuote(mb) + " -User " + psQuote(acct) +
		" -AccessRights FullAccess -AutoMapping $false (or Exchange admin center > Recipients > Mailboxes > " + mb + " > Delegation > Read and manage). It can take up to 2 hours to apply."
	r.Advice = &a
	return r
}

// checkDirectory lists one page of the directory, as the mailbox picker does.
func checkDirectory(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	page, err := s.client.ListMailboxes(ctx, "", "", 5)
	if err != nil {
		return fail(err, "")
	}
	return CheckResult{Status: StatusPass, Seen: fmt.Sprintf("%d directory entries listed", len(page.Entries))}
}

func checkRead(ctx context.Context, s *Session) CheckResult {
	if r, cannot := s.cannotReadMail(); cannot {
		return r
	}
	mb := s.Settings.Mailboxes[0]
	msgs, err := s.client.NewestMessages(ctx, mb, "inbox", s.Settings.ReadCount, "")
	if err != nil {
		return fail(err, "")
	}
	seen := fmt.Sprintf("%d newest messages of %s read", len(msgs), mb)
	if len(msgs) > 0 {
		seen += "; newest: " + ReadDetail(msgs[0])
	}
	return CheckResult{Status: StatusPass, Seen: seen, Data: msgs}
}

// checkDelta fetches the first page of a delta round on the first mailbox's Inbox,
// with bodies, exactly as sync does.
func checkDelta(ctx context.Context, s *Session) CheckResult {
	if r, cannot := s.cannotReadMail(); cannot {
		return r
	}
	mb := s.Settings.Mailboxes[0]
	src := NewMailSourceClient(s.Settings.Cloud.GraphBaseURL, s.Settings.Cloud.HTTPClient(), s.cred, s.Settings.Cloud.DefaultScope())
	page, err := src.DeltaPage(ctx, MailSourceRequest{Mailbox: mb, Folder: "inbox", PageSize: 2, Body: "text"})
	if err != nil {
		return fail(err, "")
	}
	return CheckResult{Status: StatusPass, Seen: fmt.Sprintf("first delta page of %s's Inbox: %d messages", mb, len(page.Messages))}
}

func checkSend(ctx context.Context, s *Session) CheckResult {
	if s.client == nil {
		return skip("needs a token")
	}
	st := s.Settings
	from := st.SendFrom
	if from == "" && len(st.Mailboxes) > 0 {
		from = st.Mailboxes[0]
	}
	if from == "" {
		return skip("no mailbox to send from")
	}
	to := st.TestRecipient
	if to == "" {
		to = from
	}
	res, err := s.client.SendTest(ctx, from, to, st.DeliveryWait, st.DeliveryPoll)
	if err != nil {
		r := fail(err, "")
		r.Data = res
		var te *TestSendError
		if status, code := graphStatus(err); errors.As(err, &te) && status == 403 && code == "ErrorAccessDenied" {
			call := CallCreateDraft
			if te.Step == "send" {
				call = CallSendDraft
			}
			if p := s.permissionFor(call); p != "" && !strings.EqualFold(from, s.claims.UPN) && st.Mode == ModeDelegated && st.Features.Shared {
				r = s.mailboxFail(err, from)
				r.Data = res
			} else if p != "" {
				a := adviceCode("ErrorAccessDenied", r.Seen)
				a.Title = "Permission missing: " + p
				a.Cause = "The outbox needs " + p + " (" + s.reasonFor(p) + "); Graph refused the " + te.Step + " step without it."
				a.Fix = permissionFix(st.Mode, []string{p})
				r.Advice = &a
			}
		}
		return r
	}
	r := CheckResult{Data: res}
	switch {
	case res.NonDelivery != nil:
		r.Status = StatusFail
		r.Seen = "non-delivery report: " + res.NonDelivery.Subject
		a := Advice{Code: "ndr", Title: "The test message bounced",
			Cause: "Exchange returned a non-delivery report for the test message.",
			Fix:   "Open the report in " + from + "'s inbox for the reason; check the recipient address, or trace it in Exchange admin center > Mail flow > Message trace.",
			Step:  StepVerify, Seen: res.NonDelivery.Subject}
		r.Advice = &a
	case res.Delivered:
		r.Status, r.Seen = StatusPass, SendDetail(res)+"; found in Sent Items and in "+to+"'s inbox"
	case res.InSentItems && !res.DeliveryKnown:
		r.Status, r.Seen = StatusPass, "sent and found in Sent Items; the recipient's inbox cannot be read with these credentials"
	case res.InSentItems:
		r.Status, r.Seen = StatusWarn, "sent and found in Sent Items, but not seen in "+to+"'s inbox yet"
		r.Advice = ptr(adviceCode("not_delivered", r.Seen))
	default:
		r.Status, r.Seen = StatusWarn, "sent (Graph accepted it), but not found in Sent Items yet"
		r.Advice = ptr(adviceCode("not_delivered", r.Seen))
	}
	return r
}

// cannotReadMail is the skipped result of the read and delta checks (which read the
// first mailbox) when they cannot run: no token yet, or no mailbox chosen.
func (s *Session) cannotReadMail() (CheckResult, bool) {
	switch {
	case s.client == nil:
		return skip("needs a token"), true
	case len(s.Settings.Mailboxes) == 0:
		return skip("no mailbox chosen"), true
	}
	return CheckResult{}, false
}
