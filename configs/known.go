package configs

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Settings returns the name of every setting, sorted: the env tags of
// Config's fields. A setting added to Config is known everywhere (unknown
// key checks, help, completions) without another list to update.
func Settings() []string {
	return slices.Sorted(maps.Keys(envNames()))
}

// envNames is the set of setting names, from the Config's env tags.
func envNames() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("env"); ok {
			names[strings.Split(tag, ",")[0]] = true
		}
	}
	return names
}

// projectPrefixes are the name prefixes of the project's settings: the
// first word of every setting (TICAGA_, BILLING_, SYNC_, ...), and those the
// project reserves even before it has a setting there. A variable with one
// of them in an env file is meant for ticaga-sync, so an unknown one is a
// typo, not someone else's variable.
func projectPrefixes() []string {
	set := map[string]bool{"TICAGA_": true, "SYNC_": true, "BILLING_": true, "HTTP_": true,
		"NOTIFY_": true, "LOG_": true, "TICKETSOURCE_": true, "STORE_": true, "SMTP_": true}
	for name := range envNames() {
		if word, _, ok := strings.Cut(name, "_"); ok {
			set[word+"_"] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// IsProjectName reports whether key has one of the project's prefixes.
func IsProjectName(key string) bool {
	return slices.ContainsFunc(projectPrefixes(), func(p string) bool { return strings.HasPrefix(key, p) })
}

// unknownSetting is the problem of a key that is no setting: "KEY: unknown
// setting (did you mean CLOSEST?)", where names the file.
func unknownSetting(key, where string) *Error {
	msg := "unknown setting"
	if where != "" {
		msg += " in " + where
	}
	if s := closestSetting(key); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return &Error{Var: key, Msg: msg}
}

// unknownKeys returns a problem for each key of vars (in sorted order) that
// has a project prefix but is no setting.
func unknownKeys(vars map[string]string, where string) []error {
	known := envNames()
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !known[k] && IsProjectName(k) {
			errs = append(errs, unknownSetting(k, where))
		}
	}
	return errs
}

// closestSetting returns the setting whose name is the fewest edits
// (Levenshtein distance, compared in upper case) away from key, a name
// with key's prefix counting three edits closer (a SYNC_ typo means a SYNC_
// setting) and one that starts with key
// two more (SMTP_PASS is SMTP_PASSWORD, not SMTP_TLS); ties go to the first in
// sorted order.
func closestSetting(key string) string {
	key = strings.ToUpper(key)
	prefix, _, _ := strings.Cut(key, "_")
	best, bestDist := "", 0
	for _, name := range Settings() {
		d := editDistance(key, name)
		if p, _, _ := strings.Cut(name, "_"); p == prefix {
			d -= 3 // a name of the same family is the likelier meaning
		}
		if strings.HasPrefix(name, key) {
			d -= 2 // cut short: SMTP_PASS is SMTP_PASSWORD
		}
		if best == "" || d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
