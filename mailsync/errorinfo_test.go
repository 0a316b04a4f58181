package mailsync

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// advisedErr adds the optional request id and advice key to fakeErr.
type advisedErr struct {
	fakeErr
	requestID, advice string
}

func (e *advisedErr) GraphRequestID() string { return e.requestID }
func (e *advisedErr) AdviceKey() string      { return e.advice }

func TestInfoOf(t *testing.T) {
	throttled := &advisedErr{fakeErr{429, "ApplicationThrottled", 7 * time.Second}, "req-1", "TooManyRequests"}
	for _, tc := range []struct {
		name string
		err  error
		want ErrorInfo
	}{
		{"nil", nil, ErrorInfo{}},
		{"plain text names no fields", errors.New("403 ErrorAccessDenied"), ErrorInfo{}},
		{"status and code", &fakeErr{status: 403, code: "ErrorAccessDenied"}, ErrorInfo{Status: 403, Code: "ErrorAccessDenied"}},
		{"wrapped, every field", fmt.Errorf("giving up after 3 attempts: %w", throttled),
			ErrorInfo{Status: 429, Code: "ApplicationThrottled", RequestID: "req-1", RetryAfter: 7 * time.Second, Advice: "TooManyRequests"}},
		{"reconnect", fmt.Errorf("%w (%w)", ErrReconnectNeeded, &advisedErr{fakeErr{401, "InvalidAuthenticationToken", 0}, "", "InvalidAuthenticationToken"}),
			ErrorInfo{Status: 401, Code: "InvalidAuthenticationToken", Advice: "InvalidAuthenticationToken", Reconnect: true}},
	} {
		if got := InfoOf(tc.err); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
