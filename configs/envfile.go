package configs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
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

// envFileVars returns the assignments of the env file at path that systemd
// would make, whatever problems it has (nil when it cannot be read): to
// report its unknown settings along with its syntax problems.
func envFileVars(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	p := envParser{name: path, line: 1, vars: make(map[string]string), lastKeyWS: -1, lastValueWS: -1}
	p.run(data)
	return p.vars
}

// parseEnvFile reads an env file exactly as systemd reads a unit's
// EnvironmentFile= (the rules of systemd.exec(5), implemented by
// parse_env_file_internal in systemd's src/basic/env-file.c, checked
// against systemd 252's own parser), so that `check --config` sees the
// values the daemon started by the unit sees. The syntax it accepts:
//
//	# a comment              so is a line starting with ";"; blank lines are skipped
//	KEY=value                unquoted: surrounding blanks dropped, inner ones kept
//	KEY = value              blanks around the name and after "=" are dropped
//	KEY='a "b" $c \d'        single quotes: every character as is, newlines too
//	KEY="a \"b\" \\ \$c"     double quotes: \" \\ \` \$ are the character itself,
//	                         a backslash at the end of a line joins the next one
//	KEY=                     the empty value
//
// Nothing is interpolated ($HOME stays $HOME) and a later assignment wins.
//
// Every construct that systemd reads otherwise than a plain (shell or
// dotenv) reading would is rejected rather than silently read one way or
// the other:
//
//   - "export KEY=v": systemd has no export keyword; it takes "export KEY"
//     as the name, which is invalid, and ignores the line.
//   - " #" (or a tab and "#") in an unquoted value: systemd keeps it and
//     what follows as part of the value; there are no end-of-line comments.
//   - a backslash in an unquoted value: systemd drops it (\x gives x) and
//     joins the next line to a line ending with one.
//   - a quote after the start of an unquoted value (KEY=x"y"): systemd
//     keeps it, a shell removes it.
//   - text after a closing quote (KEY="a"b, KEY="a" # c): systemd appends
//     it to the value ("ab", "a# c").
//   - in double quotes, a backslash before anything but " \ ` $ or a line
//     break: systemd keeps both ("\n" is a backslash and an n).
//   - a quote that is never closed: systemd reads the rest of the file
//     into the value.
//   - a comment line ending with a backslash: systemd before v254 also
//     ignores the next line, later versions do not.
//   - a carriage return that does not end a line: systemd ends the line
//     there.
//   - a NUL byte, or, outside comments, bytes that are not UTF-8, a
//     Unicode noncharacter or a byte order mark (U+FEFF): systemd refuses
//     the whole file, or (a byte order mark) keeps it in the name or value.
//
// A line that is not blank, not a comment and has no "=", and an invalid
// variable name (letters, digits and _, not starting with a digit), are
// errors too, although systemd merely ignores them: such a line is the
// operator's typo, and ignoring it would hide a setting the operator meant
// to make.
//
// The error joins one *Error per problem, each with Var "name:line" and a
// message naming the variable when its name is valid. No message ever
// quotes a value, which may be a secret.
func parseEnvFile(name string, data []byte) (map[string]string, error) {
	p := envParser{name: name, line: 1, vars: make(map[string]string), lastKeyWS: -1, lastValueWS: -1}
	p.run(data)
	if len(p.problems) > 0 {
		return nil, errors.Join(p.problems...)
	}
	return p.vars, nil
}

// envState is the state of systemd's env-file parser; the names follow
// parse_env_file_internal.
type envState int

const (
	envPreKey envState = iota
	envKey
	envPreValue
	envValue
	envValueEscape
	envSingleQuote
	envDoubleQuote
	envDoubleQuoteEscape
	envComment
	envCommentEscape
)

// envParser is systemd's env-file state machine, plus the checks of
// parseEnvFile.
type envParser struct {
	name     string
	line     int // the line of the character being read, 1-based
	state    envState
	vars     map[string]string
	problems []error

	// The assignment being read.
	key, value  []byte
	lastKeyWS   int    // where trailing blanks of key start, or -1
	lastValueWS int    // where trailing blanks of an unquoted value start, or -1
	keyName     string // the valid variable name, once "=" is read
	afterQuote  bool   // a quoted part has been closed
	quoteLine   int    // the line where the last quoted part opened
	reported    bool   // a problem has been reported for this assignment
	sawNUL      bool
}

// Messages of the problems that parseEnvFile rejects; see its doc comment.
const (
	msgNoEquals       = `expected KEY=VALUE (systemd ignores a line without "=")`
	msgNoName         = `no variable name before "=" (systemd ignores this line)`
	msgBadName        = "invalid variable name (use letters, digits and _, not starting with a digit); systemd ignores this line"
	msgExport         = `"export" is not a keyword in an EnvironmentFile= (systemd ignores the whole line); remove "export"`
	msgHash           = `systemd keeps " #" and what follows as part of the value (no comment after a value); put the comment on its own line, or quote a value that holds " #"`
	msgBackslash      = `systemd removes a backslash from an unquoted value (\x gives x, and one at the end of a line joins the next line); put the value in single quotes to keep it as written`
	msgQuote          = "a quote inside an unquoted value is kept by systemd (a shell would remove it); quote the whole value instead"
	msgAfterQuote     = "text after the closing quote, which systemd appends to the value; quote the whole value, and put a comment on its own line"
	msgDoubleEscape   = "in double quotes systemd keeps a backslash before any character but \" \\ ` $ or a line break (\\n is not a newline); write \\\\ for a backslash, or use single quotes"
	msgUnterminated1  = "unterminated single-quoted value (systemd reads the rest of the file into it)"
	msgUnterminated2  = "unterminated double-quoted value (systemd reads the rest of the file into it)"
	msgCommentEscape  = "comment line ends with a backslash: systemd before v254 also ignores the next line, later versions do not; remove the backslash"
	msgBareCR         = "carriage return inside a line: systemd ends the line there"
	msgNUL            = "NUL byte: systemd refuses a file that holds one"
	msgNotUTF8        = "not valid UTF-8: systemd refuses the whole file"
	msgNoncharacter   = "Unicode noncharacter (U+FDD0..U+FDEF, U+FFFE, U+FFFF and the like): systemd refuses the whole file"
	msgByteOrderMark  = "byte order mark (U+FEFF): systemd keeps it as part of the text; save the file as UTF-8 without BOM"
	envNeedEscape     = "\"\\`$" // SHELL_NEED_ESCAPE in systemd
	envBlank          = " \t"    // WHITESPACE in systemd, less the newlines
	envCommentStarter = "#;"     // COMMENTS in systemd
)

// problem records msg for the current line, naming the variable when known.
// Only the first problem of an assignment is reported unless always is set.
func (p *envParser) problem(msg string, always bool) {
	if p.reported && !always {
		return
	}
	p.reported = true
	if p.keyName != "" {
		msg = p.keyName + ": " + msg
	}
	p.problems = append(p.problems, &Error{Var: fmt.Sprintf("%s:%d", p.name, p.line), Msg: msg})
}

// resetAssignment clears the per-assignment state at the end of a line
// (or of a multi-line assignment).
func (p *envParser) resetAssignment() {
	p.key, p.value = p.key[:0], nil
	p.lastKeyWS, p.lastValueWS = -1, -1
	p.keyName, p.afterQuote, p.reported = "", false, false
}

// endKey ends the name at "=", dropping its trailing blanks, and checks it.
func (p *envParser) endKey() {
	if p.lastKeyWS >= 0 {
		p.key = p.key[:p.lastKeyWS]
	}
	k := string(p.key)
	if isEnvName(k) {
		p.keyName = k
		return
	}
	if rest, ok := strings.CutPrefix(k, "export"); ok && rest != "" && strings.ContainsRune(envBlank, rune(rest[0])) {
		if name := strings.TrimLeft(rest, envBlank); isEnvName(name) {
			p.keyName = name
			p.problem(msgExport, false)
			p.keyName = "" // systemd sets nothing
			return
		}
	}
	p.problem(msgBadName, false)
}

// noEquals reports a line that systemd ignores for want of a name and an
// "=" after it.
func (p *envParser) noEquals() {
	if len(p.key) > 0 && p.key[0] == '=' {
		p.problem(msgNoName, false)
	} else {
		p.problem(msgNoEquals, false)
	}
}

// push stores the assignment, as systemd does: a later one wins, and one
// with an invalid name is ignored (it has been reported).
func (p *envParser) push() {
	if p.keyName != "" {
		p.vars[p.keyName] = string(p.value)
	}
	p.state = envPreKey
	p.resetAssignment()
}

// checkRune reports a character systemd refuses, or keeps where a plain
// reading would not (a byte order mark). Comments are not checked: systemd
// skips their bytes, a NUL excepted.
func (p *envParser) checkRune(r rune, size int) {
	switch {
	case r == 0:
		if !p.sawNUL {
			p.problem(msgNUL, true)
		}
		p.sawNUL = true
	case p.state == envComment || p.state == envCommentEscape:
	case r == utf8.RuneError && size == 1:
		p.problem(msgNotUTF8, false)
	case r == 0xFEFF:
		p.problem(msgByteOrderMark, false)
	case (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE:
		p.problem(msgNoncharacter, false)
	}
}

// run feeds data through systemd's state machine, one character at a time.
func (p *envParser) run(data []byte) {
	prev := rune(0)
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		raw := data[i : i+size]
		next := byte(0)
		if i+size < len(data) {
			next = data[i+size]
		}
		p.checkRune(r, size)
		newline := r == '\n' || r == '\r'
		if r == '\r' && next != '\n' && p.state != envPreKey &&
			p.state != envSingleQuote && p.state != envDoubleQuote && p.state != envDoubleQuoteEscape {
			p.problem(msgBareCR, false)
		}
		p.step(r, raw, newline, prev)
		if r == '\n' {
			p.line++
		}
		prev = r
		i += size
	}
	p.end()
}

// step is one transition of parse_env_file_internal.
func (p *envParser) step(r rune, raw []byte, newline bool, prev rune) {
	blank := r == ' ' || r == '\t'
	switch p.state {
	case envPreKey:
		switch {
		case r < utf8.RuneSelf && strings.ContainsRune(envCommentStarter, r):
			p.state = envComment
		case blank || newline:
		default:
			p.state = envKey
			p.key = append(p.key, raw...)
		}

	case envKey:
		switch {
		case newline:
			p.noEquals()
			p.state = envPreKey
			p.resetAssignment()
		case r == '=':
			p.state = envPreValue
			p.endKey()
		default:
			if !blank {
				p.lastKeyWS = -1
			} else if p.lastKeyWS < 0 {
				p.lastKeyWS = len(p.key)
			}
			p.key = append(p.key, raw...)
		}

	case envPreValue:
		switch {
		case newline:
			p.push()
		case r == '\'' || r == '"':
			if p.afterQuote {
				p.problem(msgAfterQuote, false)
			}
			p.state, p.quoteLine = envSingleQuote, p.line
			if r == '"' {
				p.state = envDoubleQuote
			}
		case r == '\\':
			p.problem(p.unquotedProblem(msgBackslash), false)
			p.state = envValueEscape
		case blank:
		default:
			if r == '#' && (prev == ' ' || prev == '\t') {
				p.problem(p.unquotedProblem(msgHash), false)
			} else if p.afterQuote {
				p.problem(msgAfterQuote, false)
			}
			p.state = envValue
			p.value = append(p.value, raw...)
		}

	case envValue:
		switch {
		case newline:
			if p.lastValueWS >= 0 {
				p.value = p.value[:p.lastValueWS]
			}
			p.push()
		case r == '\\':
			p.problem(p.unquotedProblem(msgBackslash), false)
			p.state = envValueEscape
			p.lastValueWS = -1
		default:
			switch {
			case r == '\'' || r == '"':
				p.problem(p.unquotedProblem(msgQuote), false)
			case r == '#' && (prev == ' ' || prev == '\t'):
				p.problem(p.unquotedProblem(msgHash), false)
			}
			if !blank {
				p.lastValueWS = -1
			} else if p.lastValueWS < 0 {
				p.lastValueWS = len(p.value)
			}
			p.value = append(p.value, raw...)
		}

	case envValueEscape:
		p.state = envValue
		if !newline { // an escaped line break is dropped
			p.value = append(p.value, raw...)
		}

	case envSingleQuote:
		if r == '\'' {
			p.state, p.afterQuote = envPreValue, true
		} else {
			p.value = append(p.value, raw...)
		}

	case envDoubleQuote:
		switch r {
		case '"':
			p.state, p.afterQuote = envPreValue, true
		case '\\':
			p.state = envDoubleQuoteEscape
		default:
			p.value = append(p.value, raw...)
		}

	case envDoubleQuoteEscape:
		p.state = envDoubleQuote
		switch {
		case r < utf8.RuneSelf && strings.ContainsRune(envNeedEscape, r):
			p.value = append(p.value, raw...)
		case r != '\n': // an escaped "\n" is a line continuation
			p.problem(msgDoubleEscape, false)
			p.value = append(append(p.value, '\\'), raw...)
		}

	case envComment:
		switch {
		case r == '\\':
			p.state = envCommentEscape
		case newline:
			p.state = envPreKey
			p.resetAssignment()
		}

	case envCommentEscape:
		// systemd v254 and later end the comment at the line break;
		// earlier versions go on with the comment into the next line.
		p.state = envComment
		if newline {
			if r == '\n' {
				p.problem(msgCommentEscape, false)
			}
			p.state = envPreKey
			p.resetAssignment()
		}
	}
}

// unquotedProblem is msg, or msgAfterQuote for unquoted text that follows a
// closing quote.
func (p *envParser) unquotedProblem(msg string) string {
	if p.afterQuote {
		return msgAfterQuote
	}
	return msg
}

// end handles the end of the file, which ends the last line.
func (p *envParser) end() {
	switch p.state {
	case envKey:
		p.noEquals()
	case envValue:
		if p.lastValueWS >= 0 {
			p.value = p.value[:p.lastValueWS]
		}
		p.push()
	case envPreValue, envValueEscape:
		p.push()
	case envSingleQuote, envDoubleQuote, envDoubleQuoteEscape:
		p.line = p.quoteLine
		if p.state == envSingleQuote {
			p.problem(msgUnterminated1, true)
		} else {
			p.problem(msgUnterminated2, true)
		}
		p.push()
	}
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
