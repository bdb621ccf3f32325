package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText says which quorumlock this is, from the build information of the binary (nil if
// it has none): the module version ("(devel)" unless built as a tagged module, e.g. by go
// install ...@v1.2.3), the VCS revision it was built from, and the Go version.
func versionText(bi *debug.BuildInfo) string {
	version, goVersion := "(devel)", runtime.Version()
	vcs := make(map[string]string)
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "quorumlock %s\n", version)
	if rev := vcs["vcs.revision"]; rev != "" {
		b.WriteString("revision " + rev)
		if t := vcs["vcs.time"]; t != "" {
			b.WriteString(" (" + t + ")")
		}
		if vcs["vcs.modified"] == "true" {
			b.WriteString(", modified")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("revision unknown (not built from a VCS checkout)\n")
	}
	if vcs["GOOS"] != "" && vcs["GOARCH"] != "" {
		goVersion += " " + vcs["GOOS"] + "/" + vcs["GOARCH"]
	}
	return b.String() + goVersion + "\n"
}

// buildInfo returns the binary's build information, or nil.
func buildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}
