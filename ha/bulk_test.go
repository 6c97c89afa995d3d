package ha

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/lease"
)

func bulkLease(a string) *lease.Lease {
	return &lease.Lease{
		Addr: netip.MustParseAddr(a), HWAddr: []byte{1, 2, 3, 4, 5, 6}, HWType: lease.HTypeEthernet,
		SubnetID: 1, ValidLifetime: 3600, CLTT: 1767225600,
	}
}

// TestBulkApplyRoundTrip: the command a server sends decodes on the
// partner into its deleted leases and leases, each a lease as
// lease4-del and lease4-update carry it.
func TestBulkApplyRoundTrip(t *testing.T) {
	for _, d := range []Dialect{Kea22, Kea3} {
		cmd, err := BulkApplyCommand(d, []*lease.Lease{bulkLease("192.0.2.9")}, []*lease.Lease{bulkLease("192.0.2.10"), bulkLease("192.0.2.11")})
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Command != CmdLeaseBulkApply {
			t.Fatalf("command %q", cmd.Command)
		}
		body, err := EncodeCommand(cmd)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := control.ParseCommand(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		dels, ups, err := DecodeBulkApply(parsed.Arguments)
		if err != nil {
			t.Fatal(err)
		}
		if len(dels) != 1 || len(ups) != 2 {
			t.Fatalf("%d deleted, %d leases, want 1 and 2", len(dels), len(ups))
		}
		now := time.Unix(1767225600, 0)
		l, force, err := DecodeLease4(CmdLease4Update, ups[1], d, now)
		if err != nil || !force || l.Addr != netip.MustParseAddr("192.0.2.11") || l.CLTT != 1767225600 {
			t.Fatalf("lease %+v force %v: %v", l, force, err)
		}
		del, _, err := DecodeLease4(CmdLease4Del, dels[0], d, now)
		if err != nil || del.Addr != netip.MustParseAddr("192.0.2.9") {
			t.Fatalf("deleted lease %+v: %v", del, err)
		}
	}
	if _, err := BulkApplyCommand(Kea3, nil, nil); err == nil {
		t.Fatal("a bulk command without leases was built")
	}
}

func TestDecodeBulkApplyRefuses(t *testing.T) {
	for _, raw := range []string{
		``, `null`, `{}`, `{"leases": 5}`, `{"deleted-leases": {}}`, `{"leases": [1]}`, `{"leases": [null]}`, `[]`,
	} {
		if _, _, err := DecodeBulkApply(json.RawMessage(raw)); err == nil {
			t.Errorf("%q decoded", raw)
		}
	}
}

// TestBulkResults: each lease gets the partner's verdict; a delete of a
// lease the partner lacks (result 3) counts as done, as Kea counts
// lease4-del's result 3.
func TestBulkResults(t *testing.T) {
	ans := BulkApplyResponse(4, BulkApplyAnswer{
		FailedDeletedLeases: []BulkFailure{{IPAddress: "192.0.2.1", Result: control.Empty, ErrorMessage: "IPv4 lease not found."}, {IPAddress: "192.0.2.2", Result: control.Error, ErrorMessage: "disk"}},
		FailedLeases:        []BulkFailure{{IPAddress: "192.0.2.3", Result: control.Conflict, ErrorMessage: "Invalid subnet-id"}},
	})
	body, err := EncodeAnswer(ans)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeAnswer(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := DecodeBulkApplyAnswer(r)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	if err := res.Err(true, a("192.0.2.1")); err != nil {
		t.Errorf("delete of a lease the partner lacks: %v", err)
	}
	var ae *AnswerError
	if err := res.Err(true, a("192.0.2.2")); !errors.As(err, &ae) || ae.Result != control.Error {
		t.Errorf("failed delete: %v", err)
	}
	if err := res.Err(false, a("192.0.2.3")); !errors.As(err, &ae) || ae.Result != control.Conflict || !strings.Contains(err.Error(), "Invalid subnet-id") {
		t.Errorf("refused update: %v", err)
	}
	if err := res.Err(false, a("192.0.2.1")); err != nil {
		t.Errorf("an update not listed failed: %v", err)
	}
	bad := control.Answer(control.Success, "", json.RawMessage(`{"failed-leases": [{"ip-address": "2001:db8::1", "result": 1}]}`))
	if _, err := DecodeBulkApplyAnswer(bad); err == nil {
		t.Error("a failure naming no IPv4 address was accepted")
	}
}
