//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestSnoop watches a real exchange, dnsmasq serving udhcpc, with leased
// snoop in three places: on the server's veth (text), where it must show
// DISCOVER and REQUEST coming in and OFFER and ACK going out with the
// client's transaction ids; with -c 2 -v, where it must stop by itself
// after two messages; and on an interface of a namespace of its own that
// shares the client's link, where it must show the same exchange as JSON
// and where the interface's counters show it sent nothing.
func TestSnoop(t *testing.T) {
	needs(t, "dnsmasq", "udhcpc")
	p := testnet.NewPair(t)
	testnet.StartDnsmasq(t, p.Server, testnet.PairDnsmasqConfig())
	link, mac := p.AddClientLink(t)

	// The watcher: a macvlan on the client's side of the veth, in a
	// namespace where nothing else runs, without IPv6 or an IPv4
	// address, so that the kernel has no reason to send from it.
	w := testnet.NewNS(t, "watch")
	for _, k := range []string{"net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"} {
		if err := w.SetSysctl(k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	p.Client.MustRun(t, "ip", "link", "add", "w0", "link", testnet.PairClientIf, "type", "macvlan", "mode", "bridge")
	p.Client.MustRun(t, "ip", "link", "set", "w0", "netns", w.Name())
	w.SetUp(t, "w0")
	w.WaitCarrier(t, "w0")
	txBefore := txPackets(t, w, "w0")

	onServer := startSnoop(t, p.Server, "-i", "srv0")
	counted := startSnoop(t, p.Server, "snoop", "-c", "2", "-v", "-i", "srv0")
	watcher := startSnoop(t, w, "-json", "-x", "-i", "w0")

	// udhcpc -B: the server broadcasts its replies, so that the watcher,
	// which does not have the client's MAC address, sees them too.
	c := testnet.NewClient(t, testnet.UdhcpcBroadcast, p.Client, link, testnet.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	lease, err := c.Obtain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ack := regexp.MustCompile(`ACK xid=\S+ chaddr=` + mac.String() + `|"type":"ACK"`)
	waitOutput(t, onServer, ack)
	waitOutput(t, watcher, ack)

	// On the server's veth.
	lines := snoopLines(onServer.Output(), mac)
	xid := exchangeXIDs(t, "srv0", lines)
	for _, want := range []string{
		fmt.Sprintf(`srv0 In 0.0.0.0:68 > 255.255.255.255:67 DISCOVER xid=%s chaddr=%s broadcast [53 discover]`, xid[0], mac),
		fmt.Sprintf(`srv0 Out 192.0.2.1:67 > 255.255.255.255:68 OFFER xid=%s chaddr=%s broadcast yiaddr=%s siaddr=192.0.2.1 [53 offer] [54 192.0.2.1] [51 7200]`, xid[0], mac, lease.Addr),
		fmt.Sprintf(`srv0 In 0.0.0.0:68 > 255.255.255.255:67 REQUEST xid=%s chaddr=%s broadcast [53 request]`, xid[1], mac),
		fmt.Sprintf(`srv0 Out 192.0.2.1:67 > 255.255.255.255:68 ACK xid=%s chaddr=%s broadcast yiaddr=%s siaddr=192.0.2.1 [53 ack] [54 192.0.2.1] [51 7200]`, xid[1], mac, lease.Addr),
	} {
		if !containsLine(lines, want) {
			t.Errorf("leased snoop -i srv0 shows no line with\n\t%s\nit shows:%s", want, testnet.IndentOutput(onServer.Output()))
		}
	}
	for _, l := range lines {
		if !strings.Contains(l, " [3 192.0.2.1]") && strings.Contains(l, " OFFER ") {
			t.Errorf("the OFFER lacks the router: %s", l)
		}
	}

	// -c 2 -v: two messages, one option per line, then exit 0 by itself.
	waitCtx, waitCancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer waitCancel()
	if err := counted.Wait(waitCtx); err != nil {
		t.Errorf("leased snoop -c 2: %v:%s", err, testnet.IndentOutput(counted.Output()))
	}
	out := counted.Output()
	if n := strings.Count(out, " xid=0x"); n != 2 || !strings.Contains(out, "\n    53 dhcp-message-type: discover\n") ||
		!strings.Contains(out, "\n    51 dhcp-lease-time: 7200\n") || !strings.Contains(out, "leased snoop: 2 messages") {
		t.Errorf("leased snoop -c 2 -v printed %d messages, or not verbosely:%s", n, testnet.IndentOutput(out))
	}

	// The watcher: the same exchange, as JSON, all coming in.
	type jsonMsg struct {
		Type, XID, CHAddr, YIAddr, Direction, Src, Dst, Payload string
		Options                                                 []struct {
			Code  int
			Name  string
			Value any
		}
	}
	var seen []string
	for _, l := range strings.Split(watcher.Output(), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m jsonMsg
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("leased snoop -json printed %q: %v", l, err)
		}
		if m.CHAddr != mac.String() {
			continue
		}
		if m.Direction != "in" || m.Payload == "" || len(m.Options) == 0 || m.Options[0].Code != 53 || m.Options[0].Name != "dhcp-message-type" {
			t.Errorf("leased snoop -json -x on w0: %s", l)
		}
		if m.Type == "ACK" && m.YIAddr != lease.Addr.String() {
			t.Errorf("the ACK offers %s, the client bound %s", m.YIAddr, lease.Addr)
		}
		seen = append(seen, m.Type+" "+m.XID+" "+m.Src+" > "+m.Dst)
	}
	for _, want := range []string{
		"DISCOVER " + xid[0] + " 0.0.0.0:68 > 255.255.255.255:67",
		"OFFER " + xid[0] + " 192.0.2.1:67 > 255.255.255.255:68",
		"REQUEST " + xid[1] + " 0.0.0.0:68 > 255.255.255.255:67",
		"ACK " + xid[1] + " 192.0.2.1:67 > 255.255.255.255:68",
	} {
		if !containsLine(seen, want) {
			t.Errorf("leased snoop -json on w0 shows no %s; it shows %q", want, seen)
		}
	}

	for _, s := range []*testnet.Proc{onServer, watcher} {
		if err := s.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := s.Wait(waitCtx); err != nil {
			t.Errorf("%s after SIGTERM: %v:%s", s, err, testnet.IndentOutput(testnet.Tail(s.Output(), 4000)))
		}
	}
	if tx := txPackets(t, w, "w0"); tx != txBefore {
		t.Errorf("w0 sent %d frames while leased snoop watched it; it must send none", tx-txBefore)
	}
	for _, s := range []*testnet.Proc{onServer, counted, watcher} {
		if strings.Contains(s.Output(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in %s:%s", s, testnet.IndentOutput(s.Output()))
		}
	}
}

// startSnoop starts leased snoop in ns with args ("snoop" is added unless
// args start with it) and waits until it listens.
func startSnoop(t *testing.T, ns *testnet.NS, args ...string) *testnet.Proc {
	t.Helper()
	if len(args) == 0 || args[0] != "snoop" {
		args = append([]string{"snoop"}, args...)
	}
	p, err := ns.Start(context.Background(), leasedBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	waitOutput(t, p, regexp.MustCompile(`leased snoop: listening on`))
	return p
}

// waitOutput waits until p's output matches re.
func waitOutput(t *testing.T, p *testnet.Proc, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !re.MatchString(p.Output()) {
		if p.Exited() {
			t.Fatalf("%s exited (%v) before printing %s:%s", p, p.ExitErr(), re, testnet.IndentOutput(p.Output()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %s within 20 s:%s", p, re, testnet.IndentOutput(testnet.Tail(p.Output(), 4000)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snoopLine is a message line of leased snoop's text form: time,
// interface and the rest.
var snoopLine = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} (\S+ (?:In|Out) .*)$`)

// snoopLines returns the message lines of out about the client mac,
// without their time stamps.
func snoopLines(out string, mac net.HardwareAddr) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if m := snoopLine.FindStringSubmatch(l); m != nil && strings.Contains(l, " chaddr="+mac.String()) {
			lines = append(lines, m[1])
		}
	}
	return lines
}

// exchangeXIDs returns the transaction ids of the first DISCOVER and the
// first REQUEST among lines.
func exchangeXIDs(t *testing.T, where string, lines []string) [2]string {
	t.Helper()
	var xid [2]string
	re := regexp.MustCompile(` (DISCOVER|REQUEST) xid=(0x[0-9a-f]{8}) `)
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		switch {
		case m == nil:
		case m[1] == "DISCOVER" && xid[0] == "":
			xid[0] = m[2]
		case m[1] == "REQUEST" && xid[1] == "":
			xid[1] = m[2]
		}
	}
	if xid[0] == "" || xid[1] == "" {
		t.Fatalf("leased snoop on %s shows no DISCOVER or no REQUEST:\n\t%s", where, strings.Join(lines, "\n\t"))
	}
	return xid
}

// containsLine reports whether one of lines holds s, once the secs field
// is taken out of both: the seconds a client counts since it began are
// 0 or 1 depending on when its second ticks.
func containsLine(lines []string, s string) bool {
	s = secsField.ReplaceAllString(s, "")
	for _, l := range lines {
		if strings.Contains(secsField.ReplaceAllString(l, ""), s) {
			return true
		}
	}
	return false
}

var secsField = regexp.MustCompile(` secs=\d+`)

// txPackets reads how many frames ifname in ns has sent.
func txPackets(t *testing.T, ns *testnet.NS, ifname string) uint64 {
	t.Helper()
	out := ns.MustRun(t, "ip", "-s", "-j", "link", "show", "dev", ifname)
	var links []struct {
		Stats64 struct {
			TX struct {
				Packets uint64 `json:"packets"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -s -j link show dev %s: %v:%s", ifname, err, testnet.IndentOutput(out))
	}
	return links[0].Stats64.TX.Packets
}
