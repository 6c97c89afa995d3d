//go:build linux

package dnsupdate

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestMatch(t *testing.T) {
	list := []domain{{name: "example.org."}, {name: "sub.example.org."}, {name: "org."}, {name: "2.0.192.in-addr.arpa."}}
	wild := append([]domain{{name: "*"}}, list...)
	for _, tc := range []struct {
		name     string
		want     string // "" for none
		wantWild string
		withWild bool
	}{
		{"host.example.org.", "example.org.", "example.org.", false},
		{"HOST.Sub.Example.ORG", "sub.example.org.", "sub.example.org.", false},
		{"example.org.", "example.org.", "example.org.", false},
		{"host.badexample.org.", "org.", "org.", false},
		{"host.example.com.", "", "*", true},
		{"50.2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa.", false},
		{"50.12.0.192.in-addr.arpa.", "", "*", true},
	} {
		got := match(list, tc.name)
		if (got == nil && tc.want != "") || (got != nil && got.name != tc.want) {
			t.Errorf("match(%q) = %v, want %q", tc.name, got, tc.want)
		}
		got = match(wild, tc.name)
		if got == nil || got.name != tc.wantWild {
			t.Errorf("with a wildcard, match(%q) = %v, want %q", tc.name, got, tc.wantWild)
		}
	}
	if got := match([]domain{{name: "*"}}, "anything.example."); got == nil || got.name != "*" {
		t.Errorf("wildcard only: %v", got)
	}
}

func signedReply(t testing.TB, k *Key, id uint16, rcode int) (reply []byte, reqMAC string) {
	t.Helper()
	q := new(dns.Msg)
	q.SetUpdate("example.org.")
	q.Id = id
	q.SetTsig(k.Name, k.Algorithm, 300, time.Now().Unix())
	_, reqMAC, err := dns.TsigGenerateWithProvider(q, k, "", false)
	if err != nil {
		t.Fatal(err)
	}
	r := new(dns.Msg)
	r.SetRcode(q, rcode)
	r.SetTsig(k.Name, k.Algorithm, 300, time.Now().Unix())
	reply, _, err = dns.TsigGenerateWithProvider(r, k, reqMAC, false)
	if err != nil {
		t.Fatal(err)
	}
	return reply, reqMAC
}

// TestKeyTruncation checks that a key with digest-bits signs with a MAC
// of that length, and verifies MACs as long as RFC 8945 asks and no
// shorter.
func TestKeyTruncation(t *testing.T) {
	full, err := NewKey("k", "hmac-sha256", []byte("0123456789abcdef"), 0)
	if err != nil {
		t.Fatal(err)
	}
	short, err := NewKey("k", "HMAC-SHA256", []byte("0123456789abcdef"), 128)
	if err != nil {
		t.Fatal(err)
	}
	tsig := &dns.TSIG{Hdr: dns.RR_Header{Name: "k."}, Algorithm: dns.HmacSHA256}
	m, _ := short.Generate([]byte("message"), tsig)
	f, _ := full.Generate([]byte("message"), tsig)
	if len(m) != 16 || len(f) != 32 || hex.EncodeToString(m) != hex.EncodeToString(f[:16]) {
		t.Fatalf("truncated MAC %x, full %x", m, f)
	}
	tsig.MAC = hex.EncodeToString(m)
	if err := short.Verify([]byte("message"), tsig); err != nil {
		t.Errorf("short key refuses its own MAC: %v", err)
	}
	if err := full.Verify([]byte("message"), tsig); err != nil {
		t.Errorf("full key refuses a MAC of half the hash: %v", err)
	}
	tsig.MAC = hex.EncodeToString(m[:15])
	if err := short.Verify([]byte("message"), tsig); !errors.Is(err, dns.ErrSig) {
		t.Errorf("a MAC shorter than digest-bits: %v", err)
	}
	tsig.MAC = hex.EncodeToString(f)
	tsig.MAC = tsig.MAC[:len(tsig.MAC)-2] + "00"
	if err := full.Verify([]byte("message"), tsig); !errors.Is(err, dns.ErrSig) {
		t.Errorf("a wrong MAC: %v", err)
	}
	for _, bits := range []int{8, 120, 132, 264} {
		if _, err := NewKey("k", "HMAC-SHA256", []byte("x"), bits); err == nil {
			t.Errorf("digest-bits %d accepted", bits)
		}
	}
}

func TestCheckAnswer(t *testing.T) {
	k, _ := NewKey("k", "HMAC-SHA512", []byte("secret"), 0)
	other, _ := NewKey("k", "HMAC-SHA512", []byte("other"), 0)
	reply, mac := signedReply(t, k, 7, dns.RcodeYXDomain)
	if rc, err := checkAnswer(reply, 7, k, mac); err != nil || rc != dns.RcodeYXDomain {
		t.Errorf("good answer: %v %v", rc, err)
	}
	if _, err := checkAnswer(reply, 8, k, mac); !errors.Is(err, errOtherID) {
		t.Errorf("other ID: %v", err)
	}
	if _, err := checkAnswer(reply, 7, other, mac); !errors.Is(err, errBadAnswer) {
		t.Errorf("other key: %v", err)
	}
	q := new(dns.Msg)
	q.SetUpdate("example.org.")
	q.Id = 7
	r := new(dns.Msg)
	r.SetRcode(q, dns.RcodeSuccess)
	unsigned, _ := r.Pack()
	if _, err := checkAnswer(unsigned, 7, k, mac); !errors.Is(err, errBadAnswer) {
		t.Errorf("unsigned answer to a signed update: %v", err)
	}
	if rc, err := checkAnswer(unsigned, 7, nil, ""); err != nil || rc != dns.RcodeSuccess {
		t.Errorf("unsigned answer to an unsigned update: %v %v", rc, err)
	}
	q.Response = true
	q.Opcode = dns.OpcodeQuery
	query, _ := q.Pack()
	if _, err := checkAnswer(query, 7, nil, ""); !errors.Is(err, errBadAnswer) {
		t.Errorf("answer with another opcode: %v", err)
	}
}

// FuzzCheckAnswer feeds the answer decoder arbitrary datagrams: it must
// not panic, and accept only answers to our ID.
func FuzzCheckAnswer(f *testing.F) {
	k, _ := NewKey("k", "HMAC-SHA256", []byte("secret"), 0)
	reply, mac := signedReply(f, k, 7, dns.RcodeSuccess)
	f.Add(reply, mac, true)
	f.Add(reply[:len(reply)-5], mac, true)
	f.Add([]byte{0, 7, 0xa8, 0, 0, 1, 0, 0, 0, 0, 0, 0}, "", false)
	f.Fuzz(func(t *testing.T, b []byte, mac string, signed bool) {
		key := k
		if !signed {
			key = nil
		}
		rc, err := checkAnswer(b, 7, key, mac)
		if err == nil && (len(b) < 12 || b[0] != 0 || b[1] != 7 || rc < 0) {
			t.Fatalf("accepted %x as an answer to ID 7 (rcode %d)", b, rc)
		}
	})
}
