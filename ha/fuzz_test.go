package ha

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leased/leased/control"
)

// FuzzDecodeAnswer feeds partner answers to the decoders of what comes
// back from a peer: none may panic, and a heartbeat that decodes must
// encode back to the same heartbeat.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`[{"result": 0, "text": "HA peer status returned.", "arguments": {"state": "load-balancing", "date-time": "Thu, 01 Jan 2026 00:00:00 GMT", "scopes": ["server1"], "unsent-update-count": 0}}]`,
		`[{"result": 0, "arguments": {"state": "bogus", "date-time": "x"}}]`,
		`[{"result": 0, "arguments": {"leases": [{"ip-address": "192.0.2.1", "hw-address": "01:02", "cltt": 5, "valid-lft": 10, "user-context": {"a": 1}}], "count": 1}}]`,
		`[{"result": 3, "arguments": {"leases": [], "count": 0}}]`,
		`{"result": 401, "text": "Unauthorized"}`,
		`[]`, `[{"result": 2}]`, `null`, ``, `[{"result": 0, "arguments": null}]`,
	} {
		f.Add([]byte(s))
	}
	now := time.Unix(1767225600, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeAnswer(body)
		if err != nil {
			return
		}
		if hb, err := DecodeHeartbeat(r); err == nil {
			enc, err := EncodeAnswer(HeartbeatResponse(hb.State, hb.Time, hb.Scopes, hb.UnsentUpdates))
			if err != nil {
				t.Fatal(err)
			}
			r2, err := DecodeAnswer(enc)
			if err != nil {
				t.Fatalf("re-encoded heartbeat %s: %v", enc, err)
			}
			hb2, err := DecodeHeartbeat(r2)
			if err != nil || hb2.State != hb.State || !hb2.Time.Equal(hb.Time) || hb2.UnsentUpdates != hb.UnsentUpdates || len(hb2.Scopes) != len(hb.Scopes) {
				t.Fatalf("heartbeat %+v came back as %+v (%v)", hb, hb2, err)
			}
		}
		for _, d := range []Dialect{Kea22, Kea3} {
			leases, _, err := DecodePage(r, d, now)
			if err != nil {
				continue
			}
			for i := range leases {
				if err := leases[i].Validate(); err != nil {
					t.Fatalf("page lease %+v: %v", leases[i], err)
				}
			}
		}
	})
}

// FuzzDecodeArgs feeds command arguments to the decoders of what a peer
// sends us: none may panic, and a lease4-update that decodes must survive
// being replicated on (encoded and decoded again) unchanged.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{
		`{"ip-address": "192.0.2.50", "subnet-id": 1, "hw-address": "08:00:27:11:22:33", "client-id": "01:08:00:27:11:22:33", "valid-lft": 3600, "expire": 1767229200, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "", "state": 0, "force-create": true, "user-context": {"ISC": {"relay-agent-info": "0x0104AABBCCDD"}}}`,
		`{"ip-address": "192.0.2.1", "hw-address": "", "state": 1, "origin": "ha-partner", "pool-id": 3}`,
		`{"from": "start", "limit": 10000}`, `{"from": "10.0.0.7", "limit": 1}`,
		`{"origin": "ha-partner", "max-period": 60, "origin-id": 2000}`, `{"origin": 2001}`,
		`{"server-name": "server1", "origin-id": 2000, "origin": 2000}`,
		`{"cancel": false, "server-name": "s1", "state": "load-balancing"}`,
		`{"scopes": ["server1", "server2"]}`, `{"server-name": "s2", "max-period": 30}`,
		``, `null`, `[]`, `{"ip-address": 1}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Unix(1767225600, 0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		args := json.RawMessage(raw)
		for _, d := range []Dialect{Kea22, Kea3} {
			l, force, err := DecodeLease4(CmdLease4Update, args, d, now)
			if err == nil {
				c, err := NewCommand(CmdLease4Update, LeaseToWire(d, &l, force))
				if err != nil {
					t.Fatal(err)
				}
				l2, force2, err := DecodeLease4(CmdLease4Update, c.Arguments, d, now)
				if err != nil || force2 != force || !l2.Equal(&l) {
					t.Fatalf("lease %+v came back as %+v (%v) from %s", l, l2, err, c.Arguments)
				}
			}
			DecodeLease4(CmdLease4Del, args, d, now)
		}
		DecodeGetPage(args)
		DecodeNetworkState(CmdDHCPDisable, args)
		DecodeNetworkState(CmdDHCPEnable, args)
		DecodeSyncComplete(args)
		DecodeMaintenanceNotify(args)
		DecodeScopes(args)
		DecodeSync(args)
		DecodeServerName(CmdHeartbeat, args)
		control.ParseCommand(raw)
	})
}

// FuzzDecodeBulkApply feeds the arguments of a bulk request, and the
// answer to one, to their decoders: neither may panic, every element of
// a request that decodes is a JSON map, and a failure an answer lists
// names an IPv4 address.
func FuzzDecodeBulkApply(f *testing.F) {
	for _, s := range []string{
		`{"deleted-leases": [{"ip-address": "192.0.2.1"}], "leases": [{"ip-address": "192.0.2.2", "hw-address": "01:02:03:04:05:06", "subnet-id": 1, "valid-lft": 60, "expire": 1767225660, "force-create": true}]}`,
		`{"leases": []}`, `{"deleted-leases": null}`, `{"leases": [1, 2]}`, `{}`, `null`, `[]`,
		`{"failed-deleted-leases": [{"ip-address": "192.0.2.1", "result": 3, "error-message": "IPv4 lease not found."}], "failed-leases": []}`,
		`{"failed-leases": [{"ip-address": "x", "result": "1"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if dels, ups, err := DecodeBulkApply(raw); err == nil {
			for _, e := range append(dels, ups...) {
				var m map[string]json.RawMessage
				if json.Unmarshal(e, &m) != nil || m == nil {
					t.Fatalf("element %s is not a map", e)
				}
			}
		}
		res, err := DecodeBulkApplyAnswer(control.Answer(control.Success, "", json.RawMessage(raw)))
		if err != nil {
			return
		}
		for a := range res.Deleted {
			if !a.Is4() {
				t.Fatalf("failure of %v", a)
			}
		}
		for a := range res.Updated {
			if !a.Is4() {
				t.Fatalf("failure of %v", a)
			}
		}
	})
}
