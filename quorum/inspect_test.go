package quorum

import (
	"testing"
	"time"
)

// TestJudgeNode checks which settings break a guarantee (Danger) and which cost availability.
func TestJudgeNode(t *testing.T) {
	opts := Options{}.withDefaults()
	safe := NodeInfo{RunID: "r1", MarkerRunID: "r1", Role: "master", AppendOnly: true, AppendFsync: "always", MaxMemoryPolicy: "noeviction", State: "ok"}
	tests := []struct {
		name string
		edit func(*NodeInfo)
		want Severity // the worst finding; -1 for none
	}{
		{"safe", func(*NodeInfo) {}, -1},
		// A restart is seen whatever it reloads (a new run_id): no persistence setting is a danger.
		{"everysec", func(i *NodeInfo) { i.AppendFsync = "everysec" }, -1},
		{"rdb snapshots", func(i *NodeInfo) { i.AppendOnly, i.Save = false, "3600 1" }, -1},
		{"no persistence", func(i *NodeInfo) { i.AppendOnly, i.Save = false, "" }, Info},
		{"allkeys with a limit", func(i *NodeInfo) { i.MaxMemoryPolicy, i.MaxMemory = "allkeys-lru", 1<<30 }, Danger},
		{"volatile with a limit", func(i *NodeInfo) { i.MaxMemoryPolicy, i.MaxMemory = "volatile-ttl", 1<<30 }, Danger},
		{"allkeys without a limit", func(i *NodeInfo) { i.MaxMemoryPolicy = "allkeys-lru" }, -1},
		{"has replicas", func(i *NodeInfo) { i.Replicas = 1 }, Info},
		{"is a replica", func(i *NodeInfo) { i.Role = "slave" }, Warning},
		{"quarantined", func(i *NodeInfo) { i.State = "amnesic" }, Warning},
		{"restarted since its marker", func(i *NodeInfo) { i.RunID = "r2" }, Warning},
		{"restarts cannot be seen", func(i *NodeInfo) { i.RunID, i.MarkerRunID = "", "" }, Danger},
	}
	for _, tc := range tests {
		info := safe
		tc.edit(&info)
		worst := Severity(-1)
		judgeNode(info, time.Millisecond, opts, func(s Severity, _ string, _ ...any) { worst = max(worst, s) })
		if worst != tc.want {
			t.Errorf("%s: worst finding %v, want %v", tc.name, worst, tc.want)
		}
	}
}

func TestSameServerTwiceIsDanger(t *testing.T) {
	info := NodeInfo{RunID: "abc", MarkerRunID: "abc", State: "ok", AppendOnly: true, AppendFsync: "always", MaxMemoryPolicy: "noeviction"}
	reports := []NodeReport{{Node: "a", Info: info}, {Node: "b", Info: info}}
	addFindings(reports, Options{}.withDefaults())
	if len(reports[1].Findings) != 1 || reports[1].Findings[0].Severity != Danger {
		t.Fatalf("findings for the second URL of one server: %+v", reports[1].Findings)
	}
}
