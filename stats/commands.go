package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/leased/leased/control"
)

// TimestampLayout is Kea's sample timestamp: local time with
// microseconds.
const TimestampLayout = "2006-01-02 15:04:05.000000"

// FormatDuration writes a duration statistic as Kea does:
// "HH:MM:SS.ffffff", hours growing past two digits when needed.
func FormatDuration(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	us := d.Microseconds()
	s := us / 1e6
	return fmt.Sprintf("%s%02d:%02d:%02d.%06d", neg, s/3600, s/60%60, s%60, us%1e6)
}

// samplesJSON is one statistic as Kea answers it: a list of [value,
// timestamp] pairs, newest first. m.mu is held.
func (m *Manager) samplesJSON(st *stat) [][2]any {
	m.sync(st, m.now())
	out := make([][2]any, 0, len(st.samples))
	for i := len(st.samples) - 1; i >= 0; i-- {
		s := st.samples[i]
		var v any
		switch st.kind {
		case Integer:
			v = s.i
		case Float:
			v = s.f
		case Duration:
			v = FormatDuration(s.d)
		case String:
			v = s.s
		}
		out = append(out, [2]any{v, s.t.In(m.loc).Format(TimestampLayout)})
	}
	return out
}

// Get returns the arguments of statistic-get: {name: samples}, or an
// empty map when there is no such statistic.
func (m *Manager) Get(name string) map[string][][2]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][][2]any{}
	if st := m.stats[name]; st != nil {
		out[name] = m.samplesJSON(st)
	}
	return out
}

// GetAll returns the arguments of statistic-get-all.
func (m *Manager) GetAll() map[string][][2]any {
	return m.getAll(func(string) bool { return true })
}

// GetAllGlobal returns the arguments of statistic-global-get-all: every
// statistic but those of subnets.
func (m *Manager) GetAllGlobal() map[string][][2]any {
	return m.getAll(func(n string) bool { return !strings.HasPrefix(n, "subnet") })
}

func (m *Manager) getAll(keep func(string) bool) map[string][][2]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][][2]any, len(m.stats))
	for name, st := range m.stats {
		if keep(name) {
			out[name] = m.samplesJSON(st)
		}
	}
	return out
}

// Commands returns the statistic-* control commands, by name.
func (m *Manager) Commands() map[string]control.Handler {
	return map[string]control.Handler{
		"statistic-get":                  m.cmdGet,
		"statistic-get-all":              m.cmdGetAll,
		"statistic-global-get-all":       m.cmdGlobalGetAll,
		"statistic-reset":                m.cmdReset,
		"statistic-reset-all":            m.cmdResetAll,
		"statistic-remove":               m.cmdRemove,
		"statistic-remove-all":           m.cmdRemoveAll,
		"statistic-sample-age-set":       m.cmdAgeSet,
		"statistic-sample-age-set-all":   m.cmdAgeSetAll,
		"statistic-sample-count-set":     m.cmdCountSet,
		"statistic-sample-count-set-all": m.cmdCountSetAll,
	}
}

// RegisterCommands registers the statistic-* commands into r.
func (m *Manager) RegisterCommands(r control.Registrar) error {
	for name, h := range m.Commands() {
		if err := r.Register(name, h); err != nil {
			return fmt.Errorf("registering statistics commands: %w", err)
		}
	}
	return nil
}

// params reads a statistics command's arguments. Kea's statistics
// handlers treat absent arguments as a missing parameter, so the error
// names the first parameter the command needs.
func params(raw json.RawMessage, first string) (control.Args, error) {
	a, err := control.OptionalArgs("", raw)
	if err != nil || a == nil {
		return nil, fmt.Errorf("Missing mandatory '%s' parameter.", first)
	}
	return a, nil
}

func statName(raw json.RawMessage) (string, error) {
	a, err := params(raw, "name")
	if err != nil {
		return "", err
	}
	return a.String("name")
}

func statDuration(a control.Args) (time.Duration, error) {
	n, err := a.Int("duration")
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("'duration' parameter must not be negative.")
	}
	if n > math.MaxInt64/int64(time.Second) {
		return 0, fmt.Errorf("'duration' parameter is too large.")
	}
	return time.Duration(n) * time.Second, nil
}

func statMaxSamples(a control.Args) (uint32, error) {
	if !a.Has("max-samples") {
		return 0, fmt.Errorf("Missing mandatory 'max-samples' parameter.")
	}
	n, err := a.Int("max-samples")
	if err != nil {
		return 0, fmt.Errorf("'max-samples' parameter expected to be an integer.")
	}
	if n == 0 {
		return 0, fmt.Errorf("'max-samples' parameter must not be zero")
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, fmt.Errorf("'max-samples' parameter out of range: %d", n)
	}
	return uint32(n), nil
}

func (m *Manager) cmdGet(_ context.Context, raw json.RawMessage) control.Response {
	name, err := statName(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	return control.OKWith(m.Get(name))
}

func (m *Manager) cmdGetAll(context.Context, json.RawMessage) control.Response {
	return control.OKWith(m.GetAll())
}

func (m *Manager) cmdGlobalGetAll(context.Context, json.RawMessage) control.Response {
	return control.OKWith(m.GetAllGlobal())
}

func (m *Manager) cmdReset(_ context.Context, raw json.RawMessage) control.Response {
	name, err := statName(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if !m.Reset(name) {
		return control.Errorf("No '%s' statistic found", name)
	}
	return control.OK("Statistic '" + name + "' reset.")
}

func (m *Manager) cmdResetAll(context.Context, json.RawMessage) control.Response {
	m.ResetAll()
	return control.OK("All statistics reset to neutral values.")
}

func (m *Manager) cmdRemove(_ context.Context, raw json.RawMessage) control.Response {
	name, err := statName(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if !m.Remove(name) {
		return control.Errorf("No '%s' statistic found", name)
	}
	return control.OK("Statistic '" + name + "' removed.")
}

func (m *Manager) cmdRemoveAll(context.Context, json.RawMessage) control.Response {
	m.RemoveAll()
	return control.OK("Warning: statistic-remove-all command is deprecated. All statistics removed.")
}

func (m *Manager) cmdAgeSet(_ context.Context, raw json.RawMessage) control.Response {
	name, err := statName(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	a, _ := params(raw, "name")
	d, err := statDuration(a)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if !m.SetMaxSampleAge(name, d) {
		return control.Errorf("No '%s' statistic found", name)
	}
	return control.OK("Statistic '" + name + "' duration limit is set.")
}

func (m *Manager) cmdAgeSetAll(_ context.Context, raw json.RawMessage) control.Response {
	a, err := params(raw, "duration")
	if err != nil {
		return control.Errorf("%s", err)
	}
	d, err := statDuration(a)
	if err != nil {
		return control.Errorf("%s", err)
	}
	m.SetMaxSampleAgeAll(d)
	return control.OK("All statistics duration limit are set.")
}

func (m *Manager) cmdCountSet(_ context.Context, raw json.RawMessage) control.Response {
	name, err := statName(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	a, _ := params(raw, "name")
	n, err := statMaxSamples(a)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if !m.SetMaxSampleCount(name, n) {
		return control.Errorf("No '%s' statistic found", name)
	}
	return control.OK("Statistic '" + name + "' count limit is set.")
}

func (m *Manager) cmdCountSetAll(_ context.Context, raw json.RawMessage) control.Response {
	a, err := params(raw, "max-samples")
	if err != nil {
		return control.Errorf("%s", err)
	}
	n, err := statMaxSamples(a)
	if err != nil {
		return control.Errorf("%s", err)
	}
	m.SetMaxSampleCountAll(n)
	return control.OK("All statistics count limit are set.")
}
