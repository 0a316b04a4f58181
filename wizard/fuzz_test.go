package wizard

import (
	"bytes"
	"net/url"
	"testing"
)

// FuzzParse: the config loader never panics, and whatever it accepts passes the validator
// (practice hosts on loopback, paths checked), has no ambiguous keys, and reads back the
// same after a save.
func FuzzParse(f *testing.F) {
	good, _ := validConfig().Marshal()
	f.Add(good)
	p := practiceConfig()
	p.Verification = passedVerification(p)
	pb, _ := p.Marshal()
	f.Add(pb)
	f.Add([]byte(`{"version":1,"environment":"practice","tenant":"t.onmicrosoft.com","client_id":"00000000-1111-2222-3333-444444444444","auth":"secret","mailboxes":"a@b.com"}`))
	f.Add([]byte(`{"schema":2,"TENANTID":"x","tenantId":"y"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("refused but returned a config")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted a config the validator refuses: %v", err)
		}
		if c.Practice != nil {
			for _, h := range []string{c.Practice.AuthorityHost, c.Practice.GraphBaseURL} {
				u, err := url.Parse(h)
				if err != nil || u.Scheme != "https" || !IsLoopbackHost(u.Hostname()) {
					t.Fatalf("accepted practice host %q", h)
				}
			}
		}
		if c.Verification != nil && c.Verification.Passed != c.VerificationOutcome().Passed {
			t.Fatal("the verification block's verdict was trusted")
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("saved config does not load: %v\n%s", err, out)
		}
		out2, _ := c2.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the config:\n%s\n%s", out, out2)
		}
	})
}
