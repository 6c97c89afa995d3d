package stats

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is the type of a statistic's values.
type Kind uint8

// The kinds of statistics Kea keeps.
const (
	Integer Kind = iota + 1
	Float
	Duration
	String
)

func (k Kind) String() string {
	switch k {
	case Integer:
		return "integer"
	case Float:
		return "float"
	case Duration:
		return "duration"
	case String:
		return "string"
	}
	return "unknown"
}

// Kea's defaults for the sample limits.
const (
	DefaultMaxSampleCount = 20
	DefaultMaxSampleAge   = 0
)

// Options tune a Manager. The zero value is ready to use.
type Options struct {
	// Now returns the time samples are stamped with; nil is time.Now.
	Now func() time.Time
	// Location is the zone of the timestamps in answers; nil is
	// time.Local (Kea writes local time).
	Location *time.Location
}

// Manager holds a server's statistics. It is safe for concurrent use;
// Counter handles are updated without taking its lock.
type Manager struct {
	now func() time.Time
	loc *time.Location

	mu    sync.Mutex
	stats map[string]*stat
	// counters holds every Counter handed out, also those whose
	// statistic was removed, so a name keeps one handle for its life.
	counters map[string]*Counter
	def      limits
}

// limits are the sample limits of a statistic: either a count or an age
// is in force, never both (Kea switches between them).
type limits struct {
	byAge bool
	count uint32
	age   time.Duration
}

type stat struct {
	kind    Kind
	samples []sample // oldest first
	lim     limits
	// counter, when set, holds the live value; it is copied into
	// samples when the statistic is read.
	counter *Counter
	last    int64 // counter value of the newest sample
}

type sample struct {
	i int64
	f float64
	d time.Duration
	s string
	t time.Time
}

// New returns an empty Manager with Kea's default limits (20 samples).
func New(opts Options) *Manager {
	m := &Manager{
		now:      opts.Now,
		loc:      opts.Location,
		stats:    make(map[string]*stat),
		counters: make(map[string]*Counter),
		def:      limits{count: DefaultMaxSampleCount},
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.loc == nil {
		m.loc = time.Local
	}
	return m
}

// Counter is an integer statistic that the packet path updates without a
// lock: Add is an atomic add (and an atomic load). The history of the
// statistic is brought up to date when it is read, with one sample
// stamped at the time of the read if the value changed since the
// previous one. So the samples of a counter record its value at the
// moments it was looked at, not at every change.
//
// A Counter stays valid when its statistic is removed (statistic-remove):
// the value drops to 0 and the statistic reappears on the next Add, as
// Kea re-creates a removed statistic when it is next updated.
type Counter struct {
	v        atomic.Int64
	detached atomic.Bool
	m        *Manager
	name     string
}

// Add adds n (which may be negative) to the counter.
func (c *Counter) Add(n int64) {
	c.v.Add(n)
	if c.detached.Load() {
		c.m.reattach(c)
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.Add(1) }

// Set sets the value (for gauges such as total-addresses).
func (c *Counter) Set(n int64) {
	c.v.Store(n)
	if c.detached.Load() {
		c.m.reattach(c)
	}
}

// Load returns the current value.
func (c *Counter) Load() int64 { return c.v.Load() }

// Name returns the statistic's name.
func (c *Counter) Name() string { return c.name }

// Counter returns the handle of the named integer statistic, creating it
// with value 0 if needed. It fails if the name is taken by a statistic of
// another kind.
func (m *Manager) Counter(name string) (*Counter, error) {
	return m.counter(name, true)
}

// LazyCounter returns a handle like Counter, but a statistic that does
// not exist yet only appears on the first Add or Set. Kea creates some
// statistics (the v4-allocation-fail family) only when they first count.
func (m *Manager) LazyCounter(name string) (*Counter, error) {
	return m.counter(name, false)
}

// mustCounter is Counter for the fixed names of this package. If the
// name was already taken by a statistic of another kind, the handle it
// returns counts into nothing, so the caller never has to handle an
// error on the packet path.
func (m *Manager) mustCounter(name string, visible bool) *Counter {
	c, err := m.counter(name, visible)
	if err != nil {
		c = &Counter{m: m, name: name}
		c.detached.Store(true)
	}
	return c
}

func (m *Manager) counter(name string, visible bool) (*Counter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st != nil && st.kind != Integer {
		return nil, fmt.Errorf("statistic %s is a %s, not an integer", name, st.kind)
	}
	c := m.counters[name]
	if c == nil {
		c = &Counter{m: m, name: name}
		m.counters[name] = c
	}
	switch {
	case st != nil && st.counter == nil:
		// An integer statistic set through SetInt becomes counter-backed.
		c.v.Store(st.samples[len(st.samples)-1].i)
		st.counter, st.last = c, c.v.Load()
		c.detached.Store(false)
	case st != nil:
	case visible:
		c.v.Store(0)
		m.stats[name] = m.newStat(Integer, sample{}, c)
		c.detached.Store(false)
	default:
		c.v.Store(0)
		c.detached.Store(true)
	}
	return c, nil
}

func (m *Manager) newStat(k Kind, first sample, c *Counter) *stat {
	first.t = m.now()
	st := &stat{kind: k, lim: m.def, samples: []sample{first}, counter: c}
	if c != nil {
		st.last = first.i
	}
	return st
}

// reattach puts back the statistic of a counter that was removed or has
// not appeared yet.
func (m *Manager) reattach(c *Counter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !c.detached.Load() {
		return
	}
	if st := m.stats[c.name]; st != nil {
		if st.kind != Integer {
			return // the name now belongs to another kind; stay detached
		}
		st.counter = c
	} else {
		m.stats[c.name] = m.newStat(Integer, sample{i: c.v.Load()}, c)
	}
	c.detached.Store(false)
}

// sync brings a counter-backed statistic's samples up to date. m.mu is
// held.
func (m *Manager) sync(st *stat, now time.Time) {
	if st.counter == nil {
		return
	}
	v := st.counter.v.Load()
	if v == st.last {
		return
	}
	st.last = v
	m.push(st, sample{i: v, t: now})
}

// push appends a sample and applies the limits the way Kea does: the
// count limit drops the oldest samples beyond the count; the age limit
// drops the oldest while the span from oldest to newest exceeds the age.
func (m *Manager) push(st *stat, s sample) {
	st.samples = append(st.samples, s)
	st.trim()
}

func (st *stat) trim() {
	if st.lim.byAge {
		newest := st.samples[len(st.samples)-1].t
		drop := 0
		for drop < len(st.samples)-1 && newest.Sub(st.samples[drop].t) > st.lim.age {
			drop++
		}
		st.samples = append(st.samples[:0], st.samples[drop:]...)
		return
	}
	if n := int(st.lim.count); n > 0 && len(st.samples) > n {
		st.samples = append(st.samples[:0], st.samples[len(st.samples)-n:]...)
	}
}

// set records a new value of a statistic kept under the lock, creating it
// if needed.
func (m *Manager) set(name string, k Kind, s sample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		if k == Integer {
			if c := m.counters[name]; c != nil {
				c.v.Store(s.i)
				m.stats[name] = m.newStat(Integer, s, c)
				c.detached.Store(false)
				return nil
			}
		}
		m.stats[name] = m.newStat(k, s, nil)
		return nil
	}
	if st.kind != k {
		return fmt.Errorf("statistic %s is a %s, not a %s", name, st.kind, k)
	}
	s.t = m.now()
	if st.counter != nil {
		st.counter.v.Store(s.i)
		st.last = s.i
	}
	m.push(st, s)
	return nil
}

// current returns the newest value of a statistic; m.mu is held.
func (m *Manager) current(st *stat) sample {
	m.sync(st, m.now())
	return st.samples[len(st.samples)-1]
}

// SetInt sets an integer statistic.
func (m *Manager) SetInt(name string, v int64) error { return m.set(name, Integer, sample{i: v}) }

// SetFloat sets a float statistic.
func (m *Manager) SetFloat(name string, v float64) error { return m.set(name, Float, sample{f: v}) }

// SetDuration sets a duration statistic.
func (m *Manager) SetDuration(name string, v time.Duration) error {
	return m.set(name, Duration, sample{d: v})
}

// SetString sets a string statistic.
func (m *Manager) SetString(name string, v string) error { return m.set(name, String, sample{s: v}) }

// AddInt adds to an integer statistic (creating it at v). On the packet
// path use a Counter instead: AddInt takes the lock.
func (m *Manager) AddInt(name string, v int64) error {
	m.mu.Lock()
	st := m.stats[name]
	var cur int64
	if st != nil && st.kind == Integer {
		if st.counter != nil {
			c := st.counter
			m.mu.Unlock()
			c.Add(v)
			return nil
		}
		cur = st.samples[len(st.samples)-1].i
	}
	m.mu.Unlock()
	return m.set(name, Integer, sample{i: cur + v})
}

// AddFloat adds to a float statistic (creating it at v).
func (m *Manager) AddFloat(name string, v float64) error {
	m.mu.Lock()
	var cur float64
	if st := m.stats[name]; st != nil && st.kind == Float {
		cur = st.samples[len(st.samples)-1].f
	}
	m.mu.Unlock()
	return m.set(name, Float, sample{f: cur + v})
}

// AddDuration adds to a duration statistic (creating it at v).
func (m *Manager) AddDuration(name string, v time.Duration) error {
	m.mu.Lock()
	var cur time.Duration
	if st := m.stats[name]; st != nil && st.kind == Duration {
		cur = st.samples[len(st.samples)-1].d
	}
	m.mu.Unlock()
	return m.set(name, Duration, sample{d: cur + v})
}

// Value is the newest value of a statistic: an int64, float64,
// time.Duration or string.
func (m *Manager) Value(name string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		return nil, false
	}
	return st.value(m.current(st)), true
}

func (st *stat) value(s sample) any {
	switch st.kind {
	case Float:
		return s.f
	case Duration:
		return s.d
	case String:
		return s.s
	}
	return s.i
}

// Int returns the newest value of an integer statistic.
func (m *Manager) Int(name string) (int64, bool) {
	v, ok := m.Value(name)
	i, isInt := v.(int64)
	return i, ok && isInt
}

// Len returns how many samples a statistic keeps now.
func (m *Manager) Len(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		return 0
	}
	m.sync(st, m.now())
	return len(st.samples)
}

// Names returns the names of all statistics, sorted.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.stats))
	for n := range m.stats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Reset sets a statistic to its neutral value (0, 0.0, 0 s or "") and
// drops its history; it reports whether the statistic exists.
func (m *Manager) Reset(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		return false
	}
	m.reset(st)
	return true
}

func (m *Manager) reset(st *stat) {
	if st.counter != nil {
		st.counter.v.Swap(0)
		st.last = 0
	}
	st.samples = append(st.samples[:0], sample{t: m.now()})
}

// ResetAll resets every statistic.
func (m *Manager) ResetAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range m.stats {
		m.reset(st)
	}
}

// Remove deletes a statistic; it reports whether it existed.
func (m *Manager) Remove(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.remove(name)
}

func (m *Manager) remove(name string) bool {
	st := m.stats[name]
	if st == nil {
		return false
	}
	delete(m.stats, name)
	if c := st.counter; c != nil {
		c.detached.Store(true)
		c.v.Store(0)
	}
	return true
}

// RemoveAll deletes every statistic.
func (m *Manager) RemoveAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.stats {
		m.remove(name)
	}
}

// RemovePrefix deletes every statistic whose name starts with prefix and
// returns how many there were.
func (m *Manager) RemovePrefix(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for name := range m.stats {
		if strings.HasPrefix(name, prefix) && m.remove(name) {
			n++
		}
	}
	return n
}

// SetMaxSampleAge limits a statistic's history to samples no older than
// d relative to its newest sample, replacing any count limit. It reports
// whether the statistic exists.
func (m *Manager) SetMaxSampleAge(name string, d time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		return false
	}
	m.sync(st, m.now())
	st.lim = limits{byAge: true, age: d, count: st.lim.count}
	st.trim()
	return true
}

// SetMaxSampleCount limits a statistic's history to n samples, replacing
// any age limit. n must be at least 1. It reports whether the statistic
// exists.
func (m *Manager) SetMaxSampleCount(name string, n uint32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats[name]
	if st == nil {
		return false
	}
	m.sync(st, m.now())
	st.lim = limits{count: max(n, 1), age: st.lim.age}
	st.trim()
	return true
}

// SetMaxSampleAgeAll applies an age limit to every statistic and makes it
// the default for new ones (statistic-sample-age-set-all).
func (m *Manager) SetMaxSampleAgeAll(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.def = limits{byAge: true, age: d, count: m.def.count}
	now := m.now()
	for _, st := range m.stats {
		m.sync(st, now)
		st.lim = limits{byAge: true, age: d, count: st.lim.count}
		st.trim()
	}
}

// SetMaxSampleCountAll applies a count limit (at least 1) to every
// statistic and makes it the default for new ones
// (statistic-sample-count-set-all).
func (m *Manager) SetMaxSampleCountAll(n uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n = max(n, 1)
	m.def = limits{count: n, age: m.def.age}
	now := m.now()
	for _, st := range m.stats {
		m.sync(st, now)
		st.lim = limits{count: n, age: st.lim.age}
		st.trim()
	}
}

// ApplyDefaults applies the configuration's statistic-default-sample-count
// and statistic-default-sample-age as Kea does on every (re)configuration:
// a non-zero count becomes the default and is applied to every statistic;
// a zero count switches to the age limit, which is then applied to every
// statistic.
func (m *Manager) ApplyDefaults(count uint32, age time.Duration) {
	if count != 0 {
		m.SetMaxSampleCountAll(count)
		m.mu.Lock()
		m.def.age = age
		m.mu.Unlock()
		return
	}
	m.SetMaxSampleAgeAll(age)
}
