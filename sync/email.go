package sync

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// NormalizeEmail returns the key an address is matched by, and false when the
// address is not usable.
//
// Surrounding whitespace is trimmed and the address is lower-cased (Unicode);
// the domain is also converted to its IDNA ASCII form, so "Zoë@Bücher.example"
// and "zoë@xn--bcher-kva.example" match. An address needs exactly one "@",
// a non-empty local part and domain, and no whitespace or control characters
// inside. No provider-specific rewriting (dots, plus tags) is done: two
// addresses that differ there are different people as far as matching goes.
func NormalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return "", false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", false
		}
	}
	local, domain := strings.ToLower(s[:at]), strings.ToLower(s[at+1:])
	domain = strings.TrimSuffix(domain, ".")
	if domain == "" || strings.HasPrefix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	if !isASCII(domain) {
		if ascii, err := idna.ToASCII(domain); err == nil && ascii != "" {
			domain = ascii
		}
	}
	return local + "@" + domain, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
