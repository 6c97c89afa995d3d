package control

import (
	"context"
	"encoding/json"
	"path/filepath"

	"github.com/leased/leased/config"
	"testing"
)

// FuzzDecodeHTTPAnswer feeds the client's decoder whatever a server (or
// something posing as one) might send.
func FuzzDecodeHTTPAnswer(f *testing.F) {
	for _, s := range []string{
		`[ {"arguments":{"a":1},"result":0,"text":"x"} ]`, `{"result":401,"text":"Unauthorized"}`,
		`[]`, `[{"text":"no result"}]`, `{"result":"0"}`, `[1]`, `null`, `{"result":0,"arguments":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeHTTPAnswer(data)
		if err != nil {
			return
		}
		// A decoded answer encodes again and decodes to the same result.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", r, err)
		}
		var back Response
		if err := json.Unmarshal(b, &back); err != nil || back.Result != r.Result || back.Text != r.Text {
			t.Fatalf("round trip of %s: %+v %v", b, back, err)
		}
	})
}

func BenchmarkUnixRoundTrip(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s")
	s := NewServer(NewRegistry(BuildInfo{}, nil), Options{})
	if err := s.Apply([]config.ControlSocket{{Type: "unix", Name: path}}); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	c := &Client{Target: path}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.Call(context.Background(), "list-commands", nil); err != nil || r.Result != 0 {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkHTTPRoundTrip(b *testing.B) {
	s := NewServer(NewRegistry(BuildInfo{}, nil), Options{})
	if err := s.Apply([]config.ControlSocket{{Type: "http", Address: "127.0.0.1"}}); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	c := &Client{Target: "http://" + s.Addrs()[0] + "/"}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.Call(context.Background(), "list-commands", nil); err != nil || r.Result != 0 {
			b.Fatal(r, err)
		}
	}
}
