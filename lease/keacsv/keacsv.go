package keacsv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/leased/leased/dhcpv4/optdef"
	"github.com/leased/leased/lease"
)

// Columns are the columns of Kea's lease4 CSV file, in order. Kea 2.2
// writes the first eleven; Kea 3.x adds pool_id. Older files stop after
// hostname (schema 1.0) or state (2.0).
var Columns = [...]string{
	"address", "hwaddr", "client_id", "valid_lifetime", "expire", "subnet_id",
	"fqdn_fwd", "fqdn_rev", "hostname", "state", "user_context", "pool_id",
}

const (
	colAddress = iota
	colHWAddr
	colClientID
	colValid
	colExpire
	colSubnet
	colFwd
	colRev
	colHostname
	colState
	colContext
	colPool

	minColumns = colHostname + 1 // Kea refuses files with fewer
)

// Row is one lease row of a Kea lease file. A row whose valid_lifetime is
// 0 records that the lease at its address was deleted.
type Row struct {
	Lease   lease.Lease
	Deleted bool
	Line    int
}

// RowError is a row that could not be read, or a bad header.
type RowError struct {
	File string
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// Reader reads rows from a Kea lease4 CSV file.
type Reader struct {
	name  string
	sc    *bufio.Scanner
	line  int
	cols  int // columns in the header
	err   error
	field []string
}

// maxLine bounds a row. Kea's longest rows (a 255-byte hostname and a
// user context, both escaped) stay far below it.
const maxLine = 1 << 20

// NewReader returns a Reader of r; name is used in errors (file:line).
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &Reader{name: name, sc: sc}
}

// Next returns the next row. At the end it returns io.EOF. A row that
// cannot be read gives a *RowError naming the file and line, and reading
// may go on with the next row; a bad header, or a read error, ends the
// file and every later call returns the same error.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for r.sc.Scan() {
		r.line++
		text := strings.TrimSuffix(r.sc.Text(), "\r")
		if text == "" {
			continue
		}
		if r.cols == 0 {
			if err := r.header(text); err != nil {
				r.err = &RowError{r.name, r.line, err}
				return Row{}, r.err
			}
			continue
		}
		r.field = splitInto(r.field[:0], text)
		if r.field[0] == Columns[colAddress] {
			continue // a header again, as when files were concatenated
		}
		row, err := r.row(r.field)
		if err != nil {
			return Row{}, &RowError{r.name, r.line, err}
		}
		row.Line = r.line
		return row, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes, which no Kea lease file has: %w", maxLine, err)
		}
		r.err = &RowError{r.name, r.line + 1, err}
		return Row{}, r.err
	}
	if r.cols == 0 {
		r.err = &RowError{r.name, r.line + 1, errors.New("empty file: no header row")}
		return Row{}, r.err
	}
	r.err = io.EOF
	return Row{}, io.EOF
}

func splitInto(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

// header checks the header row as Kea does: its columns must be Kea's, in
// Kea's order, at least up to hostname; columns past pool_id are ignored.
func (r *Reader) header(text string) error {
	cols := splitInto(nil, text)
	for i, c := range cols {
		if i < len(Columns) && c != Columns[i] {
			return fmt.Errorf("header column %d is %q, Kea's lease4 file has %q there", i+1, c, Columns[i])
		}
	}
	if len(cols) < minColumns {
		return fmt.Errorf("header has %d columns; a Kea lease4 file has at least %d (%s)", len(cols), minColumns, strings.Join(Columns[:minColumns], ","))
	}
	r.cols = len(cols)
	return nil
}

func (r *Reader) row(f []string) (Row, error) {
	var row Row
	if len(f) != r.cols {
		return row, fmt.Errorf("row has %d values, the header has %d columns", len(f), r.cols)
	}
	l := &row.Lease
	var err error
	if l.Addr, err = netip.ParseAddr(f[colAddress]); err != nil || !l.Addr.Is4() {
		return row, fmt.Errorf("address %q is not an IPv4 address", f[colAddress])
	}
	if l.HWAddr, err = parseHex(f[colHWAddr], lease.MaxHWAddrLen); err != nil {
		return row, fmt.Errorf("hwaddr: %w", err)
	}
	if len(l.HWAddr) > 0 {
		l.HWType = lease.HTypeEthernet
	}
	if l.ClientID, err = parseHex(f[colClientID], lease.MaxClientIDLen); err != nil {
		return row, fmt.Errorf("client_id: %w", err)
	}
	valid, err := parseUint(f, colValid, 32)
	if err != nil {
		return row, err
	}
	l.ValidLifetime = uint32(valid)
	expire, err := parseUint(f, colExpire, 63)
	if err != nil {
		return row, err
	}
	if expire < valid {
		return row, fmt.Errorf("expire %d is earlier than valid_lifetime %d after the epoch", expire, valid)
	}
	l.CLTT = int64(expire - valid)
	subnet, err := parseUint(f, colSubnet, 32)
	if err != nil {
		return row, err
	}
	l.SubnetID = uint32(subnet)
	if l.FQDNFwd, err = parseBool(f, colFwd); err != nil {
		return row, err
	}
	if l.FQDNRev, err = parseBool(f, colRev); err != nil {
		return row, err
	}
	l.Hostname = Unescape(f[colHostname])
	if r.cols > colState {
		st, err := parseUint(f, colState, 8)
		if err != nil {
			return row, err
		}
		l.State = lease.State(st)
		if !l.State.Valid() {
			return row, fmt.Errorf("state %d is not a DHCPv4 lease state (0 default, 1 declined, 2 expired-reclaimed, 3 released)", st)
		}
	}
	if r.cols > colContext {
		l.UserContext = Unescape(f[colContext])
	}
	if r.cols > colPool {
		pool, err := parseUint(f, colPool, 32)
		if err != nil {
			return row, err
		}
		l.PoolID = uint32(pool)
	}
	if len(l.HWAddr) == 0 && len(l.ClientID) == 0 && l.State != lease.StateDeclined {
		return row, fmt.Errorf("lease %v has neither hwaddr nor client_id and is not declined", l.Addr)
	}
	if err := l.Validate(); err != nil {
		return row, err
	}
	row.Deleted = valid == 0
	return row, nil
}

func parseUint(f []string, col, bits int) (uint64, error) {
	v, err := strconv.ParseUint(f[col], 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number from 0 to %d", Columns[col], f[col], uint64(1)<<bits-1)
	}
	return v, nil
}

func parseBool(f []string, col int) (bool, error) {
	switch f[col] {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%s %q is not 0 or 1", Columns[col], f[col])
}

// csvHex is the syntax of the hwaddr and client_id columns: Kea writes
// colon-separated bytes ("1:a:ff" is read too); plain hex digits with an
// optional 0x are read as well, "0x" alone as no bytes.
const csvHex = optdef.HexColon | optdef.HexBarePrefix | optdef.HexStrictRun

// parseHex reads an identifier column, at most max bytes.
func parseHex(s string, max int) ([]byte, error) {
	out, err := optdef.ParseHex(s, csvHex)
	if err != nil {
		if strings.Contains(s, ":") {
			return nil, fmt.Errorf("%q is not colon-separated hex bytes", s)
		}
		return nil, fmt.Errorf("%q is not hex", s)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%q is %d bytes long, more than %d", s, len(out), max)
	}
	return out, nil
}

// Escape escapes a hostname or user context for a CSV column as Kea 3.x
// does: the separator ',', the '&' that starts an escape, control
// characters and bytes outside printable ASCII become "&#x" and two hex
// digits.
func Escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 4*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b.WriteString("&#x")
			b.WriteByte(digits[c>>4])
			b.WriteByte(digits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mustEscape(c byte) bool { return c < 0x20 || c > 0x7e || c == ',' || c == '&' }

// Unescape undoes Escape, and Kea 2.2's narrower escaping (',' and '&'
// only). "&#x" not followed by two hex digits stays as it is, as in Kea.
func Unescape(s string) string {
	i := strings.Index(s, "&#x")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		if len(s) >= 5 && isHex(s[3]) && isHex(s[4]) {
			b.WriteByte(unhex(s[3])<<4 | unhex(s[4]))
			s = s[5:]
		} else {
			b.WriteString("&#x")
			s = s[3:]
		}
		i = strings.Index(s, "&#x")
	}
	b.WriteString(s)
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Writer writes leases as Kea's 12-column lease4 CSV (Kea 3.x), header
// first.
type Writer struct {
	w      *bufio.Writer
	header bool
	buf    []byte
}

// NewWriter returns a Writer to w. Call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 64<<10)} }

// Write writes one lease row (the header before the first).
func (w *Writer) Write(l *lease.Lease) error {
	if !w.header {
		w.header = true
		w.w.WriteString(strings.Join(Columns[:], ",") + "\n")
	}
	b := w.buf[:0]
	b = l.Addr.AppendTo(b)
	b = append(b, ',')
	b = lease.AppendHex(b, l.HWAddr)
	b = append(b, ',')
	b = lease.AppendHex(b, l.ClientID)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(l.ValidLifetime), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, l.Expire(), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(l.SubnetID), 10)
	b = append(b, ',', boolDigit(l.FQDNFwd), ',', boolDigit(l.FQDNRev), ',')
	b = append(b, Escape(l.Hostname)...)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(l.State), 10)
	b = append(b, ',')
	b = append(b, Escape(l.UserContext)...)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(l.PoolID), 10)
	b = append(b, '\n')
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// Flush writes the header if no lease was written, then buffered data.
func (w *Writer) Flush() error {
	if !w.header {
		w.header = true
		w.w.WriteString(strings.Join(Columns[:], ",") + "\n")
	}
	return w.w.Flush()
}

func boolDigit(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}
