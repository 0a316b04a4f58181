package wizard

import (
	"errors"
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
	s.Cloud = "practice"
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if err := f.Next(); err != nil { // prerequisites
		t.Fatal(err)
	}
	s.TenantID = "contoso.onmicrosoft.com"
	if f.Next() == nil {
		t.Fatal("app registration without client id and secret must not advance")
	}
	s.ClientID = "00000000-1111-2222-3333-444444444444"
	s.ClientSecret = "Abc8Q~xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzx"
	if err := f.Next(); err != nil {
		t.Fatal(err)
	}
	f.Back()
	if s.TenantID == "" || f.Current().ID != StepAppRegistration {
		t.Fatal("going back must keep the values")
	}
}
