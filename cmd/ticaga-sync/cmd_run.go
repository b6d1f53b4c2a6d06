package main

import (
	"context"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/mysqlx"
)

// cmdRun is the daemon (see daemon.Run): for each source, a run at start
// and then on its SYNC_SCHEDULE, until SIGTERM/SIGINT; SIGHUP reloads the
// configuration file, SIGUSR1 starts a run now. It exits 0 on a stop, 1
// when the daemon cannot start or go on, 2 on a configuration error.
func cmdRun(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("run", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	configFile = resolveConfigFile(configFile, env, true) // the default file, said once
	load := func(ctx context.Context) (configs.Daemon, error) {
		d, err := daemon.Load(ctx, configFile, env.Getenv)
		if err == nil {
			err = daemon.CheckSchedules(d)
		}
		return d, err
	}
	d, err := load(ctx)
	if err != nil {
		printConfigError(env.Stderr, err)
		return exitUsage
	}
	log := daemon.NewLogger(d, env.Stderr)
	mysqlx.SetLogger(log)
	err = daemon.Run(ctx, d, daemon.RunOptions{
		Log:     log,
		Version: version,
		Commit:  commit,
		Getenv:  env.Getenv,
		Trigger: env.Trigger,
		Reload:  env.Reload,
		Load:    load,
	})
	if err != nil {
		return exitFailed // logged by Run
	}
	return exitOK
}
