package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ticaga/ticaga-sync/configs"
)

// commandHelp is what `help CMD` and `CMD -h` print beyond the flags, which
// come from the command's own flag set. The man page and the completions
// are made from the same text (see man.go, completion.go).
type commandHelp struct {
	// what the command does, in paragraphs separated by blank lines.
	what string
	// settings are the settings that matter most to the command.
	settings []string
	// examples, each a command line and what it does.
	examples [][2]string
}

// connection is the settings every command that reads the databases needs.
var connection = []string{"BILLING_SYSTEM", "BILLING_DSN", "BILLING_COMPANY_ID", "STORE_DSN"}

// helps holds the help of each command; a command without an entry gets
// its summary and flags.
var helps = map[string]commandHelp{
	"run": {
		what: `The daemon. Runs each source once at start and then on SYNC_SCHEDULE, never two runs of a source at once. SIGTERM or SIGINT lets the current run finish for up to SYNC_SHUTDOWN_TIMEOUT, then abandons it; a second signal kills at once. SIGHUP reloads the configuration (an invalid one is refused with every problem logged, and the running one kept). SIGUSR1 starts a run now.

It serves the status page on /, /metrics, /healthz and /readyz on HTTP_ADDR, and takes one-off runs (ticaga-sync sync) on CONTROL_SOCKET. Under systemd it is Type=notify and gets the token as the credential ticaga-api-token.`,
		settings: append(slices.Clone(connection), "TICAGA_URL", "TICAGA_API_TOKEN", "SYNC_SCHEDULE", "SYNC_SHUTDOWN_TIMEOUT", "HTTP_ADDR", "CONTROL_SOCKET", "LOG_LEVEL", "LOG_FORMAT"),
		examples: [][2]string{
			{"systemctl enable --now ticaga-sync", "run it as the installed service"},
			{"ticaga-sync run --config ticaga-sync.env", "run it in the foreground with an env file"},
			{"systemctl reload ticaga-sync", "reload the configuration (SIGHUP)"},
		},
	},
	"sync": {
		what: `One run now, then exit. With a daemon running, the daemon does the run over CONTROL_SOCKET, so a one-off never races its schedule; then the token is not needed here. Otherwise the run happens in this process and needs the token.

--dry-run plans only: it writes nothing but its run record (marked dry-run) and calls no write endpoint. --full rescans the whole Ticaga directory. --client acts on some customers only. On a terminal a progress bar shows the stages with an ETA, and only warnings are logged above it. --report is checked before the run starts, and written even when stdout is closed early (| head).`,
		settings: append(slices.Clone(connection), "TICAGA_URL", "TICAGA_API_TOKEN", "SYNC_CONCURRENCY", "SYNC_PROVISION", "CONTROL_SOCKET"),
		examples: [][2]string{
			{"ticaga-sync sync --dry-run", "preview the next run: what would be linked, and why not"},
			{"ticaga-sync sync", "one run now (by the daemon when it runs)"},
			{"ticaga-sync sync --client 12 --client 15", "act on two customers only"},
			{"ticaga-sync sync --report run.csv --output json | jq .counts", "every decision to a spreadsheet, the counts to jq"},
			{"ticaga-sync sync --wait 2m", "wait for a run in progress instead of exiting 3"},
		},
	},
	"check": {
		what:     `Checks every precondition of a run, source by source: the configuration (every problem at once), that the billing database answers and its tables are readable, that the store is writable, that Ticaga accepts the token, and how Ticaga answers a missing user. Prints one line per check, settings with every secret masked, and exits 1 when any check fails (2 when the configuration itself is wrong).`,
		settings: append(slices.Clone(connection), "TICAGA_URL", "TICAGA_API_TOKEN", "TICAGA_API_TOKEN_FILE"),
		examples: [][2]string{
			{"ticaga-sync check", "check the installed host (reads /etc/ticaga-sync/ticaga-sync.env)"},
			{"TICAGA_API_TOKEN_FILE=/etc/ticaga-sync/api-token ticaga-sync check", "as root, with the token the service gets as a credential"},
		},
	},
	"status": {
		what:     `Each source's Ticaga directory (size, age, an interrupted scan, the users whose answer is unknown or unreadable), the recent runs with their counts and outcomes, the customers that are not linked, grouped by reason, and the excluded customers (who, when, why). It also asks CONTROL_SOCKET whether a daemon is running and when each source runs next; each run shows its kind (scheduled, one-off, dry-run). Times carry their zone. --output json prints one object with stable field names (README). It reads the store only: no Ticaga call, no token needed. It exits 1, after showing the rest, when a source cannot run (say its store is unreachable), naming it on stderr.`,
		settings: []string{"BILLING_DSN", "STORE_DSN"},
		examples: [][2]string{
			{"ticaga-sync status", "what happened lately, and who is not linked"},
			{"ticaga-sync status --runs 3 --limit 50", "three runs, up to 50 customers per reason"},
			{"ticaga-sync status --output json | jq .daemon", "is a daemon running, and when does it run next"},
		},
	},
	"explain": {
		what:     `Why one customer is or is not linked: the decision the planner takes now, with every fact behind it (the billing row, the Ticaga users with its email, the pairing rows, the last recorded decision), and a sentence on what a person can do. For a customer no source selects it says exactly why: its status, its company, staff, no primary contact, or no such client. --output json prints the same as one object. It makes no Ticaga call: no token needed.`,
		settings: append(slices.Clone(connection), "BILLING_STATUSES"),
		examples: [][2]string{
			{"ticaga-sync explain --client 12", "why client 12 is (not) linked"},
			{"ticaga-sync explain --email ann@example.com", "the customers and Ticaga users with this email"},
			{"ticaga-sync explain --client cst-dQyWKER4Orw5glVX --output json", "a TicketSource customer, as JSON"},
		},
	},
	"exclude": {
		what:     `Keeps one customer out of syncing: recorded in the store with the reason, who ($SUDO_USER, else the OS user) and when. Every later run decides excluded for the customer, before every other rule: it is never linked or created. A customer already linked stays linked (exclude does not unlink); the command prints the unlink command that removes the link. status, explain, the reports and the status page show the exclusion.`,
		settings: []string{"BILLING_DSN", "STORE_DSN"},
		examples: [][2]string{
			{"ticaga-sync exclude --client 12 --reason 'reseller, handled by hand'", "keep client 12 out of syncing"},
			{"ticaga-sync exclude --client 12 --source eu", "in a sources file with several sources"},
		},
	},
	"include": {
		what:     `Removes an exclusion: the next run decides about the customer again.`,
		settings: []string{"BILLING_DSN", "STORE_DSN"},
		examples: [][2]string{
			{"ticaga-sync include --client 12", "let runs link client 12 again"},
		},
	},
	"unlink": {
		what:     `Removes a customer's ticaga_billing row under the run lock, after confirmation (--yes without a terminal). --clear-remote also clears the billing id in Ticaga, only if Ticaga still carries this customer's id; only then is the token needed. The next run decides afresh: unlink repairs a wrong link.`,
		settings: []string{"BILLING_DSN", "STORE_DSN", "TICAGA_API_TOKEN"},
		examples: [][2]string{
			{"ticaga-sync unlink --client 12", "remove the pairing of client 12 (asks first)"},
			{"ticaga-sync unlink --client 12 --clear-remote --yes", "also clear the billing id in Ticaga, without asking"},
		},
	},
	"migrate": {
		what:     `Creates or upgrades the store's tables, then exits. run and sync also do this at start.`,
		settings: []string{"BILLING_DSN", "STORE_DSN"},
		examples: [][2]string{{"ticaga-sync migrate", "create or upgrade the tables"}},
	},
	"config": {
		what: `Prints the configuration as it applies: the daemon-wide settings, then each source's own, keys sorted, durations with their unit. Every secret is masked: the token, the SMTP password and the webhook URL show [redacted], DSN passwords ***, a password in TICAGA_URL xxxxx. It connects to nothing; a configuration error exits 2, one line per problem.`,
		examples: [][2]string{
			{"ticaga-sync config", "the settings of the installed host"},
			{"ticaga-sync config --config sources.toml --output json", "a sources file's settings, as JSON"},
		},
	},
	"version": {
		what:     `Prints the version, commit, build date, Go version and platform. Same as ticaga-sync --version.`,
		examples: [][2]string{{"ticaga-sync --version", "which build is installed"}},
	},
	"help": {
		what:     `Prints the list of commands, or what one command does, its flags, the settings that matter and examples. ticaga-sync CMD -h prints the same.`,
		examples: [][2]string{{"ticaga-sync help sync", "all about sync"}},
	},
	"completion": {
		what: `Prints a completion script for bash or zsh. The Debian package installs both.`,
		examples: [][2]string{
			{"source <(ticaga-sync completion bash)", "completion in this bash"},
			{"ticaga-sync completion zsh > ~/.zfunc/_ticaga-sync", "completion for zsh (with ~/.zfunc in fpath)"},
		},
	},
	"man": {
		what:     `Prints the manual page (roff), made from this help. The Debian package installs it as ticaga-sync(1).`,
		examples: [][2]string{{"ticaga-sync man | man -l -", "read it without installing it"}},
	},
}

// commandFlags returns the flag set of command c, by running it with -h
// while its output is discarded; nil for a command without flags.
func commandFlags(c command) *flag.FlagSet {
	var sets []*flag.FlagSet
	env := Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) (string, bool) { return "", false }, flagSets: &sets}
	c.run(context.Background(), []string{"-h"}, env)
	if len(sets) == 0 {
		return nil
	}
	return sets[0]
}

// findCommand returns the command named name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// cmdHelp prints the overview, or one command's help.
func cmdHelp(_ context.Context, args []string, env Env) int {
	if wantsHelp(args) {
		c, _ := findCommand("help")
		printCommandHelp(env.Stdout, c, nil)
		return exitOK
	}
	if len(args) == 0 {
		usage(env.Stdout)
		return exitOK
	}
	c, ok := findCommand(args[0])
	if !ok || len(args) > 1 {
		fmt.Fprintf(env.Stderr, "ticaga-sync help: no command %q (see ticaga-sync help)\n", strings.Join(args, " "))
		return exitUsage
	}
	if c.name == "help" {
		printCommandHelp(env.Stdout, c, nil)
		return exitOK
	}
	printCommandHelp(env.Stdout, c, commandFlags(c))
	return exitOK
}

// flagLine is one flag as help shows it: "--client ID", its usage, and its
// default when it has one worth saying.
type flagLine struct {
	name, arg, usage, def string
}

// flagLines lists fs's flags, sorted by name.
func flagLines(fs *flag.FlagSet) []flagLine {
	var out []flagLine
	if fs == nil {
		return out
	}
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		switch arg {
		case "value", "string":
			arg = "VALUE"
		case "int":
			arg = "N"
		case "duration":
			arg = "DURATION"
		}
		l := flagLine{name: "--" + f.Name, arg: arg, usage: usage}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" && f.DefValue != "[]" {
			l.def = f.DefValue
		}
		out = append(out, l)
	})
	return out
}

// printCommandHelp prints what c does, its flags (from fs), the settings
// that matter, and examples.
func printCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	h := helps[c.name]
	fmt.Fprintf(w, "ticaga-sync %s: %s\n\n", c.name, c.summary)
	synopsis := "ticaga-sync " + c.name
	if fs != nil {
		synopsis += " [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	if h.what != "" {
		for _, para := range strings.Split(h.what, "\n\n") {
			fmt.Fprintf(w, "\n%s\n", wrap(para, 76, ""))
		}
	}
	if lines := flagLines(fs); len(lines) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		for _, l := range lines {
			head := l.name
			if l.arg != "" {
				head += " " + l.arg
			}
			usage := l.usage
			if l.def != "" {
				usage += fmt.Sprintf(" (default %s)", l.def)
			}
			fmt.Fprintf(w, "  %s\n%s\n", head, wrap(usage, 72, "      "))
		}
	}
	if c.name == "config" {
		fmt.Fprintf(w, "\nThe settings (the example env file documents each one):\n%s\n", wrap(strings.Join(configs.Settings(), ", "), 72, "  "))
	} else if len(h.settings) > 0 {
		fmt.Fprintf(w, "\nSettings that matter (ticaga-sync help config lists them all):\n%s\n", wrap(strings.Join(h.settings, ", "), 72, "  "))
	}
	if len(h.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, ex := range h.examples {
			fmt.Fprintf(w, "  %s\n      %s\n", ex[0], ex[1])
		}
	}
	fmt.Fprintf(w, "\n%s\n", wrap(configNote, 76, ""))
}

// configNote says where the settings come from.
const configNote = "Settings come from --config FILE (an env file, or a .toml sources file); without it from " + DefaultConfigFile +
	" when it exists (TICAGA_SYNC_CONFIG names another file, empty for none). Environment variables win over the file."

// wrap breaks text into lines of at most width characters (words longer
// than that stand alone), each starting with indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width+len(indent) {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
