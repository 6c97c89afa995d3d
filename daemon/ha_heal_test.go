package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// skewPartner is a load-balancing secondary whose state and clock the
// test sets: it answers heartbeats with them and takes a lease sync.
type skewPartner struct {
	mu    sync.Mutex
	state ha.State
	skew  time.Duration
	beats int // heartbeats answered
}

// heartbeats returns how many heartbeats the partner answered.
func (f *skewPartner) heartbeats() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.beats
}

func (f *skewPartner) set(s ha.State, skew time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.skew = s, skew
}

func (f *skewPartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cmd control.Command
	if err := json.Unmarshal(body, &cmd); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp control.Response
	switch cmd.Command {
	case ha.CmdHeartbeat:
		f.beats++
		resp = ha.HeartbeatResponse(f.state, time.Now().Add(f.skew), []string{"server2"}, 0)
	case ha.CmdDHCPDisable, ha.CmdDHCPEnable, ha.CmdSyncCompleteNotify:
		resp = control.OK("done")
	case ha.CmdLease4GetPage:
		resp = ha.PageResponse(ha.Kea22, nil)
	default:
		resp = control.Errorf("unexpected %s", cmd.Command)
	}
	b, _ := ha.EncodeAnswer(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// TestHAHealsAfterClockSkew: the daemon's primary, terminated when its
// partner's clock jumped 70 s, keeps heartbeating; once the clock is
// right again it leaves terminated by itself (after haHealHeartbeats
// heartbeats, the partner still terminated), syncs, and is back in
// load-balancing when the partner is; status-get says why it waits at
// each step.
func TestHAHealsAfterClockSkew(t *testing.T) {
	partner := &skewPartner{state: ha.StateWaiting}
	srv := httptest.NewServer(partner)
	defer srv.Close()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server1", "mode": "load-balancing",
		"heartbeat-delay": 20, "max-response-delay": 5000,
		"peers": [{"name": "server1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		          {"name": "server2", "url": "%s/", "role": "secondary"}]}]}`, srv.URL)
	s, _ := haServiceOf(t, params)
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := s.start(storeLeases{Store: lease.Store(store)}); err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	waitFor := func(want ha.State) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := s.status()[0].Servers.Local
			if st.State == want.String() {
				return st.Reason
			}
			if time.Now().After(deadline) {
				t.Fatalf("state %s (%s), want %s", st.State, st.Reason, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(ha.StateReady)
	partner.set(ha.StateLoadBalancing, 0)
	waitFor(ha.StateLoadBalancing)

	partner.set(ha.StateLoadBalancing, 70*time.Second)
	reason := waitFor(ha.StateTerminated)
	partner.set(ha.StateTerminated, 70*time.Second)
	// The driver sends a heartbeat only once it handled the answer to
	// the previous one: when the partner has answered n more, n-1 of them
	// found the clock still off, well beyond what healing needs.
	for n, deadline := partner.heartbeats()+3*haHealHeartbeats+1, time.Now().Add(10*time.Second); partner.heartbeats() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d heartbeats answered, want %d", partner.heartbeats(), n)
		}
	}
	if st := s.status()[0].Servers.Local; st.State != "terminated" || !strings.Contains(st.Reason, "off ours") {
		t.Errorf("terminated with the clock still off: %s (%s), want terminated saying the clock is off (first %q)", st.State, st.Reason, reason)
	}
	partner.set(ha.StateTerminated, 0)
	waitFor(ha.StateWaiting)
	partner.set(ha.StateWaiting, 0)
	waitFor(ha.StateReady)
	partner.set(ha.StateLoadBalancing, 0)
	waitFor(ha.StateLoadBalancing)
}
