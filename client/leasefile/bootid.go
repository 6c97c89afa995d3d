package leasefile

import (
	"encoding/hex"
	"os"
	"strings"
)

// BootID returns the running kernel's boot ID, zero if it cannot be read.
func BootID() [16]byte {
	var id [16]byte
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return id
	}
	h, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(string(b)), "-", ""))
	if err != nil || len(h) != 16 {
		return id
	}
	return [16]byte(h)
}
