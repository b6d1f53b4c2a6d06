package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to name in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTokenSources(t *testing.T) {
	tokenFile := writeFile(t, "token", "\n  "+testToken+"\r\n")
	emptyFile := writeFile(t, "empty", " \n\t\n")
	missing := filepath.Join(t.TempDir(), "nope")
	credDir := filepath.Dir(writeFile(t, CredentialName, testToken+"\n"))
	emptyCredDir := filepath.Dir(writeFile(t, CredentialName, "\n"))
	otherCredDir := filepath.Dir(writeFile(t, "something-else", "x"))

	tests := []struct {
		name     string
		env      map[string]string
		wantFile string // TicagaAPITokenFile after loading
		wantErr  string // the whole error, or "" for success
	}{
		{"env", map[string]string{"TICAGA_API_TOKEN": testToken}, "", ""},
		{"file trimmed", map[string]string{"TICAGA_API_TOKEN_FILE": tokenFile}, tokenFile, ""},
		{"credential", map[string]string{"CREDENTIALS_DIRECTORY": credDir}, filepath.Join(credDir, CredentialName), ""},
		{"env wins over credential", map[string]string{"TICAGA_API_TOKEN": testToken, "CREDENTIALS_DIRECTORY": emptyCredDir}, "", ""},
		{"file wins over credential", map[string]string{"TICAGA_API_TOKEN_FILE": tokenFile, "CREDENTIALS_DIRECTORY": emptyCredDir}, tokenFile, ""},
		{"both", map[string]string{"TICAGA_API_TOKEN": testToken, "TICAGA_API_TOKEN_FILE": tokenFile}, tokenFile,
			"TICAGA_API_TOKEN_FILE: set only one of TICAGA_API_TOKEN and TICAGA_API_TOKEN_FILE"},
		{"empty file", map[string]string{"TICAGA_API_TOKEN_FILE": emptyFile}, emptyFile,
			"TICAGA_API_TOKEN_FILE: " + emptyFile + " is empty"},
		{"missing file", map[string]string{"TICAGA_API_TOKEN_FILE": missing}, missing,
			"TICAGA_API_TOKEN_FILE: cannot read " + missing + ": no such file or directory"},
		{"directory", map[string]string{"TICAGA_API_TOKEN_FILE": credDir}, credDir,
			"TICAGA_API_TOKEN_FILE: cannot read " + credDir + ": is a directory"},
		{"empty credential", map[string]string{"CREDENTIALS_DIRECTORY": emptyCredDir}, "",
			"CREDENTIALS_DIRECTORY: " + filepath.Join(emptyCredDir, CredentialName) + " is empty"},
		{"no credential", map[string]string{"CREDENTIALS_DIRECTORY": otherCredDir}, "",
			"TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)"},
		{"nothing", nil, "",
			"TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := minimal(nil)
			delete(m, "TICAGA_API_TOKEN")
			for k, v := range tt.env {
				m[k] = v
			}
			cfg, err := Load(t.Context(), env(m))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				assertNoSecret(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.TicagaAPIToken.Reveal() != testToken {
				t.Errorf("token = %q (len %d), want the test token", cfg.TicagaAPIToken.Reveal(), len(cfg.TicagaAPIToken))
			}
			if cfg.TicagaAPITokenFile != tt.wantFile {
				t.Errorf("TicagaAPITokenFile = %q, want %q", cfg.TicagaAPITokenFile, tt.wantFile)
			}
			if r := cfg.Redacted(); r["TICAGA_API_TOKEN"] != "[redacted]" || r["TICAGA_API_TOKEN_FILE"] != tt.wantFile {
				t.Errorf("Redacted token = %q, file = %q", r["TICAGA_API_TOKEN"], r["TICAGA_API_TOKEN_FILE"])
			}
		})
	}
}

func TestTokenFileContentNeverInErrors(t *testing.T) {
	// A token with an inner line break is rejected without quoting it.
	path := writeFile(t, "token", testToken+"\n"+testToken+"\n")
	m := minimal(map[string]string{"TICAGA_API_TOKEN_FILE": path})
	delete(m, "TICAGA_API_TOKEN")
	_, err := Load(t.Context(), env(m))
	want := "TICAGA_API_TOKEN_FILE: the token contains spaces, line breaks or control characters"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	assertNoSecret(t, err)

	big := writeFile(t, "big", strings.Repeat("a", maxSecretFile+1))
	m["TICAGA_API_TOKEN_FILE"] = big
	if _, err := Load(t.Context(), env(m)); err == nil || !strings.Contains(err.Error(), "is larger than 64 KiB") {
		t.Errorf("big file: error = %v", err)
	}
}
