package memfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// The crash test runs a writer in a child process (this test binary,
// re-executed with crashHelperEnv set), kills it with SIGKILL at random
// moments, and checks the store after each kill.
//
// The writer plays clients that each hold at most one address. It prints
// "B <worker> <op> <client> <addr> <version>" before each durable store
// operation and "A <worker>" once the operation returned, so the parent
// knows every acknowledged change and, per worker, the one change that may
// or may not have happened. After each kill the parent opens the store and
// checks that each client holds exactly what its acknowledged changes
// (plus possibly its one unacknowledged change) say, that no client holds
// two addresses, and that no lease belongs to nobody.
const (
	crashHelperEnv = "LEASED_MEMFILE_CRASH_HELPER"
	crashWorkers   = 4
	crashClients   = 64 // per worker
	crashAddrs     = 256
)

func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary many times")
	}
	opts, logs := testOptions(t)
	model := map[uint32]crashState{} // client -> what it holds
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	const rounds = 24
	acked := 0
	for round := 1; round <= rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+opts.Path, "LEASED_CRASH_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Read acknowledgements while the child runs; kill it once it has
		// done some work, at a random moment.
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		pending := map[int]crashOp{}
		killAt := time.After(time.Duration(30+rng.IntN(250)) * time.Millisecond)
		killed := false
		for line := range lines {
			acked += applyCrashLine(t, line, model, pending)
			if !killed {
				select {
				case <-killAt:
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				default:
				}
			}
		}
		if !killed {
			cmd.Process.Signal(syscall.SIGKILL)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: helper did not die by SIGKILL: %v", round, err)
		}
		checkCrashStore(t, opts, model, pending, round)
	}
	t.Logf("%d kills, %d acknowledged changes checked", rounds, acked)
	if acked < rounds {
		t.Errorf("only %d acknowledged changes in %d rounds: the helper did too little to test", acked, rounds)
	}
	if strings.Contains(logs.String(), "moved them aside") {
		t.Errorf("kill -9 alone produced mid-file damage:\n%s", logs)
	}
}

type crashState struct {
	addr    uint32 // 0 when the client holds nothing
	version int64
}

type crashOp struct {
	kind    string // add, upd, del
	client  uint32
	addr    uint32
	version int64
}

func (o crashOp) apply(s crashState) crashState {
	switch o.kind {
	case "del":
		return crashState{}
	default:
		return crashState{addr: o.addr, version: o.version}
	}
}

// applyCrashLine updates the model with one line of the helper and returns
// 1 for an acknowledgement.
func applyCrashLine(t *testing.T, line string, model map[uint32]crashState, pending map[int]crashOp) int {
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0
	}
	w, _ := strconv.Atoi(f[1])
	switch f[0] {
	case "B":
		c, _ := strconv.ParseUint(f[3], 10, 32)
		a, _ := strconv.ParseUint(f[4], 10, 32)
		v, _ := strconv.ParseInt(f[5], 10, 64)
		pending[w] = crashOp{kind: f[2], client: uint32(c), addr: uint32(a), version: v}
	case "A":
		op, ok := pending[w]
		if !ok {
			t.Fatalf("acknowledgement without a start: %q", line)
		}
		model[op.client] = op.apply(model[op.client])
		delete(pending, w)
		return 1
	default:
		t.Fatalf("helper printed %q", line)
	}
	return 0
}

func checkCrashStore(t *testing.T, opts Options, model map[uint32]crashState, pending map[int]crashOp, round int) {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("round %d: Open after kill: %v", round, err)
	}
	defer s.Close()
	inFlight := map[uint32]crashOp{}
	for _, op := range pending {
		inFlight[op.client] = op
	}
	held := map[uint32]crashState{}
	s.Walk(func(l *lease.Lease) bool {
		c := binary.BigEndian.Uint32(l.ClientID)
		if prev, dup := held[c]; dup {
			t.Errorf("round %d: client %d holds %v and %v", round, c, dhcpv4.Uint32ToAddr(prev.addr), l.Addr)
		}
		held[c] = crashState{addr: dhcpv4.AddrToUint32(l.Addr), version: l.CLTT}
		var byHW lease.Lease
		if ok, _ := s.GetByHWAddr(ctx, l.SubnetID, l.HWAddr, &byHW); !ok || byHW.Addr != l.Addr {
			t.Errorf("round %d: hardware-address index lost %v", round, l.Addr)
		}
		return true
	})
	for c := uint32(0); c < crashWorkers*crashClients; c++ {
		got, want := held[c], model[c]
		if got == want {
			continue
		}
		if op, ok := inFlight[c]; ok && got == op.apply(want) {
			model[c] = got // the unacknowledged change happened
			continue
		}
		t.Errorf("round %d: client %d holds %v v%d, acknowledged %v v%d (in flight: %+v)",
			round, c, dhcpv4.Uint32ToAddr(got.addr), got.version, dhcpv4.Uint32ToAddr(want.addr), want.version, inFlight[c])
	}
	for c := range held {
		if c >= crashWorkers*crashClients {
			t.Errorf("round %d: lease for unknown client %d", round, c)
		}
	}
}

// TestCrashHelper is the child of TestCrashKill9; it does nothing in a
// normal run.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKill9")
	}
	round, _ := strconv.Atoi(os.Getenv("LEASED_CRASH_ROUND"))
	s, err := Open(Options{
		Path: path, Persist: true,
		// Compact often, so that kills land inside compactions too.
		LFCInterval:  40 * time.Millisecond,
		CompactBytes: 32 << 10,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper open:", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", args...) // one write per line
		outMu.Unlock()
	}
	var wg sync.WaitGroup
	for w := 0; w < crashWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			crashWorker(s, w, round, say)
		}()
	}
	wg.Wait()
}

// crashWorker moves its clients between its addresses forever. Worker w
// owns clients and addresses congruent to w, so workers never race.
func crashWorker(s *Store, w, round int, say func(string, ...any)) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	holds := map[uint32]uint32{} // client -> address
	used := map[uint32]bool{}
	for k := 0; k < crashClients; k++ {
		c := uint32(k*crashWorkers + w)
		ls, err := s.FindByClientID(ctx, crashClientID(c))
		if err != nil || len(ls) > 1 {
			fmt.Fprintln(os.Stderr, "helper: client", c, "has", len(ls), "leases", err)
			os.Exit(3)
		}
		if len(ls) == 1 {
			holds[c] = dhcpv4.AddrToUint32(ls[0].Addr)
			used[dhcpv4.AddrToUint32(ls[0].Addr)] = true
		}
	}
	freeAddr := func() uint32 {
		for {
			a := crashAddr(rng.IntN(crashAddrs)*crashWorkers + w)
			if !used[a] {
				return a
			}
		}
	}
	version := int64(round) * 1_000_000
	do := func(kind string, c, a uint32, fn func() error) {
		version++
		say("B %d %s %d %d %d", w, kind, c, a, version)
		if err := fn(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", kind, err)
			os.Exit(4)
		}
		say("A %d", w)
	}
	for {
		c := uint32(rng.IntN(crashClients)*crashWorkers + w)
		old, has := holds[c]
		switch {
		case !has:
			a := freeAddr()
			do("add", c, a, func() error {
				l := crashLease(c, a, version)
				return s.Add(ctx, &l, lease.Durable)
			})
			holds[c], used[a] = a, true
		case rng.IntN(4) == 0:
			do("del", c, old, func() error {
				return s.Delete(ctx, dhcpv4.Uint32ToAddr(old), nil, lease.Durable)
			})
			delete(holds, c)
			delete(used, old)
		default:
			do("upd", c, old, func() error {
				l := crashLease(c, old, version)
				return s.Update(ctx, nil, &l, lease.Durable)
			})
		}
	}
}

func crashAddr(i int) uint32 { return 10<<24 | uint32(i) + 1 }

func crashClientID(c uint32) []byte { return binary.BigEndian.AppendUint32(nil, c) }

func crashLease(c, a uint32, version int64) lease.Lease {
	return lease.Lease{
		Addr:          dhcpv4.Uint32ToAddr(a),
		HWType:        1,
		HWAddr:        append([]byte{2, 0}, crashClientID(c)...),
		ClientID:      crashClientID(c),
		ValidLifetime: 3600,
		CLTT:          version,
		SubnetID:      1,
		Hostname:      "client-" + strconv.Itoa(int(c)),
	}
}
