package ticaga

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
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

func TestDecodeUserStrict(t *testing.T) {
	for _, tc := range []struct {
		user string // the value of "user"
		want User   // zero: an error containing err
		err  string
	}{
		{`{"id": 17, "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"id": "17", "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"id": " 17 ", "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"id": 17.0, "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"id": 17, "email": "a@b", "name": null, "company": 5, "billing_system": true, "billing_id": 42}`,
			User{ID: 17, Email: "a@b", Company: "5", BillingSystem: "true", BillingID: "42"}, ""},
		{`{"id": 17, "email": "a@b", "billing_id": null, "account_manager": "3", "phone_number": 123}`,
			User{ID: 17, Email: "a@b", AccountManager: 3, PhoneNumber: "123"}, ""},
		// JSON keys are case sensitive: "ID" is not "id".
		{`{"id": 17, "ID": true, "Email": 5, "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"ID": 17, "email": "a@b"}`, User{}, `missing "id"`},
		// A repeated key counts once, with its last value.
		{`{"id": true, "id": 17, "email": "a@b"}`, User{ID: 17, Email: "a@b"}, ""},
		{`{"id": 17, "id": true, "email": "a@b"}`, User{}, `"id" is a boolean`},

		{`null`, User{}, "expected an object, got null"},
		{`[]`, User{}, "expected an object, got an array"},
		{`"x"`, User{}, "expected an object, got a string"},
		{`true`, User{}, "expected an object, got a boolean"},
		{`{"email": "a@b"}`, User{}, `missing "id"`},
		{`{"id": 17}`, User{}, `missing "email"`},
		{`{"id": true, "email": "a@b"}`, User{}, `"id" is a boolean, not a number or a string`},
		{`{"id": false, "email": "a@b"}`, User{}, `"id" is a boolean`},
		{`{"id": null, "email": "a@b"}`, User{}, `"id" is null`},
		{`{"id": {}, "email": "a@b"}`, User{}, `"id" is an object`},
		{`{"id": [17], "email": "a@b"}`, User{}, `"id" is an array`},
		{`{"id": 17.5, "email": "a@b"}`, User{}, "not an integer"},
		{`{"id": "17.5", "email": "a@b"}`, User{}, "not an integer"},
		{`{"id": "true", "email": "a@b"}`, User{}, "not an integer"},
		{`{"id": 0, "email": "a@b"}`, User{}, "user id 0 is not positive"},
		{`{"id": -3, "email": "a@b"}`, User{}, "user id -3 is not positive"},
		{`{"id": "", "email": "a@b"}`, User{}, "not positive"},
		{`{"id": 1e400, "email": "a@b"}`, User{}, "not an integer"},
		{`{"id": 17, "email": 5}`, User{}, `"email" is a number, not a string`},
		{`{"id": 17, "email": true}`, User{}, `"email" is a boolean`},
		{`{"id": 17, "email": null}`, User{}, `"email" is null`},
		{`{"id": 17, "email": {}}`, User{}, `"email" is an object`},
		{`{"id": 17, "email": ["a@b"]}`, User{}, `"email" is an array`},
		{`{"id": 17, "email": "a@b", "name": {}}`, User{}, `"name" is an object, not a string, null, a number or a boolean`},
		{`{"id": 17, "email": "a@b", "company": []}`, User{}, `"company" is an array`},
		{`{"id": 17, "email": "a@b", "billing_system": {"x": 1}}`, User{}, `"billing_system" is an object`},
		{`{"id": 17, "email": "a@b", "billing_id": true}`, User{}, `"billing_id" is a boolean, not a string, a number or null`},
		{`{"id": 17, "email": "a@b", "billing_id": {}}`, User{}, `"billing_id" is an object`},
		{`{"id": 17, "email": "a@b", "account_manager": "x"}`, User{}, `"account_manager": flexint: not an integer`},
	} {
		obj := map[string]json.RawMessage{"user": json.RawMessage(tc.user)}
		u, err := decodeUser(obj)
		if tc.err == "" {
			if err != nil || u != tc.want {
				t.Errorf("decodeUser(%s) = %+v, %v; want %+v", tc.user, u, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || u != (User{}) {
			t.Errorf("decodeUser(%s) = %+v, %v; want an error containing %q", tc.user, u, err, tc.err)
		}
	}
	if _, err := decodeUser(map[string]json.RawMessage{}); err == nil || err.Error() != `no "user" in the answer` {
		t.Errorf("decodeUser({}) = %v", err)
	}
}

// userEmailIsString reports whether body, read as interpret reads it, has
// a "user" object whose "email" is a JSON string.
func userEmailIsString(body []byte) bool {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	var obj, user map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || json.Unmarshal(obj["user"], &user) != nil {
		return false
	}
	return jsonKind(user["email"]) == "a string"
}

// FuzzCustomerAnswer runs an arbitrary answer (status and body) to
// customers/get/17 through interpret and the user decoding, as Customer
// does, and checks what the engine relies on.
func FuzzCustomerAnswer(f *testing.F) {
	bodies := []string{seedUser, seedUserNotFound, seedRegister, seedNoTickets, seedTicketNotFound, seedNoResponses,
		`{"user":{"id":17,"email":"a@b"}}`, `{"user":{"id":"17","email":"a@b","billing_id":42}}`,
		`{"user":{"id":true,"email":"a@b"}}`, `{"user":{"id":17,"email":5}}`, `{"user":{"id":17,"ID":true,"email":"a@b"}}`,
		`{"user":{"id":17,"email":"a@b","id":true}}`, `{"user":{"id":18,"email":"a@b"}}`, `{"user":null}`, `{"user":[]}`,
		`{"message":"Unauthenticated."}`, `{"error":"` + testToken.Reveal() + `"}`, `{"user":{"id":"` + testToken.Reveal() + `","email":"a"}}`,
		`<!DOCTYPE html><html></html>`, ``, `{`, "\xef\xbb\xbf{\"user\":{\"id\":17,\"email\":\"a@b\"}}", "{\"user\":\x00}"}
	for _, b := range bodies {
		for _, status := range []uint16{0, 200, 201, 302, 401, 403, 404, 410, 429, 500} {
			f.Add(status, []byte(b))
		}
	}
	c := &Client{token: testToken}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		st := int(status)
		cl := customerCall(17)
		h := http.Header{"Content-Type": {"application/json"}}
		var err error
		obj, e := interpret(cl, answer{status: st, header: h, body: body}, testToken)
		if e != nil {
			err = e
		} else if u, uerr := userAnswer(obj, 17); uerr != nil {
			err = c.shapeError(cl, reply{status: st, attempts: 1, obj: obj}, uerr)
		} else {
			if u.ID != 17 || !userEmailIsString(body) {
				t.Fatalf("learned user %+v from %d %q", u, st, body)
			}
			if st < 200 || st >= 300 {
				t.Fatalf("learned a user from HTTP %d", st)
			}
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v is not an *APIError", err)
		}
		notFound, unauth, unproven := errors.Is(err, ErrNotFound), errors.Is(err, ErrUnauthorized), errors.Is(err, ErrAuthUnproven)
		switch {
		case notFound && unauth:
			t.Fatalf("error %v is both not found and unauthorized", err)
		case unproven && !authStatus(st):
			t.Fatalf("ErrAuthUnproven on HTTP %d: %v", st, err)
		case notFound && !unproven && !notFoundStatus(st):
			t.Fatalf("ErrNotFound on HTTP %d: %v", st, err)
		case unauth && !authStatus(st):
			t.Fatalf("ErrUnauthorized on HTTP %d: %v", st, err)
		case notFound != errors.Is(err, ticagasync.ErrNotFound) || unproven != errors.Is(err, ticagasync.ErrAuthUnproven):
			t.Fatalf("error %v does not match the ticagasync sentinels as ours", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "ticaga: customers/get (id 17): ") || strings.Contains(msg, testToken.Reveal()) {
			t.Fatalf("error text %q", msg)
		}
		if st > 0 && !strings.Contains(msg, "HTTP "+strconv.Itoa(st)+": ") {
			t.Fatalf("error text %q does not name HTTP %d", msg, st)
		}
	})
}
