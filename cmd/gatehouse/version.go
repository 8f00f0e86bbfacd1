package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time by release builds (make build, deploy/Dockerfile):
//
//	go build -ldflags "-X main.buildVersion=v0.2.0 -X main.buildCommit=$(git rev-parse HEAD) -X main.buildDate=$(date -u +%FT%TZ)"
//
// Left empty, they are read from the module and VCS information the Go
// toolchain embeds (go install …@v0.2.0; a build in a git checkout).
var buildVersion, buildCommit, buildDate string

// build describes the running binary.
type build struct {
	Version  string // v0.2.0, or devel
	Commit   string // the full revision, or ""
	Date     string // RFC 3339, or ""
	Modified bool   // built from a working tree with uncommitted changes
}

func versionCmd(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	fmt.Fprintln(e.stdout, buildInfo())
	return nil
}

// String is the one line `gatehouse version` prints:
// "gatehouse v0.2.0 (commit 1a2b3c4d5e6f, built 2026-12-02T07:00:00Z, go1.26.8, linux/amd64)".
func (b build) String() string {
	parts := []string{}
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += ", modified"
		}
		parts = append(parts, "commit "+c)
	}
	if b.Date != "" {
		parts = append(parts, "built "+b.Date)
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("gatehouse %s (%s)", b.Version, strings.Join(parts, ", "))
}

// buildInfo is what the linker flags say, filled in from the build
// information the toolchain embeds.
func buildInfo() build {
	b := build{Version: buildVersion, Commit: buildCommit, Date: buildDate}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; b.Version == "" && v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// version is the binary's version, as `gatehouse version` and the
// start log print it.
func version() string { return buildInfo().Version }
