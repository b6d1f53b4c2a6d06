package configs

import (
	"errors"
	"github.com/ticaga/ticaga-sync/billing"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CredentialName is the systemd credential the token is read from
// ($CREDENTIALS_DIRECTORY/ticaga-api-token, as set up by LoadCredential= or
// SetCredentialEncrypted= in the unit) when neither TICAGA_API_TOKEN nor
// TICAGA_API_TOKEN_FILE is set.
const CredentialName = "ticaga-api-token"

// maxSecretFile caps how much of a token file is read.
const maxSecretFile = 64 << 10

// resolveToken fills cfg.TicagaAPIToken from TICAGA_API_TOKEN_FILE or the
// systemd credential. Setting both TICAGA_API_TOKEN and
// TICAGA_API_TOKEN_FILE is an error; a missing credential is not (Validate
// then reports the token as required). Messages name the file, never its
// content.
func resolveToken(cfg *Config, lookup func(string) (string, bool)) *Error {
	if cfg.TicagaAPITokenFile != "" {
		if cfg.TicagaAPIToken != "" {
			return &Error{Var: "TICAGA_API_TOKEN_FILE", Msg: "set only one of TICAGA_API_TOKEN and TICAGA_API_TOKEN_FILE"}
		}
		tok, msg := readSecretFile(cfg.TicagaAPITokenFile)
		if msg != "" {
			return &Error{Var: "TICAGA_API_TOKEN_FILE", Msg: msg}
		}
		cfg.TicagaAPIToken = tok
		return nil
	}
	if cfg.TicagaAPIToken != "" {
		return nil
	}
	dir, _ := lookup("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, CredentialName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	tok, msg := readSecretFile(path)
	if msg != "" {
		return &Error{Var: "CREDENTIALS_DIRECTORY", Msg: msg}
	}
	cfg.TicagaAPIToken = tok
	cfg.TicagaAPITokenFile = path
	return nil
}

// TicketSourceCredentialName is the systemd credential the TicketSource
// key is read from when neither TICKETSOURCE_API_KEY nor
// TICKETSOURCE_API_KEY_FILE is set.
const TicketSourceCredentialName = "ticketsource-api-key"

// resolveTicketSourceKey is resolveToken for the TicketSource API key.
func resolveTicketSourceKey(cfg *Config, lookup func(string) (string, bool)) *Error {
	if cfg.TicketSourceAPIKeyFile != "" {
		if cfg.TicketSourceAPIKey != "" {
			return &Error{Var: "TICKETSOURCE_API_KEY_FILE", Msg: "set only one of TICKETSOURCE_API_KEY and TICKETSOURCE_API_KEY_FILE"}
		}
		key, msg := readSecretFile(cfg.TicketSourceAPIKeyFile)
		if msg != "" {
			return &Error{Var: "TICKETSOURCE_API_KEY_FILE", Msg: msg}
		}
		cfg.TicketSourceAPIKey = key
		return nil
	}
	if cfg.TicketSourceAPIKey != "" || !billing.IsAPI(cfg.BillingSystem) {
		return nil
	}
	dir, _ := lookup("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, TicketSourceCredentialName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	key, msg := readSecretFile(path)
	if msg != "" {
		return &Error{Var: "CREDENTIALS_DIRECTORY", Msg: msg}
	}
	cfg.TicketSourceAPIKey = key
	cfg.TicketSourceAPIKeyFile = path
	return nil
}

// readSecretFile returns the file's content trimmed of surrounding
// whitespace, or a message naming the file (never quoting it) when it
// cannot be read, is empty, or is too large to be a token.
func readSecretFile(path string) (Secret, string) {
	f, err := os.Open(path)
	if err != nil {
		return "", "cannot read " + path + ": " + reason(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", "cannot read " + path + ": " + reason(err)
	}
	if len(b) > maxSecretFile {
		return "", path + " is larger than 64 KiB: it should hold only the token"
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", path + " is empty"
	}
	return Secret(s), ""
}

// reason is err without the path a *fs.PathError repeats.
func reason(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// tokenSettings are the settings a token problem names: the Ticaga token,
// and TicketSource's key, which a command that calls neither does not need
// either.
var tokenSettings = []string{"TICAGA_API_TOKEN", "TICAGA_API_TOKEN_FILE", "CREDENTIALS_DIRECTORY",
	"TICKETSOURCE_API_KEY", "TICKETSOURCE_API_KEY_FILE"}

// WithoutTokenProblems returns err (a LoadDaemon error) without the
// problems of the Ticaga token and the TicketSource key (missing,
// unreadable file, ...): for a command that makes no Ticaga call. The other problems are kept as they
// were, one per line; nil when none is left.
func WithoutTokenProblems(err error) error {
	var kept []error
	for _, e := range flatErrors(err) {
		if ce, ok := errors.AsType[*Error](e); ok && slices.Contains(tokenSettings, ce.Var) {
			continue
		}
		kept = append(kept, e)
	}
	return errors.Join(kept...)
}

// flatErrors returns the problems of err: the errors of a join, of joins
// within it, and so on.
func flatErrors(err error) []error {
	var out []error
	for _, e := range unjoinErrors(err) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				out = append(out, flatErrors(inner)...)
			}
			continue
		}
		out = append(out, e)
	}
	return out
}
