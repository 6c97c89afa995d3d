package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/stats"
)

// A server registers its commands, opens the configured control sockets,
// and `leased ctl` talks to them with a Client.
func Example() {
	reg := control.NewRegistry(control.BuildInfo{Version: "0.1.0"}, nil)

	// The statistics package brings its statistic-* commands.
	st := stats.New(stats.Options{})
	if err := st.RegisterCommands(reg); err != nil {
		panic(err)
	}
	st.Packets().CountReceived(1)

	// The server brings its own, such as lease4-get.
	reg.Register("lease4-get", func(ctx context.Context, args json.RawMessage) control.Response {
		a, err := control.RequireArgs("lease4-get", args)
		if err != nil {
			return control.Errorf("%s", err)
		}
		ip, err := a.String("ip-address")
		if err != nil {
			return control.Errorf("%s", err)
		}
		return control.Answer(control.Empty, "Lease not found.", map[string]string{"ip-address": ip})
	})

	dir, _ := os.MkdirTemp("", "ctl")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "kea4-ctrl-socket")
	srv := control.NewServer(reg, control.Options{Service: "dhcp4"})
	if err := srv.Apply([]config.ControlSocket{{Type: "unix", Name: sock}}); err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	c := &control.Client{Target: sock}
	r, err := c.Call(context.Background(), "lease4-get", map[string]string{"ip-address": "192.0.2.1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Result, r.Text)

	r, _ = c.Call(context.Background(), "statistic-get", map[string]string{"name": "pkt4-discover-received"})
	var samples map[string][][2]any
	r.Decode(&samples)
	fmt.Println(samples["pkt4-discover-received"][0][0])
	// Output:
	// 3 Lease not found.
	// 1
}
