package pgproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

const (
	requireEnv = "QUORUMLOCK_REQUIRE_POSTGRES"
	binEnv     = "QUORUMLOCK_POSTGRES_BIN"
	debianBins = "/usr/lib/postgresql/*/bin"
	runAsUser  = "postgres" // the unprivileged user that runs the server when we are root
)

// installation is what Start needs to run PostgreSQL here.
type installation struct {
	bin  string              // directory holding initdb and postgres
	cred *syscall.Credential // nil: run as ourselves
}

// Available reports whether PostgreSQL can be started here: initdb and postgres are found and,
// when running as root, the unprivileged user "postgres" exists.
func Available() bool {
	_, err := locate()
	return err == nil
}

// Require skips the test when PostgreSQL cannot be started here (see Available), or fails it
// when the environment variable QUORUMLOCK_REQUIRE_POSTGRES is "1".
func Require(t testing.TB) {
	t.Helper()
	_, err := locate()
	if err == nil {
		return
	}
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("pgproc: %v, and %s=1", err, requireEnv)
	}
	t.Skipf("pgproc: %v; skipping (set %s=1 to fail instead)", err, requireEnv)
}

// locate finds the binaries and, when we are root, the user to run them as.
func locate() (installation, error) {
	bin, err := binDir()
	if err != nil {
		return installation{}, err
	}
	if os.Geteuid() != 0 {
		return installation{bin: bin}, nil
	}
	cred, err := credential(runAsUser)
	if err != nil {
		return installation{}, fmt.Errorf("running as root, and PostgreSQL refuses root: %w", err)
	}
	return installation{bin: bin, cred: cred}, nil
}

// binDir returns the directory holding initdb and postgres.
func binDir() (string, error) {
	if dir := os.Getenv(binEnv); dir != "" {
		if !hasBinaries(dir) {
			return "", fmt.Errorf("%s=%s holds no initdb and postgres", binEnv, dir)
		}
		return dir, nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if hasBinaries(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob(debianBins)
	// Highest major version first: /usr/lib/postgresql/15/bin before .../9/bin.
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		if hasBinaries(dir) {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL (initdb and postgres) not found on PATH nor in " + debianBins)
}

// version returns the major version in a Debian bin directory path, or 0.
func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// hasBinaries reports whether dir holds executable initdb and postgres files.
func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// credential returns the credential of the named user, with no supplementary groups.
func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("no user %q to run it as: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %q is root", name)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// handOver gives dir to the user in cred, and makes dir's parent (the per-test directory that
// the testing package created, mode 0700) traversable by others, so that the user can reach
// dir. It does nothing when cred is nil.
func handOver(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	fi, err := os.Stat(parent)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o001 == 0 {
		return os.Chmod(parent, fi.Mode().Perm()|0o001)
	}
	return nil
}
