package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped at build time with
// -ldflags "-X main.version=1.2.3 -X main.commit=abc123 -X main.date=2026-11-22T00:00:00Z".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

func init() {
	// Without -ldflags, take what the Go toolchain recorded.
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && commit == "":
			commit = s.Value
		case s.Key == "vcs.time" && date == "":
			date = s.Value
		}
	}
}

func cmdVersion(_ context.Context, args []string, env Env) int {
	if wantsHelp(args) {
		c, _ := findCommand("version")
		printCommandHelp(env.Stdout, c, nil)
		return exitOK
	}
	c, d := commit, date
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	fmt.Fprintf(env.Stdout, "ticaga-sync %s (commit %s, built %s, %s %s/%s)\n", version, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
