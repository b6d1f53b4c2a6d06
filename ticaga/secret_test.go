package ticaga

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-value")
	for _, got := range []string{
		s.String(), s.GoString(),
		fmt.Sprintf("%v|%s|%q|%+v|%#v|%x|%d", s, s, s, s, s, s, s),
		fmt.Sprint(s), fmt.Sprintln(s),
	} {
		if strings.Contains(got, "hunter2") || !strings.Contains(got, "[redacted]") {
			t.Errorf("printed %q", got)
		}
	}
	b, _ := json.Marshal(struct{ T Secret }{s})
	txt, _ := s.MarshalText()
	if string(b) != `{"T":"[redacted]"}` || string(txt) != "[redacted]" {
		t.Errorf("JSON %s, text %s", b, txt)
	}
	if s.Reveal() != "hunter2-value" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	secret := testToken.Reveal()
	var logs bytes.Buffer
	logger := zerolog.New(&logs).Level(zerolog.DebugLevel)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + ln.Addr().String()
	_ = ln.Close()

	echo := func(status int) func(http.ResponseWriter, *http.Request, int) {
		// A careless server that puts the request's credentials into its
		// error message.
		return func(w http.ResponseWriter, r *http.Request, _ int) {
			_ = r.ParseForm()
			msg := "bad " + r.Header.Get("Authorization") + " / " + r.PostForm.Get("api_token")
			b, _ := json.Marshal(map[string]string{"message": msg, "error": msg})
			w.WriteHeader(status)
			_, _ = w.Write(b)
		}
	}
	urls := map[string]string{
		"401":         newStub(t, jsonAnswer(401, `{"message":"Unauthenticated."}`)).URL,
		"5xx":         newStub(t, jsonAnswer(503, `{"message":"down"}`)).URL,
		"html":        newStub(t, htmlPage(502)).URL,
		"broken json": newStub(t, jsonAnswer(200, `{"user": {`)).URL,
		"echo 500":    newStub(t, echo(500)).URL,
		"echo 401":    newStub(t, echo(401)).URL,
		"echo 200":    newStub(t, echo(200)).URL,
		"closed port": closedPort,
	}
	var errs []string
	for name, u := range urls {
		cfg := Config{BaseURL: u, Token: testToken, AdminEmail: "admin@example.com", Logger: logger,
			MaxRetries: 2, RetryBaseDelay: 1, RetryMaxDelay: 2}
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		_, err1 := c.Customer(ctx, 1)
		err2 := c.Connection(ctx)
		err3 := c.Assign(ctx, 1, "2", "blesta")
		_, err4 := c.Login(ctx, "a@b", "pw")
		for _, err := range []error{err1, err2, err3, err4} {
			if err == nil {
				t.Errorf("%s: no error", name)
				continue
			}
			errs = append(errs, err.Error(), fmt.Sprintf("%+v|%#v", err, err))
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			errs = append(errs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, c), fmt.Sprintf(verb, &cfg))
		}
	}
	if logs.Len() == 0 {
		t.Error("no log output: the test does not exercise the logger")
	}
	for _, s := range append(errs, logs.String()) {
		if strings.Contains(s, secret) || strings.Contains(s, "9f8e7d") {
			t.Errorf("the token leaked: %s", s)
		}
	}
	b, _ := json.Marshal(Config{Token: testToken})
	if bytes.Contains(b, []byte(secret)) {
		t.Errorf("JSON of Config leaks the token: %s", b)
	}
	_, _ = io.Copy(io.Discard, &logs)
}

func TestConfigErrorsHideCredentials(t *testing.T) {
	for _, raw := range []string{
		"https://user:tok-SECRET-9f8e7d@example.com",
		"https://example.com/?token=tok-SECRET-9f8e7d",
		"ftp://tok-SECRET-9f8e7d@example.com",
		"https://example.com/%zz?tok-SECRET-9f8e7d",
		"http://[::1%tok-SECRET-9f8e7d",
	} {
		_, err := New(Config{BaseURL: raw, Token: testToken})
		if err == nil {
			t.Errorf("New(%q) = nil error", raw)
			continue
		}
		if strings.Contains(err.Error(), "9f8e7d") || !strings.Contains(err.Error(), "BaseURL") {
			t.Errorf("New(%q) = %v", raw, err)
		}
	}
}
