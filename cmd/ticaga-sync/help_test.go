package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/configs"
)

// Every command has help that teaches: `help CMD` and `CMD -h` print the
// same text, with what it does, every flag of its flag set, the settings
// that matter (all real settings) and examples.
func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, out, stderr := runMain(t, nil, "help", c.name)
		if code != exitOK || stderr != "" {
			t.Fatalf("help %s: exit %d, stderr %q", c.name, code, stderr)
		}
		h, ok := helps[c.name]
		if !ok || h.what == "" || len(h.examples) == 0 {
			t.Errorf("%s has no help text or no examples in helps", c.name)
		}
		for _, want := range append([]string{"ticaga-sync " + c.name + ": " + c.summary, "Usage: ticaga-sync " + c.name, strings.Fields(h.what)[0]}, exampleLines(h)...) {
			if !strings.Contains(out, want) {
				t.Errorf("help %s does not show %q:\n%s", c.name, want, out)
			}
		}
		for _, s := range h.settings {
			if !slices.Contains(configs.Settings(), s) {
				t.Errorf("help %s names %s, which is not a setting", c.name, s)
			}
		}
		if fs := commandFlags(c); fs != nil && c.name != "help" {
			for _, l := range flagLines(fs) {
				if !strings.Contains(out, "\n  "+l.name) {
					t.Errorf("help %s does not list %s:\n%s", c.name, l.name, out)
				}
			}
		}
		code, dashH, _ := runMain(t, nil, c.name, "-h")
		if code != exitOK || dashH != out {
			t.Errorf("%s -h (exit %d) differs from help %s:\n%s", c.name, code, c.name, dashH)
		}
	}
	if code, _, stderr := runMain(t, nil, "help", "nope"); code != exitUsage || !strings.Contains(stderr, `no command "nope"`) {
		t.Errorf("help nope: exit %d %q", code, stderr)
	}
	// A bad flag says where the help is, not Go's bare flag list.
	code, _, stderr := runMain(t, nil, "sync", "--bogus")
	if code != exitUsage || !strings.Contains(stderr, "See ticaga-sync help sync") {
		t.Errorf("sync --bogus: exit %d %q", code, stderr)
	}
	// The config help lists every setting, from the struct tags.
	_, out, _ := runMain(t, nil, "help", "config")
	for _, s := range configs.Settings() {
		if !strings.Contains(out, s) {
			t.Errorf("help config does not list %s", s)
		}
	}
}

func exampleLines(h commandHelp) []string {
	var out []string
	for _, ex := range h.examples {
		out = append(out, "  "+ex[0]+"\n      "+ex[1])
	}
	return out
}

func TestVersionFlag(t *testing.T) {
	_, want, _ := runMain(t, nil, "version")
	code, got, _ := runMain(t, nil, "--version")
	if code != exitOK || got != want || !strings.HasPrefix(got, "ticaga-sync ") {
		t.Fatalf("--version: exit %d %q, version: %q", code, got, want)
	}
}

// The man page is valid roff (groff -ww reports no warning) and holds each
// command's help: its text, flags and examples.
func TestManPage(t *testing.T) {
	code, page, stderr := runMain(t, nil, "man")
	if code != exitOK || stderr != "" {
		t.Fatalf("man: exit %d %q", code, stderr)
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-P", "-cbou")
	cmd.Stdin = strings.NewReader(page)
	cmd.Env = append(os.Environ(), "MANWIDTH=400")
	var errs strings.Builder
	cmd.Stderr = &errs
	rendered, err := cmd.Output()
	if err != nil || errs.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, errs.String())
	}
	// As words, whatever the line breaks and hyphenation.
	text := strings.ReplaceAll(strings.Join(strings.Fields(string(rendered)), " "), "‐ ", "")
	for _, c := range commands() {
		h := helps[c.name]
		want := append([]string{"ticaga-sync " + c.name}, strings.Split(h.what, "\n\n")...)
		for _, ex := range h.examples {
			want = append(want, ex[0], ex[1])
		}
		if fs := commandFlags(c); fs != nil && c.name != "help" {
			for _, l := range flagLines(fs) {
				want = append(want, l.name)
			}
		}
		for _, w := range want {
			if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("the man page does not show %q (command %s)", w, c.name)
			}
		}
	}
	for _, w := range []string{"EXIT STATUS", DefaultConfigFile, "TICAGA_API_TOKEN_FILE"} {
		if !strings.Contains(text, w) {
			t.Errorf("the man page does not show %q", w)
		}
	}
}

// The bash completion completes commands, each command's flags and the
// words some flags take, in a real bash.
func TestBashCompletion(t *testing.T) {
	code, script, _ := runMain(t, nil, "completion", "bash")
	if code != exitOK {
		t.Fatalf("completion bash: exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "ticaga-sync")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := ". " + file + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_ticaga_sync\necho \"${COMPREPLY[*]}\"\n"
		out, err := exec.Command("bash", "--norc", "--noprofile", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"ticaga-sync", "sy"}, "sync"},
		{[]string{"ticaga-sync", "ex"}, "explain exclude"},
		{[]string{"ticaga-sync", "expl"}, "explain"},
		{[]string{"ticaga-sync", "sync", "--ou"}, "--output"},
		{[]string{"ticaga-sync", "sync", "--output", ""}, "text json"},
		{[]string{"ticaga-sync", "sync", "--client", ""}, ""},
		{[]string{"ticaga-sync", "status", "--r"}, "--runs"},
		{[]string{"ticaga-sync", "completion", ""}, "bash zsh"},
		{[]string{"ticaga-sync", "help", "unl"}, "unlink"},
	} {
		if got := complete(tc.words...); got != tc.want {
			t.Errorf("completing %q: %q, want %q", tc.words, got, tc.want)
		}
	}
	if got := complete("ticaga-sync", "sync", "--report", filepath.Join(filepath.Dir(file), "ticaga-")); got != file {
		t.Errorf("completing a --report file: %q, want %q", got, file)
	}
}

// The zsh completion is valid zsh and names every command and flag.
func TestZshCompletion(t *testing.T) {
	code, script, _ := runMain(t, nil, "completion", "zsh")
	if code != exitOK || !strings.HasPrefix(script, "#compdef ticaga-sync\n") {
		t.Fatalf("completion zsh: exit %d\n%s", code, script)
	}
	cmd := exec.Command("zsh", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	for _, c := range commands() {
		if !strings.Contains(script, "'"+c.name+":") {
			t.Errorf("zsh completion lacks the command %s", c.name)
		}
		for _, f := range compFlags(c) {
			if !strings.Contains(script, "--"+f.name+"[") {
				t.Errorf("zsh completion lacks %s --%s", c.name, f.name)
			}
		}
	}
	if code, _, _ := runMain(t, nil, "completion", "fish"); code != exitUsage {
		t.Errorf("completion fish: exit %d, want 2", code)
	}
}
