package dnsupdate

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/leased/leased/config"
)

// Key is a TSIG key (RFC 8945): its name as the DNS server knows it, the
// HMAC algorithm and the secret. It implements dns.TsigProvider, with MD5
// (which miekg/dns no longer offers) and MACs truncated to DigestBits.
type Key struct {
	// Name is the key's name in canonical form (lower case, trailing dot).
	Name string
	// Algorithm is the algorithm's name in the TSIG record, canonical
	// (e.g. "hmac-sha256.").
	Algorithm string
	// DigestBits truncates the MAC to this many bits; 0 sends it whole.
	DigestBits int
	secret     []byte
	newHash    func() hash.Hash
}

// algorithms maps Kea's algorithm names (upper case) to their names in
// the TSIG record and their hash. The truncations Kea allows are
// config's (config.TSIGDigestBits).
var algorithms = map[string]struct {
	wire    string
	newHash func() hash.Hash
}{
	"HMAC-MD5":    {"hmac-md5.sig-alg.reg.int.", md5.New},
	"HMAC-SHA1":   {dns.HmacSHA1, sha1.New},
	"HMAC-SHA224": {dns.HmacSHA224, sha256.New224},
	"HMAC-SHA256": {dns.HmacSHA256, sha256.New},
	"HMAC-SHA384": {dns.HmacSHA384, sha512.New384},
	"HMAC-SHA512": {dns.HmacSHA512, sha512.New},
}

// NewKey returns a key; algorithm is one of Kea's names (HMAC-MD5,
// HMAC-SHA1, HMAC-SHA224, HMAC-SHA256, HMAC-SHA384, HMAC-SHA512) in any
// case.
func NewKey(name, algorithm string, secret []byte, digestBits int) (*Key, error) {
	a, ok := algorithms[strings.ToUpper(algorithm)]
	minBits, full, known := config.TSIGDigestBits(strings.ToUpper(algorithm))
	if !ok || !known {
		return nil, fmt.Errorf("TSIG key %q: unknown algorithm %q (want one of %s)", name, algorithm, strings.Join(slices.Sorted(maps.Keys(algorithms)), ", "))
	}
	if digestBits != 0 && (digestBits%8 != 0 || digestBits < int(minBits) || digestBits > int(full)) {
		return nil, fmt.Errorf("TSIG key %q: digest-bits %d: want 0 (the whole MAC) or a multiple of 8 from %d to %d for %s", name, digestBits, minBits, full, strings.ToUpper(algorithm))
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("TSIG key %q: the secret is empty", name)
	}
	return &Key{Name: dns.CanonicalName(name), Algorithm: a.wire, DigestBits: digestBits,
		secret: secret, newHash: a.newHash}, nil
}

// String names the key without its secret.
func (k *Key) String() string {
	if k.DigestBits > 0 {
		return fmt.Sprintf("%s (%s, %d bits)", k.Name, k.Algorithm, k.DigestBits)
	}
	return fmt.Sprintf("%s (%s)", k.Name, k.Algorithm)
}

func (k *Key) mac(msg []byte) []byte {
	h := hmac.New(k.newHash, k.secret)
	h.Write(msg)
	return h.Sum(nil)
}

// Generate signs msg, the TSIG variables included (dns.TsigProvider).
func (k *Key) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if dns.CanonicalName(t.Algorithm) != k.Algorithm || dns.CanonicalName(t.Hdr.Name) != k.Name {
		return nil, dns.ErrKeyAlg
	}
	m := k.mac(msg)
	if k.DigestBits > 0 {
		m = m[:k.DigestBits/8]
	}
	return m, nil
}

// Verify checks the MAC of a reply (dns.TsigProvider). A truncated MAC
// passes when it is as long as RFC 8945 section 5.2.2.1 demands: at least
// 10 bytes and half the hash, and no shorter than our own truncation.
func (k *Key) Verify(msg []byte, t *dns.TSIG) error {
	if dns.CanonicalName(t.Algorithm) != k.Algorithm || dns.CanonicalName(t.Hdr.Name) != k.Name {
		return dns.ErrKeyAlg
	}
	got, err := hex.DecodeString(t.MAC)
	if err != nil {
		return fmt.Errorf("TSIG MAC is not hex: %w", err)
	}
	want := k.mac(msg)
	min := max(10, len(want)/2, k.DigestBits/8)
	if len(got) > len(want) || len(got) < min {
		return dns.ErrSig
	}
	if !hmac.Equal(want[:len(got)], got) {
		return dns.ErrSig
	}
	return nil
}
