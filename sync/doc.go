// Package sync is the domain of ticaga-sync: the billing contacts, Ticaga
// users and pairings it links, the decisions it takes about each billing
// client, the interfaces of the outside systems it consumes, the planner that
// turns facts into decisions, and the engine that carries out one run.
//
// The package name shadows the standard library's; import it as
//
//	ticagasync "github.com/ticaga/ticaga-sync/sync"
//
// Adapters live in sibling packages (billing/..., ticaga, store) and depend on
// this one, never on each other; cmd/ticaga-sync wires them together.
package sync
