package ha

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientRequest checks the request a Client sends, as Kea's HA hook
// sends it: POST, JSON body with "service", Content-Length (Kea's parser
// has no chunked encoding), the bare address as Host, basic
// authentication; and that a non-200 status is a failure.
func TestClientRequest(t *testing.T) {
	type seen struct {
		method, host, ctype, body, user, pass string
		length                                int64
		chunked                               bool
	}
	got := make(chan seen, 4)
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		got <- seen{r.Method, r.Host, r.Header.Get("Content-Type"), string(b), u, p, r.ContentLength, len(r.TransferEncoding) > 0}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, `[{"result": 0, "text": "HA peer status returned.", "arguments": {"state": "hot-standby", "date-time": "Thu, 01 Jan 2026 00:00:00 GMT"}}]`)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c, err := Parse([]byte(strings.NewReplacer("8000", itoa(port)).Replace(`{"high-availability": [{"this-server-name": "s2", "mode": "hot-standby",
		"peers": [{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary", "basic-auth-user": "ha", "basic-auth-password": "pw"},
		          {"name": "s2", "url": "http://127.0.0.2:8000/", "role": "standby"}]}]}`)), Options{Dialect: Kea3})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(c.Relationships[0].Partner(), Kea3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	hb, err := cl.Heartbeat(context.Background(), "s2")
	if err != nil || hb.State != StateHotStandby {
		t.Fatalf("heartbeat %+v %v", hb, err)
	}
	s := <-got
	want := seen{"POST", "127.0.0.1", "application/json", `{"command":"ha-heartbeat","arguments":{"server-name":"s2"},"service":["dhcp4"]}`, "ha", "pw", 79, false}
	if s != want {
		t.Errorf("request\n got %+v\nwant %+v", s, want)
	}
	status = http.StatusForbidden
	if _, err := cl.Heartbeat(context.Background(), "s2"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("403 with a list body: %v", err)
	}
	<-got

	// A peer that does not answer in time is a failure.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	p := *c.Relationships[0].Partner()
	p.URL.Host = slow.Listener.Addr().String()
	cs, err := NewClient(&p, Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	cmd, _ := HeartbeatCommand(Kea22, "s2")
	if _, err := cs.Send(context.Background(), cmd, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow peer: %v", err)
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
