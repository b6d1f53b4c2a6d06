#!/usr/bin/env bash
# Verifies deploy/systemd/ticaga-sync.service with systemd-analyze and fails
# when its security exposure score is above 2.0. Called by scripts/test.sh
# where systemd-analyze is available.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ticaga-sync" ./cmd/ticaga-sync
# verify checks that ExecStart exists: point it at the binary just built.
sed "s#/usr/bin/ticaga-sync#$work/ticaga-sync#" deploy/systemd/ticaga-sync.service >"$work/ticaga-sync.service"

systemd-analyze verify "$work/ticaga-sync.service"
score=$(systemd-analyze security --offline=true "$work/ticaga-sync.service" 2>&1 |
	sed -n 's/.*Overall exposure level for ticaga-sync.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "check-unit: could not read the exposure score" >&2
	exit 1
fi
echo "check-unit: systemd-analyze verify passed; security exposure $score (limit 2.0)"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "check-unit: exposure $score is above 2.0" >&2; exit 1; }
