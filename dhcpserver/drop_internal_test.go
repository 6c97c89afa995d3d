package dhcpserver

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
)

// TestDropReasonsCounted checks that every drop reason is counted in
// exactly one of Stats.Malformed and Stats.Dropped, and logged by name.
func TestDropReasonsCounted(t *testing.T) {
	for why := range numDropReasons {
		var buf bytes.Buffer
		s := &Server{log: slog.New(slog.NewTextHandler(&buf, nil))}
		s.drop(why, netip.AddrPort{}, nil)
		st := s.Stats()
		if st.Malformed+st.Dropped != 1 {
			t.Errorf("%v counted as %d malformed, %d dropped; want one in all", why, st.Malformed, st.Dropped)
		}
		if why.String() == "" || !strings.Contains(buf.String(), why.String()+", message dropped") {
			t.Errorf("drop reason %d logged as %q", why, buf.String())
		}
	}
	want := map[dropReason]bool{dropTruncated: true, dropMalformed: true}
	for why := range numDropReasons {
		s := &Server{log: slog.New(slog.DiscardHandler)}
		s.drop(why, netip.AddrPort{}, nil)
		if got := s.Stats().Malformed == 1; got != want[why] {
			t.Errorf("%v counted as malformed: %v, want %v", why, got, want[why])
		}
	}
}
