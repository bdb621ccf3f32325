package proptest_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/proptest"
)

// jsonKeys returns the JSON names of the fields of a struct type, lower-cased.
func jsonKeys(v any) []string {
	var keys []string
	ty := reflect.TypeOf(v)
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		keys = append(keys, strings.ToLower(name))
	}
	return keys
}

// FuzzParseScenario: ParseScenario refuses any text with an error starting "proptest: scenario:",
// or returns a scenario that Validate accepts, that was spelled with known keys only (a
// misspelt key must not silently leave a field at zero), and whose JSON reads back to the same
// JSON.
func FuzzParseScenario(f *testing.F) {
	for seed := range int64(12) {
		f.Add(proptest.ScenarioFromSeed(seed).JSON())
	}
	for _, s := range []string{`{"n": 9}`, `{}`, `null`, `[]`, `{"n":3,"clients":2,"ttl":200000000,"node_timeout":20000000,"drift_factor":0.01,"ops":1}`,
		`{"n":3,"clients":2,"ttl":200000000,"node_timeout":20000000,"drift_factor":0.01,"ops":1,"faults":[{"kind":"stall","nodes":[0,2]}]}`,
		`{"n":3,"clients":2,"ttl":200000000,"node_timeout":20000000,"drift_factor":0.01,"ops":1,"faults":[{"kind":"client-pause","nodes":[]}]}`,
		// A misspelt key ("tll" for "ttl", "rat" for "rate") was ignored.
		`{"n":3,"clients":2,"ttl":200000000,"node_timeout":20000000,"drift_factor":0.01,"ops":1,"expire_pc":100}`,
		`{"N":3,"Clients":2,"TTL":200000000,"NODE_TIMEOUT":20000000,"drift_factor":0.01,"ops":1}`,
	} {
		f.Add(s)
	}
	top, fault := jsonKeys(proptest.Scenario{}), jsonKeys(proptest.Fault{})
	f.Fuzz(func(t *testing.T, data string) {
		s, err := proptest.ParseScenario(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "proptest: scenario: ") {
				t.Fatalf("ParseScenario(%q) = %v, want an error starting \"proptest: scenario: \"", data, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseScenario(%q) returned a scenario that Validate refuses: %v", data, err)
		}
		var raw struct {
			Faults []map[string]json.RawMessage
		}
		var keys map[string]json.RawMessage
		if json.Unmarshal([]byte(data), &keys) != nil || json.Unmarshal([]byte(data), &raw) != nil {
			t.Fatalf("ParseScenario accepted %q, which is not an object with a list of faults", data)
		}
		checkKeys(t, data, keys, top)
		for _, f := range raw.Faults {
			checkKeys(t, data, f, fault)
		}
		back, err := proptest.ParseScenario(s.JSON())
		if err != nil || back.JSON() != s.JSON() {
			t.Fatalf("ParseScenario(%q).JSON() = %s reads back as %s, %v", data, s.JSON(), back.JSON(), err)
		}
	})
}

func checkKeys(t *testing.T, data string, obj map[string]json.RawMessage, known []string) {
	t.Helper()
	for k := range obj {
		if !slices.Contains(known, strings.ToLower(k)) {
			t.Fatalf("ParseScenario(%q) accepted the unknown key %q", data, k)
		}
	}
}
