package mailsync

import (
	"testing"
	"time"
)

// TestAdvance: where a folder's links go after each kind of page, and when the round
// ends or turns to the gap fill.
func TestAdvance(t *testing.T) {
	oldest := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	full := FolderState{Phase: PhaseBackfill, FullRound: true, GapFillAt: 5000, NextLink: "n0"}
	tests := []struct {
		name       string
		st         FolderState
		counted    int64 // next.RoundCount after the page's messages
		page       Page
		wantFinish bool
		want       FolderState // the fields checked: links, phase, gap
	}{
		{"delta page with a next page", full, 10, Page{NextLink: "n1"}, false,
			FolderState{Phase: PhaseBackfill, NextLink: "n1"}},
		{"last delta page of a small round ends it", full, 10, Page{DeltaLink: "d1"}, true,
			FolderState{Phase: PhaseBackfill, DeltaLink: "d1"}},
		{"last delta page at the cap turns to the gap fill", full, 5000, Page{DeltaLink: "d1"}, false,
			FolderState{Phase: PhaseGapFill, DeltaLink: "d1", GapBefore: oldest.Add(time.Second)}},
		{"gap fill off: no gap fill at any count", FolderState{Phase: PhaseBackfill, FullRound: true}, 9000, Page{DeltaLink: "d1"}, true,
			FolderState{Phase: PhaseBackfill, DeltaLink: "d1"}},
		{"incremental round ends on its deltaLink", FolderState{Phase: PhaseIncremental, DeltaLink: "d0", GapFillAt: 5000}, 9000, Page{DeltaLink: "d2"}, true,
			FolderState{Phase: PhaseIncremental, DeltaLink: "d2"}},
		{"gap fill list page continues", FolderState{Phase: PhaseGapFill, FullRound: true, DeltaLink: "d1", GapBefore: oldest, GapLink: "g0"}, 0, Page{NextLink: "g1"}, false,
			FolderState{Phase: PhaseGapFill, DeltaLink: "d1", GapBefore: oldest, GapLink: "g1"}},
		{"gap fill's last list page ends the round, deltaLink kept", FolderState{Phase: PhaseGapFill, FullRound: true, DeltaLink: "d1", GapBefore: oldest, GapLink: "g1"}, 0, Page{}, true,
			FolderState{Phase: PhaseGapFill, DeltaLink: "d1", GapBefore: oldest}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := tc.st
			next.RoundCount = tc.counted
			if tc.counted > 0 {
				next.RoundOldest = oldest
			}
			finish := advance(tc.st, &next, tc.page)
			got := FolderState{Phase: next.Phase, NextLink: next.NextLink, DeltaLink: next.DeltaLink, GapBefore: next.GapBefore, GapLink: next.GapLink}
			if finish != tc.wantFinish || got != tc.want {
				t.Errorf("advance: finish %v, %+v; want %v, %+v", finish, got, tc.wantFinish, tc.want)
			}
		})
	}
}
