package daemon

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// A one-off that finds this process running the source says so: this host,
// this process, since when, once.
func TestBusySourceSaysWhoRunsIt(t *testing.T) {
	s := &Source{name: "blesta", slot: make(chan struct{}, 1)}
	s.slot <- struct{}{}
	since := time.Now().Add(-time.Minute)
	s.busySince.Store(since.UnixNano())
	_, err := s.run(t.Context(), nil, ticagasync.RunOptions{}, 0)
	host, _ := os.Hostname()
	want := fmt.Sprintf("the run lock of blesta is held on host %s, process %d, since %s", host, os.Getpid(),
		since.Local().Format("2006-01-02 15:04:05 MST"))
	if !errors.Is(err, ticagasync.ErrLocked) || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if _, err := s.run(t.Context(), nil, ticagasync.RunOptions{}, 50*time.Millisecond); !errors.Is(err, ticagasync.ErrLocked) {
		t.Fatalf("after waiting: %v", err)
	}
}

// A rejected token names where the token comes from; other errors are
// left alone.
func TestAuthErrorNamesTheSetting(t *testing.T) {
	rejected := fmt.Errorf("ticaga: connection: HTTP 401: %w", ticagasync.ErrUnauthorized)
	tests := []struct {
		cfg    configs.Config
		plugin bool
		want   string
	}{
		{configs.Config{}, false, "check TICAGA_API_TOKEN (or TICAGA_API_TOKEN_FILE)"},
		{configs.Config{TicagaAPITokenFile: "/etc/ticaga-sync/token"}, false, "check TICAGA_API_TOKEN_FILE (/etc/ticaga-sync/token)"},
		{configs.Config{TicagaAPITokenFile: "/run/credentials/ticaga-sync.service/ticaga-api-token", TicagaAPIEmail: "a@b"}, false,
			"check the systemd credential ticaga-api-token (/run/credentials/ticaga-sync.service/ticaga-api-token) and TICAGA_API_EMAIL"},
		{configs.Config{}, true, "check the API key of the Ticaga plugin's settings in Blesta (ticaga_settings, company 2)"},
	}
	for _, tt := range tests {
		err := authError(rejected, tokenSetting(tt.cfg, tt.plugin, "2"))
		if !errors.Is(err, ticagasync.ErrUnauthorized) || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want ...%s", tt.cfg, err, tt.want)
		}
	}
	other := errors.New("ticaga: connection: HTTP 500")
	if got := authError(other, "TICAGA_API_TOKEN"); got != other {
		t.Errorf("another error was changed: %v", got)
	}
}
