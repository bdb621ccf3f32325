package proptest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/quorumlock/quorumlock/fencing"
)

// checkStore verifies the fenced resource: the order in which it admitted tokens, that no
// acknowledged update was lost, and that its recorded history is linearizable. An unfenced
// store (History.Against) has no token order; with every token 0, the fenced register it is
// checked against admits everything: a plain register.
func checkStore(h *History) []Violation {
	var vs []Violation
	var admitted []Op
	for _, o := range h.Ops {
		if (o.Kind == OpRead || o.Kind == OpWrite) && o.OK {
			admitted = append(admitted, o)
		}
	}
	slices.SortFunc(admitted, func(a, b Op) int { return a.Seq - b.Seq })
	for i := 1; i < len(admitted) && h.fenced(); i++ {
		if prev, o := admitted[i-1], admitted[i]; o.Token < prev.Token {
			vs = append(vs, Violation{Property: PropFenceOrder, Detail: fmt.Sprintf(
				"the store admitted %s with token %d after %s with token %d", o.Kind, o.Token, prev.Kind, prev.Token)})
		}
	}
	finals := h.ops(OpFinal)
	if len(finals) > 0 {
		final := finals[len(finals)-1].Value
		for _, w := range h.ops(OpWrite) {
			if w.OK && !slices.Contains(final, w.Elem) {
				vs = append(vs, Violation{Property: PropLostUpdate, Detail: fmt.Sprintf(
					"client %d's write of %d (lease %d, token %d) was acknowledged at %v but the final set %v lacks it",
					w.Client, w.Elem, w.Lease, w.Token, w.Complete, final)})
			}
		}
	}
	if v, ok := checkLinearizable(h); !ok {
		vs = append(vs, v)
	}
	return vs
}

// registerInput and registerOutput describe one operation of the fenced register model.
type registerInput struct {
	kind  OpKind
	token fencing.Token
	value string // write: the set written
}

type registerOutput struct {
	ok    bool
	value string // read, final: the set returned
}

// registerState is the state of a fenced register: the highest token admitted and the set.
type registerState struct {
	fence fencing.Token
	value string
}

// fencedRegister is the sequential specification of the store: a read-for-update or a write is
// admitted exactly when its token is not below the fence, and raises the fence; a read returns
// the set; a write replaces it; the final read returns it.
var fencedRegister = porcupine.Model{
	Init: func() any { return registerState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(registerState), input.(registerInput), output.(registerOutput)
		if in.kind == OpFinal {
			return out.value == st.value, st
		}
		admit := in.token >= st.fence
		if out.ok != admit {
			return false, st
		}
		if !admit {
			return true, st
		}
		next := registerState{fence: in.token, value: st.value}
		if in.kind == OpWrite {
			next.value = in.value
		}
		return in.kind == OpWrite || out.value == st.value, next
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(registerInput), output.(registerOutput)
		return fmt.Sprintf("%s(%d, %s) -> %v %s", in.kind, in.token, in.value, out.ok, out.value)
	},
}

// linearizeTimeout bounds the search of porcupine; an unfinished search is not a violation.
const linearizeTimeout = 5 * time.Second

// checkLinearizable checks with porcupine that the store's operations, placed at their recorded
// invoke and complete times, are explained by the fenced register. In process this checks the
// harness and the store; against a real fenced store it checks the guard.
func checkLinearizable(h *History) (Violation, bool) {
	var ops []porcupine.Operation
	for _, o := range h.Ops {
		if o.Kind != OpRead && o.Kind != OpWrite && o.Kind != OpFinal {
			continue
		}
		in := registerInput{kind: o.Kind, token: o.Token}
		out := registerOutput{ok: o.OK}
		if o.Kind == OpWrite {
			in.value = setString(o.Value)
		} else {
			out.value = setString(o.Value)
		}
		ops = append(ops, porcupine.Operation{ClientId: o.Client + 1, Input: in, Output: out,
			Call: int64(o.Invoke), Return: int64(o.Complete)})
	}
	if porcupine.CheckOperationsTimeout(fencedRegister, ops, linearizeTimeout) == porcupine.Illegal {
		return Violation{Property: PropLinearizable, Detail: fmt.Sprintf(
			"the %d store operations are not linearizable as a fenced register", len(ops))}, false
	}
	return Violation{}, true
}

func setString(set []int) string {
	parts := make([]string, len(set))
	for i, e := range set {
		parts[i] = strconv.Itoa(e)
	}
	return strings.Join(parts, ",")
}
