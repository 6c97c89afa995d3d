//go:build linux

package dnsupdate

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// An attempt reuses its answer buffer (dns.MaxMsgSize bytes): one
// allocated per attempt was most of the garbage the updater made under
// load, and the DHCP server's goroutines paid for collecting it.
func TestAttemptReusesAnswerBuffer(t *testing.T) {
	addr, _ := blackHole(t, func(q []byte) []byte {
		var m dns.Msg
		if err := m.Unpack(q); err != nil {
			return nil
		}
		m.Response = true
		out, _ := m.Pack()
		return out
	})
	u := &Updater{}
	s := server{addr: addr}
	try := func() {
		m := new(dns.Msg)
		m.SetUpdate("example.org.")
		rc, err := u.attempt(context.Background(), s, m, 10*time.Second)
		if err != nil || rc != dns.RcodeSuccess {
			t.Fatalf("attempt: rcode %d, %v", rc, err)
		}
	}
	try()
	const n = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		try()
	}
	runtime.ReadMemStats(&after)
	// Under the race detector sync.Pool drops a quarter of what it is
	// given, so about a quarter of the attempts allocate a buffer anyway.
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per >= dns.MaxMsgSize/2 {
		t.Errorf("an attempt allocates %d bytes, want under %d (the answer buffer reused)", per, dns.MaxMsgSize/2)
	}
}
