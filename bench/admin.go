package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// adminTimeout bounds every administrative call (INFO, SCAN, DEL) to a node.
const adminTimeout = 5 * time.Second

// admin holds one plain go-redis client per node of Config.Nodes, for what the benchmark reads
// and cleans up on the nodes itself, apart from the libraries under test.
type admin struct {
	urls    []string
	clients []*redis.Client
}

func dialAdmin(urls []string) (*admin, error) {
	a := &admin{urls: urls}
	for _, u := range urls {
		o, err := redis.ParseURL(u)
		if err != nil {
			_ = a.close()
			return nil, fmt.Errorf("bench: node URL %q: %w", u, err)
		}
		a.clients = append(a.clients, redis.NewClient(o))
	}
	return a, nil
}

func (a *admin) close() error {
	var errs []error
	for _, c := range a.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// version returns the redis_version of node i, or "" when it does not say (miniredis).
func (a *admin) version(ctx context.Context, i int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	info, err := a.clients[i].Info(ctx, "server").Result()
	if err != nil {
		if strings.Contains(err.Error(), "not supported") {
			return "", nil
		}
		return "", fmt.Errorf("bench: INFO server on %s: %w", a.urls[i], err)
	}
	return infoField(info, "redis_version"), nil
}

// serverCPU returns the CPU time node i has used (used_cpu_sys + used_cpu_user), and false when
// the node does not report it (miniredis answers INFO cpu with an error).
func (a *admin) serverCPU(ctx context.Context, i int) (time.Duration, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	info, err := a.clients[i].Info(ctx, "cpu").Result()
	if err != nil {
		if strings.Contains(err.Error(), "not supported") {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("bench: INFO cpu on %s: %w", a.urls[i], err)
	}
	var total time.Duration
	for _, f := range []string{"used_cpu_sys", "used_cpu_user"} {
		secs, err := strconv.ParseFloat(infoField(info, f), 64)
		if err != nil {
			return 0, false, fmt.Errorf("bench: INFO cpu on %s: field %s: %w", a.urls[i], f, err)
		}
		total += time.Duration(secs * float64(time.Second))
	}
	return total, true, nil
}

// totalServerCPU sums serverCPU over the nodes; it is known only if every node reports it.
func (a *admin) totalServerCPU(ctx context.Context, nodes []int) (time.Duration, bool, error) {
	var total time.Duration
	known := true
	for _, i := range nodes {
		d, ok, err := a.serverCPU(ctx, i)
		if err != nil {
			return 0, false, err
		}
		total += d
		known = known && ok
	}
	return total, known, nil
}

// infoField returns the value of field in an INFO reply, or "".
func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// scan calls fn with every batch of keys matching pattern on node i.
func (a *admin) scan(ctx context.Context, i int, pattern string, fn func(keys []string) error) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := a.clients[i].Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return fmt.Errorf("bench: SCAN %s on %s: %w", pattern, a.urls[i], err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// count returns how many keys matching pattern, over every node, satisfy keep.
func (a *admin) count(ctx context.Context, pattern string, keep func(string) bool) (int, error) {
	n := 0
	for i := range a.clients {
		err := a.scan(ctx, i, pattern, func(keys []string) error {
			for _, k := range keys {
				if keep(k) {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// drop deletes every key matching pattern on every node.
func (a *admin) drop(ctx context.Context, pattern string) error {
	for i, c := range a.clients {
		err := a.scan(ctx, i, pattern, func(keys []string) error {
			dctx, cancel := context.WithTimeout(ctx, adminTimeout)
			defer cancel()
			if err := c.Del(dctx, keys...).Err(); err != nil {
				return fmt.Errorf("bench: DEL on %s: %w", a.urls[i], err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// freeAt returns when key will have expired on k of the nodes, if nobody extends it: per node,
// the time just before its PTTL was read plus that PTTL (at most a round trip early), and of
// these the k-th earliest. A key missing from a node has expired there; one without an expiry
// never will, which is an error.
func (a *admin) freeAt(ctx context.Context, nodes []int, key string, k int) (time.Time, error) {
	var at []time.Time
	for _, i := range nodes {
		pctx, cancel := context.WithTimeout(ctx, adminTimeout)
		t0 := time.Now()
		d, err := a.clients[i].PTTL(pctx, key).Result()
		cancel()
		switch {
		case err != nil:
			return time.Time{}, fmt.Errorf("bench: PTTL %s on %s: %w", key, a.urls[i], err)
		case d == -1: // go-redis passes Redis's -1 (no expiry) and -2 (no key) on as nanoseconds
			return time.Time{}, fmt.Errorf("bench: PTTL %s on %s: the key has no expiry", key, a.urls[i])
		}
		at = append(at, t0.Add(max(d, 0)))
	}
	if k < 1 || k > len(at) {
		return time.Time{}, fmt.Errorf("bench: expiry of %s on %d of %d nodes", key, k, len(at))
	}
	slices.SortFunc(at, time.Time.Compare)
	return at[k-1], nil
}

// closedPortURL returns the URL of a loopback port that nothing listens on (it was free a
// moment ago): a node that is down.
func closedPortURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: pick a closed port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("bench: pick a closed port: %w", err)
	}
	return "redis://" + addr + "/0", nil
}

// isLockKey reports whether key is one of our lock keys under prefix, prefix{name}, and not a
// counter, tombstone or marker (the layout of package quorum).
func isLockKey(prefix, key string) bool {
	rest, ok := strings.CutPrefix(key, prefix+"{")
	return ok && len(rest) > 1 && strings.HasSuffix(rest, "}") && !strings.Contains(rest[:len(rest)-1], "}")
}
