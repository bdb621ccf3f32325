package arch_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/quorumlock/quorumlock"

// allowed lists, for each package, the module packages it may depend on (directly or not).
// Packages not listed may depend on anything but cmd and proptest; only commands (the check
// command runs the campaign) may depend on proptest.
var allowed = map[string][]string{
	"clock":              {},
	"fencing":            {},
	"clock/clocktest":    {"clock"},
	"quorum":             {"clock", "fencing", "internal/redispipe", "internal/mutants"},
	"quorum/quorumtest":  {"clock", "fencing", "quorum", "internal/redispipe", "internal/mutants", "internal/faultnet"},
	"internal/mutants":   {},
	"fencing/redisguard": {"fencing"},
	"fencing/sqlguard":   {"fencing"},
	"internal/faultnet":  {},
	"semaphore":          {"clock", "fencing", "quorum", "internal/redispipe", "internal/mutants"},
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		rel, ok := strings.CutPrefix(pkg, module+"/")
		if !ok {
			continue
		}
		for _, d := range strings.Fields(deps) {
			dep, ok := strings.CutPrefix(d, module+"/")
			if !ok {
				continue
			}
			if strings.HasPrefix(dep, "cmd/") || dep == "proptest" && !strings.HasPrefix(rel, "cmd/") {
				t.Errorf("%s imports %s: nothing may import cmd, and only commands proptest", rel, dep)
			}
			if list, ok := allowed[rel]; ok && !contains(list, dep) {
				t.Errorf("%s depends on %s; it may depend only on %v", rel, dep, list)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
