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

	"github.com/quorumlock/quorumlock/internal/redispipe"
	"github.com/redis/go-redis/v9"
)

// Dial connects to the Redis servers at urls and returns a Locker over them; Close closes the
// connections. URLs have the form redis://[user:password@]host:port[/db] or rediss:// for TLS;
// every client of a lock must use the same set of servers, key prefix and databases (other
// settings make separate locks). Every call to a node is bounded by Options.NodeTimeout; the
// lock's commands to one server share one pipelined connection. Dial fails, naming the URL, if
// a URL is malformed or given twice, if fewer than a majority of the servers answer, or if two
// URLs reach the same server (same run_id), which would silently destroy the independence a
// majority relies on.
//
// A new deployment's nodes refuse grants until an operator brings them into service (Heal, or
// the command quorumlock heal): nothing on a node tells a new one from one that lost its data.
func Dial(ctx context.Context, urls []string, opts Options) (*Locker, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	nodes, err := newNodes(urls, opts)
	if err != nil {
		return nil, err
	}
	if err := checkIndependent(ctx, nodes, opts); err != nil {
		closeNodes(nodes)
		return nil, err
	}
	return newLocker(nodes, opts), nil
}

// newNodes returns one node per URL, without connecting; it refuses an empty list, a malformed
// URL, and two URLs of the same host, port and database.
func newNodes(urls []string, opts Options) ([]*redisNode, error) {
	if len(urls) == 0 {
		return nil, fmt.Errorf("%w: no node URLs", ErrInvalidOptions)
	}
	nodes := make([]*redisNode, 0, len(urls))
	seen := make(map[string]bool, len(urls))
	for _, u := range urls {
		n, err := newNode(u, opts)
		if err == nil && seen[n.name] {
			err = fmt.Errorf("%w: node URL %q: %s is given twice; the nodes must be independent servers", ErrInvalidOptions, redactURL(u), n.name)
		}
		if err != nil {
			closeNodes(nodes)
			return nil, err
		}
		seen[n.name] = true
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// closeNodes closes the nodes' connections.
func closeNodes(nodes []*redisNode) {
	for _, n := range nodes {
		_ = n.pipe.Close()
	}
}

// newNode returns the node of a redis:// or rediss:// URL, configured from opts (TLSConfig,
// Dialer, NodeTimeout, TTL), without connecting. Errors wrap ErrInvalidOptions and name the
// URL, without its password.
func newNode(rawURL string, opts Options) (*redisNode, error) {
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
	onConnect := make([][]string, 0, len(allScripts))
	for _, sc := range allScripts {
		onConnect = append(onConnect, []string{"SCRIPT", "LOAD", sc.src})
	}
	pipe := redispipe.New(redispipe.Config{
		Addr: ro.Addr, Username: ro.Username, Password: ro.Password, DB: ro.DB, TLS: ro.TLSConfig,
		DialTimeout: max(4*opts.NodeTimeout, time.Second), ReplyTimeout: max(2*opts.TTL, 2*time.Second),
		OnConnect: onConnect, ReadRunID: true, Dialer: opts.Dialer,
	})
	return &redisNode{name: nodeName(ro), pipe: pipe, subOpts: ro}, nil
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
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Redacted()
	}
	// Unparsable, or without a scheme (user:password@host reads as scheme "user"): mask what
	// lies between the first colon and the last @ as a password would be.
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		rest := raw[:at]
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+3:]
		}
		if c := strings.Index(rest, ":"); c >= 0 {
			start := len(raw[:at]) - len(rest) + c + 1
			return raw[:start] + "xxxxx" + raw[at:]
		}
	}
	return raw
}

// checkIndependent requires a majority of nodes to answer and no two to share a run_id.
func checkIndependent(ctx context.Context, nodes []*redisNode, opts Options) error {
	byRunID := make(map[string]string)
	var errs []error
	for _, n := range nodes {
		nctx, cancel := context.WithTimeout(ctx, max(4*opts.NodeTimeout, time.Second))
		runID, err := n.runID(nctx)
		cancel()
		if err != nil {
			errs = append(errs, &NodeError{Node: n.name, Op: "dial", Err: err})
			continue
		}
		if runID == "" {
			continue // a server that does not tell (INFO disabled): Inspect reports it
		}
		if other, dup := byRunID[runID]; dup {
			return fmt.Errorf("%w: %s and %s reach the same Redis server (run_id %s); the nodes must be independent",
				ErrInvalidOptions, other, n.name, runID)
		}
		byRunID[runID] = n.name
	}
	if len(nodes)-len(errs) < majority(len(nodes)) {
		return outcome(fmt.Errorf("%w: only %d of %d nodes answered", ErrUnavailable, len(nodes)-len(errs), len(nodes)), errs)
	}
	return nil
}

// runID asks the server for its run_id (INFO server); "" if it does not tell.
func (n *redisNode) runID(ctx context.Context) (string, error) {
	text, err := n.str(ctx, "INFO", "server")
	var re redispipe.Error
	if errors.As(err, &re) {
		return "", nil
	}
	return parseInfo(text)["run_id"], err
}
