package hosts

import (
	"encoding/json"
	"testing"

	"github.com/leased/leased/config"
)

func TestJSON(t *testing.T) {
	cfg, _, err := config.Parse("t.json", []byte(`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := cfg.ParseReservation([]byte(`{"subnet-id": 1, "hw-address": "1A:1B:1C:1D:1E:1F", "ip-address": "192.0.2.10",
		"hostname": "printer", "user-context": {"room": 12},
		"option-data": [{"name": "domain-name-servers", "data": "10.0.0.1"}, {"code": 252, "csv-format": false, "data": "0a0b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(JSON(cfg, h))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"boot-file-name":"","client-classes":[],"hostname":"printer","hw-address":"1a:1b:1c:1d:1e:1f","ip-address":"192.0.2.10",` +
		`"next-server":"0.0.0.0","option-data":[{"always-send":false,"code":6,"csv-format":true,"data":"10.0.0.1","name":"domain-name-servers","never-send":false,"space":"dhcp4"},` +
		`{"always-send":false,"code":252,"csv-format":false,"data":"0A0B","never-send":false,"space":"dhcp4"}],` +
		`"server-hostname":"","subnet-id":1,"user-context":{"room":12}}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}
