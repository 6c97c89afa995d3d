// Package control implements Kea's control channel: the commands an
// operator sends to a running server, the sockets they arrive on, and a
// client that sends them.
//
// # Quick start
//
// A registry with one command, served on a unix socket, and a client
// calling it (the package Example adds the statistics commands):
//
//	reg := control.NewRegistry(control.DefaultBuildInfo(), nil)
//	reg.Register("greet", func(ctx context.Context, args json.RawMessage) control.Response {
//		a, err := control.RequireArgs("greet", args)
//		if err != nil {
//			return control.Errorf("%s", err) // result 1, the reason as text
//		}
//		name, err := a.String("name")
//		if err != nil {
//			return control.Errorf("%s", err)
//		}
//		return control.OKWith(map[string]string{"greeting": "hello, " + name})
//	})
//
//	dir, err := os.MkdirTemp("", "ctl")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer os.RemoveAll(dir)
//	sock := filepath.Join(dir, "kea4-ctrl-socket")
//	srv := control.NewServer(reg, control.Options{Service: "dhcp4"})
//	if err := srv.Apply([]config.ControlSocket{{Type: "unix", Name: sock}}); err != nil {
//		log.Fatal(err)
//	}
//	defer srv.Shutdown(context.Background())
//
//	c := &control.Client{Target: sock}
//	r, err := c.Call(context.Background(), "greet", map[string]string{"name": "leased"})
//	if err != nil {
//		log.Fatal(err) // the socket, not the command, failed
//	}
//	var got map[string]string
//	err = r.Decode(&got)
//	fmt.Println(r.Result, got["greeting"], err)
//	r, _ = c.Call(context.Background(), "greet", nil)
//	fmt.Println(r.Result, r.Text)
//
// prints
//
//	0 hello, leased <nil>
//	1 invalid command 'greet': no arguments specified
//
// # Commands, sockets and clients
//
// A command is one JSON map,
//
//	{"command": "lease4-get", "arguments": {"ip-address": "192.0.2.1"}, "service": ["dhcp4"]}
//
// and its answer is one JSON map,
//
//	{"arguments": {...}, "result": 0, "text": "..."}
//
// with the result codes [Success], [Error], [Unsupported], [Empty],
// [Conflict] and [Fatal]. Comments (#, // and /* */) are allowed inside
// commands, as in Kea.
//
// A [Registry] maps command names to [Handler] functions. It always holds
// list-commands, version-get and build-report; other packages add theirs
// through [Registrar]:
//
//	reg := control.NewRegistry(control.DefaultBuildInfo(), log)
//	reg.Register("lease4-get", func(ctx context.Context, args json.RawMessage) control.Response {
//		a, err := control.RequireArgs("lease4-get", args)
//		if err != nil {
//			return control.Errorf("%s", err)
//		}
//		...
//		return control.OKWith(lease)
//	})
//
// A [Server] serves a Registry on the control sockets of a configuration
// ([config.ControlSocket]): unix stream sockets, where the client writes
// one command, reads one answer and the server closes the connection; and
// HTTP or HTTPS sockets, where the command is POSTed and the answer comes
// back wrapped in a one-element list, while HTTP errors (400, 401, 413)
// carry a bare {"result": code, "text": reason} map. HTTP sockets may
// require Kea's basic authentication and TLS client certificates. A unix
// socket file is created with mode 0600 and removed on close; a live
// socket at the same path is never replaced, a stale one is.
//
// No client can hold the channel down or make it hoard memory. A
// connection idle for ten seconds, or that has not sent its whole
// command within thirty, is answered with Kea's timeout message and
// closed; HTTP headers must arrive within ten seconds. Without
// credentials an HTTP client gets 401 to everything, before anything
// else is looked at. Connections are bounded in number, in total and per
// source address on HTTP; at the bound a newcomer displaces the oldest
// connection that has not yet delivered a complete command (unix) or an
// authenticated request (HTTP), so squatters cannot keep an operator
// out. One command may be as large as the largest configuration the
// server reads from files, 64 MiB (Kea sets no bound; config-set carries
// a whole configuration), and all commands being read, run and answered
// together may hold that much beyond the first 64 KiB of each; a command
// beyond either is refused at once (Kea-style result 1 on a unix socket,
// 413 or 503 on HTTP). A
// command's arguments are handed to its handler as a slice of the text
// read, never decoded in between, and the memory of large commands is
// returned to the operating system when they are done. Anything but
// white space after a command on a unix socket is refused.
//
// [Client] is the other end, used by `leased ctl`; it talks to leased and
// to Kea alike. [Formatter] renders answers (leases, statistics, status)
// as tables.
//
// Credentials and command arguments are never logged.
package control
