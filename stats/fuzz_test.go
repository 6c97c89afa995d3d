package stats

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzCommands sends arbitrary arguments to every statistic-* command:
// none may panic, and every answer is result 0 or 1 with a text or
// arguments.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{
		`{"name": "pkt4-received"}`, `{"name": "pkt4-received", "max-samples": 3}`, `{"duration": 5}`,
		`{"max-samples": 0}`, `{"name": 1}`, `[]`, `null`, `{"duration": -1}`, `{"max-samples": 1e30}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, args []byte) {
		m := New(Options{})
		m.Packets().CountReceived(1)
		for name, h := range m.Commands() {
			r := h(context.Background(), json.RawMessage(args))
			if r.Result != 0 && r.Result != 1 {
				t.Fatalf("%s %s: result %d", name, args, r.Result)
			}
			if r.Result == 1 && r.Text == "" {
				t.Fatalf("%s %s: error without text", name, args)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("%s %s: answer does not encode: %v", name, args, err)
			}
		}
		m.GetAll()
	})
}
