package main

import (
	"maps"
	"strings"
	"testing"
)

// Every secret of every setting stays out of check's output, its errors,
// and the other commands' messages: a password in TICAGA_URL, the token,
// the DSN passwords, the SMTP password, a token in the webhook URL.
func TestCheckAndErrorsMaskEverySecret(t *testing.T) {
	f := newFixture(t)
	env := maps.Clone(f.env)
	env["TICAGA_URL"] = strings.Replace(f.env["TICAGA_URL"], "://", "://admin:urlpw-SECRET-1@", 1)
	env["NOTIFY_WEBHOOK_URL"] = "https://hooks.example.com/x?token=hook-SECRET-2"
	env["SMTP_ADDR"], env["SMTP_FROM"], env["SMTP_TO"] = "mail.example.com:587", "a@example.com", "b@example.com"
	env["SMTP_PASSWORD"] = "smtp-SECRET-3"
	secrets := []string{"urlpw-SECRET-1", "hook-SECRET-2", "smtp-SECRET-3", testToken, "ticaga:ticaga@"}

	noSecret := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, text)
			}
		}
	}
	code, out, stderr := runMain(t, env, "check")
	noSecret("check", out+stderr)
	if code == exitOK || !strings.Contains(out, "TICAGA_URL=http://admin:xxxxx@127.0.0.1") || !strings.Contains(out, "FAIL  source can run: TICAGA_URL http://admin:xxxxx@127.0.0.1") {
		t.Errorf("check with user info in TICAGA_URL: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, args := range [][]string{{"config"}, {"config", "--output", "json"}, {"status"}, {"explain", "--client", "1"}, {"sync", "--dry-run"}} {
		_, out, stderr := runMain(t, env, args...)
		noSecret(strings.Join(args, " "), out+stderr)
	}

	// Invalid settings: the errors name them and show none of the secrets.
	bad := maps.Clone(env)
	bad["TICAGA_URL"] = "ftp://admin:urlpw-SECRET-1@support.example.com/?x"
	bad["NOTIFY_WEBHOOK_URL"] = "hooks.example.com/hook-SECRET-2"
	bad["BILLING_DSN"] = "ticaga:ticaga@tcp(db:3306"
	code, out, stderr = runMain(t, bad, "check")
	noSecret("check with invalid settings", out+stderr)
	for _, v := range []string{"TICAGA_URL", "NOTIFY_WEBHOOK_URL", "BILLING_DSN"} {
		if code != exitUsage || !strings.Contains(stderr, v+": ") {
			t.Errorf("check with invalid settings: exit %d, %s not named:\n%s", code, v, stderr)
		}
	}
}
