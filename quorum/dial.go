package quorum

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dial connects to the Redis servers at urls and returns a Locker over them; Close closes the
// connections. URLs have the form redis://[user:password@]host:port[/db] or rediss:// for TLS.
// Every call to a node is bounded by Options.NodeTimeout (go-redis's multi-second read timeout
// never applies); the lock's commands to one server share one pipelined connection. Dial fails, naming the URL, if a URL is malformed, if fewer than a
// majority of the servers answer, or if two URLs reach the same server (same run_id), which
// would silently destroy the independence a majority relies on.
func Dial(ctx context.Context, urls []string, opts Options) (*Locker, error) {
	if len(urls) == 0 {
		return nil, fmt.Errorf("%w: no node URLs", ErrInvalidOptions)
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	nodes := make([]Node, 0, len(urls))
	closeAll := func() {
		for _, n := range nodes {
			_ = n.Close()
		}
	}
	for _, u := range urls {
		n, err := NewRedisNodeURL(u, opts)
		if err != nil {
			closeAll()
			return nil, err
		}
		nodes = append(nodes, n)
	}
	if err := checkIndependent(ctx, nodes, opts); err != nil {
		closeAll()
		return nil, err
	}
	l, err := New(nodes, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	l.owned = true
	return l, nil
}

// NewRedisNodeURL returns a RedisNode for a redis:// or rediss:// URL, configured as Dial
// configures its nodes from opts (TLSConfig, NodeTimeout, TTL), without connecting. Use it with
// New to build a Locker whose nodes are not checked, e.g. to inspect a deployment that Dial
// would refuse. Errors wrap ErrInvalidOptions and name the URL, without its password.
func NewRedisNodeURL(rawURL string, opts Options) (*RedisNode, error) {
	opts = opts.withDefaults()
	ro, err := parseNodeURL(rawURL)
	if err != nil {
		return nil, err
	}
	if ro.TLSConfig != nil && opts.TLSConfig != nil {
		tc := opts.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = ro.TLSConfig.ServerName
		}
		ro.TLSConfig = tc
	}
	ro.DialTimeout = max(4*opts.NodeTimeout, time.Second)
	return NewRedisNode(nodeName(ro), ro, opts.TTL), nil
}

// CheckNodeURL reports whether Dial and NewRedisNodeURL accept rawURL, without connecting or
// allocating a node. The error wraps ErrInvalidOptions and never shows the password.
func CheckNodeURL(rawURL string) error {
	_, err := parseNodeURL(rawURL)
	return err
}

// nodeName names a node by address and database, never by password: "host:port/db".
func nodeName(ro *redis.Options) string { return ro.Addr + "/" + strconv.Itoa(ro.DB) }

// parseNodeURL reads a node URL without connecting: redis:// or rediss:// (TLS), a host
// (default localhost), a port in 1..65535 (default 6379), and an optional database number ≥ 0
// as the path. go-redis would also take unix:// and query parameters (timeouts, pool sizes),
// which the lock's own connection ignores; they are refused rather than silently dropped.
// Errors wrap ErrInvalidOptions and never show the password.
func parseNodeURL(rawURL string) (*redis.Options, error) {
	bad := func(err error) error {
		return fmt.Errorf("%w: node URL %q: %w", ErrInvalidOptions, redactURL(rawURL), err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included; its cause quotes a fragment,
		// which may be part of a password whose reserved characters were not escaped.
		var ue *url.Error
		if strings.Contains(rawURL, "@") || !errors.As(err, &ue) {
			return nil, bad(errors.New("malformed (percent-encode the characters :/?#@% in a user name or password)"))
		}
		return nil, bad(ue.Err)
	}
	switch {
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return nil, bad(fmt.Errorf("scheme %q: want redis:// or rediss://", u.Scheme))
	case u.Opaque != "":
		return nil, bad(errors.New("want redis://host:port[/db]"))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, bad(errors.New("query parameters and fragments are not supported: want redis://host:port[/db]"))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, bad(fmt.Errorf("port %s: want 1..65535", p))
		}
	}
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, bad(err)
	}
	if h, _, err := net.SplitHostPort(ro.Addr); err != nil || h == "" {
		return nil, bad(fmt.Errorf("host %q: want a name or an IP address", u.Hostname()))
	}
	if ro.DB < 0 {
		return nil, bad(fmt.Errorf("database number %d: want 0 or more", ro.DB))
	}
	return ro, nil
}

// redactURL hides the password of a URL for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// checkIndependent requires a majority of nodes to answer and no two to share a run_id.
func checkIndependent(ctx context.Context, nodes []Node, opts Options) error {
	byRunID := make(map[string]string)
	var errs []error
	for _, n := range nodes {
		nctx, cancel := context.WithTimeout(ctx, 4*opts.NodeTimeout)
		info, err := n.Inspect(nctx, opts.KeyPrefix)
		cancel()
		if err != nil {
			errs = append(errs, &NodeError{Node: n.Name(), Op: "dial", Err: err})
			continue
		}
		if info.RunID == "" {
			continue // not a real Redis (an in-process test server): independence cannot be checked
		}
		if other, dup := byRunID[info.RunID]; dup {
			return fmt.Errorf("%w: %s and %s reach the same Redis server (run_id %s); the nodes must be independent",
				ErrInvalidOptions, other, n.Name(), info.RunID)
		}
		byRunID[info.RunID] = n.Name()
	}
	if len(nodes)-len(errs) < majority(len(nodes)) {
		return outcome(fmt.Errorf("%w: only %d of %d nodes answered", ErrUnavailable, len(nodes)-len(errs), len(nodes)), errs)
	}
	return nil
}
