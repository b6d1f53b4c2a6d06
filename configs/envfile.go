package configs

import (
	"fmt"
	"os"
	"strings"
)

// readEnvFile reads and parses the env file at path. A file that cannot be
// read is an *Error whose Var is the path.
func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Var: path, Msg: "cannot read env file: " + reason(err)}
	}
	return parseEnvFile(path, data)
}

// parseEnvFile parses env file syntax, one assignment per line:
//
//	# a comment            blank lines are skipped too
//	KEY=value              unquoted: trimmed; " #" starts a comment
//	export KEY=value       the export prefix is ignored
//	KEY='value'            single quotes: taken literally
//	KEY="a \"b\"\n"        double quotes: \" \\ \$ and \n are escapes
//
// Nothing is interpolated ($HOME stays $HOME) and a later assignment wins.
// A syntax error is an *Error with Var "name:line"; it never quotes the
// line, which may hold a secret.
func parseEnvFile(name string, data []byte) (map[string]string, error) {
	vars := make(map[string]string)
	text := strings.TrimPrefix(string(data), "\ufeff")
	for i, line := range strings.Split(text, "\n") {
		key, val, ok, problem := parseEnvLine(strings.TrimSuffix(line, "\r"))
		if problem != "" {
			return nil, &Error{Var: fmt.Sprintf("%s:%d", name, i+1), Msg: problem}
		}
		if ok {
			vars[key] = val
		}
	}
	return vars, nil
}

// parseEnvLine parses one line; ok is false for a blank or comment line.
func parseEnvLine(line string) (key, val string, ok bool, problem string) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", "", false, ""
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	key, rest, found := strings.Cut(s, "=")
	if !found {
		return "", "", false, "expected KEY=VALUE"
	}
	key = strings.TrimRight(key, " \t")
	if !isEnvName(key) {
		return "", "", false, "invalid variable name (use letters, digits and _, not starting with a digit)"
	}
	val, problem = parseEnvValue(strings.TrimLeft(rest, " \t"))
	if problem != "" {
		return "", "", false, problem
	}
	return key, val, true, ""
}

// parseEnvValue parses what follows "=" (leading blanks already removed).
func parseEnvValue(v string) (string, string) {
	if v == "" || (v[0] != '\'' && v[0] != '"') {
		for i := 1; i < len(v); i++ {
			if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
				v = v[:i]
				break
			}
		}
		return strings.TrimRight(v, " \t"), ""
	}

	var val, rest string
	if v[0] == '\'' {
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", "unterminated single-quoted value"
		}
		val, rest = v[1:1+end], v[2+end:]
	} else {
		var b strings.Builder
		i, closed := 1, false
		for i < len(v) && !closed {
			c := v[i]
			switch {
			case c == '"':
				closed = true
			case c == '\\' && i+1 < len(v) && strings.IndexByte(`"\$`, v[i+1]) >= 0:
				b.WriteByte(v[i+1])
				i++
			case c == '\\' && i+1 < len(v) && v[i+1] == 'n':
				b.WriteByte('\n')
				i++
			default:
				b.WriteByte(c)
			}
			i++
		}
		if !closed {
			return "", "unterminated double-quoted value"
		}
		val, rest = b.String(), v[i:]
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest != "" && rest[0] != '#' {
		return "", "unexpected text after the closing quote"
	}
	return val, ""
}

// isEnvName reports whether s is a POSIX-style variable name:
// letters, digits and underscores, not starting with a digit.
func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
