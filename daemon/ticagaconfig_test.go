package daemon

import (
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
)

// The Ticaga client paces itself to the throttle window the configuration
// names (TICAGA_RATE_LIMIT_WINDOW), and to Laravel's minute by default.
func TestTicagaClientTakesTheThrottleWindow(t *testing.T) {
	a := &App{}
	cfg := configs.DefaultConfig()
	if got := a.ticagaConfig("s", cfg).PaceWindow; got != time.Minute {
		t.Errorf("default pace window %s, want 1m", got)
	}
	cfg.TicagaRateLimitWindow = time.Hour
	cfg.TicagaRateLimit = 0.5
	tc := a.ticagaConfig("s", cfg)
	if tc.PaceWindow != time.Hour || tc.RateLimit != 0.5 {
		t.Errorf("pace window %s, rate limit %g; want 1h and 0.5", tc.PaceWindow, tc.RateLimit)
	}
}
