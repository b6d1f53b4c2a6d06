package ticaga

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FlexInt is an integer that decodes leniently from JSON: 8, "8", " 8 ",
// 8.0, true/false (1/0), "" and null (the last two as 0). Laravel sends many ids as strings.
type FlexInt int64

// Int64 returns n as an int64.
func (n FlexInt) Int64() int64 { return int64(n) }

// UnmarshalJSON accepts a number, a string holding a number, a boolean, ""
// or null.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("flexint: empty value")
	}
	s := string(b)
	switch b[0] {
	case 'n':
		if s != "null" {
			return fmt.Errorf("flexint: invalid value %.20q", s)
		}
		*n = 0
		return nil
	case 't', 'f':
		switch s {
		case "true":
			*n = 1
			return nil
		case "false":
			*n = 0
			return nil
		}
		return fmt.Errorf("flexint: invalid value %.20q", s)
	case '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("flexint: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := parseInt(s)
	if err != nil {
		return err
	}
	*n = FlexInt(v)
	return nil
}

// parseInt parses an integer, also written as an integral float ("8.0").
func parseInt(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("flexint: not an integer: %.20q", s)
	}
	return int64(f), nil
}

// FlexString is a string that decodes leniently from JSON: "2", 2, true and
// null (as ""). Laravel sends some fields as numbers or strings depending on
// the column and the driver.
type FlexString string

// String returns s as a plain string.
func (s FlexString) String() string { return string(s) }

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("flexstring: empty value")
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("flexstring: %w", err)
		}
		*s = FlexString(v)
		return nil
	case '{', '[':
		return errors.New("flexstring: got an object or array")
	}
	switch v := string(b); v {
	case "null":
		*s = ""
	case "true", "false":
		*s = FlexString(v)
	default:
		if !json.Valid(b) {
			return fmt.Errorf("flexstring: invalid value %.20q", v)
		}
		*s = FlexString(v)
	}
	return nil
}

// timestampLayouts are the layouts Ticaga uses: Laravel's JSON dates and
// MySQL DATETIME text.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// ParseTimestamp parses a Ticaga timestamp such as
// "2025-07-13T17:15:25.000000Z" or "2025-07-17 18:00:13" (read as UTC). It
// returns ok false for "" (a null) and for text it does not recognise.
func ParseTimestamp(s FlexString) (t time.Time, ok bool) {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// decodeField decodes obj[key], which must be a JSON object holding every
// required key, into v.
func decodeField(obj map[string]json.RawMessage, key string, v any, required ...string) error {
	raw, ok := obj[key]
	if !ok {
		return fmt.Errorf("no %q in the answer", key)
	}
	if err := decodeObject(raw, v, required...); err != nil {
		return fmt.Errorf("%q: %w", key, err)
	}
	return nil
}

// decodeObject decodes raw, which must be a JSON object holding every
// required key, into v.
func decodeObject(raw json.RawMessage, v any, required ...string) error {
	var keys map[string]json.RawMessage
	if k := jsonKind(raw); k != "an object" {
		return fmt.Errorf("expected an object, got %s", k)
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return err
	}
	for _, k := range required {
		if _, ok := keys[k]; !ok {
			return fmt.Errorf("missing %q", k)
		}
	}
	return json.Unmarshal(raw, v)
}

// decodeList decodes obj[key], which must be a JSON array of objects each
// holding every required key, into a slice (empty, not nil, for []).
func decodeList[T any](obj map[string]json.RawMessage, key string, required ...string) ([]T, error) {
	raw, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("no %q in the answer", key)
	}
	if k := jsonKind(raw); k != "an array" {
		return nil, fmt.Errorf("%q: expected an array, got %s", key, k)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%q: %w", key, err)
	}
	out := make([]T, len(items))
	for i, item := range items {
		if err := decodeObject(item, &out[i], required...); err != nil {
			return nil, fmt.Errorf("%q[%d]: %w", key, i, err)
		}
	}
	return out, nil
}

// jsonKind names the kind of JSON value raw starts with.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}
