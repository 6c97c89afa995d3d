//go:build linux

package e2e

import (
	"context"
	"debug/elf"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// readmePath is the README whose command lines TestReadmeCommands runs,
// read when the test runs so that the test follows every edit.
const readmePath = "../README.md"

// A readmeLine is a command line README.md shows: a line of a fenced sh
// block, or inline code that starts with leased, sudo, env, go or ./.
type readmeLine struct {
	text string // as shown, spaces collapsed, one alternative of "a\|b"
	line int    // in README.md
}

// shellFences are the languages of fenced blocks whose lines are
// commands.
var shellFences = map[string]bool{"sh": true, "shell": true, "bash": true, "console": true}

var inlineCode = regexp.MustCompile("`([^`]+)`")

// readmeCommandLines returns every command line README.md shows, in the
// order shown; a line shown twice is returned twice.
func readmeCommandLines(path string) ([]readmeLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []readmeLine
	fence, inFence := "", false
	cont, start := "", 0 // a fenced line continued with a backslash, from line start
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			fence = strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
			continue
		}
		if inFence {
			if !shellFences[fence] {
				continue
			}
			if cont == "" {
				start = n
			}
			text := cont + strings.TrimPrefix(trimmed, "$ ")
			if strings.HasSuffix(text, `\`) {
				cont = strings.TrimSuffix(text, `\`) + " "
				continue
			}
			cont = ""
			if text != "" && !strings.HasPrefix(text, "#") {
				out = append(out, alternatives(text, start)...)
			}
			continue
		}
		for _, m := range inlineCode.FindAllStringSubmatch(raw, -1) {
			// In a table, a | inside code is written \|.
			code := strings.ReplaceAll(m[1], `\|`, "|")
			if isCommandLine(code) {
				out = append(out, alternatives(code, n)...)
			}
		}
	}
	if inFence {
		return out, fmt.Errorf("%s: a fenced block is not closed", path)
	}
	return out, nil
}

// isCommandLine tells inline code that is a command line from the names,
// keywords and values README.md also shows as code: a command line runs
// leased with arguments, or starts with sudo, env, go or a script's path,
// after any variable assignments (GOOS=freebsd go build ...).
func isCommandLine(code string) bool {
	f := strings.Fields(code)
	for len(f) > 1 && assignment.MatchString(f[0]) {
		f = f[1:]
	}
	if len(f) == 0 {
		return false
	}
	switch {
	case f[0] == "leased":
		return len(f) > 1 // `leased` alone names the program
	case f[0] == "sudo", f[0] == "env", f[0] == "go" && len(f) > 1:
		return true
	}
	return strings.HasPrefix(f[0], "./")
}

// assignment matches a shell variable assignment before a command.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// alternatives expands a word such as export|import, which README.md
// uses for "either", into one command line per alternative.
func alternatives(text string, n int) []readmeLine {
	words := strings.Fields(text)
	for i, w := range words {
		if w == "|" || !strings.Contains(w, "|") {
			continue
		}
		var out []readmeLine
		for _, alt := range strings.Split(w, "|") {
			v := slices.Clone(words)
			v[i] = alt
			out = append(out, alternatives(strings.Join(v, " "), n)...)
		}
		return out
	}
	return []readmeLine{{text: strings.Join(words, " "), line: n}}
}

// placeholder matches the words README.md writes for a value the reader
// supplies: FILE, CMD, IFACE, N.
var placeholder = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// A readmeCase says how to run one command line of README.md.
type readmeCase struct {
	line string // exactly as README.md shows it (see readmeLine.text)
	// fill names the fixture (a key of readmeEnv.fixtures) each
	// placeholder of line and more stands for.
	fill map[string]string
	// more is appended to the line: a bare command name (`leased ctl`)
	// needs arguments to do something.
	more []string
	run  func(t *testing.T, r *readmeEnv, argv []string)
}

// readmeCases are the command lines README.md may show, in the order
// they run: the import fills the lease store before the server holds it,
// the server runs before the client asks it for a lease, and so on. A
// command line README.md shows that is not here fails the test, and so
// does a case whose line README.md no longer shows.
func readmeCases() []readmeCase {
	return append([]readmeCase{
		{line: "leased serve -t FILE", fill: map[string]string{"FILE": "kea22.json"}, run: readmeCheck},
		{line: "leased lease import -c FILE", fill: map[string]string{"FILE": "serve.json", "CSV": "import.csv"}, more: []string{"CSV"}, run: readmeImport},
		{line: "leased serve -c FILE", fill: map[string]string{"FILE": "serve.json"}, run: readmeServe},
		{line: "leased ddns -c FILE", fill: map[string]string{"FILE": "ddns.json"}, run: readmeDDNS},
		{line: "leased ctl", fill: map[string]string{"SOCK": "server.sock"}, more: []string{"-s", "SOCK", "status-get"}, run: readmeCtl},
		{line: "leased snoop -i IFACE", fill: map[string]string{"IFACE": "server-iface"}, run: readmeSnoop},
		{line: "leased client -c FILE", fill: map[string]string{"FILE": "client.json"}, run: readmeClient},
		{line: "leased lease export -c FILE", fill: map[string]string{"FILE": "serve.json"}, run: readmeExport},
		{line: "leased mesh", fill: map[string]string{"STATE": "mesh-state", "IFACE": "mesh-iface", "CLIENT_IFACE": "mesh-client-iface", "SOCK": "mesh.sock"},
			more: append(readmeMeshFlags(), "--state-dir", "STATE", "-i", "IFACE", "-c", "CLIENT_IFACE", "-C", "SOCK"), run: readmeMesh},
		{line: "leased ctl mesh", fill: map[string]string{"SOCK": "mesh.sock"}, more: []string{"-C", "SOCK", "-b"}, run: readmeCtlMesh},
		{line: "leased demo", run: readmeDemo},
		{line: "sudo go run ./cmd/leased demo", run: readmeDemo},
		{line: `sudo env "PATH=$PATH" go run ./cmd/leased demo`, run: readmeDemo},
		// The whole suite is what runs this test: the script shows it
		// works on one small package.
		{line: "sudo ./scripts/test", more: []string{readmeTestPackage}, run: readmeScriptsTest},
		{line: "./scripts/test", more: []string{readmeTestPackage}, run: readmeScriptsTest},
		// bench's TestHarnessQuick runs the whole harness (bench/run all
		// -quick); here one part of it shows the command works: leased
		// alone, measured in smoke mode (the figures mean nothing).
		{line: "sudo bench/run", fill: map[string]string{"DIR": "bench-out"}, more: []string{"cpu", "-quick", "-s", "leased", "-o", "DIR"}, run: readmeBench},
		{line: "GOOS=freebsd go build ./cmd/leased", run: readmeGoBuild},
	}, readmeDBCases()...)
}

// readmeTestPackage is the package ./scripts/test checks here.
const readmeTestPackage = "./stats"

// readmeMeshFlags make a one-node mesh claim a block within seconds.
func readmeMeshFlags() []string {
	return []string{"-L", "-t", "2", "-B", "4", "-b", "2", "-s", "16", "-N", "198.18.0.0/27"}
}

// readmeChecked reads README.md's command lines and fails the test for
// each problem readmeProblems finds. It returns the cases to run, with
// the README lines each covers.
func readmeChecked(t *testing.T) ([]readmeCase, map[string][]int) {
	t.Helper()
	lines, err := readmeCommandLines(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s shows no command line: the parser no longer reads it", readmePath)
	}
	run, shown, problems := readmeProblems(lines, readmeCases())
	for _, p := range problems {
		t.Error(p)
	}
	return run, shown
}

// readmeProblems matches README.md's command lines with the cases. A
// problem is a line no case knows, a placeholder its case does not fill,
// or a case whose line README.md no longer shows. It returns the cases
// whose lines README.md shows, in the cases' order, with the README lines
// each covers.
func readmeProblems(lines []readmeLine, cases []readmeCase) (run []readmeCase, shown map[string][]int, problems []string) {
	shown = map[string][]int{}
	for _, l := range lines {
		i := slices.IndexFunc(cases, func(c readmeCase) bool { return c.line == l.text })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("README.md:%d shows the command line `%s`, which readmeCases in e2e/readme_test.go does not know: add a case that runs it", l.line, l.text))
			continue
		}
		for _, w := range append(strings.Fields(l.text), cases[i].more...) {
			if placeholder.MatchString(w) && cases[i].fill[w] == "" {
				problems = append(problems, fmt.Sprintf("README.md:%d: `%s` has the placeholder %s, for which its case names no fixture", l.line, l.text, w))
			}
		}
		shown[l.text] = append(shown[l.text], l.line)
	}
	for _, c := range cases {
		if shown[c.line] == nil {
			problems = append(problems, fmt.Sprintf("readmeCases has `%s`, which README.md no longer shows: remove the case", c.line))
			continue
		}
		run = append(run, c)
	}
	return run, shown, problems
}

// TestReadmeParse shows what counts as a command line of a README and
// that a line no case knows, a placeholder without a fixture and a case
// README no longer shows are each reported.
func TestReadmeParse(t *testing.T) {
	readme := filepath.Join(t.TempDir(), "README.md")
	writeFile(t, readme, "# x\n\nRun `leased` or `go.mod`, `-t FILE`, `kea-dhcp4 -t`:\n\n"+
		"```sh\nsudo leased demo \\\n  -keep\n# a comment\n\n$ ./scripts/x\n```\n\n"+
		"```json\n{\"leased serve\": 1}\n```\n\n"+
		"| `leased lease export\\|import -c FILE` | `leased help CMD` |\n\nBuild with `GOOS=freebsd go build ./cmd/x`; `GOOS=freebsd` alone is a setting.\n")
	lines, err := readmeCommandLines(readme)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%d %s", l.line, l.text))
	}
	want := []string{"6 sudo leased demo -keep", "10 ./scripts/x", "17 leased lease export -c FILE", "17 leased lease import -c FILE", "17 leased help CMD", "19 GOOS=freebsd go build ./cmd/x"}
	if !slices.Equal(got, want) {
		t.Fatalf("command lines %q, want %q", got, want)
	}
	cases := []readmeCase{
		{line: "sudo leased demo -keep"},
		{line: "./scripts/x"},
		{line: "leased lease export -c FILE", fill: map[string]string{"FILE": "serve.json"}},
		{line: "leased lease import -c FILE", fill: map[string]string{"FILE": "serve.json"}, more: []string{"CSV"}},
		{line: "leased version"},
		{line: "GOOS=freebsd go build ./cmd/x"},
	}
	run, _, problems := readmeProblems(lines, cases)
	wantProblems := []string{
		"README.md:17: `leased lease import -c FILE` has the placeholder CSV, for which its case names no fixture",
		"README.md:17 shows the command line `leased help CMD`, which readmeCases in e2e/readme_test.go does not know: add a case that runs it",
		"readmeCases has `leased version`, which README.md no longer shows: remove the case",
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(wantProblems, "\n"))
	}
	if len(run) != 5 {
		t.Errorf("%d cases to run, want 5", len(run))
	}
	words, err := shellWords(`env "A=$HOME x" 'b $c' d$HOME`)
	if err != nil || !slices.Equal(words, []string{"env", "A=" + os.Getenv("HOME") + " x", "b $c", "d" + os.Getenv("HOME")}) {
		t.Errorf("shellWords: %q, %v", words, err)
	}
}

// TestReadmeCommandsKnown needs no root: it fails as soon as README.md
// shows a command line that TestReadmeCommands would not run.
func TestReadmeCommandsKnown(t *testing.T) {
	cases, shown := readmeChecked(t)
	for _, c := range cases {
		t.Logf("README.md:%v `%s`", shown[c.line], c.line)
	}
}

// TestReadmeCommands runs every command line README.md shows, with the
// fixtures its case names, and checks its exit status and output. The
// commands that need root and namespaces run in namespaces this test
// creates; the demo creates its own inside one of them. The daemons
// (serve, client, mesh) run until the end, where SIGTERM must stop each
// with status 0.
func TestReadmeCommands(t *testing.T) {
	cases, shown := readmeChecked(t)
	needs(t, "go")
	r := newReadmeEnv(t)
	// Lines that come to the same command (sudo ./scripts/test and
	// ./scripts/test) run it once.
	ran := map[string]string{} // argv → the README line that ran it
	for _, c := range cases {
		argv, err := r.argv(c)
		if err != nil {
			t.Errorf("README.md:%v `%s`: %v", shown[c.line], c.line, err)
			continue
		}
		key := strings.Join(argv, "\x00")
		if first, ok := ran[key]; ok {
			t.Logf("README.md:%v `%s` runs as `%s` did", shown[c.line], c.line, first)
			continue
		}
		ran[key] = c.line
		t.Run(c.line, func(t *testing.T) {
			t.Logf("README.md:%v `%s`: %s", shown[c.line], c.line, strings.Join(argv, " "))
			c.run(t, r, argv)
		})
	}
	r.stopDaemons(t)
}

// readmeEnv holds the fixtures and the networks of TestReadmeCommands.
type readmeEnv struct {
	dir      string
	repo     string // the repository's root
	pair     *testnet.Pair
	link     string // the client manager's interface in pair.Client
	mesh     *meshEnv
	fixtures map[string]string
	daemons  []*readmeDaemon
	// What the runs found, for the later checks.
	clientAddr string // the address the client manager bound
}

// readmeDaemon is a long-running command: started once, stopped at the
// end of the test.
type readmeDaemon struct {
	name string
	proc *testnet.Proc
}

// The lease that README.md's lease import stores: address and MAC.
const (
	readmeImported    = "192.0.2.140"
	readmeImportedMAC = "02:00:5e:00:53:77"
)

func newReadmeEnv(t *testing.T) *readmeEnv {
	t.Helper()
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	r := &readmeEnv{dir: t.TempDir(), repo: repo, pair: testnet.NewPair(t)}
	r.link, _ = r.pair.AddClientLink(t)
	r.mesh = newMeshEnv(t, 1)
	nd := r.mesh.nodes[0]
	r.fixtures = map[string]string{
		"kea22.json":        filepath.Join(r.dir, "kea22.json"),
		"serve.json":        filepath.Join(r.dir, "serve.json"),
		"server.sock":       filepath.Join(r.dir, "server.sock"),
		"leases":            filepath.Join(r.dir, "leases", "dhcp4.leases"),
		"import.csv":        filepath.Join(r.dir, "import.csv"),
		"client.json":       filepath.Join(r.dir, "client.json"),
		"client.sock":       filepath.Join(r.dir, "client.sock"),
		"mesh-state":        nd.state,
		"mesh-iface":        nd.tn.MeshIf,
		"mesh-client-iface": "client0",
		"server-iface":      "srv0",
		"mesh.sock":         nd.ctl,
		"bench-out":         filepath.Join(r.dir, "bench-out"),
		"ddns.json":         filepath.Join(r.dir, "ddns.json"),
	}
	f := r.fixtures
	writeFile(t, f["kea22.json"], `# A Kea 2.2 configuration: reservation-mode is read as its current form.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "reservation-mode": "all",
    "subnet4": [ { "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.149" } ] } ]
  }
}
`)
	writeFile(t, f["serve.json"], fmt.Sprintf(`// The server of README.md's command lines.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q },
    "control-sockets": [ { "socket-type": "unix", "socket-name": %q } ],
    "valid-lifetime": 3600,
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0",
        "pools": [ { "pool": "192.0.2.100 - 192.0.2.149" } ],
        "option-data": [ { "name": "routers", "data": "192.0.2.1" } ] }
    ]
  }
}
`, f["leases"], f["server.sock"]))
	if err := os.MkdirAll(filepath.Dir(f["leases"]), 0o755); err != nil {
		t.Fatal(err)
	}
	expire := time.Now().Add(time.Hour).Unix()
	writeFile(t, f["import.csv"], "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"+
		fmt.Sprintf("%s,%s,,3600,%d,1,0,0,imported,0,,0\n", readmeImported, readmeImportedMAC, expire))
	writeFile(t, f["client.json"], fmt.Sprintf(`// The client manager of README.md's command lines.
{
  "Client4": {
    "lease-directory": %q,
    "control-socket": { "socket-type": "unix", "socket-name": %q },
    "interfaces": [ { "interface": %q, "init-delay": 0, "arp-probe": false } ]
  }
}
`, filepath.Join(r.dir, "client-leases"), f["client.sock"], r.link))
	readmeDBFixtures(t, r)
	t.Cleanup(func() {
		for _, d := range r.daemons {
			d.proc.Stop(5 * time.Second)
		}
	})
	return r
}

// argv turns c's command line into the one to run: sudo goes (the test
// runs as root), leased and go run ./cmd/leased become the binary under
// test, scripts get the repository's path, variables are set through
// env, go build stays for its case to run in the repository, and each
// placeholder gets its fixture.
func (r *readmeEnv) argv(c readmeCase) ([]string, error) {
	words, err := shellWords(c.line)
	if err != nil {
		return nil, err
	}
	words = append(words, c.more...)
	for i, w := range words {
		if placeholder.MatchString(w) {
			v, ok := r.fixtures[c.fill[w]]
			if !ok {
				return nil, fmt.Errorf("no fixture for %s", w)
			}
			words[i] = v
		}
	}
	if len(words) > 0 && words[0] == "sudo" {
		words = words[1:]
	}
	// Variables set for the command, by env or by assignments before
	// it, are set through env.
	var argv []string
	if len(words) > 0 && (words[0] == "env" || assignment.MatchString(words[0])) {
		argv = append(argv, "env")
		if words[0] == "env" {
			words = words[1:]
		}
		for ; len(words) > 0 && strings.Contains(words[0], "="); words = words[1:] {
			argv = append(argv, words[0])
		}
	}
	switch {
	case len(words) >= 2 && words[0] == "go" && words[1] == "build":
		// Run in the repository by its case.
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/leased":
		words = append([]string{leasedBin}, words[3:]...)
	case len(words) > 0 && words[0] == "leased":
		words = append([]string{leasedBin}, words[1:]...)
	case len(words) > 0 && !filepath.IsAbs(words[0]) && isExecutable(filepath.Join(r.repo, words[0])):
		words = append([]string{filepath.Join(r.repo, words[0])}, words[1:]...)
	default:
		return nil, fmt.Errorf("runs no program this test knows (leased, go run ./cmd/leased, go build, a script of the repository)")
	}
	return append(argv, words...), nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// shellWords splits a command line as sh does for the forms README.md
// uses: blanks, single and double quotes, and $NAME expanded outside
// single quotes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			cur.WriteString(os.ExpandEnv(s[i+1 : i+1+end]))
			i += end + 1
			inWord = true
		case ch == '$':
			j := i + 1
			for j < len(s) && (s[j] == '_' || 'A' <= s[j] && s[j] <= 'Z' || 'a' <= s[j] && s[j] <= 'z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			cur.WriteString(os.Getenv(s[i+1 : j]))
			i = j - 1
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// exec runs argv in ns to its end and checks its exit status; it returns
// the combined output.
func (r *readmeEnv) exec(t *testing.T, ns *testnet.NS, timeout time.Duration, wantExit int, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	out, err := ns.Run(ctx, argv[0], argv[1:]...)
	code := 0
	if err != nil {
		if code = exitCode(err); code < 0 {
			t.Fatalf("%s: %v:%s", strings.Join(argv, " "), err, testnet.IndentOutput(out))
		}
	}
	if code != wantExit {
		t.Fatalf("%s exited %d, want %d:%s", strings.Join(argv, " "), code, wantExit, testnet.IndentOutput(out))
	}
	if strings.Contains(out, "WARNING: DATA RACE") {
		t.Errorf("the race detector found a data race in %s:%s", strings.Join(argv, " "), testnet.IndentOutput(out))
	}
	return out
}

// start starts a daemon in ns and waits until ready reports it ready; it
// returns the running daemon.
func (r *readmeEnv) start(t *testing.T, ns *testnet.NS, argv []string, ready func(out string) bool) *readmeDaemon {
	t.Helper()
	p, err := ns.Start(context.Background(), argv[0], argv[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	d := &readmeDaemon{name: strings.Join(argv, " "), proc: p}
	r.daemons = append(r.daemons, d)
	deadline := time.Now().Add(30 * time.Second)
	for !ready(p.Output()) {
		if p.Exited() {
			t.Fatalf("%s exited (%v) before it was ready:%s", d.name, p.ExitErr(), testnet.IndentOutput(p.Output()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30 s:%s", d.name, testnet.IndentOutput(testnet.Tail(p.Output(), 6000)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d
}

// daemon returns the running leased command name (serve, client, mesh),
// starting it through its case if it does not run yet: a case that needs
// the server runs even if README.md stops showing how to start it.
func (r *readmeEnv) daemon(t *testing.T, name string) *readmeDaemon {
	t.Helper()
	for _, d := range r.daemons {
		if strings.HasPrefix(d.name, leasedBin+" "+name) {
			return d
		}
	}
	c := readmeCases()
	i := slices.IndexFunc(c, func(c readmeCase) bool { return c.line == "leased "+name+" -c FILE" || c.line == "leased "+name })
	if i < 0 {
		t.Fatalf("no case starts leased %s", name)
	}
	argv, err := r.argv(c[i])
	if err != nil {
		t.Fatal(err)
	}
	c[i].run(t, r, argv)
	return r.daemons[len(r.daemons)-1]
}

// stopDaemons stops every daemon with SIGTERM, as an operator does, and
// checks that each exits with status 0.
func (r *readmeEnv) stopDaemons(t *testing.T) {
	t.Helper()
	for _, d := range slices.Backward(r.daemons) {
		if d.proc.Exited() {
			t.Errorf("%s exited early (%v):%s", d.name, d.proc.ExitErr(), testnet.IndentOutput(testnet.Tail(d.proc.Output(), 6000)))
			continue
		}
		if err := d.proc.Signal(syscall.SIGTERM); err != nil {
			t.Error(err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := d.proc.Wait(ctx)
		cancel()
		if err != nil {
			t.Errorf("%s after SIGTERM: %v:%s", d.name, err, testnet.IndentOutput(testnet.Tail(d.proc.Output(), 6000)))
		}
		if strings.Contains(d.proc.Output(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in %s:%s", d.name, testnet.IndentOutput(d.proc.Output()))
		}
	}
}

// readmeCheck: leased serve -t FILE accepts the Kea 2.2 file, warning
// about the old name at its line.
func readmeCheck(t *testing.T, r *readmeEnv, argv []string) {
	out := r.exec(t, r.pair.Server, time.Minute, 0, argv...)
	if want := r.fixtures["kea22.json"] + ":5:"; !strings.Contains(out, want) || !strings.Contains(out, "reservation-mode") {
		t.Errorf("%s: no warning for reservation-mode at %s:%s", strings.Join(argv, " "), want, testnet.IndentOutput(out))
	}
}

// readmeImport: leased lease import -c FILE CSV stores the CSV's lease.
func readmeImport(t *testing.T, r *readmeEnv, argv []string) {
	out := r.exec(t, r.pair.Server, time.Minute, 0, argv...)
	if !strings.Contains(out, "1 rows read, 1 leases stored") {
		t.Errorf("%s did not store the lease:%s", strings.Join(argv, " "), testnet.IndentOutput(out))
	}
}

// readmeServe: leased serve -c FILE serves on srv0 (the client's lease
// and SIGTERM at the end show the rest).
func readmeServe(t *testing.T, r *readmeEnv, argv []string) {
	r.start(t, r.pair.Server, argv, func(out string) bool { return strings.Contains(out, readyLine) })
}

// readmeCtl: leased ctl asks the server for its status, with its flags
// before the command as the case gives them and after it.
func readmeCtl(t *testing.T, r *readmeEnv, argv []string) {
	srv := r.daemon(t, "serve")
	pid := strconv.Itoa(srv.proc.Pid())
	i := slices.Index(argv, "-s")
	if i < 0 || i+1 >= len(argv) {
		t.Fatalf("the ctl case gives no -s SOCKET: %q", argv)
	}
	after := append(slices.Concat(argv[:i], argv[i+2:]), argv[i:i+2]...) // leased ctl status-get -s SOCK
	for _, a := range [][]string{argv, after} {
		out := r.exec(t, r.pair.Server, 20*time.Second, 0, a...)
		if !strings.Contains(out, pid) {
			t.Errorf("%s does not show the server's pid %s:%s", strings.Join(a, " "), pid, testnet.IndentOutput(out))
		}
	}
}

// readmeClient: leased client -c FILE binds a lease from the server on its
// interface, as its control socket and the server's lease store show.
func readmeClient(t *testing.T, r *readmeEnv, argv []string) {
	r.daemon(t, "serve")
	r.start(t, r.pair.Client, argv, func(string) bool { return true })
	status := []string{leasedBin, "ctl", "-json", "-s", r.fixtures["client.sock"], "status"}
	addr := regexp.MustCompile(`"address": *"(192\.0\.2\.\d+)/24"`)
	deadline := time.Now().Add(30 * time.Second)
	var out string
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		out, _ = r.pair.Client.Run(ctx, status[0], status[1:]...)
		cancel()
		if m := addr.FindStringSubmatch(out); m != nil {
			r.clientAddr = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client manager bound no lease on %s within 30 s; %s:%s", r.link, strings.Join(status, " "), testnet.IndentOutput(out))
		}
		time.Sleep(100 * time.Millisecond)
	}
	ls, err := readStore(r.fixtures["leases"])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := leaseOf(ls, netip.MustParseAddr(r.clientAddr)); !ok {
		t.Errorf("the server's lease store lacks the client's %s", r.clientAddr)
	}
}

// readmeExport: leased lease export -c FILE prints the store as Kea CSV,
// with the imported lease and the client manager's.
func readmeExport(t *testing.T, r *readmeEnv, argv []string) {
	out := r.exec(t, r.pair.Server, time.Minute, 0, argv...)
	if !strings.Contains("\n"+out, "\naddress,hwaddr,client_id,valid_lifetime,expire,subnet_id,") {
		t.Errorf("%s printed no Kea CSV header:%s", strings.Join(argv, " "), testnet.IndentOutput(out))
	}
	want := []string{"\n" + readmeImported + "," + readmeImportedMAC + ","}
	if r.clientAddr != "" {
		want = append(want, "\n"+r.clientAddr+",")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks the lease %q:%s", strings.Join(argv, " "), strings.TrimSpace(w), testnet.IndentOutput(out))
		}
	}
}

// readmeMesh: leased mesh runs a node that claims a block of the range.
func readmeMesh(t *testing.T, r *readmeEnv, argv []string) {
	nd := r.mesh.nodes[0]
	r.start(t, nd.tn.NS, argv, func(string) bool { _, err := r.mesh.blocks(nd); return err == nil })
	deadline := time.Now().Add(30 * time.Second)
	for {
		bt, err := r.mesh.blocks(nd)
		if err == nil && len(bt.owned()) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mesh node owns no block after 30 s (%v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readmeCtlMesh: leased ctl mesh shows the node's block table, with the
// block it owns.
func readmeCtlMesh(t *testing.T, r *readmeEnv, argv []string) {
	r.daemon(t, "mesh")
	out := r.exec(t, r.mesh.nodes[0].tn.NS, 20*time.Second, 0, argv...)
	bt, err := parseBlockShow(out)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	if len(bt.owned()) == 0 {
		t.Errorf("%s shows no block owned by the node:%s", strings.Join(argv, " "), testnet.IndentOutput(out))
	}
}

// readmeDemo: the demo, in a namespace of the test's, binds its three
// clients, renews, releases and removes what it created.
func readmeDemo(t *testing.T, r *readmeEnv, argv []string) {
	ns := testnet.NewNS(t, "demo")
	out := r.exec(t, ns, 2*time.Minute, 0, argv...)
	_, bound, _ := strings.Cut(out, "After DISCOVER")
	bound, _, _ = strings.Cut(bound, "\n\n")
	if n := strings.Count(bound, " BOUND "); n != 3 {
		t.Errorf("%s: %d clients bound, want 3:%s", strings.Join(argv, " "), n, testnet.IndentOutput(out))
	}
	for _, want := range []string{"After renewal", "After RELEASE", "Removed namespaces"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %q:%s", strings.Join(argv, " "), want, testnet.IndentOutput(out))
		}
	}
}

// readmeScriptsTest: ./scripts/test checks one package (with SKIP_APT=1:
// the packages are there, since this test runs) and passes.
func readmeScriptsTest(t *testing.T, r *readmeEnv, argv []string) {
	ns := testnet.NewNS(t, "scripts")
	out := r.exec(t, ns, 5*time.Minute, 0, append([]string{"env", "SKIP_APT=1"}, argv...)...)
	t.Logf("%s:%s", strings.Join(argv, " "), testnet.IndentOutput(testnet.Tail(out, 2000)))
	if !strings.Contains(out, "scripts/test: PASS") || !regexp.MustCompile(`tests: [1-9]\d* passed, 0 failed`).MatchString(out) {
		t.Errorf("%s did not pass tests:%s", strings.Join(argv, " "), testnet.IndentOutput(testnet.Tail(out, 6000)))
	}
}

// readmeBench: bench/run cpu builds its namespaces, runs leased under
// perfdhcp and prints the CPU table, also into DIR/tables.md. It runs the
// binary under test (LEASED_BIN) with SKIP_APT=1: the packages are there,
// since this test runs.
func readmeBench(t *testing.T, r *readmeEnv, argv []string) {
	testnet.RequireBinaries(t, "perfdhcp")
	ns := testnet.NewNS(t, "bench")
	out := r.exec(t, ns, 5*time.Minute, 0, append([]string{"env", "SKIP_APT=1", "LEASED_BIN=" + leasedBin}, argv...)...)
	row := regexp.MustCompile(`(?m)^\| leased \(given binary [^|]*\| \d+ \| \d+ \|`)
	if !strings.Contains(out, "## CPU per lease") || !row.MatchString(out) {
		t.Errorf("%s printed no CPU table with leased's row:%s", strings.Join(argv, " "), testnet.IndentOutput(testnet.Tail(out, 6000)))
	}
	tables, err := os.ReadFile(filepath.Join(r.fixtures["bench-out"], "tables.md"))
	if err != nil || !row.Match(tables) {
		t.Errorf("%s wrote no table to tables.md (%v):%s", strings.Join(argv, " "), err, testnet.IndentOutput(string(tables)))
	}
}

// readmeGoBuild: GOOS=freebsd go build ./cmd/leased, run in the
// repository, builds a FreeBSD executable. -o puts it in the test's
// directory, so that the tree is left as it was.
func readmeGoBuild(t *testing.T, r *readmeEnv, argv []string) {
	i := slices.Index(argv, "build")
	if i < 0 {
		t.Fatalf("the go build case runs no go build: %q", argv)
	}
	bin := filepath.Join(r.dir, "leased-freebsd")
	argv = slices.Insert(slices.Clone(argv), i+1, "-o", bin)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s (in %s): %v:%s", strings.Join(argv, " "), r.repo, err, testnet.IndentOutput(string(out)))
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s built no ELF executable: %v", strings.Join(argv, " "), err)
	}
	defer f.Close()
	if f.OSABI != elf.ELFOSABI_FREEBSD || f.Type != elf.ET_EXEC {
		t.Errorf("%s built a %v %v file, want a FreeBSD executable", strings.Join(argv, " "), f.OSABI, f.Type)
	}
}

// readmeSnoop: leased snoop -i IFACE, on the server's interface, shows a
// udhcpc client's exchange with the server: DISCOVER and REQUEST in, OFFER
// and ACK out, with the client's transaction ids; SIGTERM stops it with
// status 0.
func readmeSnoop(t *testing.T, r *readmeEnv, argv []string) {
	r.daemon(t, "serve")
	testnet.RequireBinaries(t, "udhcpc")
	p := startSnoop(t, r.pair.Server, argv[1:]...)
	link, mac := r.pair.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, r.pair.Client, link, testnet.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	lease, err := c.Obtain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOutput(t, p, regexp.MustCompile(`ACK xid=\S+ chaddr=`+mac.String()))
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Errorf("%s after SIGTERM: %v:%s", strings.Join(argv, " "), err, testnet.IndentOutput(p.Output()))
	}
	lines := snoopLines(p.Output(), mac)
	xid := exchangeXIDs(t, "srv0", lines)
	for _, re := range []string{
		`^srv0 In 0\.0\.0\.0:68 > 255\.255\.255\.255:67 DISCOVER xid=` + xid[0] + ` chaddr=` + mac.String() + ` .*\[53 discover\]`,
		`^srv0 Out 192\.0\.2\.1:67 > \S+:68 OFFER xid=` + xid[0] + ` chaddr=` + mac.String() + ` .*yiaddr=` + lease.Addr.String() + ` .*\[53 offer\] \[54 192\.0\.2\.1\]`,
		`^srv0 In 0\.0\.0\.0:68 > 255\.255\.255\.255:67 REQUEST xid=` + xid[1] + ` chaddr=` + mac.String() + ` .*\[53 request\]`,
		`^srv0 Out 192\.0\.2\.1:67 > \S+:68 ACK xid=` + xid[1] + ` chaddr=` + mac.String() + ` .*yiaddr=` + lease.Addr.String() + ` .*\[53 ack\] \[54 192\.0\.2\.1\] .*\[51 3600\]`,
	} {
		if !slices.ContainsFunc(lines, regexp.MustCompile(re).MatchString) {
			t.Errorf("%s shows no line matching\n\t%s\nit shows:%s", strings.Join(argv, " "), re, testnet.IndentOutput(p.Output()))
		}
	}
}
