package snoop

import "golang.org/x/net/bpf"

// filter is the classic BPF program of the capture socket. It runs on
// what a SOCK_DGRAM packet socket reads, which starts at the network
// header whatever the link, and passes whole the IPv4 datagrams that
// carry UDP from or to port 67 or 68 and are not a later fragment (those
// have no UDP header); everything else stays in the kernel. The frame's
// link-layer protocol is checked again after reading (a frame of another
// protocol whose first bytes happen to look like this passes the filter).
func filter() []bpf.Instruction {
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 1},
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x40, SkipTrue: drop},
		bpf.LoadAbsolute{Off: 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: protoUDP, SkipTrue: drop},
		bpf.LoadAbsolute{Off: 6, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: drop},
		bpf.LoadMemShift{Off: 0}, // X = the IPv4 header's length
		bpf.LoadIndirect{Off: 0, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ServerPort, SkipTrue: accept},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ClientPort, SkipTrue: accept},
		bpf.LoadIndirect{Off: 2, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ServerPort, SkipTrue: accept},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: ClientPort, SkipTrue: accept},
		bpf.RetConstant{Val: 0},
		bpf.RetConstant{Val: snapLen},
	}
	// The jumps above name their target; here they become the offsets
	// classic BPF counts from the next instruction.
	for i, ins := range prog {
		j, ok := ins.(bpf.JumpIf)
		if !ok {
			continue
		}
		target := len(prog) - 1 // accept
		if j.SkipTrue == drop {
			target = len(prog) - 2
		}
		j.SkipTrue = uint8(target - i - 1)
		prog[i] = j
	}
	return prog
}

// Jump targets of filter, resolved once the program is complete.
const (
	drop   = 1
	accept = 2
)

// snapLen is how much of a datagram the filter keeps: all of it, since an
// IPv4 datagram is at most 65535 bytes.
const snapLen = 1 << 16
