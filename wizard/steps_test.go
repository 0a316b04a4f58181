package wizard

import (
	"errors"
	"strings"
	"testing"
)

func TestStepOrder(t *testing.T) {
	want := []StepID{StepEnvironment, StepPrerequisites, StepAppRegistration, StepConsent, StepMailboxes, StepVerify, StepSave}
	got := Steps()
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d", len(got), len(want))
	}
	for i, s := range got {
		if s.ID != want[i] || s.Title == "" || s.Summary == "" {
			t.Errorf("step %d = %+v, want id %s with title and summary", i, s, want[i])
		}
	}
}

func TestFlowNextBackGoTo(t *testing.T) {
	errIncomplete := errors.New("incomplete")
	incomplete := map[StepID]bool{}
	gate := func(id StepID) error {
		if incomplete[id] {
			return errIncomplete
		}
		return nil
	}
	type op struct {
		do      string // next, back, goto
		to      StepID
		block   StepID // mark this step incomplete before the op ("" = none)
		unblock StepID
		wantErr bool
		want    StepID
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"walk forward and back", []op{
			{do: "next", want: StepPrerequisites},
			{do: "next", want: StepAppRegistration},
			{do: "back", want: StepPrerequisites},
			{do: "back", want: StepEnvironment},
			{do: "back", want: StepEnvironment},
		}},
		{"guard blocks next until complete", []op{
			{do: "next", block: StepEnvironment, wantErr: true, want: StepEnvironment},
			{do: "next", unblock: StepEnvironment, want: StepPrerequisites},
		}},
		{"last step has no next", []op{
			{do: "goto", to: StepSave, want: StepSave},
			{do: "next", wantErr: true, want: StepSave},
		}},
		{"goto forward cannot skip an incomplete step", []op{
			{do: "goto", to: StepVerify, block: StepConsent, wantErr: true, want: StepEnvironment},
			{do: "goto", to: StepConsent, want: StepConsent},
			{do: "goto", to: StepAppRegistration, want: StepAppRegistration},
		}},
		{"goto unknown step", []op{
			{do: "goto", to: "nope", wantErr: true, want: StepEnvironment},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clear(incomplete)
			f := NewFlow(gate)
			for i, o := range tc.ops {
				if o.block != "" {
					incomplete[o.block] = true
				}
				if o.unblock != "" {
					delete(incomplete, o.unblock)
				}
				var err error
				switch o.do {
				case "next":
					err = f.Next()
				case "back":
					f.Back()
				case "goto":
					err = f.GoTo(o.to)
				}
				if (err != nil) != o.wantErr {
					t.Fatalf("op %d %s: err = %v, wantErr %v", i, o.do, err, o.wantErr)
				}
				if f.Current().ID != o.want {
					t.Fatalf("op %d %s: at %s, want %s", i, o.do, f.Current().ID, o.want)
				}
			}
		})
	}
}

func TestStateGate(t *testing.T) {
	s := &State{}
	f := NewFlow(s.Gate)
	if f.Next() == nil {
		t.Fatal("environment without a cloud must not advance")
	}
	s.Cloud = CloudPractice
	if f.Next() == nil {
		t.Fatal("practice tenant not started must not advance")
	}
	s.Practice = &PracticeHosts{AuthorityHost: "https://127.0.0.1:1/", GraphBaseURL: "https://127.0.0.1:1/v1.0", CACertFile: "ca.pem"}
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if err := f.Next(); err == nil || !strings.Contains(err.Error(), "What it will do") {
		t.Fatalf("prerequisites with nothing ticked: %v", err)
	}
	s.Incoming, s.Outgoing = true, true
	if err := f.Next(); err == nil || !strings.Contains(err.Error(), "Access mode") {
		t.Fatalf("prerequisites without a mode: %v", err)
	}
	s.Mode = ModeSecret
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	s.TenantID = "contoso.onmicrosoft.com"
	if f.Next() == nil {
		t.Fatal("app registration without client id and secret must not advance")
	}
	s.ClientID = "00000000-1111-2222-3333-444444444444"
	s.ClientSecret = "Abc8Q~xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzx"
	s.SecretExpiry = "31/31/2020"
	if err := f.Next(); err == nil || !strings.Contains(err.Error(), "Secret expiry") {
		t.Fatalf("bad expiry date: %v", err)
	}
	s.SecretExpiry = "2027-05-31"
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	f.Back()
	if s.TenantID == "" || f.Current().ID != StepAppRegistration {
		t.Fatal("going back must keep the values")
	}
	if err := f.GoTo(StepMailboxes); err == nil || !strings.Contains(err.Error(), "Consent") {
		t.Fatalf("skipping consent: %v", err)
	}
	s.Consented = true
	if err := f.GoTo(StepMailboxes); err != nil {
		t.Fatal(err)
	}
	if f.Next() == nil {
		t.Fatal("no mailbox must not advance")
	}
	if err := s.AddMailbox(Mailbox{Address: "anna@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMailbox(Mailbox{Address: "ANNA@contoso.com"}); err == nil {
		t.Fatal("duplicate mailbox accepted")
	}
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	s.Verification = &Verification{Passed: false}
	if f.Next() == nil {
		t.Fatal("failed verification must not advance")
	}
	s.Verification.Passed = true
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	s.RemoveMailbox("anna@contoso.com")
	if s.Verification != nil || len(s.Mailboxes) != 0 {
		t.Fatal("removing a mailbox must drop the stale verification")
	}
}

func TestDelegatedGateNeedsSignIn(t *testing.T) {
	s := &State{Mode: ModeDelegated, Consented: true}
	if err := s.Gate(StepConsent); err == nil || !strings.Contains(err.Error(), "Sign-in") {
		t.Fatalf("delegated without sign-in: %v", err)
	}
	s.SignedIn = true
	if err := s.Gate(StepConsent); err != nil {
		t.Fatal(err)
	}
	c := &State{Mode: ModeCertificate, TenantID: "contoso.com", ClientID: "00000000-1111-2222-3333-444444444444"}
	if err := c.Gate(StepAppRegistration); err == nil || !strings.Contains(err.Error(), "Certificate: choose") {
		t.Fatalf("certificate mode without a file: %v", err)
	}
	c.CertFile = "/x.pfx"
	if err := c.Gate(StepAppRegistration); err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Fatalf("certificate not read: %v", err)
	}
	c.CertThumbprint = "AB"
	if err := c.Gate(StepAppRegistration); err != nil {
		t.Fatal(err)
	}
}
