package ticaga

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// User is a Ticaga user as the register, login and customers/get endpoints
// return it. Fields Ticaga may send as numbers or strings are lenient; the
// ones the sync relies on are checked (see decodeUser).
type User struct {
	ID              FlexInt    `json:"id"`
	Name            FlexString `json:"name"`
	Email           FlexString `json:"email"`
	EmailVerifiedAt FlexString `json:"email_verified_at"` // "" when null
	Company         FlexString `json:"company"`
	PhoneNumber     FlexString `json:"phone_number"`
	// BillingID is the billing system's customer id; "" or "0" means none.
	BillingID      FlexString `json:"billing_id"`
	BillingSystem  FlexString `json:"billing_system"`
	AccountManager FlexInt    `json:"account_manager"`
	Biography      FlexString `json:"biography"`
	CreatedAt      FlexString `json:"created_at"` // see ParseTimestamp
	UpdatedAt      FlexString `json:"updated_at"`
}

// userKinds are the JSON kinds (as jsonKind names them) each checked user
// field may have, when present. Fields not listed decode leniently.
var userKinds = []struct {
	key   string
	kinds []string
}{
	{"id", []string{"a number", "a string"}},
	{"email", []string{"a string"}},
	{"name", []string{"a string", "null", "a number", "a boolean"}},
	{"company", []string{"a string", "null", "a number", "a boolean"}},
	{"billing_system", []string{"a string", "null", "a number", "a boolean"}},
	{"billing_id", []string{"a string", "a number", "null"}},
}

// decodeUser reads {"user": {...}} strictly enough that a malformed answer
// is an error and never a user: "user" must be an object; its "id" a
// positive integer, as a JSON number or a numeric string (not a boolean or
// a fraction); its "email" a JSON string; name, company and billing_system
// a string, a number, a boolean or null (not an object or array); and
// billing_id a string, a number or null. Keys match exactly (JSON is case
// sensitive, though encoding/json is not), and a repeated key counts once,
// with its last value.
func decodeUser(obj map[string]json.RawMessage) (User, error) {
	raw, ok := obj["user"]
	if !ok {
		return User{}, fmt.Errorf("no %q in the answer", "user")
	}
	if k := jsonKind(raw); k != "an object" {
		return User{}, fmt.Errorf(`"user": expected an object, got %s`, k)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return User{}, fmt.Errorf(`"user": %w`, err)
	}
	for _, key := range []string{"id", "email"} {
		if _, ok := m[key]; !ok {
			return User{}, fmt.Errorf(`"user": missing %q`, key)
		}
	}
	for _, f := range userKinds {
		v, ok := m[f.key]
		if !ok {
			continue
		}
		if k := jsonKind(v); !slices.Contains(f.kinds, k) {
			return User{}, fmt.Errorf(`"user": %q is %s, not %s`, f.key, k, orList(f.kinds))
		}
	}
	var u User
	for _, f := range []struct {
		key string
		dst json.Unmarshaler
	}{
		{"id", &u.ID}, {"name", &u.Name}, {"email", &u.Email}, {"email_verified_at", &u.EmailVerifiedAt},
		{"company", &u.Company}, {"phone_number", &u.PhoneNumber}, {"billing_id", &u.BillingID},
		{"billing_system", &u.BillingSystem}, {"account_manager", &u.AccountManager},
		{"biography", &u.Biography}, {"created_at", &u.CreatedAt}, {"updated_at", &u.UpdatedAt},
	} {
		if v, ok := m[f.key]; ok {
			if err := f.dst.UnmarshalJSON(v); err != nil {
				return User{}, fmt.Errorf(`"user": %q: %w`, f.key, err)
			}
		}
	}
	if u.ID <= 0 {
		return User{}, fmt.Errorf("user id %d is not positive", u.ID)
	}
	return u, nil
}

// orList joins kinds as "a string, a number or null".
func orList(kinds []string) string {
	if len(kinds) == 1 {
		return kinds[0]
	}
	return strings.Join(kinds[:len(kinds)-1], ", ") + " or " + kinds[len(kinds)-1]
}
