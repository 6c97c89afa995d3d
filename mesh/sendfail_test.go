package mesh

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

// A timedEvent is one output of a node, with when it came (since epoch)
// and, for a datagram, whether the send failed.
type timedEvent struct {
	at   time.Duration
	what string
}

func (e timedEvent) String() string { return fmt.Sprintf("%v %s", e.at, e.what) }

// drive runs the node's ticks up to epoch+until, as meshd's loop does: it
// collects the outputs after every tick and reports each multicast
// datagram for which fail returns true with SendFailed. It fails the test
// if the node asks to be ticked again at the same instant more than a few
// times (a timer loop spinning on a time in the past).
func (h *harness) drive(until time.Duration, fail func(now time.Duration) bool) []timedEvent {
	h.t.Helper()
	var evs []timedEvent
	spins := 0
	for {
		next := h.n.NextTick()
		if next.After(epoch.Add(until)) {
			break
		}
		if next.After(h.clock.now) {
			h.clock.now, spins = next, 0
		} else if spins++; spins > 3 {
			h.t.Fatalf("at %v NextTick is %v: the timer loop would spin", h.clock.now.Sub(epoch), next.Sub(epoch))
		}
		h.n.Tick()
		now := h.clock.now.Sub(epoch)
		for _, o := range h.n.Outputs(nil) {
			what := describe([]Output{o})[0]
			if o.Kind == SendMulticast && fail(now) {
				h.n.SendFailed(o.Data)
				what += " (failed)"
			}
			evs = append(evs, timedEvent{now, what})
		}
	}
	h.clock.now = epoch.Add(until)
	return evs
}

func always(time.Duration) bool { return true }
func never(time.Duration) bool  { return false }

func between(from, to time.Duration) func(time.Duration) bool {
	return func(now time.Duration) bool { return now >= from && now < to }
}

func ms(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }

// A node whose INQUIREs all fail never owns a block: ddhcpd counts an
// INQUIRE only once sendto has succeeded (specification 3.6). It retries
// at its housekeeping pace, every half tentative timeout, and never
// faster; the byte counter counts only what went out.
func TestFailedInquiriesOwnNothing(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(5))
	evs := h.drive(5*time.Minute, always)
	var inquiries []time.Duration
	for _, e := range evs {
		switch e.what {
		case "INQUIRE 5 (failed)":
			inquiries = append(inquiries, e.at)
		case "LearningEnded":
		default:
			t.Errorf("unexpected output %v", e)
		}
	}
	// Every 7.5 s from 0 to 300 s.
	if len(inquiries) != 41 {
		t.Errorf("%d INQUIREs in 300 s, want 41 (one per 7.5 s housekeeping pass)", len(inquiries))
	}
	for k := 1; k < len(inquiries); k++ {
		if d := inquiries[k] - inquiries[k-1]; d != ms(7.5) {
			t.Errorf("INQUIREs at %v and %v: %v apart, want 7.5 s", inquiries[k-1], inquiries[k], d)
		}
	}
	if len(h.n.Owned()) != 0 {
		t.Errorf("owns %v after INQUIREs nobody heard", h.n.Owned())
	}
	for _, r := range h.n.Blocks() {
		if r.Claims != 0 {
			t.Errorf("block %d: %d inquiries counted, none went out", r.Index, r.Claims)
		}
	}
	st := h.n.Stats()
	if st[StatMcastSendInquire] != 41 || st[StatMcastSendPkg] != 41 || st[StatMcastSendByte] != 0 {
		t.Errorf("send_inquire %d, send_pkg %d, send_byte %d; want 41 attempts, 0 bytes sent",
			st[StatMcastSendInquire], st[StatMcastSendPkg], st[StatMcastSendByte])
	}
}

// An owner whose UPDATECLAIMs fail keeps the timeout of its last claim
// that went out, retries every half tentative timeout (7.5 s) after the
// last failure and gives the block up when that claim runs out, as the peers let it lapse
// (specification 5.3 step 1; ddhcpd notices at its next pass).
func TestFailedRefreshLosesBlockAtTimeout(t *testing.T) {
	h := ownedHarness(t, DefaultConfig()) // owned and announced at 22.5 s
	if evs := h.drive(40*time.Second, never); fmt.Sprint(evs) != "[37.5s UPDATECLAIM 5/60]" {
		t.Fatalf("before the link fails: %v", evs)
	}
	// A refresh between housekeeping passes, at 41 s, runs out at 101 s.
	h.clock.now = epoch.Add(41 * time.Second)
	h.inquire(largePeer, 5)
	if got := describe(h.take()); !slices.Equal(got, []string{"UPDATECLAIM 5/60"}) {
		t.Fatalf("INQUIRE for block 5 at 41 s answered with %q", got)
	}
	evs := h.drive(100*time.Second, always)
	if r := h.row(5); r.State != Ours || r.SecondsLeft != 1 {
		t.Errorf("at 100 s block 5 is %v with %d s left, want OURS with 1 (until 101 s)", r.State, r.SecondsLeft)
	}
	evs = append(evs, h.drive(2*time.Minute, always)...)
	want := []timedEvent{
		{ms(56), "UPDATECLAIM 5/60 (failed)"}, // due: less than 45 s left
		{ms(63.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(71), "UPDATECLAIM 5/60 (failed)"},
		{ms(78.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(86), "UPDATECLAIM 5/60 (failed)"},
		{ms(93.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(101), "UPDATECLAIM 5/60 (failed)"},
		{ms(101), "BlockLost 5"},
		{ms(105), "INQUIRE 5 (failed)"},
		{ms(112.5), "INQUIRE 5 (failed)"},
		{ms(120), "INQUIRE 5 (failed)"},
	}
	if !slices.Equal(evs, want) {
		t.Errorf("with the link failing from 40 s:\n got %v\nwant %v", evs, want)
	}
	if len(h.n.Owned()) != 0 {
		t.Errorf("still owns %v", h.n.Owned())
	}
}

// A node whose sends work again claims as usual: three INQUIREs that went
// out, then the block; and an owner whose link failed for less than the
// claim's remaining time keeps its block, its first refresh that goes out
// extending it as usual.
func TestSendsRecover(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(5))
	evs := h.drive(90*time.Second, between(0, 60*time.Second))
	var after []timedEvent
	for _, e := range evs {
		if e.at >= 60*time.Second {
			after = append(after, e)
		}
	}
	want := []timedEvent{
		{ms(60), "INQUIRE 5"}, {ms(67.5), "INQUIRE 5"}, {ms(75), "INQUIRE 5"},
		{ms(82.5), "BlockOwned 5"}, {ms(82.5), "UPDATECLAIM 5/60"},
	}
	if !slices.Equal(after, want) {
		t.Errorf("sends working again from 60 s:\n got %v\nwant %v", after, want)
	}

	h = ownedHarness(t, DefaultConfig())
	h.drive(40*time.Second, never) // last claim at 37.5 s, until 97.5 s
	evs = h.drive(100*time.Second, between(40*time.Second, 70*time.Second))
	want = []timedEvent{
		{ms(52.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(60), "UPDATECLAIM 5/60 (failed)"},
		{ms(67.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(75), "UPDATECLAIM 5/60"},
		{ms(90), "UPDATECLAIM 5/60"},
	}
	if !slices.Equal(evs, want) {
		t.Errorf("link failing from 40 to 70 s:\n got %v\nwant %v", evs, want)
	}
	if r := h.row(5); r.State != Ours || r.SecondsLeft != 50 {
		t.Errorf("at 100 s block 5 is %v with %d s left, want OURS with 50 (claimed at 90 s)", r.State, r.SecondsLeft)
	}
}

// Two UPDATECLAIMs for one block in one batch (two INQUIREs a second
// apart, answered before the caller collected the outputs), reported
// failed in any combination and order: the block ends with the timeout of
// the last one that went out, and the answer is sent again, half a
// tentative timeout after the failure, if the last one did not go out.
func TestSendFailedUndoOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     []int // which datagrams fail, in the order reported
		copyData bool  // report copies of the datagrams
		restored bool  // the timeout is the one from before both
		again    bool  // the answer goes out again
	}{
		{"none", nil, false, false, false},
		{"first", []int{0}, false, false, false},
		{"second", []int{1}, false, false, true},
		{"both", []int{0, 1}, false, true, true},
		{"both, reported in reverse", []int{1, 0}, false, true, true},
		{"both, copies", []int{0, 1}, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ownedHarness(t, DefaultConfig()) // announced at 22.5 s, until 82.5 s
			h.at(31 * time.Second)
			h.take()
			before := h.n.blocks[5].timeout
			h.inquire(largePeer, 5)
			h.clock.now = epoch.Add(32 * time.Second)
			h.inquire(largePeer, 5)
			outs := h.take()
			if got := describe(outs); !slices.Equal(got, []string{"UPDATECLAIM 5/60", "UPDATECLAIM 5/60"}) {
				t.Fatalf("outputs %q", got)
			}
			for _, k := range tc.fail {
				d := outs[k].Data
				if tc.copyData {
					d = bytes.Clone(d)
				}
				h.n.SendFailed(d)
			}
			// The timeout of the last datagram that went out: the second
			// (sent at 32 s), the first (31 s), or neither.
			want := h.clock.now.Add(60 * time.Second)
			switch {
			case tc.restored:
				want = before
			case slices.Contains(tc.fail, 1):
				want = epoch.Add(91 * time.Second)
			}
			if got := h.n.blocks[5].timeout; !got.Equal(want) {
				t.Errorf("timeout %v after now, want %v", got.Sub(h.clock.now), want.Sub(h.clock.now))
			}
			if got := h.n.blocks[5].announce; got != tc.again {
				t.Errorf("answer pending: %v, want %v", got, tc.again)
			}
			// A third INQUIRE within 7.5 s of a failure is answered at
			// 39.5 s, not at once.
			if len(tc.fail) > 0 {
				h.clock.now = epoch.Add(36 * time.Second)
				h.inquire(largePeer, 5)
				if got := describe(h.take()); len(got) != 0 {
					t.Errorf("3.5 s after a failed send: %q", got)
				}
			}
			evs := h.drive(45*time.Second, never)
			var wantEvs []timedEvent
			if len(tc.fail) > 0 {
				wantEvs = []timedEvent{{ms(39.5), "UPDATECLAIM 5/60"}}
			}
			if !slices.Equal(evs, wantEvs) {
				t.Errorf("from 32 to 45 s: %v, want %v", evs, wantEvs)
			}
		})
	}
}

// A node restarted with its link down cannot announce the claims it
// resumed: in its learning phase, where housekeeping does not run, it
// still gives them up when they run out at the peers (40 s), not when
// learning ends (60 s).
func TestResumedClaimsLapseWhileLearning(t *testing.T) {
	h := newHarness(t, DefaultConfig(), fixedRand(0)) // learning: 60 s
	h.n.Resume([]ResumeClaim{{Block: 5, Until: epoch.Add(40 * time.Second)}}, nil)
	for _, o := range h.n.Outputs(nil) {
		if o.Kind == SendMulticast {
			h.n.SendFailed(o.Data)
		}
	}
	if r := h.row(5); r.State != Ours || r.SecondsLeft != 40 {
		t.Fatalf("after a failed announce block 5 is %v with %d s left, want OURS with 40", r.State, r.SecondsLeft)
	}
	evs := h.drive(61*time.Second, always)
	want := []timedEvent{
		{ms(7.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(15), "UPDATECLAIM 5/60 (failed)"},
		{ms(22.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(30), "UPDATECLAIM 5/60 (failed)"},
		{ms(37.5), "UPDATECLAIM 5/60 (failed)"},
		{ms(40), "BlockLost 5"},
		{ms(60), "LearningEnded"},
		{ms(60), "INQUIRE 0 (failed)"},
	}
	if !slices.Equal(evs, want) {
		t.Errorf("resumed with the link down:\n got %v\nwant %v", evs, want)
	}
}
