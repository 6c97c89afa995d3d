package optdef

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Option spaces Kea defines for DHCPv4.
const (
	SpaceDHCP4               = "dhcp4"                             // top-level options
	SpaceAgent               = "dhcp-agent-options-space"          // sub-options of option 82
	SpaceVendorEncapsulated  = "vendor-encapsulated-options-space" // sub-options of option 43
	SpaceCableLabsClientConf = "cablelabs-client-conf"             // sub-options of option 122
	SpaceDOCSIS3             = "docsis3-v4"                        // Kea's internal name of the DOCSIS space
	SpaceDOCSIS              = "vendor-4491"                       // DOCSIS options inside option 125
)

// EnterpriseCableLabs is CableLabs' IANA enterprise number, whose vendor
// options (space "vendor-4491") Kea defines.
const EnterpriseCableLabs = 4491

const (
	vendorSpacePrefix = "vendor-"

	optionPad = 0
	optionEnd = 255

	codeVendorEncapsulated   = 43
	codeSLPServiceScope      = 79
	codeFQDN                 = 81
	codeClasslessStaticRoute = 121
	codeVIVCO                = 124
	codeVIVSO                = 125
	codeSZTPRedirect         = 143
	codeDNR                  = 162
	firstPrivateCode         = 224
	lastPrivateCode          = 254
)

// Def is the definition of one option in one option space: what Kea
// reads from an option-def entry, or carries built in for standard
// options.
//
// For a record, RecordTypes lists the field types in order and Array
// means the last field repeats. Encapsulate names the option space of
// the sub-options that may follow the option's own value.
//
// Definitions obtained from a Registry share RecordTypes with that
// registry (and the registries derived from it); the slice must not be
// modified.
type Def struct {
	Name        string
	Code        uint8
	Space       string
	Type        Type
	Array       bool
	RecordTypes []Type
	Encapsulate string
}

// String returns "space.name (code)".
func (d *Def) String() string {
	return d.Space + "." + d.Name + " (" + strconv.Itoa(int(d.Code)) + ")"
}

// Sentinel errors wrapped by definition validation errors, for use with
// errors.Is.
var (
	ErrInvalidDef         = errors.New("invalid option definition")
	ErrDuplicateDef       = errors.New("duplicate option definition")
	ErrRedefineStd        = errors.New("standard option cannot be redefined")
	ErrClassDefNotAllowed = errors.New("option definition not allowed in a client class")
)

// DefError reports a rejected option definition.
type DefError struct {
	Def    Def
	Reason string
	Err    error // one of the sentinel errors above
}

func (e *DefError) Error() string {
	return fmt.Sprintf("option definition %s.%s (code %d): %s", e.Def.Space, e.Def.Name, e.Def.Code, e.Reason)
}

func (e *DefError) Unwrap() error { return e.Err }

func defErr(d *Def, kind error, format string, args ...any) error {
	return &DefError{Def: *d, Reason: fmt.Sprintf(format, args...), Err: kind}
}

// validName reports whether s is acceptable as an option or option
// space name: letters, digits, '-' and '_', not starting or ending with
// '-' or '_'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	first, last := s[0], s[len(s)-1]
	return first != '-' && first != '_' && last != '-' && last != '_'
}

// ValidSpaceName reports whether s is a valid option space name.
func ValidSpaceName(s string) bool { return validName(s) }

// Validate checks d the way Kea checks an option-def entry on its own,
// before comparing it with other definitions: name and space syntax,
// codes 0 and 255 in dhcp4, sub-option encapsulation, record layout and
// array rules. The error names the definition and what is wrong.
func (d *Def) Validate() error {
	if !validName(d.Space) {
		return defErr(d, ErrInvalidDef, "invalid option space name %q", d.Space)
	}
	if d.Space == SpaceDHCP4 {
		switch d.Code {
		case optionPad:
			return defErr(d, ErrInvalidDef, "code 0 is reserved for PAD")
		case optionEnd:
			return defErr(d, ErrInvalidDef, "code 255 is reserved for END")
		}
	}
	if d.Encapsulate != "" {
		if d.Array {
			return defErr(d, ErrInvalidDef, "an array option may not encapsulate an option space")
		}
		if d.Encapsulate == d.Space {
			return defErr(d, ErrInvalidDef, "option must not encapsulate the option space %q it belongs to", d.Space)
		}
	}
	if len(d.RecordTypes) > 0 && d.Type != TypeRecord {
		return defErr(d, ErrInvalidDef, "record-types given for type %s; type must be record", d.Type)
	}
	for _, t := range d.RecordTypes {
		if t >= TypeRecord || t == TypeEmpty {
			return defErr(d, ErrInvalidDef, "record field type %s is not allowed in a record", t)
		}
	}
	if !validName(d.Name) {
		return defErr(d, ErrInvalidDef, "invalid option name %q: use letters, digits, '-' and '_', not starting or ending with '-' or '_'", d.Name)
	}
	if d.Encapsulate != "" && !validName(d.Encapsulate) {
		return defErr(d, ErrInvalidDef, "invalid encapsulated option space name %q", d.Encapsulate)
	}
	if d.Type >= numTypes {
		return defErr(d, ErrInvalidDef, "unknown option type %d", d.Type)
	}
	if d.Type == TypeRecord {
		return d.validateRecord()
	}
	if d.Array {
		switch d.Type {
		case TypeString:
			return defErr(d, ErrInvalidDef, "array of strings is not a valid option definition")
		case TypeBinary:
			return defErr(d, ErrInvalidDef, "array of binary values is not a valid option definition")
		case TypeEmpty:
			return defErr(d, ErrInvalidDef, "array of empty values is not a valid option definition")
		case TypeInternal:
			return defErr(d, ErrInvalidDef, "array of internal values is not a valid option definition")
		}
	}
	return nil
}

func (d *Def) validateRecord() error {
	f := d.RecordTypes
	if len(f) < 2 {
		return defErr(d, ErrInvalidDef, "a record needs at least 2 fields in record-types, got %d", len(f))
	}
	for i, t := range f {
		last := i == len(f)-1
		switch {
		case t == TypeString && !last:
			return defErr(d, ErrInvalidDef, "record field %d: a string field must be the last field", i+1)
		case t == TypeBinary && !last:
			return defErr(d, ErrInvalidDef, "record field %d: a binary field must be the last field", i+1)
		case t == TypeInternal:
			return defErr(d, ErrInvalidDef, "record field %d: internal type cannot be a record field", i+1)
		}
	}
	if d.Array {
		switch f[len(f)-1] {
		case TypeString:
			return defErr(d, ErrInvalidDef, "array of strings is not a valid option definition (last record field is a string)")
		case TypeBinary:
			return defErr(d, ErrInvalidDef, "array of binary values is not a valid option definition (last record field is binary)")
		}
	}
	return nil
}

// ParseRecordTypes parses the "record-types" value of an option-def: a
// comma-separated list of type names, blanks around names ignored.
func ParseRecordTypes(s string) ([]Type, error) {
	var out []Type
	for _, tok := range tokens(s, ",", false) {
		tok = strings.Trim(tok, " \t\n\r\v\f")
		if tok == "" {
			continue
		}
		t, err := ParseType(tok)
		if err != nil {
			return nil, fmt.Errorf("record-types: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// CheckCode converts an option code read from configuration to uint8,
// rejecting negative codes and codes above 255 as Kea does for DHCPv4.
func CheckCode(code int64) (uint8, error) {
	switch {
	case code < 0:
		return 0, fmt.Errorf("option code %d must not be negative", code)
	case code > 255:
		return 0, fmt.Errorf("invalid option code %d: it must not be greater than 255", code)
	}
	return uint8(code), nil
}

// VendorSpace returns the option space Kea uses for the sub-options of
// option 125 with the given enterprise number: "vendor-<id>".
func VendorSpace(enterpriseID uint32) string {
	return vendorSpacePrefix + strconv.FormatUint(uint64(enterpriseID), 10)
}

// VendorID reports the enterprise number of a "vendor-<id>" option
// space. Like Kea it requires at least one character after "vendor-"
// and all of them digits; a zero or overflowing number is not a vendor
// space.
func VendorID(space string) (uint32, bool) {
	if len(space) < len(vendorSpacePrefix)+1 || !strings.HasPrefix(space, vendorSpacePrefix) {
		return 0, false
	}
	n, err := strconv.ParseUint(space[len(vendorSpacePrefix):], 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	for _, c := range space[len(vendorSpacePrefix):] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return uint32(n), true
}
