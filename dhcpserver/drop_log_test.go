package dhcpserver_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/logtest"
)

// discoverWith is a DISCOVER followed by options of the given value
// length, as many as fit size bytes.
func discoverWith(size, optLen int) []byte {
	m := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 7, CHAddr: hw(3)}).MustBuild()
	raw := append([]byte(nil), m[:dhcpv4.HeaderLen]...)
	raw = append(raw, byte(dhcpv4.OptionMessageType), 1, byte(dhcpv4.Discover))
	for len(raw)+2+optLen < size {
		raw = append(raw, 224, byte(optLen))
		raw = append(raw, make([]byte, optLen)...)
	}
	return append(raw, byte(dhcpv4.OptionEnd))
}

// A message the server drops unread (longer than its receive buffer) or
// cannot decode (here, more options than the codec indexes: about 1.5 KB
// of small ones) is counted and logged at the default level, not only
// counted (issue 17); a flood of them is logged once per interval.
func TestDroppedMessagesLogged(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		msg        []byte
	}{
		{"too long", "message longer than the receive buffer", discoverWith(3000, 255)},
		{"too many options", "malformed message", discoverWith(1500, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logtest.Buffer
			ts := dhcptest.NewUnstartedServer(t, offerAll)
			ts.Config.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			ts.Start()
			for range 3 {
				if err := ts.Client.Send(tc.msg); err != nil {
					t.Fatal(err)
				}
			}
			waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Malformed == 3 })
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logs.String(), tc.want) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			out := logs.String()
			if n := strings.Count(out, tc.want); n != 1 {
				t.Errorf("%d log lines about %q for 3 drops within a second, want 1:\n%s", n, tc.want, out)
			}
			if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "src=127.0.0.1:") {
				t.Errorf("log:\n%s", out)
			}
		})
	}
}
