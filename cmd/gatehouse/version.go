package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func versionCmd(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	fmt.Fprintf(e.stdout, "gatehouse %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// version is the module version the binary was built from, or the VCS
// revision, or "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}
