package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/quorumlock/quorumlock/quorum"
)

// optionField matches the quorum.Options fields that a setting sets, as quorum's errors name them.
var optionField = regexp.MustCompile(`\b(TTL|DriftFactor|NodeTimeout|Quarantine|KeyPrefix)\b`)

// fieldSetting maps those fields to the settings' keys.
var fieldSetting = map[string]string{"TTL": "ttl", "DriftFactor": "drift_factor", "NodeTimeout": "node_timeout",
	"Quarantine": "quarantine", "KeyPrefix": "key_prefix"}

// checkOptions validates opts as quorum.Dial would, before connecting, so that a combination
// quorum refuses is reported as a configuration error. Each problem is one line that starts with
// where the settings it names were set ("--node-timeout, --ttl: NodeTimeout (1s) must be less than
// TTL (100ms)"); settings left at their defaults are not listed.
func (c *nodeConfig) checkOptions(opts quorum.Options) error {
	_, err := opts.Validate()
	if err == nil {
		return nil
	}
	lines := strings.Split(strings.TrimPrefix(err.Error(), quorum.ErrInvalidOptions.Error()+": "), "\n")
	for i, line := range lines {
		var origins []string
		for _, field := range optionField.FindAllString(line, -1) {
			if from, ok := c.from[fieldSetting[field]]; ok && !slices.Contains(origins, from) {
				origins = append(origins, from)
			}
		}
		if len(origins) > 0 {
			lines[i] = strings.Join(origins, ", ") + ": " + line
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// refusal rewrites an error with which quorum refused the nodes (Dial: a node given twice, two
// URLs that reach one server) or the lock's name, naming what the user gave: the nodes' setting
// or NAME. The options themselves were checked before (checkOptions).
func (c *nodeConfig) refusal(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, quorum.ErrInvalidName):
		return errors.New("NAME: " + strings.TrimPrefix(msg, "quorum: "))
	case errors.Is(err, quorum.ErrInvalidOptions):
		return errors.New(c.origin("nodes") + ": " + strings.TrimPrefix(msg, quorum.ErrInvalidOptions.Error()+": "))
	}
	return err
}

// checkNodeURL checks the form of one node URL as quorum.Dial will read it, without connecting.
// Its errors name the URL, never its password, and say what to write instead.
func checkNodeURL(raw string) error {
	shown := shownURL(raw)
	lower := strings.ToLower(raw)
	if !strings.Contains(raw, "://") && !strings.HasPrefix(lower, "redis:") && !strings.HasPrefix(lower, "rediss:") {
		// host:port alone: url.Parse fails on it, or reads the host as a scheme.
		return fmt.Errorf("node URL %q has no scheme: want redis://%s (or rediss:// for TLS)", shown, shown)
	}
	err := quorum.CheckNodeURL(raw)
	if err == nil {
		return nil
	}
	// quorum's errors name the URL, its password masked.
	msg := strings.TrimPrefix(err.Error(), quorum.ErrInvalidOptions.Error()+": ")
	if !strings.HasPrefix(msg, "node URL ") {
		msg = fmt.Sprintf("node URL %q: %s", shown, msg)
	}
	return errors.New(msg)
}

// shownURL returns a node URL as an error may show it: with the password masked, even when the
// URL does not parse (then everything between the scheme and the last @ is masked) or has no
// scheme (user:password@host reads as scheme "user").
func shownURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	prefix := ""
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		prefix = raw[:i+3]
	}
	return prefix + "xxxxx@" + raw[at+1:]
}
