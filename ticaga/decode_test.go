package ticaga

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]int64{
		`8`: 8, `"8"`: 8, `" 8 "`: 8, `""`: 0, `null`: 0, `8.0`: 8, `"8.0"`: 8, `-3`: -3,
		`true`: 1, `false`: 0, `9007199254740993`: 9007199254740993, `1e3`: 1000,
	} {
		var n FlexInt
		if err := json.Unmarshal([]byte(in), &n); err != nil || int64(n) != want {
			t.Errorf("FlexInt(%s) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{`"x"`, `8.5`, `"8.5"`, `{}`, `[]`, `"1e400"`, `nul`, `tru`} {
		var n FlexInt
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("FlexInt(%s) = %d, want an error", in, n)
		}
	}
}

func TestFlexString(t *testing.T) {
	for in, want := range map[string]string{
		`"2"`: "2", `2`: "2", `null`: "", `""`: "", `2.5`: "2.5", `true`: "true", `"a\"b"`: `a"b`,
	} {
		var s FlexString
		if err := json.Unmarshal([]byte(in), &s); err != nil || string(s) != want {
			t.Errorf("FlexString(%s) = %q, %v; want %q", in, s, err, want)
		}
	}
	for _, in := range []string{`{}`, `[1]`} {
		var s FlexString
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("FlexString(%s) = %q, want an error", in, s)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for in, ok := range map[FlexString]bool{
		"2025-07-13T17:15:25.000000Z": true, "2025-07-17 18:00:13": true, "2025-07-17": true, "": false, "soon": false,
	} {
		if _, got := ParseTimestamp(in); got != ok {
			t.Errorf("ParseTimestamp(%q) ok = %v, want %v", in, got, ok)
		}
	}
}

// interpretFuzz runs body through interpret as a 200 answer of cl.
func interpretFuzz(name string, body []byte) (map[string]json.RawMessage, bool) {
	cl := call{name: name, method: http.MethodGet}
	h := http.Header{"Content-Type": {"application/json"}}
	obj, e := interpret(cl, answer{status: 200, header: h, body: body}, testToken)
	return obj, e == nil
}

// addSeeds adds the documented answers and some broken ones to f.
func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range append(seeds, ``, `{`, `null`, `[]`, `"x"`, `{"user": null}`, `{"user": {"id": "8"}}`,
		`{"user": {"id": {}, "email": 1}}`, `{"tickets": [null]}`, `{"responses": {"id": 1}}`, `<html>`,
		"\xef\xbb\xbf{\"user\":{\"id\":\"1\",\"email\":\"a@b\"}}", seedUserNotFound, seedNoResponses) {
		f.Add([]byte(s))
	}
}

func FuzzDecodeUser(f *testing.F) {
	addSeeds(f, seedUser, seedRegister)
	f.Fuzz(func(t *testing.T, body []byte) {
		if obj, ok := interpretFuzz("customers/get", body); ok {
			if u, err := decodeUser(obj); err == nil && u.ID <= 0 {
				t.Errorf("decoded a user with id %d", u.ID)
			}
		}
	})
}

func FuzzDecodeTickets(f *testing.F) {
	addSeeds(f, seedTicket, seedTickets, seedTicketsEmpty, seedNoTickets)
	f.Fuzz(func(t *testing.T, body []byte) {
		if obj, ok := interpretFuzz("tickets/get", body); ok {
			var tk Ticket
			_ = decodeField(obj, "tickets", &tk, "id")
			_, _ = decodeList[Ticket](obj, "tickets", "id")
		}
	})
}

func FuzzDecodeResponses(f *testing.F) {
	addSeeds(f, seedResponses, seedTicketNotFound)
	f.Fuzz(func(t *testing.T, body []byte) {
		if obj, ok := interpretFuzz("responses/get", body); ok {
			_, _ = decodeList[Response](obj, "responses", "id")
		}
	})
}

func FuzzInterpret(f *testing.F) {
	for _, s := range []string{seedUser, seedUserNotFound, `{"message":"Unauthenticated."}`, `<!DOCTYPE html>`, ``} {
		for _, status := range []int{200, 302, 401, 404, 429, 500} {
			f.Add(status, "application/json", []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		h := http.Header{"Content-Type": {ctype}, "Retry-After": {ctype}}
		obj, e := interpret(call{name: "customers/get", method: "GET"}, answer{status: status, header: h, body: body}, testToken)
		if (obj == nil) == (e == nil) {
			t.Fatalf("interpret gave %v and %v", obj, e)
		}
		if e != nil && e.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}

func FuzzFlexInt(f *testing.F) {
	for _, s := range []string{`8`, `"8"`, `""`, `null`, `8.0`, `"x"`, `true`, `1e400`, `-0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n FlexInt
		_ = n.UnmarshalJSON(b)
		var s FlexString
		_ = s.UnmarshalJSON(b)
	})
}
