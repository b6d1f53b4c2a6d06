package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
)

// cmdConfig prints the configuration as it applies: the daemon-wide
// settings, then each source's own, keys sorted, every secret redacted
// (configs.Daemon.Effective). It wires nothing and connects to nothing; a
// configuration error exits 2 as every command does.
func cmdConfig(ctx context.Context, args []string, env Env) int {
	var configFile, output string
	fs := newFlags("config", env, &configFile)
	fs.StringVar(&output, "output", "text", "format: text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if output != "text" && output != "json" {
		fmt.Fprintf(env.Stderr, "ticaga-sync config: --output must be text or json, got %q\n", output)
		return exitUsage
	}
	d, code := loadDaemon(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	eff := d.Effective()
	if output == "json" {
		type source struct {
			Name     string            `json:"name"`
			Settings map[string]string `json:"settings"`
		}
		out := struct {
			Daemon  map[string]string `json:"daemon"`
			Sources []source          `json:"sources"`
		}{Daemon: eff.Daemon, Sources: []source{}}
		for _, s := range eff.Sources {
			out.Sources = append(out.Sources, source{Name: s.Name, Settings: s.Settings})
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintln(env.Stdout, "daemon:")
	printSettingsMap(env.Stdout, "  ", eff.Daemon)
	for _, s := range eff.Sources {
		fmt.Fprintf(env.Stdout, "\nsource %s:\n", s.Name)
		printSettingsMap(env.Stdout, "  ", s.Settings)
	}
	return exitOK
}

// printSettingsMap prints settings as KEY=value lines, sorted by key.
func printSettingsMap(w io.Writer, indent string, settings map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(w, "%s%s=%s\n", indent, k, settings[k])
	}
}
