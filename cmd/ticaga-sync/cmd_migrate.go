package main

import (
	"context"
	"fmt"

	"github.com/ticaga/ticaga-sync/daemon"
)

func cmdMigrate(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("migrate", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	return withApp(ctx, configFile, env, false, func(a *daemon.App) int {
		if err := a.Migrate(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: migrate: %s\n", oneLine(err))
			return exitFailed
		}
		fmt.Fprintln(env.Stdout, "store is up to date")
		return exitOK
	})
}
