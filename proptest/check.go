package proptest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// Property names one property the checker verifies on a history.
type Property string

// The properties, grouped as in docs/PROTOCOL.md: tokens (§4), the fenced resource (§10),
// exclusion (§5), liveness and clean-up (§3.3, §8).
const (
	PropTokenUnique      Property = "token-unique"       // no two grants share a token
	PropTokenOrder       Property = "token-order"        // a grant begun after another completed has a larger token
	PropFenceOrder       Property = "fence-order"        // the store admitted tokens in non-decreasing order
	PropLostUpdate       Property = "lost-update"        // the final set holds every acknowledged element
	PropLinearizable     Property = "store-linearizable" // the store's history is that of a fenced register
	PropExclusion        Property = "exclusion"          // leases believed held never overlap (timing model)
	PropExtendContinuity Property = "extend-continuity"  // no extend succeeds across a later grant
	PropLiveness         Property = "liveness"           // after healing, a fresh client is granted in time
	PropLeftover         Property = "leftover-keys"      // no lock key is left once every client closed
	PropLatency          Property = "latency"            // a stalled minority does not slow a grant to NodeTimeout
	PropPanicRelease     Property = "panic-release"      // a Do whose function panics has released its lease when the panic arrives
	PropWake             Property = "notify-wake"        // a waiter tries again soon after a release, not at its next poll
	PropPermits          Property = "permits"            // never more permits believed held than the semaphore has (timing model)
	PropObserveOrder     Property = "observe-order"      // an election's observer never reports an older or unknown leader
	PropObserveVacancy   Property = "observe-vacancy"    // between two leaders, the observer reports a vacancy
)

// AllProperties lists every property, in report order.
var AllProperties = []Property{PropTokenUnique, PropTokenOrder, PropFenceOrder, PropLostUpdate,
	PropLinearizable, PropExclusion, PropExtendContinuity, PropLiveness, PropLeftover, PropLatency, PropPanicRelease, PropWake, PropPermits, PropObserveOrder,
	PropObserveVacancy}

// Violation is one breach of a property.
type Violation struct {
	Property Property
	// Expected marks a breach that the scenario's faults allow: it lies outside the model under
	// which the property is claimed (Scenario.OutsideTimingModel). It is reported, not failed.
	Expected bool
	Detail   string
}

func (v Violation) String() string {
	if v.Expected {
		return fmt.Sprintf("%s (expected outside the timing model): %s", v.Property, v.Detail)
	}
	return fmt.Sprintf("%s: %s", v.Property, v.Detail)
}

// Result is the checker's verdict on one history.
type Result struct {
	Violations []Violation
	// NotApplicable lists the properties left unchecked because they do not apply to the library
	// that ran the history (NotApplicable): the token properties, for a lock without tokens.
	NotApplicable []Property
}

// Failed reports whether any property was breached where it is claimed.
func (r Result) Failed() bool {
	return slices.ContainsFunc(r.Violations, func(v Violation) bool { return !v.Expected })
}

// Breached returns the properties breached where they are claimed, in report order.
func (r Result) Breached() []Property {
	var out []Property
	for _, p := range AllProperties {
		if slices.ContainsFunc(r.Violations, func(v Violation) bool { return v.Property == p && !v.Expected }) {
			out = append(out, p)
		}
	}
	return out
}

func (r Result) String() string {
	var b strings.Builder
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "%v\n", v)
	}
	return b.String()
}

// Check verifies every property on h that applies to the library that ran it. With several
// locks (Scenario.Names), the properties of one lock and its store are checked per lock, and
// their violations name the lock.
func Check(h *History) Result {
	var vs []Violation
	subs := h.byResource()
	for res, sub := range subs {
		if h.Scenario.Workload == WorkloadSemaphore && res == h.Scenario.Permits {
			continue // permits that hold no slot: only their number is claimed (checkPermits)
		}
		for _, v := range checkResource(sub) {
			if len(subs) > 1 {
				v.Detail = resourceName(res) + ": " + v.Detail
			}
			vs = append(vs, v)
		}
	}
	switch h.Scenario.Workload {
	case WorkloadSemaphore:
		vs = append(vs, checkPermits(h.Scenario, subs)...)
		vs = append(vs, checkLiveness(h)...)
	case WorkloadElection:
		vs = append(vs, checkObserve(h)...)
	}
	vs = append(vs, checkLeftovers(h)...)
	vs = append(vs, checkLatency(h)...)
	vs = append(vs, checkPanics(h)...)
	return Result{Violations: vs, NotApplicable: NotApplicable(h.Against)}
}

// checkResource verifies the properties of one lock and its store.
func checkResource(h *History) []Violation {
	ls := leasesOf(h)
	var vs []Violation
	if h.fenced() {
		vs = append(vs, checkTokens(ls)...)
	}
	vs = append(vs, checkStore(h)...)
	vs = append(vs, checkExclusion(h.Scenario, ls, h.NodeGrants)...)
	vs = append(vs, checkContinuity(ls)...)
	if h.fenced() {
		vs = append(vs, checkWake(h)...)
	}
	if h.Scenario.Workload == WorkloadSemaphore {
		return vs // the probe takes one permit, of any slot: liveness is checked on the whole
	}
	return append(vs, checkLiveness(h)...)
}

// byResource splits h into one history per lock: the lock's operations, and every fault.
func (h *History) byResource() []*History {
	n := h.Scenario.names()
	if n == 1 {
		return []*History{h}
	}
	out := make([]*History, n)
	for res := range out {
		sub := *h
		sub.Ops = nil
		out[res] = &sub
	}
	for _, o := range h.Ops {
		for res, sub := range out {
			if o.Kind == OpFault || o.Res == res {
				sub.Ops = append(sub.Ops, o)
			}
		}
	}
	return out
}

// lease is one grant as the history shows it.
type lease struct {
	id, client int
	token      fencing.Token
	invoke     time.Duration // Acquire called
	granted    time.Duration // Acquire returned the lease
	end        time.Duration // the client stopped believing it held the lease
	extends    []Op
}

func (l lease) String() string {
	return fmt.Sprintf("lease %d (client %d, token %d, held [%v, %v])", l.id, l.client, l.token, l.granted, l.end)
}

// leasesOf extracts the grants. A client believes it holds a lease from the return of Acquire
// until the earliest of: calling Release, ValidUntil (as last extended), and the return of an
// Extend that reported the lease lost.
func leasesOf(h *History) []lease {
	type span struct {
		*lease
		valid, stop time.Duration
	}
	byID := map[int]*span{}
	var order []*span
	for _, o := range h.Ops {
		if o.Kind == OpAcquire && o.OK {
			l := &span{lease: &lease{id: o.Lease, client: o.Client, token: o.Token, invoke: o.Invoke, granted: o.Complete},
				valid: o.ValidUntil, stop: time.Duration(math.MaxInt64)}
			byID[o.Lease] = l
			order = append(order, l)
		}
	}
	for _, o := range h.Ops {
		l := byID[o.Lease]
		switch {
		case l == nil:
		case o.Kind == OpExtend:
			l.extends = append(l.extends, o)
			if o.OK {
				l.valid = max(l.valid, o.ValidUntil)
			}
			if o.Lost {
				l.stop = min(l.stop, o.Complete)
			}
		case o.Kind == OpRelease:
			l.valid, l.stop = o.ValidUntil, min(l.stop, o.Invoke)
		}
	}
	out := make([]lease, len(order))
	for i, l := range order {
		l.end = min(l.valid, l.stop)
		out[i] = *l.lease
	}
	return out
}

// checkTokens verifies that tokens are unique and increase in the real-time order of grants.
func checkTokens(ls []lease) []Violation {
	var vs []Violation
	seen := map[fencing.Token]lease{}
	for _, l := range ls {
		if o, dup := seen[l.token]; dup {
			vs = append(vs, Violation{Property: PropTokenUnique, Detail: fmt.Sprintf("%v and %v share token %d", o, l, l.token)})
		}
		seen[l.token] = l
	}
	for _, a := range ls {
		for _, b := range ls {
			if b.invoke > a.granted && b.token <= a.token {
				vs = append(vs, Violation{Property: PropTokenOrder, Detail: fmt.Sprintf(
					"%v was requested at %v, after %v was granted, but its token is not larger", b, b.invoke, a)})
			}
		}
	}
	return vs
}

// checkExclusion verifies that no two leases were believed held at the same time. Outside the
// timing model an overlap is reported as expected; inside it, the report names the nodes that
// granted each lease's token (grants), to show which node granted both.
func checkExclusion(s Scenario, ls []lease, grants []NodeGrant) []Violation {
	outside := s.OutsideTimingModel()
	var vs []Violation
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			from, to := max(a.granted, b.granted), min(a.end, b.end)
			if from >= to {
				continue
			}
			v := Violation{Property: PropExclusion, Expected: len(outside) > 0,
				Detail: fmt.Sprintf("%v and %v were both held during [%v, %v]", a, b, from, to)}
			if v.Expected {
				v.Detail += " (" + strings.Join(outside, "; ") + ")"
			} else if grants != nil {
				v.Detail += "; " + grantedBy(grants, a.token) + "; " + grantedBy(grants, b.token)
			}
			vs = append(vs, v)
		}
	}
	return vs
}

// checkContinuity verifies that no Extend succeeded after another grant that began after the
// lease's own grant had completed: the nodes of that grant then held the other owner's key, and
// an extend that succeeds anyway has re-created an expired key. This needs no clock: it holds
// outside the timing model too.
func checkContinuity(ls []lease) []Violation {
	var vs []Violation
	for _, a := range ls {
		for _, e := range a.extends {
			if !e.OK {
				continue
			}
			for _, b := range ls {
				if b.id != a.id && b.invoke > a.granted && b.granted < e.Invoke {
					vs = append(vs, Violation{Property: PropExtendContinuity, Detail: fmt.Sprintf(
						"%v was extended at [%v, %v], after %v had been granted", a, e.Invoke, e.Complete, b)})
				}
			}
		}
	}
	return vs
}

// checkPanics verifies that every Do whose function panicked (a panic its caller recovers, as
// net/http does) had released its lease by the time the panic reached the caller: the lock is
// free for others at once, not held and extended until the Locker closes.
func checkPanics(h *History) []Violation {
	var vs []Violation
	for _, o := range h.ops(OpPanic) {
		if !o.OK {
			vs = append(vs, Violation{Property: PropPanicRelease, Detail: fmt.Sprintf(
				"client %d's Do panicked at %v holding token %d, and its lease was still held when the panic arrived: %s",
				o.Client, o.Complete, o.Token, o.Err)})
		}
	}
	return vs
}
