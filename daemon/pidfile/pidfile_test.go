package pidfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestName(t *testing.T) {
	if got := Name("/run/leased", "/etc/kea/kea-dhcp4.conf"); got != "/run/leased/kea-dhcp4.leased.pid" {
		t.Errorf("Name = %s", got)
	}
	if got := Name("/run", "plain"); got != "/run/plain.leased.pid" {
		t.Errorf("Name without extension = %s", got)
	}
}

func TestCreateAndRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	p, err := Create(path, Options{})
	must(t, err)
	b, err := os.ReadFile(path)
	must(t, err)
	if string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("content %q", b)
	}

	// The lock is held: a second Create (another open file description,
	// as another process would have) is refused, and says by whom.
	_, err = Create(path, Options{})
	var re *RunningError
	if !errors.As(err, &re) || re.PID != os.Getpid() {
		t.Fatalf("second Create: %v", err)
	}

	must(t, p.Remove())
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("PID file still there: %v", err)
	}
	must(t, p.Remove())

	// Once released, it can be created again.
	p, err = Create(path, Options{})
	must(t, err)
	must(t, p.Remove())
}

// Remove leaves alone a file that another process put in its place.
func TestRemoveOnlyOwnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	p, err := Create(path, Options{})
	must(t, err)
	must(t, os.Remove(path))
	must(t, os.WriteFile(path, []byte("12345\n"), 0o644))
	must(t, p.Remove())
	if b, _ := os.ReadFile(path); string(b) != "12345\n" {
		t.Errorf("someone else's PID file was removed or changed: %q", b)
	}
}

func TestStaleFilesReplaced(t *testing.T) {
	dir := t.TempDir()

	// A process that has exited.
	dead := exec.Command("/bin/sh", "-c", "exit 0")
	must(t, dead.Run())
	sleeper := exec.Command("sleep", "30")
	must(t, sleeper.Start())
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	for name, content := range map[string]string{
		"dead":    strconv.Itoa(dead.Process.Pid) + "\n",
		"garbage": "not a pid\n",
		"empty":   "",
		"self":    strconv.Itoa(os.Getpid()),
		// A live process that is not a leased: its PID was reused.
		"other": strconv.Itoa(sleeper.Process.Pid) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".pid")
			must(t, os.WriteFile(path, []byte(content), 0o644))
			p, err := Create(path, Options{})
			if err != nil {
				t.Fatalf("stale %s file refused: %v", name, err)
			}
			defer p.Remove()
			b, _ := os.ReadFile(path)
			if string(b) != strconv.Itoa(os.Getpid())+"\n" {
				t.Errorf("content %q", b)
			}
		})
	}
}

// A file naming a live leased (here: another process running this same
// test binary) is refused, even though that process holds no lock.
func TestLiveLeasedRefused(t *testing.T) {
	if os.Getenv("PIDFILE_TEST_SLEEP") == "1" {
		time.Sleep(30 * time.Second)
		os.Exit(0)
	}
	exe, err := os.Executable()
	must(t, err)
	child := exec.Command(exe, "-test.run=^TestLiveLeasedRefused$")
	child.Env = append(os.Environ(), "PIDFILE_TEST_SLEEP=1")
	must(t, child.Start())
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })

	path := filepath.Join(t.TempDir(), "live.pid")
	must(t, os.WriteFile(path, []byte(strconv.Itoa(child.Process.Pid)+"\n"), 0o644))
	_, err = Create(path, Options{})
	var re *RunningError
	if !errors.As(err, &re) || re.PID != child.Process.Pid || re.Unverified {
		t.Fatalf("Create over a live leased: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != strconv.Itoa(child.Process.Pid)+"\n" {
		t.Errorf("the live PID file was changed: %q", b)
	}

	// A process that cannot be inspected is assumed to be a leased.
	_, err = Create(path, Options{IsLeased: func(int) (bool, bool) { return false, false }})
	if !errors.As(err, &re) || !re.Unverified {
		t.Errorf("unverifiable process: %v", err)
	}
	// One known not to be a leased is replaced.
	p, err := Create(path, Options{IsLeased: func(int) (bool, bool) { return false, true }})
	must(t, err)
	must(t, p.Remove())
}

func TestProcIsLeased(t *testing.T) {
	if leased, known := procIsLeased(os.Getpid()); !leased || !known {
		t.Errorf("this process: %v %v", leased, known)
	}
	sleeper := exec.Command("sleep", "30")
	must(t, sleeper.Start())
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	if leased, known := procIsLeased(sleeper.Process.Pid); leased || !known {
		t.Errorf("sleep: %v %v", leased, known)
	}
}

func TestSymlinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	must(t, os.WriteFile(target, []byte("keep"), 0o644))
	link := filepath.Join(dir, "x.pid")
	must(t, os.Symlink(target, link))
	if _, err := Create(link, Options{}); err == nil {
		t.Fatal("Create followed a symlink")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("symlink target changed: %q", b)
	}
}
