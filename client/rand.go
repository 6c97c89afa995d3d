package client

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
)

// newRand returns a PCG seeded from the operating system, so that clients
// started together pick different transaction ids.
func newRand() Random {
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails on Linux
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
}
