package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestHostsDatabases(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
		"hosts-database": {"type": "postgresql", "name": "kea", "host": "/run/pg", "port": 5433,
			"user": "kea", "password": "secret", "readonly": true, "connect-timeout": 3, "on-fail": "serve-retry-continue"}}}`)
	if len(c.HostsDatabases) != 1 {
		t.Fatalf("HostsDatabases = %+v", c.HostsDatabases)
	}
	db := c.HostsDatabases[0]
	if db.Type != "postgresql" || db.Name != "kea" || db.Host != "/run/pg" || db.Port != 5433 || db.User != "kea" ||
		db.Password != "secret" || !db.ReadOnly || db.ConnectTimeout != 3 || db.OnFail != "serve-retry-continue" {
		t.Errorf("hosts-database read as %+v", db)
	}
	// Kea's reconnection keywords apply to the hosts database as to the
	// lease database; tcp-user-timeout does not (yet).
	c, diags, err := load(t, `{"Dhcp4": {"hosts-database": {"type": "postgresql", "name": "kea", "on-fail": "stop-retry-exit",
		"max-reconnect-tries": 7, "reconnect-wait-time": 250, "retry-on-startup": true, "tcp-user-timeout": 9}}}`)
	if all := joinDiags(diags); strings.Count(all, "no effect") != 1 || !strings.Contains(all, "no effect in leased: tcp-user-timeout in hosts-database") {
		t.Errorf("want one warning, at tcp-user-timeout:\n%s", all)
	}
	if db := c.HostsDatabases[0]; db.OnFail != "stop-retry-exit" || db.MaxReconnectTries != 7 || db.ReconnectWaitTime != 250 || !db.RetryOnStartup {
		t.Errorf("reconnection keywords read as %+v", db)
	}
	// read-timeout, write-timeout and cipher-list apply to MySQL only.
	c, diags, err = load(t, `{"Dhcp4": {"hosts-databases": [{"type": "mysql", "name": "m", "read-timeout": 3, "write-timeout": 4, "cipher-list": "X"},
		{"type": "postgresql", "name": "p", "read-timeout": 3}]}}`)
	if err != nil || c.HostsDatabases[0].Type != "mysql" || c.HostsDatabases[0].ReadTimeout != 3 || c.HostsDatabases[0].WriteTimeout != 4 {
		t.Errorf("mysql hosts-database: %v %+v", err, c)
	}
	if all := joinDiags(diags); strings.Count(all, "no effect") != 1 || !strings.Contains(all, `no effect in leased: read-timeout with type "postgresql" in hosts-databases`) {
		t.Errorf("want one warning, at the postgresql read-timeout:\n%s", all)
	}
	c = mustLoad(t, `{"Dhcp4": {"hosts-databases": [{"type": "postgresql", "name": "a"}, {"type": "postgresql", "name": "b"}]}}`)
	if len(c.HostsDatabases) != 2 || c.HostsDatabases[1].Name != "b" {
		t.Errorf("hosts-databases read as %+v", c.HostsDatabases)
	}
	for _, tc := range []struct{ src, want string }{
		{`{"Dhcp4": {"hosts-database": {"type": "mysql"}}}`, `a mysql database needs "name"`},
		{`{"Dhcp4": {"hosts-database": {"name": "a"}}}`, `"type" is required`},
		{`{"Dhcp4": {"hosts-databases": [{"type": "postgresql"}]}}`, `needs "name"`},
		{`{"Dhcp4": {"hosts-database": {"type": "postgresql", "name": "a", "lfc-intervall": 3}}}`, `lfc-intervall`},
	} {
		_, diags, err := load(t, tc.src)
		if err == nil || !strings.Contains(joinDiags(diags), tc.want) {
			t.Errorf("%s: got %v\n%s\nwant an error with %q", tc.src, err, joinDiags(diags), tc.want)
		}
	}
}

func TestParseReservation(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"subnet4": [{"id": 7, "subnet": "192.0.2.0/24"}]}}`)
	h, err := c.ParseReservation([]byte(`{"subnet-id": 7, "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.5",
		"hostname": "h1", "client-classes": ["a", "b"], "next-server": "192.0.2.1", "boot-file-name": "pxe",
		"option-data": [{"name": "domain-name-servers", "data": "10.0.0.1, 10.0.0.2", "always-send": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.SubnetID != 7 || h.IDType != HWAddress || !bytes.Equal(h.Identifier, []byte{0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}) ||
		h.Address.String() != "192.0.2.5" || h.Hostname != "h1" || strings.Join(h.ClientClasses, ",") != "a,b" ||
		h.NextServer.String() != "192.0.2.1" || h.BootFileName != "pxe" {
		t.Errorf("reservation read as %+v", h)
	}
	o := h.Options.DHCP4(6)
	if len(o) != 1 || !bytes.Equal(o[0].Data, []byte{10, 0, 0, 1, 10, 0, 0, 2}) || o[0].Formatted != "10.0.0.1, 10.0.0.2" || !o[0].AlwaysSend {
		t.Errorf("option 6 read as %+v", o)
	}
	h, err = c.ParseReservation([]byte(`{"client-id": "01:02:03", "hostname": "global"}`))
	if err != nil || h.SubnetID != 0 || h.IDType != ClientID {
		t.Errorf("a reservation without subnet-id or address: %+v, %v; want a global one", h, err)
	}
	for _, tc := range []struct{ src, want string }{
		{`{"subnet-id": 8, "hw-address": "01:02:03:04:05:06"}`, "subnet with ID of '8' is not configured"},
		{`{"subnet-id": 7, "hw-address": "01:02:03:04:05:06", "ip-address": "198.51.100.1"}`, "outside"},
		{`{"hw-address": "01:02:03:04:05:06", "ip-address": "192.0.2.9"}`, "Mandatory 'subnet-id' parameter missing. The address '192.0.2.9' belongs to subnet '192.0.2.0/24' id 7."},
		{`{"subnet-id": 7, "ip-address": "192.0.2.9"}`, "needs an identifier"},
		{`{"subnet-id": 7, "hw-address": "01:02", "option-data": [{"name": "no-such-option", "data": "1"}]}`, "no option named"},
		{`[]`, "reservation must be a map"},
	} {
		if _, err := c.ParseReservation([]byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.src, err, tc.want)
		}
	}
}

func TestReservationOptions(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {}}`)
	set, err := c.ReservationOptions([]StoredOption{
		{Code: 6, Formatted: "10.0.0.1,10.0.0.2", Persistent: true},
		{Space: "dhcp4", Code: 15, Value: []byte("example.org")},
		{Code: 224, Value: []byte{1, 2, 3}}, // no definition: raw
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := set.DHCP4(6); len(o) != 1 || !bytes.Equal(o[0].Data, []byte{10, 0, 0, 1, 10, 0, 0, 2}) || !o[0].AlwaysSend {
		t.Errorf("option 6: %+v", o)
	}
	if o := set.DHCP4(15); len(o) != 1 || string(o[0].Data) != "example.org" || o[0].AlwaysSend {
		t.Errorf("option 15: %+v", o)
	}
	if o := set.DHCP4(224); len(o) != 1 || !bytes.Equal(o[0].Data, []byte{1, 2, 3}) {
		t.Errorf("option 224: %+v", o)
	}
	if _, err := c.ReservationOptions([]StoredOption{{Code: 6, Formatted: "not-an-address"}}); err == nil || !strings.Contains(err.Error(), "option dhcp4.6") {
		t.Errorf("a bad formatted value: %v", err)
	}
}
