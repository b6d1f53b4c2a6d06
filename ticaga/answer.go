package ticaga

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// answer is one HTTP answer, its body read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errTooLarge is returned by readBody for a body over the cap.
var errTooLarge = errors.New("answer too large")

// readBody reads at most max bytes of r; a longer body gives errTooLarge.
func readBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// drainClose reads a little of what is left of body, so that the connection
// can be reused, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// utf8BOM is stripped from the start of a body: some PHP setups send it.
var utf8BOM = []byte("\xef\xbb\xbf")

// interpret turns an answer into the fields of its JSON object, or into an
// *APIError: a redirect, an HTML page, broken JSON, a documented not-found
// body (ErrNotFound on 2xx, 404 or 410; ErrAuthUnproven on 401 or 403 when
// cl.notFoundOnAuth), a rejected credential (ErrUnauthorized), a non-2xx
// status, or a 2xx carrying {"error": ...}. Text from the server is scrubbed
// of tok.
func interpret(cl call, a answer, tok Secret) (map[string]json.RawMessage, *APIError) {
	var serverErr string // Ticaga's {"error": ...}
	fail := func(msg string, kind error) *APIError {
		e := cl.newError(a.status, tok.Scrub(msg))
		e.serverMsg = tok.Scrub(serverErr)
		e.Retryable = retryableStatus(a.status) && kind == nil
		e.RetryAfter = retryAfter(a.header)
		e.Err = kind
		return e
	}
	if a.status >= 300 && a.status < 400 {
		return nil, fail("redirected to "+redactURL(a.header.Get("Location"))+" (check BaseURL / TICAGA_URL)", nil)
	}
	body := bytes.TrimSpace(bytes.TrimPrefix(a.body, utf8BOM))
	obj, perr := parseObject(body)
	if perr != nil {
		var msg string
		switch {
		case len(body) == 0:
			msg = "empty answer"
		case body[0] == '<' || isHTML(a.header) && !json.Valid(body):
			msg = "unexpected HTML page (not JSON)"
		default:
			msg = perr.Error()
		}
		if authStatus(a.status) {
			return nil, fail("credentials rejected ("+msg+")", ErrUnauthorized)
		}
		return nil, fail(msg, nil)
	}
	serverErr = textField(obj, "error")
	if serverErr != "" && notFoundMessages[normMessage(serverErr)] {
		switch {
		case notFoundStatus(a.status):
			return nil, fail("not found: "+printable(serverErr, 200), ErrNotFound)
		case authStatus(a.status) && cl.notFoundOnAuth:
			return nil, fail("not found, on an authentication status (not yet proven: the token may be revoked): "+
				printable(serverErr, 200), ErrAuthUnproven)
		}
	}
	said := serverErr
	if said == "" {
		said = textField(obj, "message")
	}
	switch {
	case authStatus(a.status):
		msg := "credentials rejected"
		if said != "" {
			msg += ": " + printable(said, 200)
		}
		return nil, fail(msg, ErrUnauthorized)
	case a.status < 200 || a.status >= 300:
		if said == "" {
			said = "unexpected answer"
		}
		return nil, fail(printable(said, 200), nil)
	case serverErr != "":
		return nil, fail("Ticaga error: "+printable(serverErr, 200), nil)
	}
	return obj, nil
}

// parseObject decodes body as one JSON object.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	if len(body) == 0 {
		return nil, errors.New("empty answer")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, syn)
		}
		if body[0] != '{' {
			return nil, errors.New("unexpected answer: not a JSON object")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if obj == nil {
		return nil, errors.New("unexpected answer: null")
	}
	return obj, nil
}

// textField returns obj[key] as text: a string, a number or a boolean as
// such, anything else as its compact JSON; "" when the key is absent or null.
func textField(obj map[string]json.RawMessage, key string) string {
	raw, ok := obj[key]
	if !ok {
		return ""
	}
	var s FlexString
	if err := json.Unmarshal(raw, &s); err == nil {
		return string(s)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return ""
	}
	return b.String()
}

// isHTML reports whether the answer says it is an HTML page.
func isHTML(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Content-Type")), "html")
}

// redactURL returns raw without user info, query or fragment.
func redactURL(raw string) string {
	if raw == "" {
		return "(no Location)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable Location)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return printable(u.String(), 200)
}
