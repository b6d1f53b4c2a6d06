package main

import (
	"context"
	"fmt"
)

func cmdMigrate(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("migrate", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	defer a.Close()
	if err := a.store.Migrate(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: migrate: %s\n", oneLine(err))
		return exitFailed
	}
	fmt.Fprintln(env.Stdout, "store is up to date")
	return exitOK
}
