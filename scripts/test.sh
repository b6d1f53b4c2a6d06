#!/usr/bin/env bash
# The project's one test command.
#
#   ./scripts/test.sh            # vet + race tests against a private MariaDB
#   ./scripts/test.sh -run Plan  # extra arguments go to `go test`
#
# Unless TEST_MYSQL_DSN points at an existing server, it installs MariaDB with
# apt-get when it is missing, starts a private instance (its own data directory,
# socket and loopback port; never the system's service), runs `go vet ./...`
# and `go test -race ./...` against it, and stops it again. Database tests are
# required here (TEST_REQUIRE_MYSQL=1): they fail instead of skipping.
#
# It also installs Chromium and chromedriver with apt-get when missing, for
# the status page's browser tests (required here: TEST_REQUIRE_BROWSER=1), and
# checks and unit-tests the Prometheus alert rules with promtool (taken from
# Debian's prometheus package without installing its server).
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root (or sudo) to run: $*"
		return 1
	fi
}

find_mariadbd() {
	for c in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
	done
	return 1
}

free_port() {
	# Ask the kernel for a free loopback port.
	go run ./scripts/freeport
}

start_private_mariadb() {
	if ! find_mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
		log "MariaDB is not installed; installing it with apt-get"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			mariadb-server mariadb-client >/dev/null
	fi
	local mariadbd
	mariadbd=$(find_mariadbd)

	DBDIR=$(mktemp -d "${TMPDIR:-/tmp}/ticaga-sync-mariadb.XXXXXX")
	local port user_opt=()
	port=$(free_port)
	[ "$(id -u)" -eq 0 ] && user_opt=(--user=root)

	log "starting a private MariaDB in $DBDIR on 127.0.0.1:$port"
	mariadb-install-db --no-defaults --datadir="$DBDIR/data" "${user_opt[@]}" \
		--auth-root-authentication-method=normal --skip-test-db >"$DBDIR/install.log" 2>&1 ||
		{ cat "$DBDIR/install.log" >&2; return 1; }

	"$mariadbd" --no-defaults --datadir="$DBDIR/data" "${user_opt[@]}" \
		--socket="$DBDIR/mysqld.sock" --pid-file="$DBDIR/mysqld.pid" \
		--port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
		--innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 \
		--max-connections=500 --log-error="$DBDIR/error.log" &
	MARIADB_PID=$!

	for _ in $(seq 1 120); do
		if mariadb --no-defaults --socket="$DBDIR/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
			break
		fi
		if ! kill -0 "$MARIADB_PID" 2>/dev/null; then
			log "MariaDB exited during start-up:"; cat "$DBDIR/error.log" >&2; return 1
		fi
		sleep 0.5
	done
	mariadb --no-defaults --socket="$DBDIR/mysqld.sock" -uroot -e "
		CREATE USER 'ticaga'@'127.0.0.1' IDENTIFIED BY 'ticaga';
		GRANT ALL PRIVILEGES ON *.* TO 'ticaga'@'127.0.0.1';" ||
		{ cat "$DBDIR/error.log" >&2; return 1; }
	export TEST_MYSQL_DSN="ticaga:ticaga@tcp(127.0.0.1:$port)/"
}

stop_private_mariadb() {
	if [ -n "${MARIADB_PID:-}" ]; then
		kill "$MARIADB_PID" 2>/dev/null || true
		wait "$MARIADB_PID" 2>/dev/null || true
	fi
	[ -n "${DBDIR:-}" ] && rm -rf "$DBDIR"
	return 0
}

# ensure_browser installs Chromium and chromedriver (Debian: chromium,
# chromium-driver) when either is missing.
ensure_browser() {
	if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
		return 0
	fi
	log "Chromium or chromedriver is not installed; installing them with apt-get"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium chromium-driver >/dev/null
}

# find_promtool prints a promtool: the one on PATH, or one taken from
# Debian's prometheus package (apt-get download; unpacked, never installed,
# so no Prometheus server is started) and kept in the user's cache.
find_promtool() {
	if command -v promtool >/dev/null; then command -v promtool; return 0; fi
	local cache="${XDG_CACHE_HOME:-$HOME/.cache}/ticaga-sync"
	if [ -x "$cache/promtool" ]; then echo "$cache/promtool"; return 0; fi
	log "promtool is not installed; taking it from Debian's prometheus package (apt-get download)"
	local tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ticaga-sync-promtool.XXXXXX")
	if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
		as_root apt-get update -qq
		(cd "$tmp" && apt-get download -qq prometheus >/dev/null)
	fi
	dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
	mkdir -p "$cache"
	install -m 0755 "$tmp/root/usr/bin/promtool" "$cache/promtool"
	rm -rf "$tmp"
	echo "$cache/promtool"
}

if [ -z "${TEST_MYSQL_DSN:-}" ]; then
	trap stop_private_mariadb EXIT
	start_private_mariadb
else
	log "using the server in TEST_MYSQL_DSN"
fi
export TEST_REQUIRE_MYSQL=1
ensure_browser
export TEST_REQUIRE_BROWSER=1

# The help tests format the man page with groff and check the zsh completion
# with zsh; install them like MariaDB when missing.
if ! command -v groff >/dev/null || ! command -v zsh >/dev/null; then
	log "installing groff and zsh with apt-get (for the man page and completion tests)"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends groff-base zsh >/dev/null
fi

log "go vet ./..."
go vet ./...
if command -v systemd-analyze >/dev/null; then
	log "systemd unit: verify and security score"
	./scripts/check-unit.sh
else
	log "systemd-analyze not installed: the unit check is left to a machine with systemd"
fi
log "Prometheus alert rules: promtool check rules, promtool test rules"
PROMTOOL=$(find_promtool)
export PROMTOOL # test-deb.sh checks the rules the .deb installs with it
(cd deploy/prometheus && "$PROMTOOL" check rules ticaga-sync.rules.yml && "$PROMTOOL" test rules ticaga-sync.rules.test.yml)
if [ "$(id -u)" -eq 0 ] && command -v dpkg >/dev/null; then
	log "Debian package: build, install, check, purge"
	./scripts/test-deb.sh
else
	log "not root or no dpkg: the .deb install test (scripts/test-deb.sh) needs both"
fi
log "go test -race ./..."
go test -race -count=1 -timeout 12m "$@" ./...
