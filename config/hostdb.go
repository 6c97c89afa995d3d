package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4/optdef"
)

// HostsDatabase is one hosts-database (or an entry of hosts-databases):
// where reservations beyond the file's are kept.
type HostsDatabase struct {
	Database
	// ReadOnly opens the database for lookups only: reservation-add and
	// reservation-del are refused, as Kea refuses them.
	ReadOnly bool
	Pos      Pos
}

// hostsDatabases reads hosts-database (a map) or hosts-databases (a list
// of maps); only PostgreSQL is implemented.
func (l *loader) hostsDatabases(m member, list bool) {
	scope := "hosts-database"
	if list {
		scope = "hosts-databases"
		for _, e := range l.elements(m, "hosts database") {
			l.hostsDatabase(e, scope)
		}
		return
	}
	if l.obj(m) {
		l.hostsDatabase(m.v(), scope)
	}
}

func (l *loader) hostsDatabase(v *jsonc.Value, scope string) {
	if v.Kind() != jsonc.Object {
		l.errf(v.Pos(), "%s: each entry must be a map, got %s", scope, v.Describe())
		return
	}
	db := HostsDatabase{Pos: v.Pos()}
	var typ *member
	var mysqlOnly []member
	for _, m := range members(v, "hosts-database") {
		switch m.Key {
		case "type":
			db.Type, _ = l.enum(m, "mysql", "postgresql")
			typ = &m
		case "readonly":
			db.ReadOnly, _ = l.boolean(m)
		case "cipher-list", "read-timeout", "write-timeout":
			// Applied to MySQL connections; warned at below for
			// PostgreSQL, once the type is known.
			l.databaseParam(m, &db.Database)
			mysqlOnly = append(mysqlOnly, m)
		case "tcp-user-timeout":
			l.databaseParam(m, &db.Database)
			l.noEffect(m.keyPos(), scope, m.Key, "")
		default:
			if !l.databaseParam(m, &db.Database) {
				l.unknown(m)
			}
		}
	}
	if typ == nil {
		l.errf(v.Pos(), "%s: \"type\" is required (\"mysql\" or \"postgresql\")", scope)
		return
	}
	if db.Name == "" && (db.Type == "postgresql" || db.Type == "mysql") {
		l.errf(typ.pos(), "%s: a %s database needs \"name\" (the database name)", scope, db.Type)
	}
	if db.Type != "mysql" {
		for _, m := range mysqlOnly {
			l.noEffect(m.keyPos(), scope, m.Key, pgsqlOnly)
		}
	}
	l.cfg.HostsDatabases = append(l.cfg.HostsDatabases, db)
}

// databaseParam reads one connection keyword shared by Kea's database
// maps into db, and reports whether m was one.
func (l *loader) databaseParam(m member, db *Database) bool {
	switch m.Key {
	case "name":
		db.Name, _ = l.str(m)
	case "host":
		db.Host, _ = l.str(m)
	case "port":
		db.Port, _ = l.u16(m)
	case "user":
		db.User, _ = l.str(m)
	case "password":
		p, _ := l.str(m)
		db.Password = Secret(p)
	case "password-file":
		db.PasswordFile, _ = l.str(m)
	case "connect-timeout":
		db.ConnectTimeout, _ = l.u32(m)
	case "read-timeout":
		db.ReadTimeout, _ = l.u32(m)
	case "write-timeout":
		db.WriteTimeout, _ = l.u32(m)
	case "tcp-user-timeout":
		db.TCPUserTimeout, _ = l.u32(m)
	case "reconnect-wait-time":
		db.ReconnectWaitTime, _ = l.u32(m)
	case "max-reconnect-tries":
		db.MaxReconnectTries, _ = l.u32(m)
	case "on-fail":
		db.OnFail, _ = l.enum(m, "stop-retry-exit", "serve-retry-exit", "serve-retry-continue")
	case "retry-on-startup":
		db.RetryOnStartup, _ = l.boolean(m)
	case "trust-anchor":
		db.TrustAnchor, _ = l.str(m)
	case "cert-file":
		db.CertFile, _ = l.str(m)
	case "key-file":
		db.KeyFile, _ = l.str(m)
	case "cipher-list":
		db.CipherList, _ = l.str(m)
	case "ssl-mode":
		db.SSLMode, _ = l.enum(m, "disable", "prefer", "require", "verify-ca", "verify-full")
	default:
		return false
	}
	return true
}

// ParseReservation reads one reservation as reservation-add gives it: a
// map with the keys of a reservations entry plus "subnet-id" (0, or
// absent for a reservation without ip-address, is the global scope). Its
// option data is read with c's option definitions, and a subnet's
// reservation must be for an address in that subnet, as Kea checks.
func (c *Config) ParseReservation(src []byte) (*Host, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(src, &fields); err != nil || fields == nil {
		return nil, errors.New("reservation must be a map")
	}
	var subnetID uint32
	rawID, hasID := fields["subnet-id"]
	if hasID {
		n, err := strconv.ParseUint(strings.TrimSpace(string(rawID)), 10, 32)
		if err != nil || n == 0xffffffff {
			return nil, fmt.Errorf("'subnet-id' must be an integer from 0 to 4294967294, got %s", jsonc.Shorten(string(rawID)))
		}
		subnetID = uint32(n)
		delete(fields, "subnet-id")
	}
	rest, err := json.Marshal([]map[string]json.RawMessage{fields})
	if err != nil {
		return nil, fmt.Errorf("reservation: %w", err)
	}
	doc := jsonc.Parse("reservation", rest, nil)
	if doc.Failed() {
		return nil, fmt.Errorf("reservation: %s", doc.Diags[0].Msg)
	}
	var s *Subnet
	if subnetID != 0 {
		if s = c.SubnetByID(subnetID); s == nil {
			return nil, fmt.Errorf("IPv4 subnet with ID of '%d' is not configured", subnetID)
		}
	}
	l := &loader{hostClasses: map[string]bool{}, cfg: &Config{OptionDefs: c.OptionDefs}}
	m := member{Member: &jsonc.Member{Key: "reservations", Value: doc.Root}, scope: "reservation-add"}
	what := "the global reservations"
	if s != nil {
		what = fmt.Sprintf("subnet %s (id %d)", s.Prefix, s.ID)
	}
	hosts := l.reservations(m, s, what)
	if l.errors > 0 {
		return nil, errors.New(firstMessage(l.diags))
	}
	h := hosts[0]
	h.Pos = Pos{}
	if !hasID && h.Address.IsValid() {
		if sn := c.SubnetContaining(h.Address); sn != nil {
			return nil, fmt.Errorf("Mandatory 'subnet-id' parameter missing. The address '%s' belongs to subnet '%s' id %d.", h.Address, sn.Prefix, sn.ID)
		}
		return nil, fmt.Errorf("Mandatory 'subnet-id' parameter missing. The address '%s' belongs to no configured subnet.", h.Address)
	}
	h.SubnetID = subnetID
	return h, nil
}

// firstMessage is the text of the first error among ds, without its
// position (which names the command's arguments, not a file).
func firstMessage(ds []Diagnostic) string {
	for _, d := range ds {
		if d.Severity == Error {
			return d.Msg
		}
	}
	return "invalid reservation"
}

// StoredOption is one option of a reservation as Kea's host tables keep
// it (a dhcp4_options row): the space (empty means dhcp4), the code, the
// value either as the text of comma-separated fields (Formatted) or, when
// that is empty, as the raw payload (Value), and whether it is sent
// unasked (persistent). Schema 34.0 (Kea 3.x) adds whether it is never
// sent (cancelled) and the classes it is limited to (client_classes).
type StoredOption struct {
	Space         string
	Code          uint8
	Formatted     string
	Value         []byte
	Persistent    bool
	Cancelled     bool
	ClientClasses []string
}

// ReservationOptions builds the option set of a reservation from its
// stored options, read with c's option definitions as kea-dhcp4 reads
// them: the formatted value by the option's definition, the raw value as
// it is; an option whose definition encapsulates a space carries the
// reservation's options of that space.
func (c *Config) ReservationOptions(stored []StoredOption) (OptionSet, error) {
	if len(stored) == 0 {
		return OptionSet{}, nil
	}
	drafts := make([]optionDraft, len(stored))
	for i, so := range stored {
		d := &drafts[i]
		d.Space, d.Code, d.AlwaysSend, d.Formatted = so.Space, so.Code, so.Persistent, so.Formatted
		d.NeverSend, d.ClientClasses = so.Cancelled, so.ClientClasses
		if d.Space == "" {
			d.Space = optdef.SpaceDHCP4
		}
		d.def, d.hasDef = c.OptionDefs.LookupCode(d.Space, d.Code)
		switch {
		case so.Formatted != "" && d.hasDef:
			b, err := d.def.Encode(nil, so.Formatted, true)
			if err != nil {
				return OptionSet{}, fmt.Errorf("option %s.%d: formatted value %s: %w", d.Space, d.Code, jsonc.Quote(so.Formatted), err)
			}
			d.Data = b
		default:
			// No definition, or no formatted value: Kea uses the raw
			// value as the option's payload.
			d.Data = append([]byte(nil), so.Value...)
		}
	}
	opts := make([]Option, len(drafts))
	for i := range drafts {
		opts[i] = drafts[i].Option
	}
	for i := range drafts {
		if !drafts[i].hasDef || drafts[i].def.Encapsulate == "" {
			continue
		}
		data, err := encapsulate(drafts, i, 0)
		if err != nil {
			return OptionSet{}, fmt.Errorf("option %s.%d: %w", drafts[i].Space, drafts[i].Code, err)
		}
		opts[i].Data = data
	}
	return newOptionSet(opts), nil
}

// ParseIdentifier reads an identifier as the host commands give it: the
// type's name (hw-address, duid, circuit-id, client-id or flex-id) and
// hexadecimal bytes or a 'quoted text'.
func ParseIdentifier(typeName, value string) (IdentifierType, []byte, error) {
	t, ok := identifierTypes[typeName]
	if !ok {
		return 0, nil, errors.New("Value of 'identifier-type' was not recognized.")
	}
	id, err := parseIdentifier(t, value)
	if err != nil {
		return 0, nil, fmt.Errorf("Unable to parse 'identifier' value: %v", err)
	}
	return t, id, nil
}
