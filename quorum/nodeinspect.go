package quorum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// inspect reads what the node says about itself: INFO, the CONFIG settings that matter, the
// marker under prefix (read only: inspection never writes) and TIME. Settings that CONFIG does
// not reveal (it may be disabled by the provider) are left empty.
func (n *redisNode) inspect(ctx context.Context, prefix string) (NodeInfo, error) {
	var info NodeInfo
	text, err := n.str(ctx, "INFO")
	if err != nil {
		return info, err
	}
	fields := parseInfo(text)
	info.RunID = fields["run_id"]
	info.Version = fields["redis_version"]
	info.Role = fields["role"]
	info.AppendOnly = fields["aof_enabled"] == "1"
	info.Replicas, _ = strconv.Atoi(fields["connected_slaves"])
	info.Save = "?"
	if v, ok := n.config(ctx, "save"); ok {
		info.Save = v
	}
	info.AppendFsync, _ = n.config(ctx, "appendfsync")
	info.MaxMemoryPolicy, _ = n.config(ctx, "maxmemory-policy")
	mm, _ := n.config(ctx, "maxmemory")
	info.MaxMemory, _ = strconv.ParseInt(mm, 10, 64)
	if err := n.readMarker(ctx, prefix, &info); err != nil {
		return info, err
	}
	info.Time, err = n.time(ctx)
	return info, err
}

// readMarker reads the marker's fields into info.
func (n *redisNode) readMarker(ctx context.Context, prefix string, info *NodeInfo) error {
	v, err := n.pipe.Do(ctx, "HGETALL", prefix+"node")
	if err != nil {
		return err
	}
	a, _ := v.([]any)
	m := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		k, _ := a[i].(string)
		m[k], _ = a[i+1].(string)
	}
	info.State = m["state"]
	if info.State == "" {
		info.State = "absent"
	}
	info.MarkerRunID, info.Lost, info.Healed = m["run"], m["lost"], m["healed"]
	return nil
}

// str runs a command whose reply is a string.
func (n *redisNode) str(ctx context.Context, args ...string) (string, error) {
	v, err := n.pipe.Do(ctx, args...)
	if err != nil {
		return "", err
	}
	if e, ok := v.(redispipe.Error); ok {
		return "", e
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: reply %#v, want a string", args[0], v)
	}
	return s, nil
}

// config returns one CONFIG GET setting; ok is false if CONFIG is unavailable.
func (n *redisNode) config(ctx context.Context, name string) (string, bool) {
	v, err := n.pipe.Do(ctx, "CONFIG", "GET", name)
	a, _ := v.([]any)
	if err != nil || len(a) != 2 {
		return "", false
	}
	s, ok := a[1].(string)
	return s, ok
}

// time reads the node's clock.
func (n *redisNode) time(ctx context.Context) (time.Time, error) {
	v, err := n.pipe.Do(ctx, "TIME")
	if err != nil {
		return time.Time{}, err
	}
	a, _ := v.([]any)
	if len(a) != 2 {
		return time.Time{}, errors.New("TIME: malformed reply")
	}
	s, _ := a[0].(string)
	us, _ := a[1].(string)
	sec, err1 := strconv.ParseInt(s, 10, 64)
	usec, err2 := strconv.ParseInt(us, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, fmt.Errorf("TIME: malformed reply %v", a)
	}
	return time.Unix(sec, usec*1000), nil
}

// parseInfo turns the text of INFO into its key:value fields.
func parseInfo(text string) map[string]string {
	fields := make(map[string]string)
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			fields[k] = v
		}
	}
	return fields
}
