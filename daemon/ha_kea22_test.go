//go:build linux

package daemon

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// TestHAPartnerOfKea22 runs the daemon as the hot-standby partner of a
// kea-dhcp4 2.2 primary (with libdhcp_ha.so, behind kea-ctrl-agent), on
// loopback: Kea on 127.0.0.1, the daemon's HTTP control listener on
// 127.0.0.2 with basic authentication. What Kea sees of the daemon:
//
//   - its heartbeats answered and its own heartbeats sent (Kea's
//     status-get: in touch, communication not interrupted);
//   - its sync from the daemon: dhcp-disable (origin ha-partner), the
//     daemon's 15 leases in pages of 10 through lease4-get-page, and
//     ha-sync-complete-notify, after which Kea is ready and holds them;
//     then the daemon's own sync from Kea, after which both go
//     hot-standby;
//   - ha-maintenance-start on Kea: the daemon accepts
//     ha-maintenance-notify and goes in-maintenance, Kea
//     partner-in-maintenance; a client Kea then serves reaches the
//     daemon's lease store through Kea's lease4-update before its ACK,
//     an address the client declines is declined there too (Kea sends
//     it without a hardware address), and a released one is deleted
//     (lease4-del), with Kea still partner-in-maintenance;
//   - ha-maintenance-cancel: the daemon back in hot-standby.
//
// It runs twice: over HTTP, and over HTTPS with the daemon requiring
// Kea's client certificate.
func TestHAPartnerOfKea22(t *testing.T) {
	needRoot(t)
	testnet.RequireBinaries(t, "kea-dhcp4", "kea-ctrl-agent")
	t.Run("http", func(t *testing.T) { testHAPartnerOfKea22(t, false) })
	t.Run("https", func(t *testing.T) { testHAPartnerOfKea22(t, true) })
}

func testHAPartnerOfKea22(t *testing.T, useTLS bool) {
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	keaDir := testnet.UnprivilegedDir(t)
	caPort, ourPort := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	keaServerPort, keaClientPort := freePort(t, "udp"), testnet.FreeUDPPort(t, "127.0.0.2")

	scheme, peerTLS, listenerTLS := "http", "", ""
	if useTLS {
		pki := haTestPKI(t, keaDir)
		scheme = "https"
		peerTLS = fmt.Sprintf(`, "trust-anchor": %q, "cert-file": %q, "key-file": %q`, pki.ca, pki.clientCert, pki.clientKey)
		listenerTLS = fmt.Sprintf(`, "trust-anchor": %q, "cert-file": %q, "key-file": %q, "cert-required": true`, pki.ca, pki.serverCert, pki.serverKey)
	}
	params := func(this string) string {
		return fmt.Sprintf(`{"high-availability": [{"this-server-name": %q, "mode": "hot-standby",
			"heartbeat-delay": 500, "max-response-delay": 5000, "max-ack-delay": 1000, "max-unacked-clients": 0,
			"sync-timeout": 5000, "sync-page-limit": 10,
			"peers": [{"name": "server1", "url": "http://127.0.0.1:%d/", "role": "primary",
			           "basic-auth-user": "ha", "basic-auth-password": "s3cret"},
			          {"name": "server2", "url": "%s://127.0.0.2:%d/", "role": "standby",
			           "basic-auth-user": "ha", "basic-auth-password": "s3cret" %s}]}]}`, this, caPort, scheme, ourPort, peerTLS)
	}
	haCfg, err := ha.Parse([]byte(params("server2")), ha.Options{Dialect: ha.Kea22})
	if err != nil {
		t.Fatal(err)
	}

	// The daemon, with 15 leases of its own: more than one page of Kea's
	// sync.
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "kea-dhcp4.conf")
	conf := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": "127.0.0.2", "socket-port": %d,
			 "authentication": {"type": "basic", "realm": "leased", "clients": [{"user": "ha", "password": "s3cret"}]} %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]}}`,
		filepath.Join(dir, "leases", "dhcp4.leases"), filepath.Join(dir, "ctl.sock"), ourPort, listenerTLS)
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := launch(t, dir, cfgFile, Options{ServerPort: uint16(freePort(t, "udp")), ClientPort: uint16(freePort(t, "udp")), HA: haCfg})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.out.String(), `msg="serving DHCPv4"`); time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("Run returned %d, %v before serving", p.code, p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("not serving after 10 s")
		}
	}
	ours := map[string]string{} // address → hw-address
	for i := 0; i < 15; i++ {
		addr, hw := fmt.Sprintf("192.0.2.%d", 10+i), fmt.Sprintf("02:00:00:00:01:%02x", i)
		p.want("lease4-add", map[string]any{"ip-address": addr, "hw-address": hw}, 0)
		ours[addr] = hw
	}
	if st := haLocal(t, p); st.State != "waiting" || st.Role != "standby" || len(st.Scopes) != 0 {
		t.Errorf("the daemon at start: %+v, want a standby waiting, serving no scope", st)
	}

	// Kea, the primary.
	keaLog := filepath.Join(keaDir, "kea-dhcp4.log")
	dhcp4 := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "name": %q, "lfc-interval": 0},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": ["127.0.0.2"]},
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(keaDir, "kea4.sock"), filepath.Join(keaDir, "leases4.csv"),
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), params("server1"), keaLog)
	kea := testnet.StartKea(t, keaDir, "kea-dhcp4", dhcp4, testnet.KeaOptions{
		LogFile: keaLog, Args: []string{"-p", fmt.Sprint(keaServerPort), "-P", fmt.Sprint(keaClientPort)},
	})
	testnet.StartKea(t, keaDir, "kea-ctrl-agent", fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
		"authentication": {"type": "basic", "realm": "kea", "clients": [{"user": "ha", "password": "s3cret"}]},
		"control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
		"loggers": [{"name": "kea-ctrl-agent", "severity": "WARN", "output_options": [{"output": "stdout"}]}]}}`,
		caPort, filepath.Join(keaDir, "kea4.sock")), testnet.KeaOptions{})

	c, err := ha.NewClient(haCfg.Relationships[0].Peer("server1"), ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	waitKea := func(want ha.State) {
		t.Helper()
		var hb ha.Heartbeat
		var err error
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if hb, err = c.Heartbeat(ctx, "server2"); err == nil && hb.State == want {
				return
			}
			select {
			case <-kea.Done():
				t.Fatalf("kea-dhcp4 exited: %v", kea.ExitErr())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("Kea is %s (%v), want %s", hb.State, err, want)
			}
		}
	}

	// Kea syncs from the daemon and is ready, the daemon syncs from Kea
	// and is ready, and both go hot-standby.
	waitKea(ha.StateHotStandby)
	for deadline := time.Now().Add(10 * time.Second); haLocal(t, p).State != "hot-standby"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon is %+v, want hot-standby beside Kea", haLocal(t, p))
		}
	}
	got := map[string]string{}
	var from netip.Addr
	for {
		page, skipped, err := c.GetPage(ctx, from, 100, 5*time.Second)
		if err != nil || len(skipped) > 0 {
			t.Fatalf("Kea's leases: %v %v", err, skipped)
		}
		if len(page) == 0 {
			break
		}
		for _, l := range page {
			got[l.Addr.String()] = net.HardwareAddr(l.HWAddr).String()
		}
		from = page[len(page)-1].Addr
	}
	if fmt.Sprint(got) != fmt.Sprint(ours) {
		t.Errorf("Kea synced %v from the daemon, which holds %v", got, ours)
	}
	remote := keaRemote(t, c)
	for deadline := time.Now().Add(5 * time.Second); remote.LastState != "hot-standby" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		remote = keaRemote(t, c) // Kea learns the daemon's state at its next heartbeat
	}
	if !remote.InTouch || remote.LastState != "hot-standby" || remote.CommunicationInterrupted {
		t.Errorf("Kea's view of the daemon: %+v, want in touch, hot-standby, communication not interrupted", remote)
	}
	for _, msg := range []string{"HA_SYNC_SUCCESSFUL", "HA_LEASES_SYNC_LEASE_PAGE_RECEIVED"} {
		if b, _ := os.ReadFile(keaLog); !bytes.Contains(b, []byte(msg)) {
			t.Errorf("Kea's log has no %s", msg)
		}
	}

	// Maintenance: the daemon goes in-maintenance, Kea serves every
	// client and sends the daemon each lease before its ACK.
	keaCommand(t, c, "ha-maintenance-start", "Server is now in the partner-in-maintenance state and its partner is in-maintenance state. The partner can be now safely shut down.")
	waitKea(ha.StatePartnerInMaintenance)
	if st := haLocal(t, p); st.State != "in-maintenance" {
		t.Errorf("the daemon after Kea's ha-maintenance-start: %+v, want in-maintenance", st)
	}
	mac := []byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}
	relay := newKeaRelay(t, keaServerPort, keaClientPort, mac)
	addr, sid := relay.lease()
	r := p.want("lease4-get", map[string]any{"ip-address": addr.String()}, control.Success)
	var l struct {
		HWAddress string `json:"hw-address"`
		ValidLft  uint32 `json:"valid-lft"`
		SubnetID  uint32 `json:"subnet-id"`
	}
	if err := r.Decode(&l); err != nil || l.HWAddress != net.HardwareAddr(mac).String() || l.ValidLft != 600 || l.SubnetID != 1 {
		t.Errorf("the lease Kea acknowledged in the daemon's store: %+v %v, want %v for 600 s in subnet 1", l, err, net.HardwareAddr(mac))
	}

	// A declined address: Kea sends it without a hardware address.
	relay.send(dhcpv4.Decline, func(b *dhcpv4.Builder) {
		b.AddIP(50, addr)
		b.AddIP(54, sid)
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var l struct {
			State int `json:"state"`
		}
		if err := p.want("lease4-get", map[string]any{"ip-address": addr.String()}, control.Success).Decode(&l); err == nil && l.State == 1 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(keaLog)
			t.Fatalf("the address Kea has declined is not declined in the daemon's store; Kea's log:\n%s", testnet.Tail(string(b), 3000))
		}
	}
	if hb, err := c.Heartbeat(ctx, "server2"); err != nil || hb.State != ha.StatePartnerInMaintenance {
		t.Errorf("Kea after the decline: %s %v, want still partner-in-maintenance", hb.State, err)
	}

	// A released address: Kea deletes the lease, and so does the daemon.
	// Kea answers relays on its client port (-P), so the relay is shared.
	other := &keaRelay{t: t, conn: relay.conn, kea: relay.kea, mac: []byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}}
	addr2, _ := other.lease()
	p.want("lease4-get", map[string]any{"ip-address": addr2.String()}, control.Success)
	other.send(dhcpv4.Release, func(b *dhcpv4.Builder) {
		b.SetCIAddr(addr2)
		b.AddIP(54, sid)
	})
	for deadline := time.Now().Add(10 * time.Second); p.call("lease4-get", map[string]any{"ip-address": addr2.String()}).Result != control.Empty; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(keaLog)
			t.Fatalf("the address released to Kea is still leased in the daemon's store; Kea's log:\n%s", testnet.Tail(string(b), 3000))
		}
	}

	keaCommand(t, c, "ha-maintenance-cancel", "Server maintenance successfully canceled.")
	if st := haLocal(t, p); st.State != "hot-standby" {
		t.Errorf("the daemon after Kea's ha-maintenance-cancel: %+v, want hot-standby", st)
	}
	for _, cmd := range []string{"ha-heartbeat", "dhcp-disable", "lease4-get-page", "ha-sync-complete-notify", "ha-maintenance-notify", "lease4-update", "lease4-del"} {
		if !strings.Contains(p.out.String(), `msg="received command" logger=leased.commands command=`+cmd+"\n") {
			t.Errorf("Kea never sent the daemon %s", cmd)
		}
	}
	if b, _ := os.ReadFile(keaLog); bytes.Contains(b, []byte("HA_LEASE_UPDATE_FAILED")) || bytes.Contains(b, []byte("HA_HEARTBEAT_FAILED")) {
		t.Errorf("Kea logged a failed exchange with the daemon")
	}
}

// haLocal returns the daemon's status-get "local" of its relationship.
func haLocal(t *testing.T, p *testProc) ha.StatusLocal {
	t.Helper()
	var st struct {
		HA []ha.Status `json:"high-availability"`
	}
	if err := p.want("status-get", nil, control.Success).Decode(&st); err != nil || len(st.HA) != 1 {
		t.Fatalf("status-get: %+v %v, want one relationship", st, err)
	}
	return st.HA[0].Servers.Local
}

// keaRemote returns Kea's status-get view of its partner.
func keaRemote(t *testing.T, c *ha.Client) ha.StatusRemote {
	t.Helper()
	cmd, err := ha.NewCommand("status-get", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Send(context.Background(), cmd, 0)
	var st struct {
		HA []struct {
			Servers struct {
				Remote ha.StatusRemote `json:"remote"`
			} `json:"ha-servers"`
		} `json:"high-availability"`
	}
	if err != nil || r.Decode(&st) != nil || len(st.HA) != 1 {
		t.Fatalf("Kea's status-get: %v %+v", err, r)
	}
	return st.HA[0].Servers.Remote
}

// keaCommand sends an operator's command to Kea and checks its answer.
func keaCommand(t *testing.T, c *ha.Client, name, text string) {
	t.Helper()
	cmd, err := ha.NewCommand(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.Send(context.Background(), cmd, 0); err != nil || r.Text != text {
		t.Fatalf("%s to Kea: %q %v, want %q", name, r.Text, err, text)
	}
}

// keaRelay plays a relay on 127.0.0.2 in front of Kea, for one client.
type keaRelay struct {
	t    *testing.T
	conn *net.UDPConn
	kea  *net.UDPAddr
	mac  []byte
}

func newKeaRelay(t *testing.T, serverPort, clientPort int, mac []byte) *keaRelay {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: clientPort})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &keaRelay{t: t, conn: conn, kea: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort}, mac: mac}
}

// send relays one message of the client's to Kea.
func (r *keaRelay) send(mt dhcpv4.MessageType, opts func(b *dhcpv4.Builder)) {
	r.t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 600), dhcpv4.BootRequest, mt, 0x4a11)
	b.SetCHAddr(1, r.mac)
	b.SetGIAddr(netip.MustParseAddr("127.0.0.2"))
	b.SetHops(1)
	if opts != nil {
		opts(&b)
	}
	raw, err := b.Finish()
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.conn.WriteToUDP(raw, r.kea); err != nil {
		r.t.Fatal(err)
	}
}

// exchange relays one message and returns Kea's answer of type want.
func (r *keaRelay) exchange(mt, want dhcpv4.MessageType, opts func(b *dhcpv4.Builder)) *dhcpv4.Packet {
	r.t.Helper()
	r.send(mt, opts)
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	for {
		n, _, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			r.t.Fatalf("no %s from Kea to the %s: %v", want, mt, err)
		}
		if p, err := dhcpv4.Parse(buf[:n]); err == nil && p.XID() == 0x4a11 && p.MessageType() == want {
			return p
		}
	}
}

// lease runs DISCOVER, OFFER, REQUEST, ACK and returns the address
// acknowledged and Kea's server identifier.
func (r *keaRelay) lease() (addr, serverID netip.Addr) {
	r.t.Helper()
	offer := r.exchange(dhcpv4.Discover, dhcpv4.Offer, nil)
	sid, _ := offer.OptionIP(54)
	ack := r.exchange(dhcpv4.Request, dhcpv4.Ack, func(b *dhcpv4.Builder) {
		b.AddIP(50, offer.YIAddr())
		b.AddIP(54, sid)
	})
	return ack.YIAddr(), sid
}

// haPKI names the files of a test CA, a server certificate for
// 127.0.0.2 (the daemon's listener) and a client certificate (Kea's).
type haPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

// haTestPKI writes a haPKI into dir, readable by the unprivileged Kea.
func haTestPKI(t *testing.T, dir string) haPKI {
	t.Helper()
	write := func(name string, typ string, der []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "leased HA test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, usage x509.ExtKeyUsage, name string) (cert, key string) {
		t.Helper()
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 2)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kb)
	}
	p := haPKI{ca: write("ca.pem", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = issue(2, x509.ExtKeyUsageServerAuth, "server2")
	p.clientCert, p.clientKey = issue(3, x509.ExtKeyUsageClientAuth, "server1")
	return p
}

// TestHAPrimaryWithKea22 runs leased as the hot-standby primary of a
// kea-dhcp4 2.2 standby (behind kea-ctrl-agent), on loopback, leased
// configured by a libdhcp_ha.so hooks-libraries entry: both reach
// hot-standby (each synced from the other); every lease leased
// acknowledges is in Kea's store when the ACK arrives (lease4-get
// through Kea's agent); and once kea-dhcp4 is stopped, so that its agent
// refuses the updates, a client gets no ACK from leased (its OFFER still
// comes: a DISCOVER changes no lease).
func TestHAPrimaryWithKea22(t *testing.T) {
	needRoot(t)
	testnet.RequireBinaries(t, "kea-dhcp4", "kea-ctrl-agent")
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	keaDir := testnet.UnprivilegedDir(t)
	caPort, ourPort := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.2:%d/", ourPort), fmt.Sprintf("http://127.0.0.1:%d/", caPort)}
	// max-response-delay is long, so that leased is still in hot-standby,
	// sending updates, when Kea has gone.
	params := func(this string) string { return haParams(this, "hot-standby", "standby", urls, 30000) }
	n := newHANode(t, "leased", "127.0.0.2", ourPort, params("server1"))
	n.start()

	keaLog := filepath.Join(keaDir, "kea-dhcp4.log")
	dhcp4 := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "name": %q, "lfc-interval": 0},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": [%q]},
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(keaDir, "kea4.sock"), filepath.Join(keaDir, "leases4.csv"),
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), params("server2"), haRelayAddr, keaLog)
	kea := testnet.StartKea(t, keaDir, "kea-dhcp4", dhcp4, testnet.KeaOptions{
		LogFile: keaLog, Args: []string{"-p", fmt.Sprint(freePort(t, "udp")), "-P", fmt.Sprint(freePort(t, "udp"))},
	})
	testnet.StartKea(t, keaDir, "kea-ctrl-agent", fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
		"control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
		"loggers": [{"name": "kea-ctrl-agent", "severity": "WARN", "output_options": [{"output": "stdout"}]}]}}`,
		caPort, filepath.Join(keaDir, "kea4.sock")), testnet.KeaOptions{})

	cfg, err := ha.Parse([]byte(params("server1")), ha.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ha.NewClient(cfg.Relationships[0].Peer("server2"), ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n.waitState(ha.StateHotStandby)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if hb, err := c.Heartbeat(context.Background(), "server1"); err == nil && hb.State == ha.StateHotStandby {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(keaLog)
			t.Fatalf("Kea not hot-standby after 20 s; its log:\n%s", testnet.Tail(string(b), 3000))
		}
	}
	keaLease := func(addr netip.Addr) string {
		t.Helper()
		cmd, err := ha.NewCommand("lease4-get", map[string]string{"ip-address": addr.String()})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Send(context.Background(), cmd, 0)
		if err != nil || r.Result != control.Success {
			return ""
		}
		var l struct {
			HW string `json:"hw-address"`
		}
		if err := r.Decode(&l); err != nil {
			t.Fatal(err)
		}
		return l.HW
	}

	relay := newHARelay(t, n.dhcpPort)
	for i := 1; i <= 4; i++ {
		mac := []byte{2, 0, 0, 0, 3, byte(i)}
		addr, _, ok := relay.dora(mac, 5*time.Second)
		if !ok {
			t.Fatalf("client %x: no ACK from leased", mac)
		}
		if got := keaLease(addr); got != net.HardwareAddr(mac).String() {
			t.Errorf("client %x acknowledged %v by leased: Kea holds it for %q", mac, addr, got)
		}
	}

	// Kea gone: its agent answers every command with an error, and
	// leased withholds the ACK.
	kea.Stop()
	mac := []byte{2, 0, 0, 0, 3, 99}
	relay.xid++
	xid := relay.xid
	relay.send(dhcpv4.Discover, xid, mac, nil)
	offer := relay.await(xid, dhcpv4.Offer, 5*time.Second)
	if offer == nil {
		t.Fatal("no OFFER from leased with Kea stopped")
	}
	sid, _ := offer.p.OptionIP(54)
	relay.send(dhcpv4.Request, xid, mac, func(b *dhcpv4.Builder) {
		b.AddIP(50, offer.p.YIAddr())
		b.AddIP(54, sid)
	})
	if ack := relay.await(xid, dhcpv4.Ack, 3*time.Second); ack != nil {
		t.Errorf("leased acknowledged %v although Kea could not store it", ack.p.YIAddr())
	}
	if st := n.local(); st.State != "hot-standby" || !strings.HasPrefix(st.Reason, "server2 does not answer; lease updates to it fail") {
		t.Errorf("leased is %s (%q), want still hot-standby (max-response-delay not over), saying server2 does not answer", st.State, st.Reason)
	}
	if !strings.Contains(n.p.out.String(), "lease update failed; the client's reply is withheld") {
		t.Error("leased's log does not say why the ACK was withheld")
	}
}
