package quorum_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// optionFields are the names an error about Options may give.
var optionFields = []string{"TTL", "DriftFactor", "NodeTimeout", "Quarantine", "RetryDelayMin",
	"RetryDelayMax", "ExtendInterval", "CleanupTimeout", "KeyPrefix"}

// FuzzOptions: New either refuses the options with ErrInvalidOptions naming a field, or returns
// a Locker whose options (defaults filled in) keep the fields that were set and satisfy what the
// Options documentation and docs/PROTOCOL.md promise, without overflow in the sums and small
// multiples of durations that the Locker computes.
func FuzzOptions(f *testing.F) {
	ms := int64(time.Millisecond)
	f.Add(int64(0), 0.0, int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	f.Add(10*ms, 0.01, ms, 10*ms, ms, 2*ms, 3*ms, 4*ms, "app:")
	f.Add(int64(time.Second), 0.49, 50*ms, int64(time.Hour), int64(0), int64(0), int64(0), int64(0), "{x}")
	f.Add(-ms, -0.1, -ms, -ms, -ms, -2*ms, -ms, -ms, strings.Repeat("k", 129))
	f.Add(1500*int64(time.Microsecond), 0.5, int64(0), int64(0), ms, int64(0), int64(0), int64(0), "")
	f.Add(int64(0), math.NaN(), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	f.Add(int64(0), math.Inf(1), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	f.Add(int64(0), math.Inf(-1), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	f.Add(int64(0), math.Copysign(0, -1), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	// Durations whose doubles overflow: 2×NodeTimeout wrapped negative and let a Quarantine below
	// it pass; 4×NodeTimeout (the default CleanupTimeout) and NodeTimeout+CleanupTimeout wrap.
	big := int64(math.MaxInt64 / ms * ms)
	f.Add(big, 0.01, big/10*9, big, int64(0), int64(0), int64(0), int64(0), "")
	f.Add(int64(0), 0.0, int64(0), int64(0), big, big, int64(0), int64(math.MaxInt64), "")
	f.Add(int64(0), 0.0, int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "")
	f.Fuzz(func(t *testing.T, ttl int64, drift float64, nt, quarantine, rmin, rmax, ext, cleanup int64, prefix string) {
		in := quorum.Options{TTL: time.Duration(ttl), DriftFactor: drift, NodeTimeout: time.Duration(nt),
			Quarantine: time.Duration(quarantine), RetryDelayMin: time.Duration(rmin), RetryDelayMax: time.Duration(rmax),
			ExtendInterval: time.Duration(ext), CleanupTimeout: time.Duration(cleanup), KeyPrefix: prefix}
		o, err := in.Validate()
		if err != nil {
			checkOptionsError(t, in, err)
			return
		}
		checkKept(t, in, o)
		checkInvariants(t, o)
	})
}

func checkOptionsError(t *testing.T, in quorum.Options, err error) {
	t.Helper()
	if !errors.Is(err, quorum.ErrInvalidOptions) {
		t.Fatalf("New(%+v) = %v, want ErrInvalidOptions", in, err)
	}
	for _, name := range optionFields {
		if strings.Contains(err.Error(), name) {
			return
		}
	}
	t.Fatalf("New(%+v) = %v: the error names no field", in, err)
}

// checkKept: a field that was set is kept as it was; only zero fields take defaults.
func checkKept(t *testing.T, in, o quorum.Options) {
	t.Helper()
	for _, f := range []struct {
		name    string
		in, out time.Duration
	}{{"TTL", in.TTL, o.TTL}, {"NodeTimeout", in.NodeTimeout, o.NodeTimeout}, {"Quarantine", in.Quarantine, o.Quarantine},
		{"RetryDelayMin", in.RetryDelayMin, o.RetryDelayMin}, {"RetryDelayMax", in.RetryDelayMax, o.RetryDelayMax},
		{"ExtendInterval", in.ExtendInterval, o.ExtendInterval}, {"CleanupTimeout", in.CleanupTimeout, o.CleanupTimeout}} {
		if f.in != 0 && f.in != f.out {
			t.Fatalf("%s was set to %v, the Locker uses %v", f.name, f.in, f.out)
		}
	}
	if in.DriftFactor != 0 && in.DriftFactor != o.DriftFactor || in.KeyPrefix != "" && in.KeyPrefix != o.KeyPrefix {
		t.Fatalf("set fields changed: %+v became %+v", in, o)
	}
	if in.NodeTimeout == 0 && o.NodeTimeout != min(quorum.DefaultNodeTimeout, o.TTL/10) {
		t.Fatalf("default NodeTimeout for TTL %v is %v", o.TTL, o.NodeTimeout)
	}
}

// checkInvariants checks accepted options in floating point, where nothing wraps around.
func checkInvariants(t *testing.T, o quorum.Options) {
	t.Helper()
	f := func(d time.Duration) float64 { return float64(d) }
	drift := func(d time.Duration) float64 { return f(d)*o.DriftFactor + f(2*time.Millisecond) }
	const limit = math.MaxInt64 / 4 // the Locker adds two durations or multiplies one by up to 4
	for name, ok := range map[string]bool{
		"TTL positive, whole ms, at least 10ms":  o.TTL >= 10*time.Millisecond && o.TTL%time.Millisecond == 0,
		"DriftFactor in [0, 0.5)":                o.DriftFactor >= 0 && o.DriftFactor < 0.5,
		"0 < NodeTimeout < TTL":                  o.NodeTimeout > 0 && o.NodeTimeout < o.TTL,
		"validity after NodeTimeout positive":    f(o.TTL)-f(o.NodeTimeout)-drift(o.TTL) > 0,
		"0 <= RetryDelayMin <= RetryDelayMax":    o.RetryDelayMin >= 0 && o.RetryDelayMin <= o.RetryDelayMax,
		"0 < ExtendInterval < TTL":               o.ExtendInterval > 0 && o.ExtendInterval < o.TTL,
		"Quarantine >= TTL":                      o.Quarantine >= o.TTL,
		"Quarantine > 2 NodeTimeout + drift":     f(o.Quarantine) > 2*f(o.NodeTimeout)+drift(o.Quarantine),
		"CleanupTimeout positive":                o.CleanupTimeout > 0,
		"KeyPrefix 1..128 bytes":                 o.KeyPrefix != "" && len(o.KeyPrefix) <= 128,
		"durations small enough not to overflow": max(o.TTL, o.NodeTimeout, o.Quarantine, o.RetryDelayMax, o.ExtendInterval, o.CleanupTimeout) <= limit,
	} {
		if !ok {
			t.Fatalf("New accepted options that break %q: %+v", name, o)
		}
	}
}
