package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ticaga/ticaga-sync/configs"
)

// cmdMan prints the manual page, ticaga-sync(1), in roff: the overview and
// each command's help (the text of `help CMD`), the settings, exit codes
// and files.
func cmdMan(_ context.Context, args []string, env Env) int {
	if wantsHelp(args) {
		c, _ := findCommand("man")
		printCommandHelp(env.Stdout, c, nil)
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(env.Stderr, "ticaga-sync man: unexpected argument %q\n", args[0])
		return exitUsage
	}
	writeMan(env.Stdout)
	return exitOK
}

// roff escapes text for a roff text line: backslashes and hyphens, and a
// leading dot or quote that would make it a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// writeMan writes the manual page.
func writeMan(w io.Writer) {
	day := ""
	if len(date) >= 10 {
		day = date[:10]
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p(`.TH TICAGA\-SYNC 1 "%s" "ticaga\-sync %s" "User Commands"`, day, roff(version))
	p(".SH NAME")
	p(`ticaga\-sync \- link billing customers to their Ticaga helpdesk accounts`)
	p(".SH SYNOPSIS")
	p(`.B ticaga\-sync`)
	p(`.I command`)
	p(`.RB [ \-\-config`)
	p(`.IR FILE ]`)
	p(`.RI [ flags ]`)
	p(".br")
	p(`.B ticaga\-sync \-\-version`)
	p(".SH DESCRIPTION")
	p("%s", roff("ticaga-sync reads the customers of a billing system (Blesta, WHMCS, ClientExec or FOSSBilling) from its MySQL/MariaDB database, matches each one by email to a Ticaga user, and links every unambiguous match: it sets the billing id in Ticaga and records the pairing in ticaga_billing. What it cannot link safely it leaves alone and reports, with the reason."))
	p(".PP")
	p("%s", roff(configNote))
	p(".SH COMMANDS")
	for _, c := range commands() {
		h := helps[c.name]
		var fs = commandFlags(c)
		if c.name == "help" {
			fs = nil
		}
		synopsis := "ticaga-sync " + c.name
		if fs != nil {
			synopsis += " [flags]"
		}
		p(`.SS "%s"`, roff(synopsis))
		p("%s", roff(strings.ToUpper(c.summary[:1])+c.summary[1:]+"."))
		for _, para := range strings.Split(h.what, "\n\n") {
			if para != "" {
				p(".PP")
				p("%s", roff(para))
			}
		}
		for _, l := range flagLines(fs) {
			p(".TP")
			if l.arg != "" {
				p(`.BI %s " %s"`, roff(l.name), roff(l.arg))
			} else {
				p(".B %s", roff(l.name))
			}
			usage := l.usage
			if l.def != "" {
				usage += " (default " + l.def + ")"
			}
			p("%s", roff(usage))
		}
		if len(h.settings) > 0 {
			p(".PP")
			p("Settings that matter: %s.", roff(strings.Join(h.settings, ", ")))
		}
		if len(h.examples) > 0 {
			p(".PP")
			p("Examples:")
			p(".RS")
			for _, ex := range h.examples {
				p(".PP")
				p(".nf")
				p(`\fB%s\fR`, roff(ex[0]))
				p(".fi")
				p("%s", roff(ex[1]))
			}
			p(".RE")
		}
	}
	p(".SH SETTINGS")
	p("%s", roff("Each setting is an environment variable, a KEY=value line of the env file (read exactly as systemd reads EnvironmentFile=), or a key of a .toml sources file. A key of the env or sources file that starts like a setting (TICAGA_, SYNC_, BILLING_, ...) but is none is an error naming the closest setting. The example env file documents each one. The settings:"))
	p(".PP")
	p("%s", roff(strings.Join(configs.Settings(), ", ")+"."))
	p(".SH EXIT STATUS")
	p(".TP\n.B 0\ncompleted (no_match and conflicts are not failures)")
	p(".TP\n.B 1\nthe run failed, or some customers failed to link, or a check failed")
	p(".TP\n.B 2\nusage or configuration error (one line naming each setting)")
	p(".TP\n.B 3\nthe run lock is held by another run")
	p(".SH FILES")
	p(".TP\n.I %s\n%s", roff(DefaultConfigFile), roff("the settings, read by the service and, without --config, by every command"))
	p(".TP\n.I /etc/ticaga\\-sync/api\\-token\n%s", roff("the Ticaga API token, passed to the service as the systemd credential ticaga-api-token"))
	p(".TP\n.I /usr/share/doc/ticaga\\-sync/\n%s", roff("the README and an example configuration"))
	p(".SH SEE ALSO")
	p(`.BR systemctl (1),`)
	p(`.BR journalctl (1),`)
	p(`.BR systemd.exec (5)`)
}
