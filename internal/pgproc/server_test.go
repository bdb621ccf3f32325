package pgproc_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/internal/pgproc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open returns a database/sql handle on the server's "postgres" database.
func open(t *testing.T, s *pgproc.Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func queryString(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var s string
	if err := db.QueryRowContext(ctx, q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func TestStartAndQuery(t *testing.T) {
	t.Parallel()
	s := pgproc.Start(t, pgproc.Config{ExtraArgs: []string{"-c", "max_connections=20"}})
	if s.Pid() <= 0 {
		t.Fatalf("Pid = %d", s.Pid())
	}
	if want := "postgres://postgres@" + s.Addr() + "/postgres?sslmode=disable"; s.URL() != want {
		t.Fatalf("URL = %q, want %q", s.URL(), want)
	}
	db := open(t, s)
	for q, want := range map[string]string{
		"SELECT current_user":   pgproc.Superuser,
		"SHOW port":             strconv.Itoa(s.Port()),
		"SHOW max_connections":  "20",
		"SHOW listen_addresses": "127.0.0.1",
		"SHOW data_directory":   filepath.Join(s.Dir(), "data"),
	} {
		if got := queryString(t, db, q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
	if s.SocketDir() != "" {
		sock := filepath.Join(s.SocketDir(), ".s.PGSQL."+strconv.Itoa(s.Port()))
		if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
			t.Errorf("unix socket %s: %v, %v", sock, fi, err)
		}
	}
}

// TestServerNeverRunsAsRoot checks the uid of the postmaster: PostgreSQL refuses root, and
// when the tests run as root, pgproc must switch to an unprivileged user.
func TestServerNeverRunsAsRoot(t *testing.T) {
	t.Parallel()
	s := pgproc.Start(t, pgproc.Config{})
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.Pid()) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Uid:" && f[1] == "0" {
			t.Fatalf("postmaster %d runs as root: %s", s.Pid(), line)
		}
	}
}

// TestCleanupStopsServerAndBackends stops a server through its t.Cleanup, after a failed
// subtest too, and checks that neither the postmaster nor a backend it forked survives.
func TestCleanupStopsServerAndBackends(t *testing.T) {
	t.Parallel()
	var pids []int
	ok := t.Run("inner", func(t *testing.T) {
		s := pgproc.Start(t, pgproc.Config{})
		db := open(t, s)
		backend, err := strconv.Atoi(queryString(t, db, "SELECT pg_backend_pid()::text"))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, s.Pid(), backend)
	})
	if !ok || len(pids) != 2 {
		t.Fatalf("inner test failed; pids %v", pids)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after cleanup (kill -0: %v)", pid, err)
		}
	}
}

func TestKillIsIdempotent(t *testing.T) {
	t.Parallel()
	s := pgproc.Start(t, pgproc.Config{})
	pid := s.Pid()
	s.Kill()
	s.Kill()
	if s.Pid() != 0 {
		t.Fatalf("Pid after Kill = %d, want 0", s.Pid())
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("postmaster %d still exists after Kill (kill -0: %v)", pid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := open(t, s).PingContext(ctx); err == nil {
		t.Fatal("PING after Kill succeeded")
	}
}

func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := pgproc.Start(t, pgproc.Config{}), pgproc.Start(t, pgproc.Config{})
	if a.Addr() == b.Addr() || a.Dir() == b.Dir() {
		t.Fatalf("servers share an address or directory: %s %s, %s %s", a.Addr(), a.Dir(), b.Addr(), b.Dir())
	}
	dba, dbb := open(t, a), open(t, b)
	if _, err := dba.Exec("CREATE TABLE only_on_a (x int)"); err != nil {
		t.Fatal(err)
	}
	got := queryString(t, dbb, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'only_on_a'")
	if got != "0" {
		t.Fatalf("table created on a is visible on b (count %s)", got)
	}
	if u := a.DatabaseURL("other"); !strings.HasSuffix(u, "/other?sslmode=disable") {
		t.Fatalf("DatabaseURL = %q", u)
	}
}

func TestAvailable(t *testing.T) {
	pgproc.Require(t)
	if !pgproc.Available() {
		t.Fatal("Require passed but Available is false")
	}
}
