#!/usr/bin/env bash
# Benchmarks of whole sync runs on real parts (MariaDB, the Blesta reader, the
# store, the Ticaga client against the fake Ticaga over loopback); see
# sync/engine_bench_test.go.
#
#   TEST_MYSQL_DSN='user:pass@tcp(127.0.0.1:3306)/' ./scripts/bench.sh
#   TEST_MYSQL_DSN=... ./scripts/bench.sh -bench SteadyRun -count 3
#
# Extra arguments go to `go test` after the defaults, so they override them
# (e.g. -bench SteadyRun, -benchtime 3x, -count 5, -cpuprofile cpu.out).
# The output is also written to bench-<date>.out (git-ignored; BENCH_OUT
# overrides the name).
# The whole set takes about two to three minutes on two cores.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ -z "${TEST_MYSQL_DSN:-}" ]; then
	cat >&2 <<'EOF'
bench.sh: TEST_MYSQL_DSN is not set.
The benchmarks need a MySQL/MariaDB server whose user may create and drop
databases, given as a go-sql-driver DSN without a database name, e.g.

  TEST_MYSQL_DSN='ticaga:ticaga@tcp(127.0.0.1:3306)/' ./scripts/bench.sh

(./scripts/test.sh shows how to start a private MariaDB.)
EOF
	exit 2
fi
export TEST_REQUIRE_MYSQL=1

out=${BENCH_OUT:-bench-$(date -u +%Y%m%dT%H%M%SZ).out}
{
	echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores"
	echo "# go test -run '^\$' -bench . -benchtime 1x -timeout 30m ./sync/ $*"
} | tee "$out"
go test -run '^$' -bench . -benchtime 1x -timeout 30m ./sync/ "$@" 2>&1 | tee -a "$out"
echo "bench.sh: results in $out" >&2
