#!/usr/bin/env bash
# Benchmarks of whole sync runs on real parts (MariaDB, the Blesta reader, the
# store, the Ticaga client against the fake Ticaga over loopback); see
# sync/engine_bench_test.go. Ends with a table: each case's time against its
# floor and target (issue 10), its API calls and 429 answers, and every
# figure a benchmark reports in MiB.
#
#   TEST_MYSQL_DSN='user:pass@tcp(127.0.0.1:3306)/' ./scripts/bench.sh
#   TEST_MYSQL_DSN=... ./scripts/bench.sh --sweep
#   TEST_MYSQL_DSN=... ./scripts/bench.sh --1m -bench SteadyRSS
#   TEST_MYSQL_DSN=... ./scripts/bench.sh -bench 'Throttled|Latency' -count 3
#
# --sweep also measures concurrency 1, 2 and 8 (not only the default 4) at
# 20ms and 100ms an answer and against the throttle, and two more throttle
# variants: how SYNC_CONCURRENCY's default was chosen (about 7 minutes more).
# --1m adds the steady run over 1,000,000 customers (TICAGA_BENCH_1M=1; the
# first time it seeds the database for about a minute, then keeps it).
# Other arguments go to `go test` after the defaults, so they override them
# (e.g. -bench SteadyRun, -benchtime 3x, -count 5, -cpuprofile cpu.out).
# The output is also written to bench-<date>.out (git-ignored; BENCH_OUT
# overrides the name). The default set takes about three minutes on two
# cores. The exit status is 1 when a benchmark fails or a case misses its
# target.
set -euo pipefail

cd "$(dirname "$0")/.."

args=()
for a in "$@"; do
	case $a in
	--sweep) export BENCH_SWEEP=1 ;;
	--1m) export TICAGA_BENCH_1M=1 ;;
	*) args+=("$a") ;;
	esac
done

if [ -z "${TEST_MYSQL_DSN:-}" ]; then
	cat >&2 <<'EOF2'
bench.sh: TEST_MYSQL_DSN is not set.
The benchmarks need a MySQL/MariaDB server whose user may create and drop
databases, given as a go-sql-driver DSN without a database name, e.g.

  TEST_MYSQL_DSN='ticaga:ticaga@tcp(127.0.0.1:3306)/' ./scripts/bench.sh

(./scripts/test.sh shows how to start a private MariaDB.)
EOF2
	exit 2
fi
export TEST_REQUIRE_MYSQL=1

out=${BENCH_OUT:-bench-$(date -u +%Y%m%dT%H%M%SZ).out}
cmd="go test -run '^\$' -bench . -benchtime 1x -timeout 60m ./sync/ ${args[*]:-}"
{
	echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores"
	echo "# ${BENCH_SWEEP:+BENCH_SWEEP=1 }$cmd"
} | tee "$out"
status=0
go test -run '^$' -bench . -benchtime 1x -timeout 60m ./sync/ ${args[@]+"${args[@]}"} 2>&1 | tee -a "$out" || status=$?

# The table: a row per benchmark line with a floor (floor-ratio, floor-s/run,
# target-ratio), a row per figure in MiB and per run-s that has a limit
# (compared with target-<unit> or max-<unit> when the benchmark reports one),
# and the time of the others.
table=$(awk '
function row(name, fig, target, result, calls, tooMany) {
	printf "%-50s %-24s %-10s %-6s %9s %6s\n", name, fig, target, result, calls, tooMany
}
BEGIN { row("case", "measured", "target", "result", "calls", "429s"); fails = 0 }
/^Benchmark/ {
	name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
	delete v
	for (i = 3; i < NF; i += 2) v[$(i + 1)] = $i
	calls = ("calls/run" in v) ? sprintf("%.0f", v["calls/run"]) : (("calls" in v) ? sprintf("%.0f", v["calls"]) : "-")
	tm = ("429s/run" in v) ? sprintf("%.0f", v["429s/run"]) : "-"
	shown = 0
	if ("floor-ratio" in v) {
		ok = v["floor-ratio"] <= v["target-ratio"]
		if (!ok) fails++
		row(name, sprintf("%.3fx (%.2fs/%.2fs)", v["floor-ratio"], v["s/run"], v["floor-s/run"]),
			sprintf("<= %.2fx", v["target-ratio"]), ok ? "PASS" : "FAIL", calls, tm)
		shown = 1
	}
	for (u in v) {
		if (u ~ /^(target|max)-/) continue
		if (u !~ /-MiB$/ && !(u == "run-s" && ("max-" u) in v)) continue
		t = ("target-" u in v) ? v["target-" u] : (("max-" u in v) ? v["max-" u] : "")
		res = "-"; tt = "-"
		if (t != "") { tt = sprintf("<= %g", t); res = (v[u] <= t) ? "PASS" : "FAIL"; if (res == "FAIL") fails++ }
		fig = (u == "run-s") ? sprintf("%.2fs", v[u]) : sprintf("%.1f MiB", v[u])
		row(name " " u, fig, tt, res, calls, tm)
		shown = 1
	}
	if (!shown && ("s/run" in v)) row(name, sprintf("%.2fs", v["s/run"]), "-", "-", calls, tm)
}
END { if (fails) exit 1 }
' "$out") || status=1
printf '%s\n' "$table" | tee -a "$out"
echo "bench.sh: results in $out" >&2
exit "$status"
