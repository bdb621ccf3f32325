package quorum

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseNodeURL: a node URL is either refused with an error that wraps ErrInvalidOptions,
// names the URL and never shows its password, or read into options that can be dialled as
// given: redis:// or rediss:// (and TLS exactly for rediss://), a host and a port in 1..65535,
// a database ≥ 0, and a name that does not depend on the password. CheckNodeURL agrees with it.
// parseNodeURL is unexported, hence an internal test.
func FuzzParseNodeURL(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379", "rediss://app:s3cret@127.0.0.1:6380/3", "redis://[::1]:6379/2",
		"redis://h", "redis://:pw@h:1/0", "redis://user@h:6379", "REDIS://H:1", "redis://h:1/1/",
		"http://127.0.0.1:6379", "redis://127.0.0.1:6379/notanumber", "redis://[::1", "", "redis://",
		"redis://h/1/2", "redis://h:6379/%31",
		// Accepted by redis.ParseURL before the fuzz target existed, and misread:
		"unix:///tmp/redis.sock",          // dialled as TCP to "/tmp/redis.sock"
		"redis://h:6379/-1",               // SELECT -1 on every connection
		"redis://h:6379?db=-2",            // the same, as a query parameter
		"redis://h:99999", "redis://h:0/", // no such port
		"redis://h:6379/0?dial_timeout=10s", // silently replaced by the lock's own dial timeout
		"redis:h:6379",                      // no "//": read as localhost:6379
		"redis://h:6379#frag",
		"redis://]",   // address "]:6379"
		"//:a@",       // a password that is a word of the message
		"redis://:0@", // a password that is a part of the name
		// Refused, but the error quoted the whole URL with its password (url.Error):
		"redis://app:s3cret@h:port/1", "redis://app:s3c/ret@h:6379", "redis://app:s3%zzret@h:6379",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ro, err := parseNodeURL(raw)
		if cerr := CheckNodeURL(raw); (err == nil) != (cerr == nil) {
			t.Fatalf("parseNodeURL(%q) = %v but CheckNodeURL = %v", raw, err, cerr)
		}
		if err != nil {
			checkURLError(t, raw, err)
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("parseNodeURL accepted %q, which net/url refuses: %v", raw, perr)
		}
		if (u.Scheme != "redis" && u.Scheme != "rediss") || ro.Network != "tcp" {
			t.Fatalf("parseNodeURL(%q): scheme %q, network %q", raw, u.Scheme, ro.Network)
		}
		if (ro.TLSConfig != nil) != (u.Scheme == "rediss") {
			t.Fatalf("parseNodeURL(%q): TLS %v for scheme %q", raw, ro.TLSConfig != nil, u.Scheme)
		}
		host, port, serr := net.SplitHostPort(ro.Addr)
		p, aerr := strconv.Atoi(port)
		if serr != nil || host == "" || aerr != nil || p < 1 || p > 65535 {
			t.Fatalf("parseNodeURL(%q): address %q is not host:port", raw, ro.Addr)
		}
		if ro.DB < 0 {
			t.Fatalf("parseNodeURL(%q): database %d", raw, ro.DB)
		}
		pw, _ := u.User.Password()
		if ro.Password != pw || ro.Username != u.User.Username() {
			t.Fatalf("parseNodeURL(%q): user %q password %q, want %q %q", raw, ro.Username, ro.Password, u.User.Username(), pw)
		}
		want := ro.Addr + "/" + strconv.Itoa(ro.DB)
		if nodeName(ro) != want {
			t.Fatalf("%q is named %q, want %q", raw, nodeName(ro), want)
		}
		if other, ok := otherPassword(raw); ok { // the name does not depend on the password
			if ro2, err := parseNodeURL(other); err != nil || nodeName(ro2) != want {
				t.Fatalf("%q is named %q, but with another password %q: %v", raw, want, other, err)
			}
		}
	})
}

// checkURLError checks the error for a refused URL: it wraps ErrInvalidOptions, says "node URL",
// and shows no password, neither one that net/url finds nor, for a URL it cannot parse, anything
// before the last '@'.
func checkURLError(t *testing.T, raw string, err error) {
	t.Helper()
	msg := err.Error()
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(msg, "node URL") {
		t.Fatalf("error for %q = %v, want ErrInvalidOptions naming the node URL", raw, err)
	}
	u, perr := url.Parse(raw)
	if perr == nil {
		// The password leaks if it is in the message and not in the message for the same URL
		// with another password of the same length (it may be a word of the message).
		pw, _ := u.User.Password()
		if other, ok := otherPassword(raw); ok && pw != "" && strings.Contains(msg, pw) {
			if _, err2 := parseNodeURL(other); err2 == nil || !strings.Contains(err2.Error(), pw) {
				t.Fatalf("error for %q shows the password: %v", raw, err)
			}
		}
		return
	}
	// Unparsable: the URL may be quoted with what would be its password masked, never that.
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		userinfo := raw[:at]
		if i := strings.Index(userinfo, "://"); i >= 0 {
			userinfo = userinfo[i+3:]
		}
		if _, pw, ok := strings.Cut(userinfo, ":"); ok && len(pw) >= 4 && strings.Contains(msg, pw) {
			t.Fatalf("error for unparsable %q shows what may be its password: %v", raw, err)
		}
	}
	if strings.Contains(raw, "@") && !strings.Contains(msg, "malformed (percent-encode") {
		t.Fatalf("error for unparsable %q, which may hold a password, quotes a part of it: %v", raw, err)
	}
}

// otherPassword returns raw with the password of its authority replaced by as many 'Q's.
func otherPassword(raw string) (string, bool) {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return "", false
	}
	auth := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth = rest[:i]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return "", false
	}
	user, pw, ok := strings.Cut(auth[:at], ":")
	if !ok {
		return "", false
	}
	start := len(raw) - len(rest)
	return raw[:start] + user + ":" + strings.Repeat("Q", len(pw)) + raw[start+at:], true
}

// TestNodeURLErrorsMaskPasswords: a URL without a scheme (user:password@host reads as scheme
// "user") or that does not parse is named in the error with its password masked.
func TestNodeURLErrorsMaskPasswords(t *testing.T) {
	for _, raw := range []string{"app:s3cret@h:6379", "app:s3cret@h:6379/1", "redis://app:s3cret@h:port/1", "app:s3c%zzret@h"} {
		err := CheckNodeURL(raw)
		if err == nil || strings.Contains(err.Error(), "s3c") || !strings.Contains(err.Error(), "xxxxx@h") {
			t.Errorf("CheckNodeURL(%q) = %v, want an error naming the URL with its password masked", raw, err)
		}
	}
}
