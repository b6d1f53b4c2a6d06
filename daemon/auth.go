package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// tokenSetting names the setting that gives a source its Ticaga token,
// for the message of a rejected token: where to fix it.
func tokenSetting(cfg configs.Config, plugin bool, company string) string {
	var s string
	switch {
	case plugin:
		s = fmt.Sprintf("the API key of the Ticaga plugin's settings in Blesta (ticaga_settings, company %s)", company)
	case cfg.TicagaAPITokenFile != "" && strings.HasSuffix(cfg.TicagaAPITokenFile, "/"+configs.CredentialName):
		s = fmt.Sprintf("the systemd credential %s (%s)", configs.CredentialName, cfg.TicagaAPITokenFile)
	case cfg.TicagaAPITokenFile != "":
		s = fmt.Sprintf("TICAGA_API_TOKEN_FILE (%s)", cfg.TicagaAPITokenFile)
	default:
		s = "TICAGA_API_TOKEN (or TICAGA_API_TOKEN_FILE)"
	}
	if cfg.TicagaAPIEmail != "" {
		s += " and TICAGA_API_EMAIL"
	}
	return s
}

// authError names the setting to fix in an error of rejected credentials;
// other errors are returned as they are.
func authError(err error, setting string) error {
	if err == nil || !errors.Is(err, ticagasync.ErrUnauthorized) {
		return err
	}
	return fmt.Errorf("%w: Ticaga rejected the API token; check %s", err, setting)
}

// namedAuth is a Ticaga whose rejected-credential errors name the setting
// to fix, wherever they surface (runs, check, unlink).
type namedAuth struct {
	ticagasync.Ticaga
	setting string
}

func (n namedAuth) Ping(ctx context.Context) error {
	return authError(n.Ticaga.Ping(ctx), n.setting)
}

func (n namedAuth) LookupUser(ctx context.Context, id int64) (ticagasync.TicagaUser, error) {
	u, err := n.Ticaga.LookupUser(ctx, id)
	return u, authError(err, n.setting)
}

func (n namedAuth) AssignBilling(ctx context.Context, a ticagasync.Assignment) error {
	return authError(n.Ticaga.AssignBilling(ctx, a), n.setting)
}

func (n namedAuth) CreateUser(ctx context.Context, u ticagasync.NewUser) (ticagasync.TicagaUser, error) {
	got, err := n.Ticaga.CreateUser(ctx, u)
	return got, authError(err, n.setting)
}

func (n namedAuth) ClearBilling(ctx context.Context, ticagaID int64, system string) error {
	return authError(n.Ticaga.ClearBilling(ctx, ticagaID, system), n.setting)
}
