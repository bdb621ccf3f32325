package quorum

// Mutant names one deliberately broken rule of the protocol. Mutants can be enabled only in
// builds made with the build tag quorumlock_mutants, to prove that the safety campaign (package
// proptest) catches every bug it exists for. In every other build no mutant can be enabled and
// the checks compile to nothing.
type Mutant string

// The mutants: each breaks one rule that docs/PROTOCOL.md argues is needed.
const (
	MutantNoDrift        Mutant = "no-drift"         // validity without the drift allowance
	MutantWaitAll        Mutant = "wait-all"         // wait for every node before deciding a round
	MutantNoCleanup      Mutant = "no-cleanup"       // failed and cancelled attempts keep their keys
	MutantSkipHeal       Mutant = "skip-heal"        // amnesic nodes are put back to work at once, floor 0
	MutantIncrToken      Mutant = "incr-token"       // token = max of per-node INCR counters (node script)
	MutantExtendRecreate Mutant = "extend-recreates" // extend re-creates an expired key (node script)
	MutantBlindRelease   Mutant = "blind-release"    // release deletes without comparing (node script)
)

// AllMutants lists every mutant, in a fixed order.
var AllMutants = []Mutant{MutantNoDrift, MutantWaitAll, MutantNoCleanup, MutantSkipHeal,
	MutantIncrToken, MutantExtendRecreate, MutantBlindRelease}
