package ticaga

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// A 422 whose message echoes the form: the password is cut out of the answer
// before the message is shortened, so not even a part of it is kept.
func TestRegisterErrorNeverKeepsThePassword(t *testing.T) {
	var pw string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		pw = r.PostForm.Get("password")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(422)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": strings.Repeat("x", 180) + " password " + pw + " is not allowed"})
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Token: "tok", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUser(t.Context(), ticagasync.NewUser{Name: "N", Email: "n@example.com", BillingID: "1", System: "Blesta"})
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), pw[:8]) {
		t.Errorf("error keeps part of the password (%d of %d chars): %s", 200-191, len(pw), err)
	}
}
