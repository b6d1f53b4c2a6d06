#!/usr/bin/env bash
# Builds the ticaga-sync Debian package into dist/ and prints its path.
#
#   ./scripts/build-deb.sh                 # dist/ticaga-sync_<version>_<arch>.deb
#   GOARCH=arm64 ./scripts/build-deb.sh    # another architecture (the binary is static)
#
# The binary is built with CGO_ENABLED=0 -trimpath and stamped with
# main.version (`git describe --tags --always --dirty`, or 0.0.0-dev outside
# git), main.commit and main.date (SOURCE_DATE_EPOCH when set, else now).
# scripts/gen-notices.sh then writes, from that binary's own module list, the
# package's /usr/share/doc/ticaga-sync/copyright and THIRD-PARTY-NOTICES (the
# licenses and notices of the Go modules compiled in), into
# dist/linux_<arch>/doc/, and the program itself writes its manual page and
# bash and zsh completions into dist/linux_<arch>/gen/. The package is made by
# nfpm from deploy/nfpm.yaml, which also ships LICENSE, the README and the
# example configuration. nfpm runs with `go run` at a pinned version, so it
# needs nothing installed beyond Go and leaves go.mod alone; set NFPM to use an
# nfpm binary instead (NFPM=/usr/local/bin/nfpm).
#
# Progress goes to stderr; stdout is only the path of the .deb. The build's
# facts (versions, commit, path) are also written to dist/ticaga-sync-deb.env
# for scripts/test-deb.sh.
set -euo pipefail

cd "$(dirname "$0")/.."

# v2.45.2 is the newest nfpm that builds from the Go module proxy here: from
# v2.46.0 nfpm needs modules from go.digitalxero.dev, which the proxy of this
# workplace refuses (403, host not on its allowlist).
NFPM_MODULE=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

log() { printf 'build-deb: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Version -----------------------------------------------------------------

describe=""
commit=""
commit_stamp=""
if git rev-parse --git-dir >/dev/null 2>&1; then
	describe=$(git describe --tags --always --dirty 2>/dev/null || true)
	commit=$(git rev-parse HEAD 2>/dev/null || true)
	commit_stamp=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S 2>/dev/null || true)
fi
version=${describe:-0.0.0-dev}

# deb_version turns `git describe` output into a Debian version that sorts
# the way the builds were made:
#   v1.2.3             -> 1.2.3
#   v1.2.3-rc1         -> 1.2.3~rc1                (before 1.2.3)
#   v1.2.3-4-gabc1234  -> 1.2.3+git4.abc1234       (after 1.2.3)
#   abc1234 (no tag)   -> 0.0.0~git<commit time>.abc1234
#   0.0.0-dev (no git) -> 0.0.0~dev
#   ...-dirty          -> ...+dirty
deb_version() {
	local v=${1#v} dirty="" out
	if [[ $v == *-dirty ]]; then
		dirty=+dirty
		v=${v%-dirty}
	fi
	if [[ $v =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
		out="${BASH_REMATCH[1]//-/\~}+git${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
	elif [[ $v =~ ^[0-9a-f]{7,40}$ && -n $commit && $commit == "$v"* ]]; then
		out="0.0.0~git${commit_stamp:-0}.$v"
	else
		out=${v//-/\~}
	fi
	printf '%s%s\n' "$out" "$dirty"
}
deb_ver=$(deb_version "$version")
# A Debian upstream version without a revision: digits first, then
# alphanumerics and . + ~ (a tag like "release-x" cannot be packaged as is).
[[ $deb_ver =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
	die "cannot make a Debian version from '$version' (got '$deb_ver'); tag releases like v1.2.3"

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%FT%TZ)
else
	date=$(date -u +%FT%TZ)
fi

goarch=${GOARCH:-$(go env GOARCH)}

# --- Binary ------------------------------------------------------------------

bindir=dist/linux_$goarch
mkdir -p "$bindir"
log "building ticaga-sync $version ($goarch, commit ${commit:-unknown})"
CGO_ENABLED=0 GOOS=linux GOARCH=$goarch go build -trimpath \
	-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
	-o "$bindir/ticaga-sync" ./cmd/ticaga-sync

# --- Copyright and notices ---------------------------------------------------

# From the binary just built, so that they name exactly the modules it links.
docdir=$bindir/doc
log "writing the copyright file and third-party notices"
./scripts/gen-notices.sh "$bindir/ticaga-sync" "$docdir"

# --- Manual page and completions ----------------------------------------------

# Made from the program's own help text (`ticaga-sync man`, `completion`),
# by a build for this machine: the package's binary may be for another
# architecture. Stamped alike, so the man page names the packaged version.
gendir=$bindir/gen
mkdir -p "$gendir"
log "writing the manual page and the bash and zsh completions"
env -u GOOS -u GOARCH go build -trimpath \
	-ldflags "-X main.version=$version -X main.commit=$commit -X main.date=$date" \
	-o "$gendir/ticaga-sync-host" ./cmd/ticaga-sync
"$gendir/ticaga-sync-host" man | gzip -9n >"$gendir/ticaga-sync.1.gz"
"$gendir/ticaga-sync-host" completion bash >"$gendir/ticaga-sync.bash"
"$gendir/ticaga-sync-host" completion zsh >"$gendir/_ticaga-sync"
rm -f "$gendir/ticaga-sync-host"

# --- Package -----------------------------------------------------------------

if [ -n "${NFPM:-}" ]; then
	read -r -a nfpm <<<"$NFPM"
else
	nfpm=(go run "$NFPM_MODULE")
fi

# nfpm names the file itself (Debian arch, e.g. arm -> armhf): package into an
# empty directory and move the one file it makes.
out=$(mktemp -d dist/.nfpm.XXXXXX)
trap 'rm -rf "$out"' EXIT
log "packaging $deb_ver with nfpm (${nfpm[*]})"
# GOOS/GOARCH are the target's, not nfpm's: `go run` must build nfpm for here.
env -u GOOS -u GOARCH \
	TICAGA_SYNC_DEB_VERSION="$deb_ver" \
	TICAGA_SYNC_DEB_ARCH="$goarch" \
	TICAGA_SYNC_BINARY="$bindir/ticaga-sync" \
	TICAGA_SYNC_DOC_DIR="$docdir" \
	TICAGA_SYNC_GEN_DIR="$gendir" \
	"${nfpm[@]}" package --config deploy/nfpm.yaml --packager deb --target "$out/" >&2

shopt -s nullglob
made=("$out"/*.deb)
[ ${#made[@]} -eq 1 ] || die "nfpm made ${#made[@]} .deb files in $out, expected 1"
deb=dist/$(basename "${made[0]}")
# Earlier builds of the package are replaced, so dist/ holds one per arch.
rm -f dist/ticaga-sync_*_"$(basename "${made[0]}" | sed 's/.*_//')"
mv "${made[0]}" "$deb"

{
	printf 'DEB=%q\n' "$deb"
	printf 'DEB_VERSION=%q\n' "$deb_ver"
	printf 'VERSION=%q\n' "$version"
	printf 'COMMIT=%q\n' "$commit"
	printf 'DATE=%q\n' "$date"
} >dist/ticaga-sync-deb.env

log "built $deb ($(du -k "$deb" | cut -f1) KiB)"
printf '%s\n' "$deb"
