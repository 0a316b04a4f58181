package graph

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

// TestVerifyCancelStopsTheWork: Cancel during a slow check ends Verify at once (the
// request is abandoned, not waited out), the remaining checks are marked cancelled;
// the same for a test send waiting for delivery and for a mailbox lookup.
func TestVerifyCancelStopsTheWork(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret,
		Features: Features{Read: true, Send: true}, Mailboxes: users[:1], OutsideMailbox: users[2], TestRecipient: users[1], DeliveryWait: time.Minute}
	sec := Secrets{ClientSecret: app.ClientSecret()}
	hold := 30 * time.Second

	run := func(name string, fault graphmail.Fault, cancelOn string) {
		t.Run(name, func(t *testing.T) {
			srv.Mail().ClearFaults()
			srv.Mail().InjectFault(fault)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan struct{})
			go func() {
				// Cancel 300 ms after the check named cancelOn reported, i.e. during the next.
				<-started
				time.Sleep(300 * time.Millisecond)
				cancel()
			}()
			var once bool
			t0 := time.Now()
			rs, err := Verify(ctx, s, sec, func(done, total int, r CheckResult) {
				if !once && r.ID == cancelOn {
					once = true
					close(started)
				}
			})
			took := time.Since(t0)
			if err != nil {
				t.Fatal(err)
			}
			if took > 10*time.Second {
				t.Fatalf("Verify took %s after Cancel (the held request was waited out)", took)
			}
			last := rs[len(rs)-1]
			if last.Status != StatusSkip || !strings.Contains(last.Seen, "cancelled") {
				t.Fatalf("last check after Cancel: %+v", last)
			}
		})
	}
	// A mailbox check held by a slow Graph; cancel while it runs.
	run("slow mailbox", graphmail.Fault{Kind: graphmail.FaultSlow, Mailbox: users[0], PathContains: "/mailFolders", Delay: hold}, "permissions")
	// The test send waiting up to a minute for delivery (the recipient's inbox reads
	// are held); cancel while it waits.
	run("send waiting", graphmail.Fault{Kind: graphmail.FaultSlow, Mailbox: users[1], PathContains: "/messages", Delay: hold}, "read")

	srv.Mail().ClearFaults()
	srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, Delay: hold})
	gc, _, err := Connect(context.Background(), s, sec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := gc.ResolveMailbox(ctx, users[0]); err == nil || time.Since(t0) > 5*time.Second {
		t.Fatalf("lookup after cancel: %v in %s", err, time.Since(t0))
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("lookup ended with %v", err)
	}
	srv.Mail().ClearFaults()
}
