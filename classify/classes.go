package classify

import "strings"

// Classes is the ordered set of classes assigned to a packet. The order is
// the order of assignment, which decides option precedence (the first
// class defining an option wins). Classes known to the classifier (defined
// ones, built-ins and every name any expression tests) are a bit each, so
// membership costs one map lookup by name, or one bit test from a compiled
// member(); other names (a VENDOR_CLASS_ or SPAWN_ class nothing tests, a
// host reservation's class nobody defined) are kept in a small byte arena.
type Classes struct {
	cls   *Classifier
	bits  []uint64
	order []entry
	names []byte
}

type entry struct {
	id     int32 // index in the classifier's name table, or -1
	off, n uint32
}

func (s *Classes) reset(c *Classifier) {
	s.cls = c
	need := 0
	if c != nil {
		need = (len(c.names) + 63) / 64
	}
	if cap(s.bits) < need {
		s.bits = make([]uint64, need)
	} else {
		s.bits = s.bits[:need]
		clear(s.bits)
	}
	s.order = s.order[:0]
	s.names = s.names[:0]
}

func (s *Classes) hasID(id int32) bool {
	return id >= 0 && int(id>>6) < len(s.bits) && s.bits[id>>6]&(1<<(id&63)) != 0
}

func (s *Classes) addID(id int32) {
	if s.hasID(id) {
		return
	}
	s.bits[id>>6] |= 1 << (id & 63)
	s.order = append(s.order, entry{id: id})
}

// addBytes adds a class by name without converting the name to a string.
func (s *Classes) addBytes(name []byte) {
	if s.cls != nil {
		if id, ok := s.cls.ids[string(name)]; ok {
			s.addID(id)
			return
		}
	}
	for _, en := range s.order {
		if en.id < 0 && string(s.names[en.off:en.off+en.n]) == string(name) {
			return
		}
	}
	off := len(s.names)
	s.names = append(s.names, name...)
	s.order = append(s.order, entry{id: -1, off: uint32(off), n: uint32(len(name))})
}

func (s *Classes) addString(name string) {
	if s.cls != nil {
		if id, ok := s.cls.ids[name]; ok {
			s.addID(id)
			return
		}
	}
	for _, en := range s.order {
		if en.id < 0 && string(s.names[en.off:en.off+en.n]) == name {
			return
		}
	}
	off := len(s.names)
	s.names = append(s.names, name...)
	s.order = append(s.order, entry{id: -1, off: uint32(off), n: uint32(len(name))})
}

// Has reports whether the packet is in class name.
func (s *Classes) Has(name string) bool {
	if s.cls != nil {
		if id, ok := s.cls.ids[name]; ok {
			return s.hasID(id)
		}
	}
	for _, en := range s.order {
		if en.id < 0 && string(s.names[en.off:en.off+en.n]) == name {
			return true
		}
	}
	return false
}

// Len returns the number of classes.
func (s *Classes) Len() int { return len(s.order) }

// Name returns the name of the i-th class in order of assignment. Names
// the classifier knows cost nothing; others are converted from the arena.
func (s *Classes) Name(i int) string {
	en := s.order[i]
	if en.id >= 0 {
		return s.cls.names[en.id]
	}
	return string(s.names[en.off : en.off+en.n])
}

// Class returns the index in the classifier's definitions of the i-th
// class, or -1 when no definition has that name (built-in classes not
// defined in the configuration, vendor and spawned classes, undefined
// reservation classes).
func (s *Classes) Class(i int) int {
	if id := s.order[i].id; id >= 0 && int(id) < len(s.cls.defs) {
		return int(id)
	}
	return -1
}

// AppendNames appends the class names in order to dst.
func (s *Classes) AppendNames(dst []string) []string {
	for i := range s.order {
		dst = append(dst, s.Name(i))
	}
	return dst
}

// String returns the names in order, separated by ", ", for logs.
func (s *Classes) String() string {
	var b strings.Builder
	for i := range s.order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.Name(i))
	}
	return b.String()
}

// removeIf drops the classes whose known id satisfies drop.
func (s *Classes) removeIf(drop func(id int32) bool) {
	out := s.order[:0]
	for _, en := range s.order {
		if en.id >= 0 && drop(en.id) {
			s.bits[en.id>>6] &^= 1 << (en.id & 63)
			continue
		}
		out = append(out, en)
	}
	s.order = out
}
