package main

import (
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
)

// result is what one quorumlock command did.
type cliResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// cliRun runs "quorumlock args..." in dir and returns what it did.
func cliRun(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	start := time.Now()
	p := startCLI(t, dir, args...)
	code := p.exitCode(t, 30*time.Second)
	return cliResult{code: code, stdout: p.stdoutText(), stderr: p.stderrText(), took: time.Since(start)}
}

// expect fails the test unless r exited with code and its output contains every one of want.
func (r cliResult) expect(t *testing.T, what string, code int, want ...string) {
	t.Helper()
	out := r.stdout + r.stderr
	missing := []string{}
	for _, w := range want {
		if !strings.Contains(out, w) {
			missing = append(missing, w)
		}
	}
	if r.code != code || len(missing) > 0 {
		t.Fatalf("%s: exit %d, want %d; output lacks %q\nstdout:\n%s\nstderr:\n%s", what, r.code, code, missing, r.stdout, r.stderr)
	}
}

// newNodes starts n redis-server processes without persistence (a restart loses everything),
// new: not brought into service.
func newNodes(t *testing.T, n int) ([]*redisproc.Server, string) {
	t.Helper()
	servers := redisproc.StartN(t, n, redisproc.Config{})
	urls := make([]string, n)
	for i, s := range servers {
		urls[i] = s.URL()
	}
	return servers, strings.Join(urls, ",")
}

// tokenScript makes COMMAND append its QUORUMLOCK_TOKEN to the file tokens.
const tokenScript = `echo "$QUORUMLOCK_TOKEN" >> tokens`

// lastTokens reads the tokens COMMAND wrote, in order.
func lastTokens(t *testing.T, dir string) []uint64 {
	t.Helper()
	var tokens []uint64
	for _, f := range strings.Fields(string(readFile(t, filepath.Join(dir, "tokens")))) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, v)
	}
	return tokens
}

func TestHealNewDeploymentWithANodeDown(t *testing.T) {
	servers, nodes := newNodes(t, 3)
	servers[2].Kill()
	dir := t.TempDir()
	cliRun(t, dir, "doctor", "--nodes", nodes).expect(t, "doctor on new nodes", exitUnavailable,
		"Availability: NONE", "operator runs\n    quorumlock heal --new-deployment\n", "no lock state and no tokens")
	for _, wait := range []string{"0", "1m"} {
		r := cliRun(t, dir, "run", "--nodes", nodes, "--wait", wait, "job", "--", "true")
		r.expect(t, "run --wait "+wait+" on new nodes", exitUnavailable, `run="quorumlock heal --new-deployment"`, "hint=")
		if r.took > 10*time.Second {
			t.Errorf("run --wait %s took %v to give up on new nodes; want at once", wait, r.took)
		}
	}
	cliRun(t, dir, "heal", "--nodes", nodes, "--dry-run").expect(t, "heal --dry-run", exitOK,
		"action: recovery", "`quorumlock heal --new-deployment` brings them in at once", "dry run: no node was healed")
	cliRun(t, dir, "heal", "--nodes", nodes, "--new-deployment").expect(t, "heal --new-deployment", exitOK,
		"action: new deployment", "healed: "+servers[0].Addr()+"/0, "+servers[1].Addr()+"/0",
		"left alone (unreachable): "+servers[2].Addr()+"/0", "the deployment can grant now")
	cliRun(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "job", "--", "sh", "-c", tokenScript).expect(t, "run after the heal", exitOK)
	cliRun(t, dir, "heal", "--nodes", nodes).expect(t, "heal again", exitOK, "action: nothing to do")

	// The third node starts, new, beside nodes that served: a danger until the lock heals it by
	// itself, at an acquire after its quarantine (the TTL of 1s that the runs send).
	servers[2].Restart(t)
	cliRun(t, dir, "doctor", "--nodes", nodes).expect(t, "doctor with the third node new", exitDanger,
		"no lock state, beside nodes that have served", "can grant now")
	deadline := time.Now().Add(15 * time.Second)
	for {
		cliRun(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "job", "--", "sh", "-c", tokenScript).expect(t, "run", exitOK)
		r := cliRun(t, dir, "doctor", "--nodes", nodes)
		if r.code == exitOK {
			t.Logf("healed by the lock %v after the node started", time.Since(deadline.Add(-15*time.Second)))
			r.expect(t, "doctor once healed", exitOK, "3 node(s) on 3 server(s) can grant now")
			break
		}
		if time.Now().After(deadline) {
			r.expect(t, "doctor 15s after the third node started", exitOK)
		}
		time.Sleep(300 * time.Millisecond)
	}
	checkIncreasing(t, lastTokens(t, dir))
}

func TestHealRecoversAMajorityThatLostItsData(t *testing.T) {
	servers, nodes := newNodes(t, 3)
	bringIntoService(t, strings.Split(nodes, ",")...)
	dir := t.TempDir()
	for range 3 {
		cliRun(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "job", "--", "sh", "-c", tokenScript).expect(t, "run", exitOK)
	}
	before := lastTokens(t, dir)
	servers[0].Restart(t) // kill -9 and start again, without persistence: empty
	servers[1].Restart(t)

	r := cliRun(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "--wait", "1m", "job", "--", "true")
	r.expect(t, "run after the loss", exitUnavailable, `run="quorumlock heal"`)
	if strings.Contains(r.stderr, "--new-deployment") || r.took > 10*time.Second {
		t.Fatalf("run after a loss took %v and suggests a new deployment, or gave up late:\n%s", r.took, r.stderr)
	}
	r = cliRun(t, dir, "doctor", "--nodes", nodes, "--ttl", "1s")
	r.expect(t, "doctor after the loss", exitUnavailable, "operator runs\n    quorumlock heal\n", "tokens jump a day ahead")
	for _, lie := range []string{"can grant now", "healed at the next call", "then healed"} {
		if strings.Contains(r.stdout, lie) {
			t.Errorf("doctor after a majority lost its data says %q:\n%s", lie, r.stdout)
		}
	}
	cliRun(t, dir, "heal", "--nodes", nodes, "--ttl", "1s", "--new-deployment").expect(t, "heal --new-deployment after a loss",
		exitHealRefused, "not a new deployment", "without --new-deployment")
	cliRun(t, dir, "heal", "--nodes", nodes, "--ttl", "1s", "--clock-skew", "200ms").expect(t, "heal", exitOK,
		"action: recovery", "waiting", "healed: "+servers[0].Addr()+"/0, "+servers[1].Addr()+"/0", "floor:", "the deployment can grant now")

	cliRun(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "job", "--", "sh", "-c", tokenScript).expect(t, "run after the heal", exitOK)
	tokens := lastTokens(t, dir)
	checkIncreasing(t, tokens)
	after := tokens[len(tokens)-1]
	if dayAhead := uint64(time.Now().Add(23 * time.Hour).UnixMicro()); after < dayAhead {
		t.Errorf("token %d after the recovery (before: %v); want one about a day ahead of the clock, above %d", after, before, dayAhead)
	}
}

func TestHealRefusesWhatTheLockHealsItself(t *testing.T) {
	servers, nodes := newNodes(t, 3)
	bringIntoService(t, strings.Split(nodes, ",")...)
	dir := t.TempDir()
	servers[0].Restart(t) // one node empty: a majority is healthy
	cliRun(t, dir, "heal", "--nodes", nodes).expect(t, "heal with a majority healthy", exitHealRefused,
		"action: refused", "2 of 3 nodes are healthy, a majority: the lock heals", "quorumlock heal: quorum: heal refused")
	closed := closedURLs(t, 2)
	cliRun(t, dir, "heal", "--nodes", strings.Join(append(closed, servers[1].URL()), ",")).expect(t, "heal with a majority down",
		exitUnavailable, "too few nodes reachable")
}

// checkIncreasing fails the test unless tokens increase strictly.
func checkIncreasing(t *testing.T, tokens []uint64) {
	t.Helper()
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Fatalf("token %d after %d: tokens %v", tokens[i], tokens[i-1], tokens)
		}
	}
}

func TestParseHeal(t *testing.T) {
	hc, err := parseHeal([]string{"--new-deployment", "--dry-run", "--clock-skew", "5s"}, io.Discard)
	if err != nil || !hc.newDeployment || !hc.dryRun || hc.clockSkew != 5*time.Second {
		t.Fatalf("parsed %+v, %v", hc, err)
	}
	for _, args := range [][]string{{"extra"}, {"--clock-skew", "0s"}, {"--clock-skew", "-1s"}} {
		if _, err := parseHeal(args, io.Discard); err == nil {
			t.Errorf("parseHeal(%q) accepted", args)
		}
	}
}
