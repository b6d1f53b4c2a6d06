#!/usr/bin/env bash
# Builds the ticaga-sync .deb, installs it on this machine with dpkg, checks
# what it installed, and purges it again. Needs root (CI runs as root) and a
# Debian-like system with dpkg; needs no TTY and reads no input.
#
#   sudo ./scripts/test-deb.sh
#   DEB=dist/ticaga-sync_1.2.3_amd64.deb ./scripts/test-deb.sh   # test a .deb already built
#
# Checked: the binary runs and reports the stamped version and commit; the unit
# is installed and passes `systemd-analyze verify` (where systemd-analyze
# exists); /etc/ticaga-sync/ticaga-sync.env is a conffile, mode 0640
# root:ticaga-sync, and an edit to it survives a reinstall; ticaga-sync is a
# system user with a nologin shell; /usr/share/doc/ticaga-sync holds the
# machine-readable copyright file (its header, ticaga-sync under Apache-2.0,
# and a stanza for every module that `go version -m` finds in the installed
# binary, where go is installed), a THIRD-PARTY-NOTICES file that names gorm,
# and the LICENSE, the README and the example configuration; the Prometheus
# alert rules in /usr/share/ticaga-sync/prometheus (the repository's, checked
# by promtool where it is installed); the man page
# (formats without groff warnings, `man ticaga-sync` shows it) and the bash
# (completes for real) and zsh completions; `help sync` and `--version`; on
# the installed host, `config`, `migrate` and `status` (against
# TEST_MYSQL_DSN when set) work without --config and without the token,
# reading /etc/ticaga-sync/ticaga-sync.env, while `check` names the missing
# token; nothing is enabled or started; remove keeps the
# configuration, and purge removes everything, the user included.
#
# It never leaves the package installed. It refuses to run over an
# installation it did not make itself (a package, the user, or files of the
# README's manual installation): it would replace and then delete them.
set -euo pipefail

cd "$(dirname "$0")/.."

PKG=ticaga-sync
BIN=/usr/bin/ticaga-sync
UNIT=/lib/systemd/system/ticaga-sync.service
CONF_DIR=/etc/ticaga-sync
ENV_FILE=$CONF_DIR/ticaga-sync.env
DOC_DIR=/usr/share/doc/ticaga-sync
COPYRIGHT=$DOC_DIR/copyright
NOTICES=$DOC_DIR/THIRD-PARTY-NOTICES
LICENSE_DOC=$DOC_DIR/LICENSE
README_DOC=$DOC_DIR/README.md
EXAMPLE_DOC=$DOC_DIR/examples/ticaga-sync.env.example
MAN_PAGE=/usr/share/man/man1/ticaga-sync.1.gz
BASH_COMP=/usr/share/bash-completion/completions/ticaga-sync
ZSH_COMP=/usr/share/zsh/vendor-completions/_ticaga-sync
SHARE_DIR=/usr/share/ticaga-sync
RULES=$SHARE_DIR/prometheus/ticaga-sync.rules.yml
COPYRIGHT_FORMAT=https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
# Present while this script has the package installed, so that a run that was
# killed before its cleanup is recognised (and cleaned up) by the next one.
MARKER=/var/tmp/ticaga-sync-test-deb.installed

log() { printf 'test-deb: %s\n' "$*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}
checks=0
ok() {
	checks=$((checks + 1))
	log "ok: $*"
}

# dpkg never prompts here: no stdin, no frontend, and conffile questions
# answered by the defaults.
dpkg_() {
	DEBIAN_FRONTEND=noninteractive dpkg --force-confdef --force-confold "$@" </dev/null
}

pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | tr -d ' ' || true; }

purge_pkg() {
	if [ -n "$(pkg_status)" ] && [ "$(pkg_status)" != un ]; then
		dpkg_ --purge "$PKG" >&2
	fi
}

cleanup() {
	local rc=$?
	if [ -e "$MARKER" ]; then
		# The copy of the configuration a failed step left behind would
		# keep /etc/ticaga-sync after the purge.
		rm -f "$ENV_FILE.test-deb"
		log "cleanup: purging $PKG"
		if purge_pkg; then rm -f "$MARKER"; else
			log "cleanup: 'dpkg --purge $PKG' failed; the package may still be installed"
			rc=1
		fi
	fi
	exit "$rc"
}

# --- Preconditions -----------------------------------------------------------

[ "$(id -u)" -eq 0 ] || fail "must run as root: it installs and purges the package with dpkg"
for tool in dpkg dpkg-deb dpkg-query getent stat; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (a Debian-like system is needed)"
done

if [ -e "$MARKER" ]; then
	log "a previous run left $PKG installed; purging it first"
	purge_pkg || fail "could not purge the $PKG left by a previous run"
	rm -f "$MARKER"
fi
status=$(pkg_status)
if [ -n "$status" ] && [ "$status" != un ]; then
	fail "$PKG is already installed here (dpkg status '$status'), not by this test; it would be purged. Run 'dpkg --purge $PKG' first if that is intended."
fi
for path in "$BIN" "$CONF_DIR" "$UNIT" "$DOC_DIR" "$SHARE_DIR" "$MAN_PAGE" "$BASH_COMP" "$ZSH_COMP" /etc/systemd/system/ticaga-sync.service; do
	[ ! -e "$path" ] || fail "$path exists but no package owns it (a manual installation?); the test would overwrite and delete it"
done
if getent passwd ticaga-sync >/dev/null || getent group ticaga-sync >/dev/null; then
	fail "the user or group ticaga-sync already exists; the test's purge would delete it"
fi

# The package depends on adduser; install it if this machine lacks it.
if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' adduser 2>/dev/null | tr -d ' ')" != ii ]; then
	log "installing adduser (a dependency of the package)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends adduser >/dev/null ||
		fail "could not install adduser"
fi

# --- Build -------------------------------------------------------------------

if [ -n "${DEB:-}" ]; then
	deb=$DEB
	[ -f "$deb" ] || fail "DEB=$deb does not exist"
	want_version="" want_commit=""
else
	log "building the package with scripts/build-deb.sh"
	start=$SECONDS
	deb=$(./scripts/build-deb.sh) || fail "scripts/build-deb.sh failed"
	log "built $deb in $((SECONDS - start))s"
	# shellcheck source=/dev/null
	. dist/ticaga-sync-deb.env
	[ "$DEB" = "$deb" ] || fail "dist/ticaga-sync-deb.env names $DEB, build-deb.sh printed $deb"
	want_version=$VERSION want_commit=$COMMIT
	[ "$(dpkg-deb -f "$deb" Version)" = "$DEB_VERSION" ] ||
		fail "the package's Version is '$(dpkg-deb -f "$deb" Version)', expected '$DEB_VERSION'"
	ok "package version $DEB_VERSION"
fi
[ "$(dpkg-deb -f "$deb" Package)" = "$PKG" ] || fail "$deb is not the $PKG package"

# --- Install -----------------------------------------------------------------

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
touch "$MARKER"

log "dpkg -i $deb"
out=$(dpkg_ -i "$deb" 2>&1) || {
	printf '%s\n' "$out" >&2
	fail "dpkg -i failed"
}
printf '%s\n' "$out" | sed 's/^/  | /' >&2
[ "$(pkg_status)" = ii ] || fail "after dpkg -i the package status is '$(pkg_status)', not ii"
ok "dpkg -i installed $PKG"
grep -q 'systemctl enable --now ticaga-sync' <<<"$out" ||
	fail "the postinst did not print how to configure and enable the service"
ok "the postinst says how to configure and enable the service"

# --- The binary --------------------------------------------------------------

[ -x "$BIN" ] || fail "$BIN is missing or not executable"
vout=$("$BIN" version </dev/null 2>&1) || fail "'$BIN version' failed: $vout"
log "  | $vout"
if [ -n "$want_version" ]; then
	case "$vout" in
	"ticaga-sync $want_version (commit ${want_commit:-unknown},"*) ;;
	*) fail "'ticaga-sync version' printed '$vout', expected version $want_version and commit ${want_commit:-unknown}" ;;
	esac
	ok "ticaga-sync version reports $want_version, commit ${want_commit:-unknown}"
else
	ok "ticaga-sync version runs"
fi

# --- The unit ----------------------------------------------------------------

[ -f "$UNIT" ] || fail "$UNIT is missing"
[ "$(stat -c '%a %U %G' "$UNIT")" = "644 root root" ] ||
	fail "$UNIT is $(stat -c '%a %U:%G' "$UNIT"), expected 644 root:root"
dpkg-query -S "$UNIT" >/dev/null 2>&1 || fail "$UNIT is not owned by the package"
ok "unit installed at $UNIT"
if command -v systemd-analyze >/dev/null; then
	vlog=$(systemd-analyze verify "$UNIT" 2>&1) || {
		printf '%s\n' "$vlog" >&2
		fail "systemd-analyze verify $UNIT failed"
	}
	[ -z "$vlog" ] || printf '%s\n' "$vlog" | sed 's/^/  | /' >&2
	ok "systemd-analyze verify passes on the installed unit"
else
	log "systemd-analyze not installed: unit verification skipped"
fi

# --- Copyright and license documentation --------------------------------------

for doc in "$COPYRIGHT" "$NOTICES" "$LICENSE_DOC"; do
	[ -f "$doc" ] || fail "$doc is missing"
	[ "$(stat -c '%a %U %G' "$doc")" = "644 root root" ] ||
		fail "$doc is $(stat -c '%a %U:%G' "$doc"), expected 644 root:root"
	dpkg-query -S "$doc" >/dev/null 2>&1 || fail "$doc is not owned by the package"
done
ok "$COPYRIGHT, $NOTICES and $LICENSE_DOC installed, 0644 root:root"

[ "$(head -n 1 "$COPYRIGHT")" = "Format: $COPYRIGHT_FORMAT" ] ||
	fail "$COPYRIGHT does not start with 'Format: $COPYRIGHT_FORMAT' (got '$(head -n 1 "$COPYRIGHT")')"
# The header is the first paragraph; blank lines separate paragraphs.
header=$(sed '/^$/q' "$COPYRIGHT")
grep -qx "Upstream-Name: $PKG" <<<"$header" || fail "the header of $COPYRIGHT has no 'Upstream-Name: $PKG'"
grep -q '^Source: ' <<<"$header" || fail "the header of $COPYRIGHT has no Source: field"
awk 'BEGIN { RS = "" } /(^|\n)Files: \*(\n|$)/ && /\nLicense: Apache-2\.0(\n|$)/ { found = 1 } END { exit !found }' "$COPYRIGHT" ||
	fail "$COPYRIGHT has no 'Files: *' paragraph with 'License: Apache-2.0' for $PKG"
ok "$COPYRIGHT is machine-readable (Format, Upstream-Name, Source) and gives $PKG as Apache-2.0"

# The modules come from the binary itself: the files must name each of them.
if command -v go >/dev/null; then
	mods=$(go version -m "$BIN" | awk -F'\t' '$2 == "dep" { print $3 }') || fail "'go version -m $BIN' failed"
	[ -n "$mods" ] || fail "'go version -m $BIN' lists no modules"
	nmods=0
	while IFS= read -r mod; do
		grep -qxF "Files: vendor/$mod/*" "$COPYRIGHT" || fail "$COPYRIGHT has no paragraph for $mod, a module in $BIN"
		grep -qF -- "$mod " "$NOTICES" || fail "$NOTICES does not name $mod, a module in $BIN"
		nmods=$((nmods + 1))
	done <<<"$mods"
	unknown=$(grep -c '^License: unknown$' "$COPYRIGHT" || true)
	ok "$COPYRIGHT and $NOTICES cover all $nmods modules of $BIN ($unknown with an unknown license)"
else
	log "go not installed: the copyright file is not compared with the binary's modules"
fi

[ -s "$NOTICES" ] || fail "$NOTICES is empty"
grep -qF 'gorm.io/gorm' "$NOTICES" || fail "$NOTICES does not name gorm.io/gorm"
grep -qF 'Permission is hereby granted, free of charge' "$NOTICES" ||
	fail "$NOTICES does not hold license texts (no MIT text, the license of gorm.io/gorm)"
ok "$NOTICES holds the license texts and names gorm.io/gorm"

grep -q 'Apache License' "$LICENSE_DOC" && grep -q 'Version 2.0, January 2004' "$LICENSE_DOC" ||
	fail "$LICENSE_DOC is not the Apache License 2.0"
if [ -n "$want_version" ]; then
	cmp -s "$LICENSE_DOC" LICENSE || fail "$LICENSE_DOC differs from the repository's LICENSE"
fi
ok "$LICENSE_DOC is the Apache License 2.0"

# --- Configuration -----------------------------------------------------------

[ -f "$ENV_FILE" ] || fail "$ENV_FILE is missing"
[ "$(stat -c '%a %U %G' "$ENV_FILE")" = "640 root ticaga-sync" ] ||
	fail "$ENV_FILE is $(stat -c '%a %U:%G' "$ENV_FILE"), expected 640 root:ticaga-sync"
ok "$ENV_FILE is 0640 root:ticaga-sync"
[ "$(stat -c '%a %U %G' "$CONF_DIR")" = "750 root ticaga-sync" ] ||
	fail "$CONF_DIR is $(stat -c '%a %U:%G' "$CONF_DIR"), expected 750 root:ticaga-sync"
ok "$CONF_DIR is 0750 root:ticaga-sync"
conffiles=$(dpkg-query --showformat='${Conffiles}\n' --show "$PKG")
grep -q "^ $ENV_FILE " <<<"$conffiles" ||
	fail "$ENV_FILE is not a conffile of $PKG (Conffiles: $conffiles)"
ok "$ENV_FILE is listed in the package's Conffiles"

# --- Manual page, completions, README, example, alert rules --------------------

for f in "$MAN_PAGE" "$BASH_COMP" "$ZSH_COMP" "$README_DOC" "$EXAMPLE_DOC" "$RULES"; do
	[ -f "$f" ] || fail "$f is missing"
	[ "$(stat -c '%a %U %G' "$f")" = "644 root root" ] || fail "$f is $(stat -c '%a %U:%G' "$f"), expected 644 root:root"
	dpkg-query -S "$f" >/dev/null 2>&1 || fail "$f is not owned by the package"
done
ok "man page, bash and zsh completions, README, example and alert rules installed, 0644 root:root"
if [ -n "${PROMTOOL:-}" ] || command -v promtool >/dev/null; then
	"${PROMTOOL:-promtool}" check rules "$RULES" >&2 || fail "promtool check rules $RULES failed"
	ok "promtool check rules passes on the installed $RULES"
fi

warn=$(zcat "$MAN_PAGE" | groff -man -Tutf8 -ww -z 2>&1) || fail "groff cannot format $MAN_PAGE: $warn"
[ -z "$warn" ] || fail "groff warns about $MAN_PAGE: $warn"
if command -v man >/dev/null; then
	page=$(MANPAGER=cat MANWIDTH=100 man ticaga-sync 2>&1) || fail "'man ticaga-sync' failed: $page"
	grep -q 'ticaga-sync sync' <<<"$page" && grep -q 'EXIT STATUS' <<<"$page" || fail "'man ticaga-sync' does not show the commands"
	ok "man ticaga-sync shows the manual page (groff reports no warning)"
else
	ok "$MAN_PAGE formats without warnings (man is not installed here)"
fi
# The completion installed where bash-completion loads it completes commands
# and flags.
comp=$(bash --norc --noprofile -c ". '$BASH_COMP'; COMP_WORDS=(ticaga-sync sync --dry); COMP_CWORD=2; _ticaga_sync; echo \"\${COMPREPLY[*]}\"") ||
	fail "the bash completion does not run"
[ "$comp" = --dry-run ] || fail "the bash completion completed 'sync --dry' to '$comp', expected --dry-run"
head -n 1 "$ZSH_COMP" | grep -qx '#compdef ticaga-sync' || fail "$ZSH_COMP does not start with #compdef ticaga-sync"
if command -v zsh >/dev/null; then
	zsh -n "$ZSH_COMP" || fail "$ZSH_COMP is not valid zsh"
fi
ok "the bash completion completes 'sync --dry' to --dry-run; the zsh completion is a #compdef file"
if [ -n "$want_version" ]; then
	cmp -s "$README_DOC" README.md || fail "$README_DOC differs from the repository's README.md"
	cmp -s "$EXAMPLE_DOC" configs/ticaga-sync.env.example || fail "$EXAMPLE_DOC differs from configs/ticaga-sync.env.example"
	cmp -s "$RULES" deploy/prometheus/ticaga-sync.rules.yml || fail "$RULES differs from deploy/prometheus/ticaga-sync.rules.yml"
	ok "$README_DOC, $EXAMPLE_DOC and $RULES are the repository's"
fi
help=$("$BIN" help sync </dev/null) || fail "'ticaga-sync help sync' failed"
grep -q '^Examples:' <<<"$help" && grep -q -- '--dry-run' <<<"$help" || fail "'ticaga-sync help sync' shows no flags or examples"
[ "$("$BIN" --version </dev/null)" = "$vout" ] || fail "'ticaga-sync --version' differs from 'ticaga-sync version'"
ok "ticaga-sync help sync teaches (flags, examples); --version works"

# --- The installed host: commands without --config -----------------------------

# Configured as an operator would (no token in the file: the service gets it
# as a credential), the commands that make no Ticaga call work without
# --config and without the token, reading $ENV_FILE and saying so.
cp -p "$ENV_FILE" "$ENV_FILE.test-deb"
db_dsn="ticaga:unused@tcp(127.0.0.1:1)/ticaga_sync_test_deb"
if [ -n "${TEST_MYSQL_DSN:-}" ]; then
	command -v mariadb >/dev/null || fail "TEST_MYSQL_DSN is set but the mariadb client is missing"
	[[ $TEST_MYSQL_DSN =~ ^([^:@]+):([^@]*)@tcp\(([^:\)]+):([0-9]+)\)/ ]] ||
		fail "cannot read user, password, host and port from TEST_MYSQL_DSN"
	db_user=${BASH_REMATCH[1]} db_pass=${BASH_REMATCH[2]} db_host=${BASH_REMATCH[3]} db_port=${BASH_REMATCH[4]}
	my() { MYSQL_PWD=$db_pass mariadb --no-defaults -h "$db_host" -P "$db_port" -u "$db_user" "$@"; }
	my -e 'DROP DATABASE IF EXISTS ticaga_sync_test_deb; CREATE DATABASE ticaga_sync_test_deb' ||
		fail "cannot create the database ticaga_sync_test_deb"
	db_dsn="${db_user}:${db_pass}@tcp(${db_host}:${db_port})/ticaga_sync_test_deb"
fi
printf 'BILLING_DSN=%s\nTICAGA_URL=https://support.example.com\nHTTP_ADDR=\n' "$db_dsn" >"$ENV_FILE"
cout=$("$BIN" config </dev/null 2>/tmp/ticaga-sync-test-deb.err) || fail "'ticaga-sync config' on the installed host failed: $(cat /tmp/ticaga-sync-test-deb.err)"
grep -qx "ticaga-sync: reading settings from $ENV_FILE (--config FILE to read another)" /tmp/ticaga-sync-test-deb.err ||
	fail "'ticaga-sync config' does not say it read $ENV_FILE: $(cat /tmp/ticaga-sync-test-deb.err)"
grep -q '^  TICAGA_URL=https://support.example.com$' <<<"$cout" || fail "'ticaga-sync config' does not show the file's settings"
ok "ticaga-sync config works without --config and without the token, reading $ENV_FILE"
if [ -n "${TEST_MYSQL_DSN:-}" ]; then
	"$BIN" migrate </dev/null >/dev/null 2>/tmp/ticaga-sync-test-deb.err || fail "'ticaga-sync migrate' on the installed host failed: $(cat /tmp/ticaga-sync-test-deb.err)"
	sout=$("$BIN" status </dev/null 2>/tmp/ticaga-sync-test-deb.err) || fail "'ticaga-sync status' on the installed host failed: $(cat /tmp/ticaga-sync-test-deb.err)"
	grep -q 'Recent runs' <<<"$sout" || fail "'ticaga-sync status' printed no runs section: $sout"
	ok "ticaga-sync migrate and status work without --config and without the token"
	my -e 'DROP DATABASE ticaga_sync_test_deb' || true
else
	# No database here: status gets past the configuration (no token
	# needed) and fails on the connection only.
	set +e
	"$BIN" status </dev/null >/dev/null 2>/tmp/ticaga-sync-test-deb.err
	rc=$?
	set -e
	[ "$rc" = 1 ] && ! grep -q TICAGA_API_TOKEN /tmp/ticaga-sync-test-deb.err ||
		fail "'ticaga-sync status' without a database: exit $rc, expected 1 without a token error: $(cat /tmp/ticaga-sync-test-deb.err)"
	ok "ticaga-sync status needs no --config and no token (no TEST_MYSQL_DSN: it stops at the database)"
fi
set +e
"$BIN" check </dev/null >/dev/null 2>/tmp/ticaga-sync-test-deb.err
rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'TICAGA_API_TOKEN: required' /tmp/ticaga-sync-test-deb.err ||
	fail "'ticaga-sync check' without the token: exit $rc, expected 2 naming TICAGA_API_TOKEN"
ok "ticaga-sync check, which calls Ticaga, names the missing TICAGA_API_TOKEN"
rm -f /tmp/ticaga-sync-test-deb.err
mv "$ENV_FILE.test-deb" "$ENV_FILE"

# --- The user ----------------------------------------------------------------

pw=$(getent passwd ticaga-sync) || fail "the user ticaga-sync does not exist"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
sys_max=$(sed -n 's/^LAST_SYSTEM_UID=\([0-9]*\).*/\1/p' /etc/adduser.conf 2>/dev/null || true)
sys_max=${sys_max:-999}
[ "$uid" -gt 0 ] && [ "$uid" -le "$sys_max" ] || fail "ticaga-sync has uid $uid, not a system uid (1..$sys_max)"
[ "$shell" = /usr/sbin/nologin ] || fail "ticaga-sync has shell '$shell', expected /usr/sbin/nologin"
[ "$home" = /nonexistent ] || fail "ticaga-sync has home '$home', expected /nonexistent"
[ "$(getent group ticaga-sync | cut -d: -f3)" = "$gid" ] || fail "the primary group of ticaga-sync is not the group ticaga-sync"
[ ! -e /nonexistent ] || fail "/nonexistent exists"
ok "ticaga-sync is a system user (uid $uid) with group ticaga-sync and shell /usr/sbin/nologin"

# --- Nothing enabled or started ----------------------------------------------

not_running() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[ "$(readlink "$exe" 2>/dev/null || true)" != "$BIN" ] || return 1
	done
	if [ -d /run/systemd/system ] && systemctl is-active --quiet ticaga-sync.service; then return 1; fi
	return 0
}
not_enabled() {
	local link
	for link in /etc/systemd/system/*.wants/ticaga-sync.service; do
		[ ! -e "$link" ] && [ ! -L "$link" ] || return 1
	done
	if command -v systemctl >/dev/null; then
		local state
		state=$(systemctl --root=/ is-enabled ticaga-sync.service 2>/dev/null || true)
		[ "$state" = disabled ] || return 1
	fi
	return 0
}
not_enabled || fail "ticaga-sync.service is enabled after install"
not_running || fail "ticaga-sync is running after install"
ok "ticaga-sync.service is neither enabled nor started"

# --- Reinstall keeps the administrator's edit ---------------------------------

printf '\n# edited by test-deb\n' >>"$ENV_FILE"
log "dpkg -i $deb (again, over an edited configuration)"
out=$(dpkg_ -i "$deb" 2>&1) || {
	printf '%s\n' "$out" >&2
	fail "reinstalling with dpkg -i failed"
}
grep -q '^# edited by test-deb$' "$ENV_FILE" || fail "reinstalling replaced the edited $ENV_FILE"
[ "$(stat -c '%a %U %G' "$ENV_FILE")" = "640 root ticaga-sync" ] ||
	fail "after reinstalling $ENV_FILE is $(stat -c '%a %U:%G' "$ENV_FILE"), expected 640 root:ticaga-sync"
[ "$(getent passwd ticaga-sync | cut -d: -f3)" = "$uid" ] || fail "reinstalling changed the user ticaga-sync"
not_enabled && not_running || fail "reinstalling enabled or started the service"
ok "reinstall keeps the edited configuration, the user, and the service stopped"

# --- Remove, then purge --------------------------------------------------------

log "dpkg --remove $PKG"
dpkg_ --remove "$PKG" >&2 || fail "dpkg --remove failed"
[ ! -e "$BIN" ] || fail "$BIN is still there after remove"
[ ! -e "$UNIT" ] || fail "$UNIT is still there after remove"
[ ! -e "$DOC_DIR" ] || fail "$DOC_DIR is still there after remove"
for path in "$MAN_PAGE" "$BASH_COMP" "$ZSH_COMP" "$SHARE_DIR"; do
	[ ! -e "$path" ] || fail "$path is still there after remove"
done
[ -f "$ENV_FILE" ] || fail "remove deleted $ENV_FILE (only purge should)"
getent passwd ticaga-sync >/dev/null || fail "remove deleted the user ticaga-sync (only purge should)"
[ "$(pkg_status)" = rc ] || fail "after remove the package status is '$(pkg_status)', expected rc"
ok "remove deletes the binary, unit and documentation, keeps the configuration and the user"

log "dpkg --purge $PKG"
dpkg_ --purge "$PKG" >&2 || fail "dpkg --purge failed"
rm -f "$MARKER"
st=$(pkg_status)
[ -z "$st" ] || [ "$st" = un ] || fail "after purge the package status is '$st'"
for path in "$BIN" "$UNIT" "$ENV_FILE" "$CONF_DIR" "$COPYRIGHT" "$NOTICES" "$LICENSE_DOC" "$DOC_DIR"; do
	[ ! -e "$path" ] || fail "$path is still there after purge"
done
! getent passwd ticaga-sync >/dev/null || fail "the user ticaga-sync is still there after purge"
! getent group ticaga-sync >/dev/null || fail "the group ticaga-sync is still there after purge"
ok "purge removes the package, its configuration and documentation, and the user and group"

log "PASS: all $checks checks passed; $PKG is not installed"
