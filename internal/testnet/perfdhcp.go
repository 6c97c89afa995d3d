//go:build linux

package testnet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// PerfdhcpOptions configures one perfdhcp run. Rate and one of Duration
// and Requests are required, so that every run is bounded.
//
// In DHCPv4 perfdhcp is a relay agent: its packets carry giaddr = its own
// address (LocalAddr) and hops = 1, come from UDP port 67, and it expects
// the replies unicast to that address at port 67.
type PerfdhcpOptions struct {
	Server    netip.Addr    // the server's address (required)
	LocalAddr netip.Addr    // -l: source address and giaddr (RelayAddr in a Pair)
	Rate      int           // -r: exchanges started per second (required)
	Clients   int           // -R: distinct simulated clients (MACs); default 1000
	Duration  time.Duration // -p: test period, whole seconds
	Requests  int           // -n: stop after this many exchanges
	DropTime  time.Duration // -d: when an unanswered request counts as dropped; default 1 s
	Wait      time.Duration // -W: after the period, wait this long for replies; default 1 s
	Threads   string        // -g: "single" (default) or "multi"
	Args      []string      // further perfdhcp arguments
	Timeout   time.Duration // hard limit on the run; default from the above plus 20 s
}

// PerfdhcpExchange is perfdhcp's statistics for one exchange type.
type PerfdhcpExchange struct {
	Sent, Received, Drops, Orphans, Rejected, NonUnique, Collected int64

	DropsRatio float64 // per cent, as perfdhcp reports it
	MinDelay   time.Duration
	AvgDelay   time.Duration
	MaxDelay   time.Duration
	StdDev     time.Duration
}

// PerfdhcpReport is a parsed perfdhcp report.
type PerfdhcpReport struct {
	Rate         float64 // "Rate:": completed 4-way exchanges per second
	ExpectedRate float64 // the -r asked for, as perfdhcp echoes it (0 if absent)
	Malformed    int64   // malformed packets received
	// Exchanges by perfdhcp's name: "DISCOVER-OFFER", "REQUEST-ACK", ...
	Exchanges map[string]PerfdhcpExchange
	ExitCode  int    // 0: all exchanges completed; 3: some did not
	Output    string // perfdhcp's whole output
}

// DiscoverOffer returns the DISCOVER-OFFER statistics.
func (r *PerfdhcpReport) DiscoverOffer() PerfdhcpExchange { return r.Exchanges["DISCOVER-OFFER"] }

// RequestAck returns the REQUEST-ACK statistics.
func (r *PerfdhcpReport) RequestAck() PerfdhcpExchange { return r.Exchanges["REQUEST-ACK"] }

// RunPerfdhcp runs perfdhcp -4 in ns and returns its parsed report. A
// report with exit code 3 (some exchanges incomplete) is not an error: the
// caller judges the drops. The run is killed if it exceeds opts.Timeout.
func RunPerfdhcp(ctx context.Context, ns *NS, opts PerfdhcpOptions) (*PerfdhcpReport, error) {
	args, timeout, err := perfdhcpArgs(opts)
	if err != nil {
		return nil, fmt.Errorf("perfdhcp in %s: %w", ns.name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, runErr := ns.Run(ctx, "perfdhcp", args...)
	code := 0
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) || ctx.Err() != nil {
			return nil, fmt.Errorf("perfdhcp in %s: %w", ns.name, runErr)
		}
		code = ee.ExitCode()
	}
	if code != 0 && code != 3 {
		return nil, fmt.Errorf("perfdhcp in %s: exit code %d: %w", ns.name, code, runErr)
	}
	rep, err := ParsePerfdhcp(out)
	if err != nil {
		return nil, fmt.Errorf("perfdhcp in %s: %w%s", ns.name, err, IndentOutput(Tail(out, 4096)))
	}
	rep.ExitCode = code
	return rep, nil
}

func perfdhcpArgs(o PerfdhcpOptions) ([]string, time.Duration, error) {
	if !o.Server.Is4() {
		return nil, 0, fmt.Errorf("server address %v: want IPv4", o.Server)
	}
	if o.Rate <= 0 {
		return nil, 0, errors.New("rate must be positive (without -r perfdhcp floods)")
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return nil, 0, errors.New("set Duration or Requests: the run must be bounded")
	}
	if o.Clients <= 0 {
		o.Clients = 1000
	}
	if o.DropTime <= 0 {
		o.DropTime = time.Second
	}
	if o.Wait <= 0 {
		o.Wait = time.Second
	}
	if o.Threads == "" {
		o.Threads = "single"
	}
	args := []string{"-4", "-g", o.Threads, "-r", strconv.Itoa(o.Rate), "-R", strconv.Itoa(o.Clients),
		"-d", strconv.FormatFloat(o.DropTime.Seconds(), 'f', -1, 64),
		"-W", strconv.FormatInt(o.Wait.Microseconds(), 10)}
	period := o.Duration
	if o.Duration > 0 {
		secs := int(math.Ceil(o.Duration.Seconds()))
		args = append(args, "-p", strconv.Itoa(secs))
		period = time.Duration(secs) * time.Second
	}
	if o.Requests > 0 {
		args = append(args, "-n", strconv.Itoa(o.Requests))
		if byReq := time.Duration(float64(o.Requests) / float64(o.Rate) * float64(time.Second)); period <= 0 || byReq < period {
			period = byReq
		}
	}
	if o.LocalAddr.IsValid() {
		args = append(args, "-l", o.LocalAddr.String())
	}
	args = append(args, o.Args...)
	args = append(args, o.Server.String())
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = period + o.Wait + o.DropTime + 20*time.Second
	}
	return args, timeout, nil
}

// ParsePerfdhcp parses perfdhcp's final report. It fails if the report
// has no exchange statistics.
func ParsePerfdhcp(out string) (*PerfdhcpReport, error) {
	rep := &PerfdhcpReport{Exchanges: map[string]PerfdhcpExchange{}, Output: out}
	var cur string
	var ex PerfdhcpExchange
	flush := func() {
		if cur != "" {
			rep.Exchanges[cur] = ex
		}
		cur, ex = "", PerfdhcpExchange{}
	}
	for i, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "***") {
			flush()
			if name, ok := strings.CutPrefix(line, "***Statistics for:"); ok {
				cur = strings.TrimSpace(strings.TrimSuffix(name, "***"))
				if cur == "" {
					return nil, fmt.Errorf("report line %d: statistics section without a name", i+1)
				}
			}
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var err error
		switch {
		case cur == "" && key == "Rate":
			// "74.7 4-way exchanges/second, expected rate: 100"
			f := strings.Fields(val)
			if len(f) > 0 {
				rep.Rate, err = strconv.ParseFloat(f[0], 64)
			}
			if _, exp, ok := strings.Cut(val, "expected rate:"); ok && err == nil {
				rep.ExpectedRate, err = strconv.ParseFloat(strings.TrimSpace(exp), 64)
			}
		case cur == "" && key == "Malformed packets":
			rep.Malformed, err = strconv.ParseInt(val, 10, 64)
		case cur != "":
			err = ex.set(key, val)
		}
		if err != nil {
			return nil, fmt.Errorf("report line %d %q: %w", i+1, line, err)
		}
	}
	flush()
	if len(rep.Exchanges) == 0 {
		return nil, errors.New("no exchange statistics in perfdhcp's output")
	}
	return rep, nil
}

// set stores one "key: value" line of an exchange section. Unknown keys
// are ignored, as are delays perfdhcp prints as non-numbers.
func (e *PerfdhcpExchange) set(key, val string) error {
	counters := map[string]*int64{
		"sent packets": &e.Sent, "received packets": &e.Received, "drops": &e.Drops,
		"orphans": &e.Orphans, "rejected leases": &e.Rejected,
		"non unique addresses": &e.NonUnique, "collected packets": &e.Collected,
	}
	delays := map[string]*time.Duration{
		"min delay": &e.MinDelay, "avg delay": &e.AvgDelay, "max delay": &e.MaxDelay, "std deviation": &e.StdDev,
	}
	if p, ok := counters[key]; ok {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return err
		}
		*p = n
		return nil
	}
	if p, ok := delays[key]; ok {
		f := strings.Fields(val)
		if len(f) == 0 {
			return nil
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v < 0 {
			return nil // "n/a", "inf" and the like when nothing came back
		}
		unit := time.Millisecond
		if len(f) > 1 && f[1] == "s" {
			unit = time.Second
		} else if len(f) > 1 && (f[1] == "us" || f[1] == "µs") {
			unit = time.Microsecond
		}
		d := v * float64(unit)
		if d >= math.MaxInt64 {
			return nil
		}
		*p = time.Duration(d)
		return nil
	}
	if key == "drops ratio" {
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(val, "%")), 64)
		if err != nil || math.IsNaN(v) {
			return nil // "-nan" when nothing was sent
		}
		e.DropsRatio = v
	}
	return nil
}
