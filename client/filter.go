package client

import (
	"encoding/binary"
	"net"

	"golang.org/x/net/bpf"
)

// replyFilter is a classic BPF program for a packet socket that passes
// only unfragmented IPv4 UDP frames to port 68 and, for a 6-byte hardware
// address, only those whose chaddr is hw, so that many clients on one
// interface each see only their own replies.
func replyFilter(hw net.HardwareAddr) ([]bpf.RawInstruction, error) {
	// Offsets from the start of the IPv4 header, in X after LoadMemShift:
	// UDP destination port at X+2, chaddr at X+8+28.
	const ip = ethHeaderLen
	checks := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeIPv4},
		bpf.LoadAbsolute{Off: ip + 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: protoUDP},
		bpf.LoadAbsolute{Off: ip + 6, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x3fff},
		bpf.LoadMemShift{Off: ip},
		bpf.LoadIndirect{Off: ip + 2, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: ClientPort},
	}
	if len(hw) == 6 {
		checks = append(checks,
			bpf.LoadIndirect{Off: ip + udpHeaderLen + 28, Size: 4},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: binary.BigEndian.Uint32(hw[0:4])},
			bpf.LoadIndirect{Off: ip + udpHeaderLen + 32, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(binary.BigEndian.Uint16(hw[4:6]))},
		)
	}
	// Every failed check jumps to the final "drop".
	prog := append(checks, bpf.RetConstant{Val: 0x40000}, bpf.RetConstant{Val: 0})
	drop := len(prog) - 1
	for i, ins := range prog {
		if j, ok := ins.(bpf.JumpIf); ok {
			j.SkipTrue = uint8(drop - i - 1)
			prog[i] = j
		}
	}
	return bpf.Assemble(prog)
}
