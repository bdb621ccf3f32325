package proptest

import (
	"math/rand/v2"
	"time"
)

// buildLateHeal scripts the adversary of docs/PROTOCOL.md §6.4 on nodes X, A, B (0, 1, 2), with
// clients G (0), three healers H (1, 2, 3) and K (4); G's wall clock runs minutes ahead, so its
// token is above what K proposes later.
//
//   - G acquires; its request to A arrives late (a slow link, within NodeTimeout) and to B not
//     at all: G is granted on X and A with token T.
//   - X loses its data right after G's grant there; K's touch makes it find its marker missing
//     (amnesic); then X stalls.
//   - Each H's touch is a round that reads A before G's grant reaches it, and B, which never
//     sees T; H then pauses (a freeze) until after X resumes and answers with its quarantine
//     over. When H resumes, X's answer and H's deadline race, as after a real pause; three
//     healers give three such races.
//   - K acquires after G's grant has completed.
//
// The heal of X must not count X's answer, which came after NodeTimeout: with it, X is healed
// with a floor below T, and K is granted on X and B with a token below T (late-reply).
func buildLateHeal(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3, 5, 1
	s.TTL = between(r, 500*time.Millisecond, 700*time.Millisecond)
	nt := s.TTL / 4
	s.NodeTimeout, s.DriftFactor = nt, 0.01
	s.ExpirePct, s.ExtendPct, s.Hold = 0, 0, 0
	tick := func(f float64) time.Duration {
		return (20*time.Millisecond + time.Duration(f*float64(nt))).Truncate(time.Millisecond)
	}
	touchX, read := tick(0.25), tick(0.45)
	// X answers H with its quarantine (the TTL) over, soon after: between touchX+TTL and
	// read+TTL, well before H's connection would give up on the reply.
	resume := touchX + s.TTL + time.Duration((0.3+0.4*r.Float64())*float64(read-touchX))
	s.Faults = []Fault{
		{Kind: FaultWallStep, Client: 0, Step: between(r, time.Minute, 10*time.Minute)},
		{At: 0, Kind: FaultSlowLink, Nodes: []int{1}, Clients: []int{0}, Delay: time.Duration(0.6 * float64(nt)), Duration: 2 * nt},
		{At: 0, Kind: FaultPartition, Nodes: []int{2}, Clients: []int{0}, Cut: CutRequests, Duration: 2 * nt},
		{At: tick(0.15), Kind: FaultDataLoss, Nodes: []int{0}},
		{At: tick(0.35), Kind: FaultStall, Nodes: []int{0}, Duration: resume - tick(0.35)},
	}
	for h := 1; h <= 3; h++ {
		s.Faults = append(s.Faults, Fault{At: tick(0.5), Kind: FaultFreeze, Client: h, Duration: resume - tick(0.5) + s.TTL/10})
	}
	s.Script = []Step{
		{At: tick(0), Client: 0, Do: StepAcquire},
		{At: touchX, Client: 4, Do: StepTouch},
		{At: read, Client: 1, Do: StepTouch},
		{At: read, Client: 2, Do: StepTouch},
		{At: read, Client: 3, Do: StepTouch},
		{At: s.TTL * 3 / 5, Client: 0, Do: StepRelease},
		{At: resume + s.TTL/5, Client: 4, Do: StepAcquire},
		{At: resume + s.TTL/2, Client: 4, Do: StepRelease},
	}
}
