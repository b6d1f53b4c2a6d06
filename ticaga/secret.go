package ticaga

import "github.com/ticaga/ticaga-sync/internal/secret"

// Secret is the API token: a string that never prints (String, GoString,
// every fmt verb, MarshalJSON and MarshalText give "[redacted]"). Reveal
// returns the value.
type Secret = secret.Secret

// redacted is what a Secret prints as.
const redacted = secret.Redacted
