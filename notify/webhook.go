package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// webhook POSTs a Payload to a URL.
type webhook struct {
	url       string
	shown     string // the URL without user info, query or fragment
	timeout   time.Duration
	userAgent string
	client    *http.Client
	secrets   scrubber
	// retryDelay is the pause before the one retry.
	retryDelay time.Duration
}

// newWebhook returns the webhook channel of cfg (validated).
func newWebhook(cfg Config) *webhook {
	u, _ := url.Parse(cfg.WebhookURL) // validated
	var client http.Client
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	}
	// A 3xx is an answer, not a place to go: a redirected POST turns into a
	// GET, and the Location may be anywhere.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w := &webhook{url: cfg.WebhookURL, shown: redactURL(u), timeout: cfg.WebhookTimeout,
		userAgent: cfg.UserAgent, client: &client, retryDelay: 2 * time.Second}
	w.secrets = scrubber{cfg.WebhookURL, u.RawQuery, u.Fragment}
	if p := strings.Trim(u.Path, "/"); p != "" {
		// Slack- and Discord-style hooks carry the token in the path.
		w.secrets = append(w.secrets, p, u.Path)
	}
	if u.User != nil {
		p, _ := u.User.Password()
		w.secrets = append(w.secrets, u.User.String(), p)
	}
	return w
}

// name implements channel.
func (w *webhook) name() string { return "webhook" }

// send implements channel: a POST, and one more after a network error, a
// 429 or a 5xx. Any 2xx is success.
func (w *webhook) send(ctx context.Context, ev event) error {
	body, err := json.Marshal(payloadOf(ev))
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	retry, err := w.post(ctx, body)
	if err == nil || !retry {
		return err
	}
	t := time.NewTimer(w.retryDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return err
	case <-t.C:
	}
	_, err = w.post(ctx, body)
	return err
}

// post makes one attempt; retry says whether another may succeed.
func (w *webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, w.secrets.wrap(fmt.Errorf("post %s: %w", w.shown, withoutURL(err)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.userAgent)
	resp, err := w.client.Do(req)
	if err != nil {
		return true, w.secrets.wrap(fmt.Errorf("post %s: %w", w.shown, withoutURL(err)))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	return retry, fmt.Errorf("post %s: answered %d %s", w.shown, resp.StatusCode, http.StatusText(resp.StatusCode))
}

// redactURL returns what may be shown of a webhook URL: its scheme and host
// only, since a hook's path, query and user info may each hold its token.
func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// withoutURL returns the cause inside a *url.Error, whose text repeats the
// raw URL (token included); the caller names the redacted URL instead.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil {
		return uerr.Err
	}
	return err
}
