package daemon

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ha"
)

// haHook is the base name of Kea's high-availability hook library.
const haHook = "libdhcp_ha"

// haFromConfig reads the parameters of the configuration's libdhcp_ha.so
// hooks-libraries entry, as Kea's HA hook reads them (ha.Parse); nil
// when there is none. The parameters are read as Kea 2.2's form when they
// are valid in it, else as Kea 3.x's (several relationships, 3.x's
// parameters): a configuration valid in both is read with 2.2's
// defaults and wire, which a 3.x partner understands too.
func haFromConfig(cfg *config.Config) (*ha.Config, error) {
	var entry *config.HookLibrary
	for i := range cfg.HooksLibraries {
		h := &cfg.HooksLibraries[i]
		base := path.Base(h.Library)
		if i := strings.IndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		if base != haHook {
			continue
		}
		if entry != nil {
			return nil, fmt.Errorf("hooks-libraries: %s is loaded twice, at %s and at %s", h.Library, entry.Pos, h.Pos)
		}
		entry = h
	}
	if entry == nil {
		return nil, nil
	}
	if entry.Parameters == nil {
		return nil, fmt.Errorf("hooks-libraries %s at %s: no \"parameters\" (the high-availability configuration)", entry.Library, entry.Pos)
	}
	raw := entry.Parameters.AppendJSON(nil, false, false)
	c, err22 := ha.Parse(raw, ha.Options{Dialect: ha.Kea22})
	if err22 == nil {
		return c, nil
	}
	c, err3 := ha.Parse(raw, ha.Options{Dialect: ha.Kea3})
	if err3 == nil {
		return c, nil
	}
	if err22.Error() == err3.Error() {
		return nil, fmt.Errorf("hooks-libraries %s at %s: %w", entry.Library, entry.Pos, err22)
	}
	return nil, fmt.Errorf("hooks-libraries %s at %s: %w", entry.Library, entry.Pos,
		errors.Join(fmt.Errorf("as Kea 2.2 reads it: %w", err22), fmt.Errorf("as Kea 3.x reads it: %w", err3)))
}

// sameHA refuses a configuration whose libdhcp_ha.so entry differs from
// the running one's: the relationship, its peers and its state machine
// are set up once, at start, as Kea's HA hook is loaded once, so a
// change takes effect only at a restart and a reload that asks for one
// must not seem to succeed.
func sameHA(cur, next *config.Config) error {
	a, b := haParameters(cur), haParameters(next)
	if a != b {
		return errors.New("hooks-libraries: the libdhcp_ha.so entry (high availability) changed; HA changes take effect at a restart")
	}
	return nil
}

// haParameters is the text of the libdhcp_ha.so entries' parameters, ""
// without one.
func haParameters(cfg *config.Config) string {
	var out []byte
	for _, h := range cfg.HooksLibraries {
		base := path.Base(h.Library)
		if i := strings.IndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		if base == haHook {
			out = append(out, '|')
			if h.Parameters != nil {
				out = h.Parameters.AppendJSON(out, false, true)
			}
		}
	}
	return string(out)
}
