package classify

import (
	"strconv"
	"strings"
)

// SyntaxError reports an expression that does not compile: a lexical or
// grammatical error, a type error (a string where Kea wants a boolean or the
// other way round), an unknown identifier, an out-of-range option code, an
// undefined option name or client class, or an invalid regular expression.
type SyntaxError struct {
	Expr string // the expression as given
	Col  int    // 1-based byte column inside Expr where the problem is
	Msg  string // what is wrong
}

func (e *SyntaxError) Error() string {
	return e.Msg + " at column " + strconv.Itoa(e.Col) + " in " + strconv.Quote(e.Expr)
}

// Pointer returns the expression and, on a second line, a caret under the
// column, for a log or a terminal.
func (e *SyntaxError) Pointer() string {
	col := e.Col
	// Show the line that holds the column when the expression spans
	// several lines.
	start := strings.LastIndexByte(e.Expr[:min(max(col-1, 0), len(e.Expr))], '\n') + 1
	line := e.Expr[start:]
	if end := strings.IndexByte(line, '\n'); end >= 0 {
		line = line[:end]
	}
	col -= start
	var b strings.Builder
	b.WriteString(line)
	b.WriteByte('\n')
	for i := 1; i < col; i++ {
		if i-1 < len(line) && line[i-1] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// RuntimeError is what evaluation reports when an expression cannot
// produce a value for a packet: a conversion given input of the wrong
// length, or a substring or split position that does not fit a C int. Kea
// logs such an error and leaves the class unassigned; the classifier does
// the same and records the error (see [Eval.Errors]). The values are fixed,
// so reporting one costs no allocation.
type RuntimeError struct {
	Op  string // the operator, e.g. "int16totext"
	Msg string
}

func (e *RuntimeError) Error() string { return "classify: " + e.Op + ": " + e.Msg }

var (
	errAddrLen    = &RuntimeError{"addrtotext", "input is neither 4 nor 16 bytes"}
	errInt8Len    = &RuntimeError{"int8totext", "input is not 1 byte"}
	errInt16Len   = &RuntimeError{"int16totext", "input is not 2 bytes"}
	errInt32Len   = &RuntimeError{"int32totext", "input is not 4 bytes"}
	errUint8Len   = &RuntimeError{"uint8totext", "input is not 1 byte"}
	errUint16Len  = &RuntimeError{"uint16totext", "input is not 2 bytes"}
	errUint32Len  = &RuntimeError{"uint32totext", "input is not 4 bytes"}
	errSubStart   = &RuntimeError{"substring", "start does not fit a 32-bit integer"}
	errSubLength  = &RuntimeError{"substring", "length does not fit a 32-bit integer"}
	errSplitField = &RuntimeError{"split", "field number does not fit a 32-bit integer"}
	errNoPacket   = &RuntimeError{"eval", "no decoded packet (call Begin with a decoded packet)"}
	errWrongKind  = &RuntimeError{"eval", "expression has the other kind (boolean vs string)"}
)
