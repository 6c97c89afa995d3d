package mesh

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseCtlRequest(t *testing.T) {
	tests := []struct {
		in   []byte
		want CtlRequest
	}{
		{[]byte{1}, CtlRequest{Command: CtlBlockShow}},
		{[]byte{2}, CtlRequest{Command: CtlOptionsShow}},
		{[]byte{3, 51, 4, 0, 0, 1, 44}, CtlRequest{Command: CtlOptionSet, Option: Option{Code: 51, Data: []byte{0, 0, 1, 44}}}},
		{[]byte{3, 3, 0}, CtlRequest{Command: CtlOptionSet, Option: Option{Code: 3, Data: []byte{}}}},
		{[]byte{3, 6, 1, 9, 99, 99}, CtlRequest{Command: CtlOptionSet, Option: Option{Code: 6, Data: []byte{9}}}}, // extra bytes ignored
		{[]byte{4, 6}, CtlRequest{Command: CtlOptionRemove, Option: Option{Code: 6}}},
		{[]byte{4, 6, 7}, CtlRequest{Command: CtlOptionRemove, Option: Option{Code: 6}}},
		{[]byte{5, 4}, CtlRequest{Command: CtlLogLevel, Level: 4}},
		{[]byte{6}, CtlRequest{Command: CtlStatistics}},
		{[]byte{6, 0, 0}, CtlRequest{Command: CtlStatistics}}, // length only logged by ddhcpd
		{[]byte{7}, CtlRequest{Command: CtlStatisticsReset}},
	}
	for _, tc := range tests {
		got, err := ParseCtlRequest(tc.in)
		if err != nil {
			t.Errorf("% x: %v", tc.in, err)
			continue
		}
		if got.Command != tc.want.Command || got.Option.Code != tc.want.Option.Code ||
			!bytes.Equal(got.Option.Data, tc.want.Option.Data) || got.Level != tc.want.Level {
			t.Errorf("% x: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseCtlRequestErrors(t *testing.T) {
	for _, in := range [][]byte{
		nil, {0}, {8}, {255}, {1, 0}, {2, 2}, {3}, {3, 51}, {3, 51, 4, 0, 0, 1}, {4}, {5},
	} {
		r, err := ParseCtlRequest(in)
		if err == nil {
			t.Errorf("% x accepted as %+v", in, r)
		} else if !errors.Is(err, ErrCtlRequest) {
			t.Errorf("% x: %v does not wrap ErrCtlRequest", in, err)
		}
	}
}

func TestAppendCtlRequest(t *testing.T) {
	for _, in := range [][]byte{{1}, {2}, {3, 51, 4, 0, 0, 1, 44}, {4, 6}, {5, 0}, {6}, {7}} {
		r, err := ParseCtlRequest(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := AppendCtlRequest(nil, r)
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("% x round-trips to % x, %v", in, out, err)
		}
	}
	if _, err := AppendCtlRequest(nil, CtlRequest{Command: 9}); err == nil {
		t.Error("unknown command encoded")
	}
	if _, err := AppendCtlRequest(nil, CtlRequest{Command: CtlOptionSet, Option: Option{Code: 1, Data: make([]byte, 256)}}); err == nil {
		t.Error("256-byte option encoded")
	}
}

func TestParseCtlArgs(t *testing.T) {
	tests := []struct {
		args string
		want []byte
		path string
	}{
		{"-b", []byte{1}, DefaultControlPath},
		{"-d -C /run/ddhcpd", []byte{2}, "/run/ddhcpd"},
		{"-s", []byte{6}, DefaultControlPath},
		{"-S", []byte{7}, DefaultControlPath},
		{"-o 3:4:10.0.0.1", []byte{3, 3, 4, 10, 0, 0, 1}, DefaultControlPath},
		{"-l 300", []byte{3, 51, 4, 0, 0, 1, 44}, DefaultControlPath},
		{"-l 0x12c", []byte{3, 51, 4, 0, 0, 1, 44}, DefaultControlPath},
		{"-r 6", []byte{4, 6}, DefaultControlPath},
		{"-v 4", []byte{5, 4}, DefaultControlPath},
		{"-b -d", []byte{2}, DefaultControlPath},                               // the last command flag wins
		{"-o 6:4:1.2.3.4 -b", []byte{3, 6, 4, 1, 2, 3, 4}, DefaultControlPath}, // except -o, which always wins
		{"-bCx", []byte{1}, "x"},
	}
	for _, tc := range tests {
		inv, err := ParseCtlArgs(strings.Fields(tc.args))
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		got, _ := AppendCtlRequest(nil, inv.Request)
		if !bytes.Equal(got, tc.want) || inv.Path != tc.path {
			t.Errorf("%q: % x at %q, want % x at %q", tc.args, got, inv.Path, tc.want, tc.path)
		}
	}
	for _, args := range []string{"", "-C /x", "-t 5", "-l", "-l x", "-r 256", "-v 5", "-o 1:4:1", "x"} {
		if inv, err := ParseCtlArgs(strings.Fields(args)); err == nil {
			t.Errorf("%q accepted: %+v", args, inv)
		}
	}
	if inv, err := ParseCtlArgs([]string{"-h"}); err != nil || !inv.Help {
		t.Errorf("-h: %+v %v", inv, err)
	}
	for _, h := range []string{"-help", "--help"} {
		if inv, err := ParseCtlArgs([]string{h}); err != nil || !inv.Help {
			t.Errorf("%s: %+v %v", h, inv, err)
		}
	}
}

func TestAppendBlockStatus(t *testing.T) {
	s := BlockStatus{
		BlockSize: 4, NumBlocks: 64, TentativeTimeout: 15, BlockTimeout: 300, RefreshFactor: 4, SpareLeases: 2,
		Prefix: netip.MustParseAddr("10.0.0.0"), PrefixLen: 24, NodeID: gluonID,
		Blocks: []BlockRow{
			{Index: 3, State: Ours, Owner: gluonID, HasLeases: true, Offered: 1, Leased: 2, SecondsLeft: 282},
			{Index: 7, State: Free, SecondsLeft: 0}, // not in use: not printed
			{Index: 10, State: Claimed, Owner: NodeID{2, 0, 0, 0, 1, 0}, SecondsLeft: 71},
			{Index: 11, State: Claiming, Claims: 2, SecondsLeft: 9},
		},
	}
	want := "block size/number\t4/64 \n" +
		"      tentative timeout\t15\n" +
		"      timeout\t300\n" +
		"      refresh factor\t4\n" +
		"      spare leases needed\t2\n" +
		"      network: 10.0.0.0/24 \n" +
		"node id\t0200000001010000\n" +
		"ddhcp blocks\n" +
		"index\tstate\towner\t\t\tclaim\tleases\ttimeout\n" +
		"3\t4\t0200000001010000\t0\t1/2\t282\n" +
		"10\t2\t0200000001000000\t0\t-\t71\n" +
		"11\t3\t0000000000000000\t2\t-\t9\n" +
		"\nblocks in use: 3\n"
	if got := string(AppendBlockStatus(nil, &s)); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestAppendOptionsStatus(t *testing.T) {
	var s OptionStore
	o, _ := ParseOption("51:4:0.0.1.44")
	_ = s.Set(o)
	o, _ = ParseOption("3:4:10.0.0.1")
	_ = s.Set(o)
	want := "DHCP Lease Time: 300\n\nDHCP Disabled: 1\nDHCP Option Store\ncode\tlen\tpayload\n" +
		"51\t4\t0\t0\t1\t44\t\n3\t4\t10\t0\t0\t1\t\n"
	if got := string(AppendOptionsStatus(nil, &s, true)); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestAppendStatistics(t *testing.T) {
	var s Stats
	s[StatMcastRecvPkg] = 5
	s[StatDHCPRecvRelease] = 2
	s[StatDHCPRecvInform] = 9
	rows := []BlockRow{{Index: 0, State: Ours, Owner: gluonID}, {Index: 1, State: Claiming}, {Index: 2, State: Blocked},
		{Index: 3, State: Claimed, Owner: NodeID{0xfe}}}
	got := string(AppendStatistics(nil, &s, rows))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 30+4+3 {
		t.Fatalf("%d lines:\n%s", len(lines), got)
	}
	for i, want := range map[int]string{
		0: "mcast.recv_pkg 5", 7: "mcast.recv_inquire 0", 8: "direct.recv_pkg 0", 19: "direct.send_release 0",
		20: "dhcp.recv_pkg 0", 29: "dhcp.recv_release 2", 30: "block.0.owner 2", 33: "block.3.owner 254",
		34: "ddhcp.blocks.free 1", 35: "ddhcp.blocks.tentative 1", 36: "ddhcp.blocks.claimed 2",
	} {
		if lines[i] != want {
			t.Errorf("line %d: %q, want %q", i, lines[i], want)
		}
	}
	if strings.Contains(got, "inform") {
		t.Error("dhcp.recv_inform is printed; ddhcpd counts it but does not print it")
	}
	var total Stats
	total.Add(&s)
	total.Add(&s)
	if total[StatDHCPRecvInform] != 18 || StatMcastRecvPkg.String() != "mcast.recv_pkg" {
		t.Error("Stats.Add or Stat.String wrong")
	}
}
