package quorum

import (
	"bufio"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Inspect reads INFO, CONFIG and the marker under prefix. Settings that CONFIG does not reveal
// (it may be disabled by the provider) are left empty.
func (n *RedisNode) Inspect(ctx context.Context, prefix string) (NodeInfo, error) {
	var info NodeInfo
	text, err := n.client.Info(ctx).Result() // the default sections include server and persistence
	if err != nil {
		return info, err
	}
	fields := parseInfo(text)
	info.RunID = fields["run_id"]
	info.Version = fields["redis_version"]
	info.AppendOnly = fields["aof_enabled"] == "1"
	info.Replicas, _ = strconv.Atoi(fields["connected_slaves"])
	info.Save = "?"
	if cfg, err := n.client.ConfigGet(ctx, "*").Result(); err == nil {
		info.AppendFsync = cfg["appendfsync"]
		if save, ok := cfg["save"]; ok {
			info.Save = save
		}
		info.MaxMemoryPolicy = cfg["maxmemory-policy"]
		info.MaxMemory, _ = strconv.ParseInt(cfg["maxmemory"], 10, 64)
	}
	state, err := n.client.HGet(ctx, prefix+"node", "state").Result()
	switch {
	case errors.Is(err, redis.Nil):
		info.State = "absent"
	case err != nil:
		return info, err
	default:
		info.State = state
	}
	info.Time, err = n.client.Time(ctx).Result()
	return info, err
}

// parseInfo turns the text of INFO into its key:value fields.
func parseInfo(text string) map[string]string {
	fields := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			fields[k] = v
		}
	}
	return fields
}
