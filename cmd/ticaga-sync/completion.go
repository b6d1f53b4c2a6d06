package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// cmdCompletion prints a completion script for bash or zsh, made from the
// commands and their flags.
func cmdCompletion(_ context.Context, args []string, env Env) int {
	if wantsHelp(args) {
		c, _ := findCommand("completion")
		printCommandHelp(env.Stdout, c, nil)
		return exitOK
	}
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprintln(env.Stderr, "ticaga-sync completion: give the shell: ticaga-sync completion bash, or zsh")
		return exitUsage
	}
	if args[0] == "bash" {
		writeBashCompletion(env.Stdout)
	} else {
		writeZshCompletion(env.Stdout)
	}
	return exitOK
}

// compFlag is a flag as completion sees it.
type compFlag struct {
	name   string // without dashes
	desc   string // its usage, short
	value  string // "" for a boolean flag, else what it takes: file, words or any
	words  []string
	repeat bool
}

// compFlags returns the flags of command c.
func compFlags(c command) []compFlag {
	fs := commandFlags(c)
	if fs == nil || c.name == "help" {
		return nil
	}
	var out []compFlag
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		cf := compFlag{name: f.Name, desc: shortDesc(usage), value: "any"}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			cf.value = ""
		}
		switch {
		case arg == "FILE":
			cf.value = "file"
		case f.Name == "output":
			cf.value, cf.words = "words", []string{"text", "json"}
		}
		// Flags of the flag package's own types are set once; the
		// command's own list types take the flag again and again.
		cf.repeat = reflect.TypeOf(f.Value).Elem().PkgPath() != "flag"
		out = append(out, cf)
	})
	return out
}

// shortDesc is a flag's usage up to its first parenthesis or semicolon,
// with the characters completion syntax gives a meaning removed.
func shortDesc(usage string) string {
	if i := strings.IndexAny(usage, "(;"); i > 0 {
		usage = usage[:i]
	}
	usage = strings.NewReplacer("[", "", "]", "", ":", "", "'", "", "`", "", "\\", "", "$", "").Replace(usage)
	return strings.TrimSpace(usage)
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func writeBashCompletion(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# bash completion for ticaga-sync, made by `ticaga-sync completion bash`.")
	p("_ticaga_sync() {")
	p(`	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}`)
	p(`	COMPREPLY=()`)
	p(`	if [ "$COMP_CWORD" -eq 1 ]; then`)
	p(`		COMPREPLY=($(compgen -W '%s --version --help' -- "$cur"))`, strings.Join(commandNames(), " "))
	p(`		return`)
	p(`	fi`)
	p(`	case ${COMP_WORDS[1]} in`)
	for _, c := range commands() {
		flags := compFlags(c)
		switch c.name {
		case "help":
			p(`	help) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W '%s' -- "$cur")) ;;`, strings.Join(commandNames(), " "))
			continue
		case "completion":
			p(`	completion) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W 'bash zsh' -- "$cur")) ;;`)
			continue
		}
		if len(flags) == 0 {
			continue
		}
		p(`	%s)`, c.name)
		p(`		case $prev in`)
		var names []string
		for _, f := range flags {
			names = append(names, "--"+f.name)
			switch f.value {
			case "file":
				p(`		--%s) COMPREPLY=($(compgen -f -- "$cur")); return ;;`, f.name)
			case "words":
				p(`		--%s) COMPREPLY=($(compgen -W '%s' -- "$cur")); return ;;`, f.name, strings.Join(f.words, " "))
			case "any":
				p(`		--%s) return ;;`, f.name)
			}
		}
		p(`		esac`)
		p(`		COMPREPLY=($(compgen -W '%s --help' -- "$cur")) ;;`, strings.Join(names, " "))
	}
	p(`	esac`)
	p("}")
	p("complete -F _ticaga_sync ticaga-sync")
}

func writeZshCompletion(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("#compdef ticaga-sync")
	p("# zsh completion for ticaga-sync, made by `ticaga-sync completion zsh`.")
	p("_ticaga_sync() {")
	p("	local -a commands")
	p("	commands=(")
	for _, c := range commands() {
		p("		'%s:%s'", c.name, shortDesc(c.summary))
	}
	p("	)")
	p("	if (( CURRENT == 2 )); then")
	p("		_describe -t commands 'ticaga-sync command' commands")
	p("		_arguments '--version[print the version]' '--help[print the commands]'")
	p("		return")
	p("	fi")
	p("	case $words[2] in")
	for _, c := range commands() {
		switch c.name {
		case "help":
			p("	help) (( CURRENT == 3 )) && _describe -t commands 'command' commands ;;")
			continue
		case "completion":
			p("	completion) (( CURRENT == 3 )) && _values 'shell' bash zsh ;;")
			continue
		}
		flags := compFlags(c)
		if len(flags) == 0 {
			continue
		}
		p("	%s)", c.name)
		p("		_arguments -s \\")
		for _, f := range flags {
			spec := "--" + f.name + "[" + f.desc + "]"
			if f.repeat {
				spec = "*" + spec
			}
			switch f.value {
			case "file":
				spec += ":file:_files"
			case "words":
				spec += ":" + f.name + ":(" + strings.Join(f.words, " ") + ")"
			case "any":
				spec += ":" + f.name + ": "
			}
			p("			'%s' \\", spec)
		}
		p("			'--help[what the command does]'")
		p("		;;")
	}
	p("	esac")
	p("}")
	p(`_ticaga_sync "$@"`)
}
