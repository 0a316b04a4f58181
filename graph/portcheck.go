package graph

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// Why one loopback address could not be bound (LoopbackBind.Problem).
const (
	BindInUse       = "in_use"      // another program listens on that address and port
	BindDenied      = "denied"      // security software or policy forbids listening
	BindUnavailable = "unavailable" // the address does not exist here (no IPv6 loopback)
	BindOther       = "other"
)

// LoopbackBind is the pre-flight's result for one address "localhost" stands for.
type LoopbackBind struct {
	Address string // "127.0.0.1" or "::1"
	Bound   bool
	Problem string // one of the Bind* constants when not bound
	Err     string // the system's words, when not bound
}

// LoopbackReport is the loopback pre-flight: the redirect URI the delegated sign-in and
// admin consent will use (http://localhost:PORT, registered as http://localhost with
// any port: https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions)
// and whether each address a browser may resolve "localhost" to could be bound on
// exactly that port. Browsers try ::1 as well as 127.0.0.1 for localhost.
type LoopbackReport struct {
	Port        int
	RedirectURI string
	Binds       []LoopbackBind
}

// OK reports whether the sign-in answer can arrive: 127.0.0.1 bound, and ::1 bound or
// absent on this machine.
func (r LoopbackReport) OK() bool {
	if len(r.Binds) == 0 || !r.Binds[0].Bound {
		return false
	}
	for _, b := range r.Binds[1:] {
		if !b.Bound && b.Problem != BindUnavailable {
			return false
		}
	}
	return true
}

// Explain says in words what was bound, what failed and what to do.
func (r LoopbackReport) Explain() string {
	var parts []string
	for _, b := range r.Binds {
		addr := net.JoinHostPort(b.Address, strconv.Itoa(r.Port))
		switch {
		case b.Bound:
			parts = append(parts, addr+" can listen")
		case b.Problem == BindInUse:
			parts = append(parts, addr+" is in use by another program: close it, or start the sign-in again (a new port is chosen each time)")
		case b.Problem == BindDenied:
			parts = append(parts, addr+" is blocked by security software or policy: allow m365connect to listen on this computer's loopback address, or use the paste-back box (copy the address the browser ends on)")
		case b.Problem == BindUnavailable:
			parts = append(parts, b.Address+" does not exist here (no IPv6 loopback); 127.0.0.1 alone serves localhost")
		default:
			parts = append(parts, addr+" could not listen ("+b.Err+"): use the paste-back box")
		}
	}
	return "The sign-in returns to " + r.RedirectURI + ": " + strings.Join(parts, "; ") + "."
}

// PreflightLoopback binds the addresses the redirect URI's "localhost" stands for,
// 127.0.0.1 and ::1, on port (0 = a free port chosen on 127.0.0.1, as the sign-in
// does), then lets them go. It never fails for a missing IPv6 loopback. The error,
// when not nil, wraps ErrPortUnavailable and carries Explain's words.
func PreflightLoopback(port int) (LoopbackReport, error) {
	r := LoopbackReport{Port: port}
	var held []net.Listener
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	for _, addr := range []string{"127.0.0.1", "::1"} {
		b := LoopbackBind{Address: addr}
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(r.Port)))
		if err == nil {
			held = append(held, ln)
			b.Bound = true
			if r.Port == 0 {
				r.Port = ln.Addr().(*net.TCPAddr).Port
			}
		} else {
			b.Problem, b.Err = bindProblem(err), bindErrText(err)
		}
		r.Binds = append(r.Binds, b)
		if addr == "127.0.0.1" && !b.Bound && r.Port == 0 {
			break // no port to try on ::1
		}
	}
	r.RedirectURI = "http://localhost:" + strconv.Itoa(r.Port)
	if !r.OK() {
		return r, fmt.Errorf("%w: %s", ErrPortUnavailable, r.Explain())
	}
	return r, nil
}

// bindProblem classifies a listen error. Windows reports Winsock codes (WSAEADDRINUSE
// 10048, WSAEACCES 10013, WSAEADDRNOTAVAIL 10049, WSAEAFNOSUPPORT 10047).
func bindProblem(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return BindOther
	}
	switch {
	case errno == syscall.EADDRINUSE || errno == 10048:
		return BindInUse
	case errno == syscall.EACCES || errno == syscall.EPERM || errno == 10013:
		return BindDenied
	case errno == syscall.EADDRNOTAVAIL || errno == syscall.EAFNOSUPPORT || errno == 10049 || errno == 10047:
		return BindUnavailable
	}
	return BindOther
}

func bindErrText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
