package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
)

// The package documentation's quick start: a registry with one command,
// served on a unix socket, and a client calling it.
func Example_quickStart() {
	reg := control.NewRegistry(control.DefaultBuildInfo(), nil)
	reg.Register("greet", func(ctx context.Context, args json.RawMessage) control.Response {
		a, err := control.RequireArgs("greet", args)
		if err != nil {
			return control.Errorf("%s", err) // result 1, the reason as text
		}
		name, err := a.String("name")
		if err != nil {
			return control.Errorf("%s", err)
		}
		return control.OKWith(map[string]string{"greeting": "hello, " + name})
	})

	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "kea4-ctrl-socket")
	srv := control.NewServer(reg, control.Options{Service: "dhcp4"})
	if err := srv.Apply([]config.ControlSocket{{Type: "unix", Name: sock}}); err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	c := &control.Client{Target: sock}
	r, err := c.Call(context.Background(), "greet", map[string]string{"name": "leased"})
	if err != nil {
		log.Fatal(err) // the socket, not the command, failed
	}
	var got map[string]string
	err = r.Decode(&got)
	fmt.Println(r.Result, got["greeting"], err)
	r, _ = c.Call(context.Background(), "greet", nil)
	fmt.Println(r.Result, r.Text)
	// Output:
	// 0 hello, leased <nil>
	// 1 invalid command 'greet': no arguments specified
}
