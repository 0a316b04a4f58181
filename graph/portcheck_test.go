package graph

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPreflightLoopback: a free port binds on 127.0.0.1 (and ::1 where it exists); a
// port another program holds is reported as in use on that address, with what to do;
// the listeners are released afterwards.
func TestPreflightLoopback(t *testing.T) {
	r, err := PreflightLoopback(0)
	if err != nil || !r.OK() || r.Port == 0 || r.RedirectURI != "http://localhost:"+strconv.Itoa(r.Port) || !r.Binds[0].Bound {
		t.Fatalf("free port: %+v %v", r, err)
	}
	// Released: the same port can be bound again.
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(r.Port))
	if err != nil {
		t.Fatalf("pre-flight kept the port: %v", err)
	}
	haveV6 := len(r.Binds) == 2 && r.Binds[1].Bound

	// Now held by "another program".
	r2, err := PreflightLoopback(r.Port)
	ln.Close()
	if !errors.Is(err, ErrPortUnavailable) || r2.OK() || r2.Binds[0].Problem != BindInUse {
		t.Fatalf("port in use: %+v %v", r2, err)
	}
	if a := AdviceFor(err); a.Code != "port" || !strings.Contains(err.Error(), "in use by another program") || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(r.Port)) {
		t.Fatalf("advice %+v for %v", a, err)
	}

	if haveV6 {
		// Held on ::1 only: the browser may resolve localhost to ::1, so this fails too.
		ln6, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln6.Close()
		port := ln6.Addr().(*net.TCPAddr).Port
		r3, err := PreflightLoopback(port)
		if r3.OK() || err == nil || r3.Binds[1].Problem != BindInUse || !strings.Contains(err.Error(), "[::1]:"+strconv.Itoa(port)) {
			t.Fatalf("::1 in use: %+v %v", r3, err)
		}
	} else {
		t.Log("no IPv6 loopback here: the ::1 case is covered by the table below only")
	}
}

func TestBindProblemAndExplain(t *testing.T) {
	wrap := func(e error) error { return &net.OpError{Op: "listen", Net: "tcp", Err: fmt.Errorf("bind: %w", e)} }
	tests := []struct {
		err  error
		want string
	}{
		{wrap(syscall.EADDRINUSE), BindInUse},
		{wrap(syscall.Errno(10048)), BindInUse},
		{wrap(syscall.EACCES), BindDenied},
		{wrap(syscall.Errno(10013)), BindDenied},
		{wrap(syscall.EADDRNOTAVAIL), BindUnavailable},
		{wrap(syscall.EAFNOSUPPORT), BindUnavailable},
		{errors.New("odd"), BindOther},
	}
	for _, tc := range tests {
		if got := bindProblem(tc.err); got != tc.want {
			t.Errorf("bindProblem(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	r := LoopbackReport{Port: 5000, RedirectURI: "http://localhost:5000", Binds: []LoopbackBind{{Address: "127.0.0.1", Problem: BindDenied}, {Address: "::1", Problem: BindUnavailable}}}
	if r.OK() || !strings.Contains(r.Explain(), "blocked by security software") || !strings.Contains(r.Explain(), "paste-back") {
		t.Errorf("denied: %s", r.Explain())
	}
	r.Binds[0] = LoopbackBind{Address: "127.0.0.1", Bound: true}
	if !r.OK() || !strings.Contains(r.Explain(), "no IPv6 loopback") {
		t.Errorf("v4 only: %v %s", r.OK(), r.Explain())
	}
}
