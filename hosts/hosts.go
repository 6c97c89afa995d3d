package hosts

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"

	"github.com/leased/leased/config"
)

// Identifier is a client identifier a reservation is keyed on.
type Identifier struct {
	Type  config.IdentifierType
	Value []byte
}

// Source finds reservations. Subnet id 0 is the global scope, as in Kea's
// tables. The configuration gives the option definitions a reservation's
// options are read with. A Source is safe for concurrent use.
type Source interface {
	// Find returns the reservations, in any of subnets, for any of ids.
	Find(ctx context.Context, cfg *config.Config, subnets []uint32, ids []Identifier) ([]*config.Host, error)
	// ByAddress returns the reservations of a in any of subnets.
	ByAddress(ctx context.Context, cfg *config.Config, subnets []uint32, a netip.Addr) ([]*config.Host, error)
}

// Entry is a reservation with the id its store gave it, the position
// reservation-get-page continues from.
type Entry struct {
	ID   uint64
	Host *config.Host
}

// Store is a Source the host commands change.
type Store interface {
	Source
	// Add stores h; ErrExists when the subnet has a reservation for the
	// identifier already.
	Add(ctx context.Context, h *config.Host) error
	// Page returns up to limit reservations with ids above after, in id
	// order, of one subnet, or of every subnet when all.
	Page(ctx context.Context, cfg *config.Config, subnetID uint32, all bool, after uint64, limit int) ([]Entry, error)
	// Delete removes the reservation of id in a subnet and reports
	// whether there was one.
	Delete(ctx context.Context, subnetID uint32, id Identifier) (bool, error)
	// DeleteAddress removes the reservations of a in a subnet and reports
	// whether there was one.
	DeleteAddress(ctx context.Context, subnetID uint32, a netip.Addr) (bool, error)
	// ReadOnly reports whether Add and Delete are refused (ErrReadOnly).
	ReadOnly() bool
	// Ping checks that the database answers, on a new connection: what
	// the recovery of a lost connection tries.
	Ping(ctx context.Context) error
	Close() error
}

var (
	// ErrExists is returned by Add for a reservation whose identifier
	// the subnet has already.
	ErrExists = errors.New("Database duplicate entry error")
	// ErrReadOnly is returned by the changes of a store opened read-only.
	ErrReadOnly = errors.New("the hosts database is configured read-only")
)

// FormatID writes an identifier as Kea shows it: lowercase hexadecimal
// bytes separated by colons.
func FormatID(id []byte) string {
	var b strings.Builder
	for i, c := range id {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex.EncodeToString([]byte{c}))
	}
	return b.String()
}

// JSON is a reservation as Kea's host commands show it
// (Host::toElement4 plus "subnet-id"): the identifier, the address when
// there is one, hostname, boot fields, client classes, option data and
// user context.
func JSON(cfg *config.Config, h *config.Host) map[string]any {
	m := map[string]any{
		h.IDType.String(): FormatID(h.Identifier),
		"hostname":        h.Hostname,
		"next-server":     addrText(h.NextServer),
		"server-hostname": h.ServerHostname,
		"boot-file-name":  h.BootFileName,
		"client-classes":  append([]string{}, h.ClientClasses...),
		"option-data":     optionsJSON(cfg, &h.Options),
		"subnet-id":       h.SubnetID,
	}
	if h.Address.IsValid() {
		m["ip-address"] = h.Address.String()
	}
	if h.UserContext != nil {
		m["user-context"] = json.RawMessage(h.UserContext.AppendJSON(nil, true, false))
	}
	return m
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "0.0.0.0"
	}
	return a.String()
}

// optionsJSON renders options as Kea's option-data: the comma-separated
// text when the option was given so, else the payload in hexadecimal.
func optionsJSON(cfg *config.Config, set *config.OptionSet) []map[string]any {
	out := []map[string]any{}
	for _, o := range set.All() {
		e := map[string]any{
			"code":        o.Code,
			"space":       o.Space,
			"always-send": o.AlwaysSend,
			"never-send":  o.NeverSend,
		}
		if len(o.ClientClasses) > 0 {
			e["client-classes"] = append([]string{}, o.ClientClasses...)
		}
		if cfg != nil {
			if def, ok := cfg.OptionDefs.LookupCode(o.Space, o.Code); ok {
				e["name"] = def.Name
			}
		}
		if o.Formatted != "" {
			e["csv-format"], e["data"] = true, o.Formatted
		} else {
			e["csv-format"], e["data"] = false, strings.ToUpper(hex.EncodeToString(o.Data))
		}
		out = append(out, e)
	}
	return out
}

// StoredOptions are a reservation's options as Kea's tables keep them:
// the comma-separated text when there is one, else the payload.
func StoredOptions(set *config.OptionSet) []config.StoredOption {
	var out []config.StoredOption
	for _, o := range set.All() {
		so := config.StoredOption{Space: o.Space, Code: o.Code, Persistent: o.AlwaysSend,
			Cancelled: o.NeverSend, ClientClasses: o.ClientClasses}
		if o.Formatted != "" {
			so.Formatted = o.Formatted
		} else {
			so.Value = o.Data
		}
		out = append(out, so)
	}
	return out
}
