package ui

import (
	"context"
	"strings"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The mailbox field takes a user principal name, any SMTP address of the mailbox or its
// object id; graph.ResolveMailbox finds it in the directory and the chosen list shows
// its display name, type (user / shared / room) and licence state.

// looksLikeObjectID reports whether s is an Entra object id (a GUID, wizard's one rule).
func looksLikeObjectID(s string) bool { return wizard.IsGUID(s) }

// validateMailboxInput is the field's validator: an address, or an object id.
func validateMailboxInput(v string) error {
	if strings.TrimSpace(v) == "" || looksLikeObjectID(v) {
		return nil
	}
	return wizard.ValidateMailboxAddress(v)
}

// resolveAndAdd looks an object id up and adds the mailbox it names.
func (s *mailboxesScreen) resolveAndAdd(id string) {
	c, err := s.z.directory()
	if err != nil {
		s.addErr.SetText("Cannot look the object id up: " + err.Error())
		return
	}
	s.addErr.SetText("")
	s.lookupWhat = id
	ctx, gen := s.lookup.start("Looking up " + id + " in the directory…")
	go func() {
		info, err := c.Resolve(ctx, id)
		s.z.do(func() {
			if !s.lookup.finish(gen) {
				return // cancelled, or another lookup started
			}
			if err != nil {
				s.addErr.SetText("Not found: " + conn.AdviceText(graph.AdviceFor(err)))
				return
			}
			s.remember(info)
			if s.add(wizard.Mailbox{Address: info.Address, ID: info.ID, DisplayName: info.DisplayName, Kind: kindOf(info)}) {
				s.address.SetText("")
			}
		})
	}()
}

// describeLater looks up a typed address (a UPN or an alias) for the list's details.
func (s *mailboxesScreen) describeLater(address string) {
	c, err := s.z.directory()
	if err != nil {
		return
	}
	go func() {
		info, err := c.Resolve(context.Background(), address)
		if err != nil {
			return
		}
		s.z.do(func() {
			s.remember(info)
			s.render()
		})
	}()
}

func (s *mailboxesScreen) remember(info graph.MailboxInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{info.Input, info.Address, info.UPN, info.ID} {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			s.infos[k] = info
		}
	}
}

// describe is the resolved details of a chosen mailbox for its row ("" until known).
func (s *mailboxesScreen) describe(address string) string {
	s.mu.Lock()
	info, ok := s.infos[strings.ToLower(address)]
	s.mu.Unlock()
	if !ok {
		return ""
	}
	d := " — " + info.Summary()
	if !strings.EqualFold(info.Address, address) && info.Address != "" {
		d += " (primary address " + info.Address + ")"
	}
	return d
}

// kindOf maps the directory's mailbox type onto the config's kinds (a room is reached
// like a shared mailbox).
func kindOf(info graph.MailboxInfo) string {
	if info.Type == graph.MailboxUser {
		return wizard.KindUser
	}
	return wizard.KindShared
}
