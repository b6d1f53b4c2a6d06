package ticaga

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxRetries     = 6
	DefaultPaceWindow     = time.Minute
	DefaultRetryBaseDelay = 200 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
	DefaultMaxBodyBytes   = 4 << 20
	DefaultUserAgent      = "ticaga-sync"
	// MaxRetryAfter caps how long a Retry-After header can make the client
	// wait before one retry.
	MaxRetryAfter = 2 * time.Minute
)

// Config configures a Client. Only BaseURL and Token are required.
type Config struct {
	// BaseURL is the Ticaga site, e.g. "https://support.example.com" or
	// "https://example.com/ticaga/"; requests go to {BaseURL}/api/{endpoint}.
	BaseURL string
	// Token is the administrator's API token, sent as a bearer token and as
	// the api_token field of the connection call.
	Token Secret
	// AdminEmail is the administrator's email, sent as the email field of
	// the connection call and, when set, as the X-Admin-Email header.
	AdminEmail string
	// Timeout bounds one HTTP attempt, body included (default 30s;
	// TICAGA_TIMEOUT). It also bounds the total time one call spends
	// sleeping between its retries: a retry whose delay (backoff or
	// Retry-After) would push that total past Timeout is not made, and the
	// call returns its last error. A call therefore takes at most about
	// (MaxRetries+1)·Timeout for its attempts plus Timeout of sleeping.
	Timeout time.Duration
	// RateLimit caps requests per second (0: no fixed cap).
	RateLimit float64
	// MaxRetries is how many times a retryable failure (network error, 408,
	// 429, 5xx) is retried (0: the default 6; negative: never). Six retries
	// leave a call unanswered about once in 130 when half of all attempts
	// fail. Retries also stop when the retry sleep budget (see Timeout) is
	// spent.
	MaxRetries int
	// PaceWindow is the throttle window assumed for the X-RateLimit-* headers
	// (default 1m, Laravel's; negative: do not pace by those headers).
	PaceWindow time.Duration
	// RetryBaseDelay and RetryMaxDelay bound the jittered exponential backoff
	// between retries (defaults 200ms and 10s). A Retry-After header
	// (capped at MaxRetryAfter) replaces a shorter backoff.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// MaxBodyBytes caps the size of an answer (default 4 MiB).
	MaxBodyBytes int64
	// HTTPClient, when set, is used (shallow-copied) instead of a new one.
	// Redirects are never followed unless it sets its own CheckRedirect.
	HTTPClient *http.Client
	// Logger receives retry and pacing messages (endpoint and status only).
	// The zero Logger discards everything.
	Logger zerolog.Logger
	// UserAgent is sent as User-Agent (default "ticaga-sync").
	UserAgent string
	// Observer, when set, is called after every HTTP attempt with the
	// endpoint template, the status (0 for a network error) and the duration.
	// It must be safe for concurrent use.
	Observer func(endpoint string, status int, d time.Duration)
	// Now gives the time for TicagaUser.FetchedAt (default time.Now).
	Now func() time.Time
}

// Validate reports the first invalid field. Its errors name the field and
// never contain the token or the credentials of a URL.
func (c Config) Validate() error {
	if _, err := parseBaseURL(c.BaseURL); err != nil {
		return err
	}
	switch {
	case c.Token == "":
		return errors.New("ticaga: config: Token is empty")
	case strings.ContainsAny(c.Token.Reveal(), "\r\n"):
		return errors.New("ticaga: config: Token contains a line break")
	case strings.ContainsAny(c.AdminEmail, "\r\n"):
		return errors.New("ticaga: config: AdminEmail contains a line break")
	case c.Timeout < 0:
		return errors.New("ticaga: config: Timeout is negative")
	case c.RateLimit < 0:
		return errors.New("ticaga: config: RateLimit is negative")
	case c.RetryBaseDelay < 0 || c.RetryMaxDelay < 0:
		return errors.New("ticaga: config: RetryBaseDelay/RetryMaxDelay is negative")
	case c.MaxBodyBytes < 0:
		return errors.New("ticaga: config: MaxBodyBytes is negative")
	}
	return nil
}

// withDefaults returns c with every zero field given its default.
func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.PaceWindow == 0 {
		c.PaceWindow = DefaultPaceWindow
	}
	if c.RetryBaseDelay == 0 {
		c.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if c.RetryMaxDelay == 0 {
		c.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if c.RetryMaxDelay < c.RetryBaseDelay {
		c.RetryMaxDelay = c.RetryBaseDelay
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// parseBaseURL checks that raw is an absolute http(s) URL with a host and no
// credentials, query or fragment, and returns it without a trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("ticaga: config: BaseURL is empty")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL, credentials and all
		}
		return nil, fmt.Errorf("ticaga: config: BaseURL is not a valid URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("ticaga: config: BaseURL must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("ticaga: config: BaseURL has no host")
	case u.User != nil:
		return nil, errors.New("ticaga: config: BaseURL must not contain user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("ticaga: config: BaseURL must not have a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
