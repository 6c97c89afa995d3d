package memfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode/utf8"

	"github.com/leased/leased/lease"
)

// Every file of the store is a sequence of framed records:
//
//	offset  size  field
//	0       1     magic 0xFE
//	1       1     format version (1)
//	2       1     type (recPut, recDelete, recSegment, recSnapshot)
//	3       1     reserved, 0
//	4       4     payload length, little-endian
//	8       4     CRC-32C of bytes 0..7 and of the payload, little-endian
//	12      n     payload
//
// The magic byte is one that UTF-8 text never contains, so that resyncing
// after damage does not stop inside a hostname or user context. The CRC
// covers the length, so a flipped length is caught like a flipped payload.
const (
	recMagic   = 0xFE
	recVersion = 1
	headerLen  = 12

	// maxPayload bounds a record. A put is at most putFixed plus the
	// limits of package lease; snapshots and segment headers are smaller.
	maxPayload = 1 << 16
)

// Record types.
const (
	recPut      = 1 // a whole lease; replaces any lease at its address
	recDelete   = 2 // an address whose lease is gone
	recSegment  = 3 // first record of a journal segment
	recSnapshot = 4 // first record of a snapshot
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames payload as a record of type typ and appends it to dst.
func appendRecord(dst []byte, typ byte, payload []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, typ, len(payload))
	dst = append(dst, payload...)
	sealRecord(dst[start:])
	return dst
}

// appendHeader appends a record header whose CRC is still to be filled in
// by sealRecord once the payload follows it.
func appendHeader(dst []byte, typ byte, n int) []byte {
	return append(dst, recMagic, recVersion, typ, 0,
		byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 0, 0, 0, 0)
}

// sealRecord computes the CRC of the record that rec holds exactly.
func sealRecord(rec []byte) {
	crc := crc32.Update(0, castagnoli, rec[:8])
	crc = crc32.Update(crc, castagnoli, rec[headerLen:])
	binary.LittleEndian.PutUint32(rec[8:12], crc)
}

// frameStatus is what parseFrame found at an offset.
type frameStatus uint8

const (
	frameOK      frameStatus = iota // a whole record of this format version
	frameForeign                    // a whole, intact record of another format version
	frameShort                      // the data ends inside what may be a record
	frameBad                        // no intact record starts here
)

// parseFrame looks for a record at the start of b. It returns the record's
// type, its payload and its total length.
func parseFrame(b []byte) (typ byte, payload []byte, n int, st frameStatus) {
	if len(b) < headerLen {
		if len(b) > 0 && b[0] != recMagic {
			return 0, nil, 0, frameBad
		}
		return 0, nil, 0, frameShort
	}
	if b[0] != recMagic || b[1] == 0 {
		return 0, nil, 0, frameBad
	}
	size := binary.LittleEndian.Uint32(b[4:8])
	if size > maxPayload {
		return 0, nil, 0, frameBad
	}
	n = headerLen + int(size)
	if len(b) < n {
		return 0, nil, 0, frameShort
	}
	crc := crc32.Update(0, castagnoli, b[:8])
	crc = crc32.Update(crc, castagnoli, b[headerLen:n])
	if crc != binary.LittleEndian.Uint32(b[8:12]) {
		return 0, nil, 0, frameBad
	}
	if b[1] != recVersion || b[3] != 0 {
		return b[2], b[headerLen:n], n, frameForeign
	}
	return b[2], b[headerLen:n], n, frameOK
}

// The payload of a recPut:
//
//	0   4  address, network order
//	4   4  subnet id
//	8   4  pool id
//	12  4  valid lifetime
//	16  8  CLTT, Unix seconds, signed
//	24  1  state
//	25  1  flags: bit 0 fqdn-fwd, bit 1 fqdn-rev
//	26  1  hardware type
//	27  1  hardware address length
//	28  1  client identifier length
//	29  1  hostname length
//	30  2  user context length
//	32     hardware address, client identifier, hostname, user context
//
// All integers little-endian except the address. The variable part is laid
// out exactly as the in-memory blob of a lease (see rec), so a snapshot
// copies it without rebuilding it.
const putFixed = 32

const (
	flagFwd = 1 << 0
	flagRev = 1 << 1
)

// putFields is the fixed part of a recPut.
type putFields struct {
	addr    uint32
	subnet  uint32
	pool    uint32
	valid   uint32
	cltt    int64
	state   uint8
	flags   uint8
	htype   uint8
	hwLen   uint8
	cidLen  uint8
	hostLen uint8
	ctxLen  uint16
}

func (f *putFields) blobLen() int {
	return int(f.hwLen) + int(f.cidLen) + int(f.hostLen) + int(f.ctxLen)
}

// appendPut appends a framed recPut of f and blob to dst.
func appendPut(dst []byte, f *putFields, blob string) []byte {
	start := len(dst)
	dst = appendHeader(dst, recPut, putFixed+len(blob))
	dst = binary.BigEndian.AppendUint32(dst, f.addr)
	dst = binary.LittleEndian.AppendUint32(dst, f.subnet)
	dst = binary.LittleEndian.AppendUint32(dst, f.pool)
	dst = binary.LittleEndian.AppendUint32(dst, f.valid)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(f.cltt))
	dst = append(dst, f.state, f.flags, f.htype, f.hwLen, f.cidLen, f.hostLen)
	dst = binary.LittleEndian.AppendUint16(dst, f.ctxLen)
	dst = append(dst, blob...)
	sealRecord(dst[start:])
	return dst
}

// appendDelete appends a framed recDelete of addr to dst.
func appendDelete(dst []byte, addr uint32) []byte {
	start := len(dst)
	dst = appendHeader(dst, recDelete, 4)
	dst = binary.BigEndian.AppendUint32(dst, addr)
	sealRecord(dst[start:])
	return dst
}

var errPayload = errors.New("malformed payload")

// decodePut reads the payload of a recPut. The returned blob aliases p.
func decodePut(p []byte) (f putFields, blob []byte, err error) {
	if len(p) < putFixed {
		return f, nil, fmt.Errorf("put record of %d bytes: %w", len(p), errPayload)
	}
	f.addr = binary.BigEndian.Uint32(p[0:4])
	f.subnet = binary.LittleEndian.Uint32(p[4:8])
	f.pool = binary.LittleEndian.Uint32(p[8:12])
	f.valid = binary.LittleEndian.Uint32(p[12:16])
	f.cltt = int64(binary.LittleEndian.Uint64(p[16:24]))
	f.state, f.flags, f.htype = p[24], p[25], p[26]
	f.hwLen, f.cidLen, f.hostLen = p[27], p[28], p[29]
	f.ctxLen = binary.LittleEndian.Uint16(p[30:32])
	if putFixed+f.blobLen() != len(p) {
		return f, nil, fmt.Errorf("put record lengths add up to %d, record holds %d: %w", putFixed+f.blobLen(), len(p), errPayload)
	}
	blob = p[putFixed:]
	host := blob[int(f.hwLen)+int(f.cidLen) : int(f.hwLen)+int(f.cidLen)+int(f.hostLen)]
	ctx := blob[len(blob)-int(f.ctxLen):]
	if !lease.State(f.state).Valid() || f.flags&^(flagFwd|flagRev) != 0 || f.hwLen > lease.MaxHWAddrLen ||
		f.ctxLen > lease.MaxUserContextLen || !utf8.Valid(host) ||
		(len(ctx) > 0 && lease.CheckUserContext(string(ctx)) != nil) {
		return f, nil, fmt.Errorf("put record of %d.%d.%d.%d has invalid fields: %w", p[0], p[1], p[2], p[3], errPayload)
	}
	return f, blob, nil
}

func decodeDelete(p []byte) (uint32, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("delete record of %d bytes: %w", len(p), errPayload)
	}
	return binary.BigEndian.Uint32(p), nil
}

// The payload of a recSegment: the magic text and the segment's sequence
// number. The payload of a recSnapshot: the magic text, the sequence number
// of the first journal segment to replay on top of it, and the number of
// leases that follow.
var (
	segmentMagic  = [8]byte{'l', 'e', 'a', 's', 'e', 'd', 'J', '1'}
	snapshotMagic = [8]byte{'l', 'e', 'a', 's', 'e', 'd', 'S', '1'}
)

const (
	segmentPayloadLen  = 16
	snapshotPayloadLen = 24
	snapshotHeaderLen  = headerLen + snapshotPayloadLen
)

func appendSegmentHeader(dst []byte, seq uint64) []byte {
	var p [segmentPayloadLen]byte
	copy(p[:], segmentMagic[:])
	binary.LittleEndian.PutUint64(p[8:], seq)
	return appendRecord(dst, recSegment, p[:])
}

func decodeSegmentHeader(p []byte) (uint64, error) {
	if len(p) != segmentPayloadLen || [8]byte(p[:8]) != segmentMagic {
		return 0, fmt.Errorf("segment header: %w", errPayload)
	}
	return binary.LittleEndian.Uint64(p[8:]), nil
}

func appendSnapshotHeader(dst []byte, nextSeg, count uint64) []byte {
	var p [snapshotPayloadLen]byte
	copy(p[:], snapshotMagic[:])
	binary.LittleEndian.PutUint64(p[8:], nextSeg)
	binary.LittleEndian.PutUint64(p[16:], count)
	return appendRecord(dst, recSnapshot, p[:])
}

func decodeSnapshotHeader(p []byte) (nextSeg, count uint64, err error) {
	if len(p) != snapshotPayloadLen || [8]byte(p[:8]) != snapshotMagic {
		return 0, 0, fmt.Errorf("snapshot header: %w", errPayload)
	}
	return binary.LittleEndian.Uint64(p[8:]), binary.LittleEndian.Uint64(p[16:]), nil
}
