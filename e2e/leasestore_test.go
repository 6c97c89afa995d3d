//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// The lease store's disk faults, for real: the lease directory lives on a
// small tmpfs (a size and an inode limit) that the test mounts under its
// own temporary directory before leased starts (so that leased's mount
// namespace, which ip netns exec makes, holds it too) and unmounts at the
// end. Filling it, exhausting its inodes and remounting it read-only are
// what a full or failing disk does to a running server; freeing it again
// (remounting with a larger size, removing the filler files, remounting
// read-write) must bring acknowledgements back within seconds, whatever
// lfc-interval says.

// faultFS is a tmpfs the test owns.
type faultFS struct {
	t   *testing.T
	dir string
}

// mountFaultFS mounts a tmpfs of the given size and inode count at a new
// directory of the test's and unmounts it when the test ends.
func mountFaultFS(t *testing.T, size string, inodes int) *faultFS {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("size=%s,nr_inodes=%d,mode=0750", size, inodes)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Fatalf("mount tmpfs (%s) at %s: %v", opts, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return &faultFS{t: t, dir: dir}
}

// remount changes the tmpfs's options (size=, nr_inodes=, ro, rw). Its
// superblock is shared with the copy in leased's mount namespace.
func (f *faultFS) remount(opts string) {
	f.t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	var data []string
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "ro":
			flags |= syscall.MS_RDONLY
		case "rw":
		default:
			data = append(data, o)
		}
	}
	if err := syscall.Mount("tmpfs", f.dir, "tmpfs", flags, strings.Join(data, ",")); err != nil {
		f.t.Fatalf("remount %s (%s): %v", f.dir, opts, err)
	}
}

// fill writes a filler file until the tmpfs has no space left.
func (f *faultFS) fill() {
	f.t.Helper()
	w, err := os.Create(filepath.Join(f.dir, "filler"))
	if err != nil {
		f.t.Fatal(err)
	}
	defer w.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := w.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				f.t.Fatalf("filling %s: %v", f.dir, err)
			}
			return
		}
	}
}

// exhaustInodes creates empty files until the tmpfs has no inode left.
func (f *faultFS) exhaustInodes() {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Join(f.dir, "inodes"), 0o750); err != nil {
		f.t.Fatal(err)
	}
	for i := 0; ; i++ {
		w, err := os.Create(filepath.Join(f.dir, "inodes", fmt.Sprint(i)))
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				f.t.Fatalf("exhausting the inodes of %s: %v", f.dir, err)
			}
			return
		}
		w.Close()
	}
}

// freeInodes removes what exhaustInodes created.
func (f *faultFS) freeInodes() {
	f.t.Helper()
	if err := os.RemoveAll(filepath.Join(f.dir, "inodes")); err != nil {
		f.t.Fatal(err)
	}
}

func storeFaultConfig(leaseFile, sock string, lfcInterval int) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "control-socket": { "socket-type": "unix", "socket-name": %q },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": %d },
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    "cache-threshold": 0,
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ] },
      { "id": 2, "subnet": "198.18.0.0/16", "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ] }
    ]
  }
}
`, sock, leaseFile, lfcInterval)
}

// storeFaultRun is one leased serving a lease store on a faultFS.
type storeFaultRun struct {
	t         *testing.T
	fs        *faultFS
	relay     *relay
	proc      *testnet.Proc
	sock      string
	leaseFile string
	n         uint32 // clients so far
	mac       byte
	held      []ack // acknowledged clients, for renewals
}

// startStoreFaultRun mounts a tmpfs and starts leased on it with the given
// lfc-interval. The PID file, which leased holds open for writing, goes
// elsewhere ($LEASED_PIDFILE_DIR): a file open for writing keeps a file
// system from being remounted read-only.
func startStoreFaultRun(t *testing.T, p *testnet.Pair, r *relay, mac byte, lfcInterval int, inodes int) *storeFaultRun {
	t.Helper()
	fs := mountFaultFS(t, "256k", inodes)
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctl.sock")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	leaseFile := filepath.Join(fs.dir, "leases", "dhcp4.leases")
	writeFile(t, cfg, storeFaultConfig(leaseFile, sock, lfcInterval))
	proc, err := p.Server.Start(context.Background(), "env", "LEASED_PIDFILE_DIR="+dir, leasedBin, "serve", "-c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(proc.Output(), readyLine) {
		if proc.Exited() || time.Now().After(deadline) {
			t.Fatalf("leased not serving (exited %v):%s", proc.Exited(), testnet.IndentOutput(proc.Output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	run := &storeFaultRun{t: t, fs: fs, relay: r, proc: proc, sock: sock, leaseFile: leaseFile, mac: mac}
	t.Cleanup(func() {
		if !proc.Exited() {
			proc.Stop(5 * time.Second)
		}
		if out := proc.Output(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in leased:%s", testnet.IndentOutput(out))
		}
	})
	return run
}

// dora runs DORA for a new client with few retransmissions, so that a
// withheld ACK is found quickly.
func (s *storeFaultRun) dora() (ack, error) {
	s.n++
	return s.relay.dora(s.t.Context(), macFor(s.mac, s.n), 300*time.Millisecond, 2)
}

// serve acknowledges n new clients.
func (s *storeFaultRun) serve(n int) {
	s.t.Helper()
	for range n {
		a, err := s.dora()
		if err != nil {
			s.t.Fatalf("before the fault: %v%s", err, s.tail())
		}
		s.held = append(s.held, a)
	}
}

func (s *storeFaultRun) tail() string {
	return testnet.IndentOutput(testnet.Tail(s.proc.Output(), 4000))
}

// renew renews the lease of the first client served.
func (s *storeFaultRun) renew() error {
	a := s.held[0]
	mac, _ := net.ParseMAC(a.mac)
	rep, err := s.relay.renew(s.t.Context(), mac, a.addr, 300*time.Millisecond, 2)
	if err != nil {
		return err
	}
	if rep.MessageType() != dhcpv4.Ack {
		return fmt.Errorf("renewal of %v: %v", a.addr, rep.MessageType())
	}
	return nil
}

// withheld serves new clients until one gets no ACK (a disk fills up a
// page at a time, so a few more records may fit), then checks that the
// next ones and a renewal get none either.
func (s *storeFaultRun) withheld() {
	s.t.Helper()
	for i := 0; ; i++ {
		a, err := s.dora()
		if err != nil {
			break
		}
		s.held = append(s.held, a) // it fit: it must be on disk
		if i == 200 {
			s.t.Fatalf("200 clients acknowledged after the fault%s", s.tail())
		}
	}
	s.stillWithheld()
}

func (s *storeFaultRun) stillWithheld() {
	s.t.Helper()
	if a, err := s.dora(); err == nil {
		s.t.Fatalf("%v acknowledged to %s while the lease store cannot write%s", a.addr, a.mac, s.tail())
	}
	if err := s.renew(); err == nil {
		s.t.Fatalf("renewal acknowledged while the lease store cannot write%s", s.tail())
	}
}

// recovers checks that new clients and renewals are acknowledged again
// within 20 s (a liveness bound: before the fix, nothing came back for an
// lfc-interval, or ever with 0).
func (s *storeFaultRun) recovers() {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, err := s.dora()
		if err == nil {
			s.held = append(s.held, a)
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no ACK 20 s after the fault went away: %v (status %v)%s", err, s.status(), s.tail())
		}
	}
	if err := s.renew(); err != nil {
		s.t.Fatalf("renewal after the recovery: %v%s", err, s.tail())
	}
	if st := s.status(); st["state"] != "healthy" {
		s.t.Errorf("status-get lease-store after the recovery: %v", st)
	}
}

// stopAndCheckDisk stops leased and checks that the store on disk holds
// every lease acknowledged and not the address of a lease4-add that
// failed.
func (s *storeFaultRun) stopAndCheckDisk(notAdded netip.Addr) {
	s.t.Helper()
	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(s.t.Context(), 10*time.Second)
	defer cancel()
	if err := s.proc.Wait(ctx); err != nil {
		s.t.Fatalf("leased after SIGTERM: %v%s", err, s.tail())
	}
	ls, err := readStore(s.leaseFile)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range s.held {
		l, ok := leaseOf(ls, a.addr)
		if mac, _ := net.ParseMAC(a.mac); !ok || !sameMAC(l.HWAddr, mac) {
			s.t.Errorf("%v, acknowledged to %s, is not on disk (%v)", a.addr, a.mac, describe(ls, a.addr))
		}
	}
	if _, ok := leaseOf(ls, notAdded); ok {
		s.t.Errorf("%v, whose lease4-add failed, is on disk", notAdded)
	}
}

// call sends a control command.
func (s *storeFaultRun) call(cmd string, args any) *control.Response {
	s.t.Helper()
	r, err := (&control.Client{Target: s.sock}).Call(s.t.Context(), cmd, args)
	if err != nil {
		s.t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

// status returns status-get's lease-store map.
func (s *storeFaultRun) status() map[string]any {
	s.t.Helper()
	var st struct {
		LeaseStore map[string]any `json:"lease-store"`
	}
	if err := s.call("status-get", nil).Decode(&st); err != nil {
		s.t.Fatal(err)
	}
	return st.LeaseStore
}

// waitRetries waits until status-get shows the store failed, with at
// least one more recovery attempt since the call, which failed with an
// error containing want.
func (s *storeFaultRun) waitRetries(want string) {
	s.t.Helper()
	retries := func(st map[string]any) float64 { n, _ := st["retries"].(float64); return n }
	from := retries(s.status())
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := s.status()
		if st["state"] != "healthy" && retries(st) >= from+1 && strings.Contains(fmt.Sprint(st["compaction-error"]), want) {
			s.t.Logf("status-get lease-store: %v", st)
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("status-get lease-store after 20 s: %v, want failed, another retry, failing with %q%s", st, want, s.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loggedOnce checks that the failure and the recovery were each logged
// once, by the store and by the server.
func (s *storeFaultRun) loggedOnce() {
	s.t.Helper()
	out := s.proc.Output()
	for _, msg := range []string{"lease journal failed;", "lease journal recovered", "leases not durable", "leases durable again"} {
		if n := strings.Count(out, msg); n != 1 {
			s.t.Errorf("%q logged %d times, want once%s", msg, n, s.tail())
		}
	}
}

func TestLeaseStoreFaults(t *testing.T) {
	needs(t)
	p := testnet.NewPair(t)
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// A full disk, with lfc-interval 3600 and 0: ACKs, renewals included,
	// stop, lease4-add fails and does not happen, status-get says why;
	// once there is room again, ACKs come back within seconds.
	for i, lfc := range []int{3600, 0} {
		t.Run(fmt.Sprintf("full/lfc-interval=%d", lfc), func(t *testing.T) {
			s := startStoreFaultRun(t, p, r, 0xa0+byte(i), lfc, 256)
			s.serve(3)
			s.fs.fill()
			s.withheld()
			add := s.call("lease4-add", map[string]any{"ip-address": "192.0.2.50", "hw-address": "02:00:00:00:00:50"})
			if add.Result != control.Error || !strings.Contains(add.Text, "not durable") {
				t.Errorf("lease4-add on a full disk: %d %q, want 1, not durable", add.Result, add.Text)
			}
			s.waitRetries("no space left on device")
			s.stillWithheld()
			s.fs.remount("size=4m")
			s.recovers()
			if got := s.call("lease4-get", map[string]any{"ip-address": "192.0.2.50"}); got.Result != control.Empty {
				t.Errorf("the lease4-add that failed took effect after the recovery: %d %s", got.Result, got.Text)
			}
			s.loggedOnce()
			s.stopAndCheckDisk(netip.MustParseAddr("192.0.2.50"))
		})
	}

	// Read-only: the disk fills, then turns read-only with room to
	// spare (the journal's file is closed after the failure, so the
	// remount is allowed); still no ACK until it is writable again.
	t.Run("read-only", func(t *testing.T) {
		s := startStoreFaultRun(t, p, r, 0xa8, 3600, 256)
		s.serve(3)
		s.fs.fill()
		s.withheld()
		s.fs.remount("ro,size=4m")
		s.waitRetries("create journal segment: open") // not the write a full disk fails
		if st := s.status(); !strings.Contains(fmt.Sprint(st["compaction-error"]), "read-only file system") {
			t.Errorf("status-get lease-store on a read-only disk: %v", st)
		}
		s.stillWithheld()
		s.fs.remount("rw")
		s.recovers()
		s.loggedOnce()
	})

	// Inodes: the disk fills; room comes back, but not a single inode, so
	// no new journal segment can be created; still no ACK until inodes
	// are free.
	t.Run("inodes", func(t *testing.T) {
		s := startStoreFaultRun(t, p, r, 0xb0, 3600, 64)
		s.serve(3)
		s.fs.fill()
		s.withheld()
		s.fs.remount("size=4m")
		s.fs.exhaustInodes()
		s.waitRetries("create journal segment: open")
		s.stillWithheld()
		s.fs.freeInodes()
		s.recovers()
		s.loggedOnce()
	})

	// A compaction that fails alone: with every inode taken, the journal
	// goes on in its open segment, so ACKs and renewals go on; status-get
	// shows the failing compaction, until inodes are free.
	t.Run("compaction-fails", func(t *testing.T) {
		s := startStoreFaultRun(t, p, r, 0xb8, 1, 64)
		s.serve(3)
		s.fs.exhaustInodes()
		deadline := time.Now().Add(20 * time.Second)
		for {
			st := s.status()
			if strings.Contains(fmt.Sprint(st["compaction-error"]), "no space left on device") {
				if st["state"] != "healthy" {
					t.Errorf("status-get lease-store with only compactions failing: %v", st)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no failed compaction in status-get after 20 s: %v%s", st, s.tail())
			}
			time.Sleep(100 * time.Millisecond)
		}
		for range 30 {
			a, err := s.dora()
			if err != nil {
				t.Fatalf("while only compactions fail: %v%s", err, s.tail())
			}
			s.held = append(s.held, a)
		}
		if err := s.renew(); err != nil {
			t.Fatalf("renewal while only compactions fail: %v%s", err, s.tail())
		}
		s.fs.freeInodes()
		// Failed compactions alone are retried ever more slowly (each
		// leaves a segment behind): the bound is wider here.
		deadline = time.Now().Add(40 * time.Second)
		for st := s.status(); st["compaction-error"] != nil; st = s.status() {
			if time.Now().After(deadline) {
				t.Fatalf("compactions still fail 40 s after inodes were freed: %v%s", st, s.tail())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if strings.Contains(s.proc.Output(), "lease journal failed") {
			t.Errorf("a failed compaction failed the journal%s", s.tail())
		}
	})
}
