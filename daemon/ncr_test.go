package daemon

import (
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/stats"
)

func ncrTestConfig(t *testing.T, port uint16, enable bool) *config.Config {
	t.Helper()
	src := fmt.Sprintf(`{"Dhcp4": {"valid-lifetime": 3600, "ddns-ttl-percent": 0.5, "ddns-conflict-resolution-mode": "no-check-with-dhcid",
		"dhcp-ddns": {"enable-updates": %v, "server-ip": "127.0.0.1", "server-port": %d},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]}}`, enable, port)
	cfg, diags, err := config.Parse("t.json", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	return cfg
}

// receiveAsync delivers the receiver's requests on a channel.
func receiveAsync(rc *ncr.Receiver) <-chan ncr.Request {
	ch := make(chan ncr.Request, 16)
	go func() {
		for {
			r, _, err := rc.Receive()
			if err != nil {
				close(ch)
				return
			}
			ch <- r
		}
	}()
	return ch
}

// The service sends the requests of a lease change with its scope's TTL
// and mode, counts them in the statistics, and sends nothing while
// enable-updates is false.
func TestNCRService(t *testing.T) {
	rc, err := ncr.Listen(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := receiveAsync(rc)
	st := stats.New(stats.Options{})
	journal := filepath.Join(t.TempDir(), "leases.ncr")
	s, err := newNCRService(ncrTestConfig(t, rc.Addr().Port(), false), journal, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	l := &lease.Lease{Addr: netip.MustParseAddr("192.0.2.100"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1},
		ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1, FQDNFwd: true, FQDNRev: true, Hostname: "h.example.org"}
	s.NameChanges([]engine.Change{{New: l}})
	if st := s.Stats(); st != (ncr.SenderStats{}) {
		t.Errorf("with enable-updates false: %+v, want nothing sent", st)
	}

	if err := s.apply(ncrTestConfig(t, rc.Addr().Port(), true)); err != nil {
		t.Fatal(err)
	}
	released := l.Clone()
	released.State = lease.StateReleased
	s.NameChanges([]engine.Change{{New: l}, {Old: l, New: &released}})
	for _, want := range []ncr.Type{ncr.Add, ncr.Remove} {
		select {
		case r := <-got:
			if r.Type != want || r.FQDN != "h.example.org." || r.TTL != 1800 || r.Mode != ncr.NoCheckWithDHCID {
				t.Errorf("got %s, want %s of h.example.org. with TTL 1800 (ddns-ttl-percent 0.5), no-check-with-dhcid", r.String(), want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s request received", want)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.publish()
		if s.sent.Load() == 2 && s.failed.Load() == 0 && s.queued.Load() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics sent %d failed %d queued %d, want 2 0 0", s.sent.Load(), s.failed.Load(), s.queued.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if v := st.Get(statNCRSent)[statNCRSent]; len(v) == 0 || v[0][0] != int64(2) {
		t.Errorf("statistic-get %s: %v", statNCRSent, v)
	}
}
