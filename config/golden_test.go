package config

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// describe renders what the server reads from a loaded configuration:
// every subnet's and pool's resolved parameters and encoded options, the
// classes and the reservations. Golden files pin this rendering.
func describe(c *Config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("global: %s\n", describeParams(&c.Global))
	w("global options:\n%s", describeOptions(&c.Options, "  "))
	for _, cl := range c.Classes {
		w("class %q additional=%v known=%v test=%q", cl.Name, cl.Additional, cl.DependsOnKnown, cl.Test)
		if cl.TemplateTest != "" {
			w(" template-test=%q", cl.TemplateTest)
		}
		if cl.HasOfferLifetime {
			w(" offer=%d", cl.OfferLifetime)
		}
		if cl.HasValidLifetime {
			w(" valid=%v", cl.ValidLifetime)
		}
		if cl.HasNextServer || cl.HasServerHostname || cl.HasBootFileName {
			w(" boot=%s/%q/%q", cl.NextServer, cl.ServerHostname, cl.BootFileName)
		}
		w("\n%s", describeOptions(&cl.Options, "  "))
	}
	for _, h := range c.GlobalReservations {
		w("global %s\n", describeHost(h))
	}
	for _, s := range c.Subnets {
		net := "-"
		if s.Network != nil {
			net = s.Network.Name
		}
		w("subnet %d %s network=%s iface=%q relay=%v guard=%v additional=%v\n", s.ID, s.Prefix, net, s.Interface, s.Relay, s.ClientClasses, s.AdditionalClasses)
		w("  params: %s\n", describeParams(&s.Params))
		w("  options:\n%s", describeOptions(&s.Options, "    "))
		for _, p := range s.Pools {
			w("  pool %s-%s id=%d guard=%v additional=%v ddns=%s\n", p.First, p.Last, p.ID, p.ClientClasses, p.AdditionalClasses, describeDDNS(p.DDNS))
			w("    options:\n%s", describeOptions(&p.Options, "      "))
		}
		for _, h := range s.Reservations {
			w("  %s\n", describeHost(h))
		}
	}
	return b.String()
}

// describeFixture is describe with what else the project's own fixtures
// pin: the reservation lookup order, the files read (includes) and the
// warnings, which show how Kea 2.2's forms were read.
func describeFixture(c *Config, diags []Diagnostic) string {
	var b strings.Builder
	b.WriteString(describe(c))
	fmt.Fprintf(&b, "host-reservation-identifiers: %v\n", c.HostReservationIdentifiers)
	fmt.Fprintf(&b, "files: %v\n", c.Files)
	for _, d := range diags {
		fmt.Fprintf(&b, "%s\n", d)
	}
	return b.String()
}

func describeParams(p *Params) string {
	t := func(has bool, v uint32) string {
		if !has {
			return "unset"
		}
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("valid=%d/%d/%d T1=%s T2=%s tee=%v(%g,%g) offer=%d match-client-id=%v authoritative=%v boot=%s/%q/%q res=g%v/s%v/o%v ext=%v cache=%g/%d alloc=%s ddns=%s",
		p.ValidLifetime.Min, p.ValidLifetime.Default, p.ValidLifetime.Max, t(p.HasRenewTimer, p.RenewTimer), t(p.HasRebindTimer, p.RebindTimer),
		p.CalculateTeeTimes, p.T1Percent, p.T2Percent, p.OfferLifetime, p.MatchClientID, p.Authoritative,
		p.NextServer, p.ServerHostname, p.BootFileName, p.ReservationsGlobal, p.ReservationsInSubnet, p.ReservationsOutOfPool,
		p.StoreExtendedInfo, p.CacheThreshold, p.CacheMaxAge, p.Allocator, describeDDNS(p.DDNS))
}

func describeDDNS(d *DDNS) string {
	cs := "none"
	if d.HostnameCharSet != nil {
		cs = d.HostnameCharSet.String()
	}
	return fmt.Sprintf("{send=%v no-update=%v client-update=%v replace=%s prefix=%q suffix=%q renew=%v mode=%s ttl=%g/%d/%d/%d chars=%q->%q}",
		d.SendUpdates, d.OverrideNoUpdate, d.OverrideClientUpdate, d.ReplaceClientName, d.GeneratedPrefix, d.QualifyingSuffix,
		d.UpdateOnRenew, d.ConflictResolutionMode, d.TTLPercent, d.TTL, d.TTLMin, d.TTLMax, cs, d.HostnameCharReplacement)
}

func describeOptions(s *OptionSet, indent string) string {
	var b strings.Builder
	for _, o := range s.All() {
		fmt.Fprintf(&b, "%s%s.%d = %s", indent, o.Space, o.Code, hex.EncodeToString(o.Data))
		if o.AlwaysSend {
			b.WriteString(" always-send")
		}
		if o.NeverSend {
			b.WriteString(" never-send")
		}
		if len(o.ClientClasses) > 0 {
			fmt.Fprintf(&b, " classes=%v", o.ClientClasses)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func describeHost(h *Host) string {
	s := fmt.Sprintf("host subnet=%d %s=%s addr=%s hostname=%q classes=%v", h.SubnetID, h.IDType, formatID(h.Identifier), h.Address, h.Hostname, h.ClientClasses)
	if h.NextServer.IsValid() || h.ServerHostname != "" || h.BootFileName != "" {
		s += fmt.Sprintf(" boot=%s/%q/%q", h.NextServer, h.ServerHostname, h.BootFileName)
	}
	for _, o := range h.Options.All() {
		s += fmt.Sprintf(" opt %s.%d=%s", o.Space, o.Code, hex.EncodeToString(o.Data))
	}
	return s
}

// TestGolden pins the resolved parameters and encoded options of the
// project's own configurations in testdata, which cover what Kea's
// examples cover. Run with -update to rewrite the files after a deliberate
// change, and review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d configurations in testdata", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			checkGolden(t, path, filepath.Join("testdata", "golden", name+".golden"), describeFixture)
		})
	}
}

// TestGoldenKeaExamples does what TestGolden does for the examples Kea
// ships that leased loads (see keaExampleFiles).
func TestGoldenKeaExamples(t *testing.T) {
	for _, path := range keaExampleFiles(t) {
		name := exampleName(path)
		if _, rejected := expectedRejections[name]; rejected {
			continue
		}
		name = strings.TrimSuffix(name, filepath.Ext(name))
		t.Run(name, func(t *testing.T) {
			checkGolden(t, path, filepath.Join("testdata", "golden", "kea", name+".golden"),
				func(c *Config, _ []Diagnostic) string { return describe(c) })
		})
	}
}

// checkGolden loads the configuration at path and compares its
// description with the golden file (or rewrites that under -update).
func checkGolden(t *testing.T, path, golden string, describe func(*Config, []Diagnostic) string) {
	t.Helper()
	c, diags, err := Load(path, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	got := describe(c, diags)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, strings.Split(t.Name(), "/")[0])
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file %s; got:\n%s", path, golden, got)
	}
}
