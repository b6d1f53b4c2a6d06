#!/usr/bin/env bash
# Writes the license documentation of a ticaga-sync binary, from the binary:
#
#   ./scripts/gen-notices.sh BINARY OUTDIR
#
#   OUTDIR/copyright            /usr/share/doc/ticaga-sync/copyright, in Debian's
#                               machine-readable format (copyright-format 1.0)
#   OUTDIR/THIRD-PARTY-NOTICES  the license and notice files, verbatim, of the Go
#                               standard library and of every Go module compiled
#                               into BINARY
#
# scripts/build-deb.sh runs it on the binary it packages, so the two files list
# exactly the modules that binary links, whatever go.mod says today. The module
# list is `go version -m BINARY`; each module's files are the LICENSE*,
# LICENCE*, COPYING*, NOTICE*, COPYRIGHT* and PATENTS* files at the root of its
# directory in the module cache ($(go env GOMODCACHE)/<module>@<version>, or
# vendor/<module>, or the directory of a local `replace`). It needs only Go and
# the module cache that `go build` filled: it works offline.
#
# Licenses are identified by matching their text: Apache-2.0, MPL-2.0, MIT,
# BSD-2-Clause, BSD-3-Clause and ISC. Anything else -- no license file, a text
# that matches none of these, one that also names another license, or several
# licenses in one module (is it "and" or "or"?) -- is reported as "unknown",
# with the module's license text reproduced in the copyright file itself, and a
# warning on stderr. A summary (modules per license) goes to stderr too.
set -euo pipefail
export LC_ALL=C

log() { printf 'gen-notices: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 BINARY OUTDIR"
bin=$1
outdir=$2
[ -f "$bin" ] || die "$bin does not exist"
root=$(cd "$(dirname "$0")/.." && pwd)

PKG=ticaga-sync
DOC_DIR=/usr/share/doc/$PKG
NOTICES_NAME=THIRD-PARTY-NOTICES
FORMAT_URL=https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

# The package's facts, from where they are kept.
homepage=$(sed -n 's/^homepage:[[:space:]]*//p' "$root/deploy/nfpm.yaml")
maintainer=$(sed -n 's/^maintainer:[[:space:]]*//p' "$root/deploy/nfpm.yaml")
[ -n "$homepage" ] || die "no homepage: in deploy/nfpm.yaml"
[ -f "$root/LICENSE" ] || die "$root/LICENSE is missing"
own_copyright=$(sed -n '1,5{s/^Copyright[[:space:]]\{1,\}//p;}' "$root/LICENSE" | head -n 1)
[ -n "$own_copyright" ] || die "LICENSE does not start with a 'Copyright ...' line"

# --- License identification --------------------------------------------------

# identify FILE prints the licenses whose text FILE holds (space-separated), or
# "unknown". The text is compared lower-cased, with every run of characters
# other than a-z and 0-9 turned into one space, so that line breaks, quotes,
# Markdown and comment markers do not matter.
identify() {
	local t ids=() m
	t=$(tr -cs 'A-Za-z0-9' ' ' <"$1")
	t=" ${t,,} "
	if [[ $t == *" apache license version 2 0 january 2004 "* && $t == *" terms and conditions for use reproduction and distribution "* ]] ||
		[[ $t == *" licensed under the apache license version 2 0 "* ]]; then
		ids+=(Apache-2.0)
	fi
	if [[ $t == *" mozilla public license version 2 0 "* || $t == *" mozilla public license v 2 0 "* ]]; then
		ids+=(MPL-2.0)
		# The MPL names the GNU licenses itself ("Secondary License"): not a
		# sign of another license.
		t=${t//" the gnu general public license version 2 0 the gnu lesser general public license version 2 1 the gnu affero general public license version 3 0 "/ }
	fi
	if [[ $t == *" permission is hereby granted free of charge to any person obtaining a copy of this software "* &&
		$t == *" the above copyright notice and this permission notice shall be included in all copies or substantial portions of the software "* ]]; then
		ids+=(MIT)
	fi
	if [[ $t == *" permission to use copy modify and or distribute this software for any purpose with or without fee is hereby granted "* ||
		$t == *" permission to use copy modify and distribute this software for any purpose with or without fee is hereby granted "* ]] &&
		[[ $t == *" the above copyright notice and this permission notice appear in all copies "* ]]; then
		ids+=(ISC)
	fi
	if [[ $t == *" redistribution and use in source and binary forms with or without modification are permitted provided that the following conditions are met "* &&
		$t == *" redistributions of source code must retain the above copyright notice "* &&
		$t == *" redistributions in binary form must reproduce the above copyright notice "* ]]; then
		if [[ $t == *" used to endorse or promote products derived from this software "* ]]; then
			ids+=(BSD-3-Clause)
		else
			ids+=(BSD-2-Clause)
		fi
	fi
	# Signs of a license not recognised here (or of a variant, such as the
	# 4-clause BSD license's advertising clause), in the same text: then the
	# match above is not the whole story.
	for m in "general public license" "eclipse public license" "creative commons" \
		"common development and distribution license" "artistic license" "european union public licen" \
		"server side public license" "business source license" "elastic license" "commons clause" \
		"unlicense" "free and unencumbered software" "boost software license" "zlib license" \
		"openssl license" "python software foundation" "apache license version 1 " \
		"apache software license version 1 " "mozilla public license version 1 " \
		"mozilla public license v 1 " "all advertising materials" "used for good not evil" \
		"unicode license" "unicode inc license agreement" "anti 996" "hippocratic license"; do
		if [[ $t == *" $m"* ]]; then
			echo unknown
			return
		fi
	done
	if [ ${#ids[@]} -eq 0 ]; then echo unknown; else echo "${ids[*]}"; fi
}

# --- Copyright notices ---------------------------------------------------------

# copyright_lines FILE... prints the copyright notices in the files, one a line,
# without "Copyright", "(c)" and "All rights reserved". The license's own uses
# of the word ("copyright notice", "COPYRIGHT HOLDERS BE LIABLE", the Apache
# appendix's "Copyright [yyyy] [name of copyright owner]") are left out.
copyright_lines() {
	awk -v c_sign='©' '
	{
		line = $0
		gsub(/\r/, "", line)
		sub(/^[ \t]*/, "", line)
		while (line ~ /^(\/\/|#|\*|;|--|>)/) { sub(/^(\/\/|#|\*|;|--|>)[ \t]*/, "", line) }
		low = tolower(line)
		if (low !~ /^(copyright|\(c\))/ && index(line, c_sign) != 1) next
		if (low ~ /\[yyyy\]|\{yyyy\}|<year>|\[year\]|name of copyright owner|<copyright holder>/) next
		rest = line; prefixed_by_c_only = 1
		while (1) {
			l = tolower(rest)
			if (l ~ /^copyright/) { rest = substr(rest, 10); prefixed_by_c_only = 0 }
			else if (l ~ /^\(c\)/) rest = substr(rest, 4)
			else if (index(rest, c_sign) == 1) rest = substr(rest, length(c_sign) + 1)
			else break
			sub(/^[ \t:]*/, "", rest)
		}
		# "(c) You must retain ..." (Apache 4(c)) is not a notice.
		if (prefixed_by_c_only && rest !~ /^[0-9]/) next
		split(tolower(rest), w, /[^a-z0-9]+/)
		if (w[1] ~ /^(notice|notices|license|licenses|owner|owners|holder|holders|and|or|statement|statements|law|laws|protection|date|year|yyyy|interest)$/ && rest !~ /^[0-9]/) next
		if (rest == "" || length(rest) > 200) next
		sub(/[ \t]*[Aa][Ll][Ll] [Rr][Ii][Gg][Hh][Tt][Ss] [Rr][Ee][Ss][Ee][Rr][Vv][Ee][Dd]\.?[ \t]*$/, "", rest)
		gsub(/[ \t]+/, " ", rest)
		sub(/[ ,;]+$/, "", rest)
		if (rest == "" || seen[rest]++) next
		print rest
	}' "$@"
}

# source_copyrights DIR prints the copyright notices in the headers of the Go
# files of DIR (for modules whose license and notice files have none; test
# files, testdata and vendor left out), one per holder, with the years
# spanned: "2012-2024 The X Authors".
source_copyrights() {
	(cd "$1" && find . -name '*.go' ! -name '*_test.go' ! -path '*/testdata/*' ! -path '*/vendor/*' -print0) |
		sort -z | (cd "$1" && xargs -0 -r awk 'FNR <= 20') | copyright_lines | awk '
	{
		years = ""; holder = $0
		if (match($0, /^[0-9][0-9][0-9][0-9]([-, ]+[0-9][0-9][0-9][0-9])*[ ,]*/)) {
			years = substr($0, 1, RLENGTH); holder = substr($0, RLENGTH + 1)
		}
		sub(/\.$/, "", holder)
		if (!(holder in min)) { order[++n] = holder; min[holder] = ""; max[holder] = "" }
		while (match(years, /[0-9][0-9][0-9][0-9]/)) {
			y = substr(years, RSTART, 4) + 0; years = substr(years, RSTART + 4)
			if (min[holder] == "" || y < min[holder]) min[holder] = y
			if (max[holder] == "" || y > max[holder]) max[holder] = y
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			h = order[i]; y = min[h]
			if (y != "" && max[h] != y) y = y "-" max[h]
			print (y == "" ? h : y " " h)
		}
	}'
}

# --- The binary's modules ------------------------------------------------------

command -v go >/dev/null || die "go is not installed"
info=$(go version -m "$bin") || die "'go version -m $bin' failed (not a Go binary?)"
go_version=$(head -n 1 <<<"$info")
go_version=${go_version##*: }
[[ $go_version == go* ]] || die "cannot read the Go version of $bin (got '$go_version')"

# One line per module: path, version, replacement path, replacement version.
modules=$(awk -F'\t' '
	$2 == "dep" { if (p != "") print p; p = $3 "\t" $4 "\t\t"; path = $3; ver = $4; next }
	$2 == "=>"  { p = path "\t" ver "\t" $3 "\t" $4; next }
	END { if (p != "") print p }' <<<"$info")

modcache=$(go env GOMODCACHE)
[ -n "$modcache" ] || die "go env GOMODCACHE is empty"
goroot=$(go env GOROOT)
local_go=$(go env GOVERSION)
[ "$local_go" = "$go_version" ] ||
	log "warning: $bin was built by $go_version, the Go here is $local_go: the Go license is taken from $goroot"

# The module cache spells capitals as "!" and the lower-case letter.
escape() {
	local s=$1 out="" c
	while [[ $s =~ ^([^A-Z]*)([A-Z])(.*)$ ]]; do
		c=${BASH_REMATCH[2]}
		out+=${BASH_REMATCH[1]}!${c,}
		s=${BASH_REMATCH[3]}
	done
	printf '%s\n' "$out$s"
}

# module_dir PATH VERSION REPL_PATH REPL_VERSION prints the directory with the
# module's files.
module_dir() {
	local path=$1 ver=$2 rpath=$3 rver=$4 dir
	if [ -n "$rpath" ] && { [ -z "$rver" ] || [ "$rver" = "(devel)" ]; }; then
		# replace with a local directory, relative to the main module.
		case $rpath in /*) dir=$rpath ;; *) dir=$root/$rpath ;; esac
		[ -d "$dir" ] || die "$path is replaced by $rpath, which is not a directory here"
		printf '%s\n' "$dir"
		return
	fi
	if [ -n "$rpath" ]; then path=$rpath ver=$rver; fi
	dir=$modcache/$(escape "$path")@$(escape "$ver")
	if [ -d "$dir" ]; then
		printf '%s\n' "$dir"
	elif [ -f "$root/vendor/modules.txt" ] && [ -d "$root/vendor/$path" ]; then
		printf '%s\n' "$root/vendor/$path"
	else
		# Extracted from the cache's zip if it is there (offline), or downloaded.
		dir=$(cd "$root" && go mod download -json "$path@$ver" 2>/dev/null |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
		[ -n "$dir" ] && [ -d "$dir" ] ||
			die "$path@$ver is not in the module cache ($modcache): run 'go mod download' (or 'go build') with network access once"
		printf '%s\n' "$dir"
	fi
}

# legal_files DIR prints the license and notice files at the root of DIR.
legal_files() {
	local f name
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		name=${f##*/}
		[[ ${name,,} =~ ^(licen[cs]e|copying|copyright|notice|patents)([-._\ ][a-z0-9._-]*)?$ ]] || continue
		[[ ! ${name,,} =~ \.(go|json|ya?ml|sh|py|js|ts|html?|css|xml|toml|mod|sum)$ ]] || continue
		printf '%s\n' "$name"
	done
}
is_license_file() { [[ ${1,,} =~ ^(licen[cs]e|copying) ]]; }

# --- Collect ---------------------------------------------------------------------

# Per component (the Go standard library, then each module): its name, its
# version, its directory, its license and notice files, its license, why the
# license is unknown, and its copyright notices.
names=() versions=() dirs=() filelists=() licenses=() notes=() copyrights=() patterns=() comments=()

add_component() { # NAME VERSION DIR PATTERN COMMENT
	local name=$1 version=$2 dir=$3 pattern=$4 comment=$5 files f id i lic="" note="" all=() ids=() seen_ids="" c
	files=$(legal_files "$dir")
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		all+=("$dir/$f")
		is_license_file "$f" || continue
		id=$(identify "$dir/$f")
		if [ "$id" = unknown ]; then
			note="the text of $f was not recognised"
		else
			for i in $id; do
				[[ " $seen_ids " == *" $i "* ]] || { seen_ids="$seen_ids $i"; ids+=("$i"); }
			done
		fi
	done <<<"$files"
	if [ -n "$note" ]; then
		lic=unknown
	elif [ ${#ids[@]} -eq 0 ]; then
		lic=unknown note="no license file at the module's root"
	elif [ ${#ids[@]} -gt 1 ]; then
		lic=unknown note="its license files hold the texts of several licenses, ${ids[*]}: whether they apply together or as alternatives is not determined"
	else
		lic=${ids[0]}
	fi
	c=""
	[ ${#all[@]} -eq 0 ] || c=$(copyright_lines "${all[@]}")
	[ -n "$c" ] || c=$(source_copyrights "$dir")
	if [ -z "$c" ]; then
		c="the authors of $name"
		comment+=$'\n'"It names no copyright holder in its license, notice or Go files."
	fi
	names+=("$name") versions+=("$version") dirs+=("$dir") filelists+=("$files")
	licenses+=("$lic") notes+=("$note") copyrights+=("$c") patterns+=("$pattern") comments+=("$comment")
}

[ "$(identify "$root/LICENSE")" = Apache-2.0 ] || die "LICENSE is not recognised as the Apache License 2.0"

add_component "Go standard library" "$go_version" "$goroot" "GOROOT/src/*" \
	"The Go standard library and runtime, $go_version."

while IFS=$'\t' read -r path ver rpath rver; do
	[ -n "$path" ] || continue
	dir=$(module_dir "$path" "$ver" "$rpath" "$rver")
	comment="Go module $path $ver."
	if [ -n "$rpath" ]; then
		[ "$rver" != "(devel)" ] || rver=""
		comment+=$'\n'"Replaced by $rpath${rver:+ $rver} (a replace directive in go.mod)."
	fi
	add_component "$path" "$ver" "$dir" "vendor/$path/*" "$comment"
done <<<"$modules"

# --- Write -----------------------------------------------------------------------

mkdir -p "$outdir"
n=${#names[@]}

# field_text prints stdin as the continuation lines of a field: each line after
# one space, blank lines as " .".
field_text() { sed 's/\r$//; s/^[[:space:]]*$/./; s/^/ /'; }

# cat_text FILE prints FILE with Unix line ends and a final newline.
cat_text() { awk '{ sub(/\r$/, ""); print }' "$1"; }

license_paragraph() {
	case $1 in
	Apache-2.0)
		cat <<'EOF'
License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License");
 you may not use this file except in compliance with the License.
 You may obtain a copy of the License at
 .
     http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and
 limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in "/usr/share/common-licenses/Apache-2.0", and in
 "/usr/share/doc/ticaga-sync/LICENSE".
EOF
		;;
	MPL-2.0)
		cat <<'EOF'
License: MPL-2.0
 This Source Code Form is subject to the terms of the Mozilla Public
 License, v. 2.0. If a copy of the MPL was not distributed with this
 file, You can obtain one at https://mozilla.org/MPL/2.0/.
 .
 On Debian systems, the complete text of the Mozilla Public License
 Version 2.0 can be found in "/usr/share/common-licenses/MPL-2.0".
EOF
		;;
	MIT)
		cat <<'EOF'
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.
EOF
		;;
	BSD-2-Clause | BSD-3-Clause)
		cat <<EOF
License: $1
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions are met:
 .
 1. Redistributions of source code must retain the above copyright notice,
    this list of conditions and the following disclaimer.
 .
 2. Redistributions in binary form must reproduce the above copyright notice,
    this list of conditions and the following disclaimer in the documentation
    and/or other materials provided with the distribution.
 .
EOF
		if [ "$1" = BSD-3-Clause ]; then
			cat <<'EOF'
 3. Neither the name of the copyright holder nor the names of its
    contributors may be used to endorse or promote products derived from
    this software without specific prior written permission.
 .
EOF
		fi
		cat <<'EOF'
 THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
 LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 POSSIBILITY OF SUCH DAMAGE.
EOF
		;;
	ISC)
		cat <<'EOF'
License: ISC
 Permission to use, copy, modify, and/or distribute this software for any
 purpose with or without fee is hereby granted, provided that the above
 copyright notice and this permission notice appear in all copies.
 .
 THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
EOF
		;;
	*) die "no license paragraph for $1" ;;
	esac
	if [ "$1" != Apache-2.0 ] && [ "$1" != MPL-2.0 ]; then
		cat <<EOF
 .
 The text above is the license's common form. Each module's own text, with
 its copyright holders and names, is in
 "$DOC_DIR/$NOTICES_NAME".
EOF
	fi
}

# The copyright file.
{
	cat <<EOF
Format: $FORMAT_URL
Upstream-Name: $PKG
Upstream-Contact: $maintainer
Source: $homepage
Comment: /usr/bin/$PKG is a static Go binary. Besides $PKG itself
 it contains the Go standard library and runtime ("GOROOT/src/" below) and
 the third-party Go modules listed below, each under "vendor/<module path>/",
 the layout "go mod vendor" gives them. The list is the binary's own
 ("go version -m /usr/bin/$PKG"), written by scripts/gen-notices.sh
 when the package was built. The license and notice files of each of them
 are reproduced, verbatim, in "$DOC_DIR/$NOTICES_NAME".

Files: *
Copyright: $own_copyright
License: Apache-2.0
EOF
	for ((i = 0; i < n; i++)); do
		echo
		echo "Files: ${patterns[i]}"
		c=${copyrights[i]}
		printf 'Copyright: %s\n' "${c%%$'\n'*}"
		[[ $c != *$'\n'* ]] || field_text <<<"${c#*$'\n'}"
		if [ "${licenses[i]}" = unknown ]; then
			# No short name to refer to: the text itself, as the format asks.
			echo "License: unknown"
			{
				echo "The license of ${names[i]} ${versions[i]} was not identified automatically (${notes[i]})." |
					fold -s -w 76 | sed 's/ *$//'
				while IFS= read -r f; do
					[ -n "$f" ] || continue
					is_license_file "$f" || continue
					printf '\n%s:\n\n' "$f"
					cat_text "${dirs[i]}/$f"
				done <<<"${filelists[i]}"
			} | field_text
		else
			echo "License: ${licenses[i]}"
		fi
		files=${filelists[i]//$'\n'/, }
		c=${comments[i]}
		printf 'Comment: %s\n' "${c%%$'\n'*}"
		[[ $c != *$'\n'* ]] || field_text <<<"${c#*$'\n'}"
		if [ -n "$files" ]; then
			printf ' Its license and notice files (%s) are reproduced in\n %s.\n' "$files" "$DOC_DIR/$NOTICES_NAME"
		else
			echo " It has no license or notice file."
		fi
	done
	for lic in $(printf '%s\n' Apache-2.0 "${licenses[@]}" | grep -vx unknown | sort -u); do
		echo
		license_paragraph "$lic"
	done
} >"$outdir/copyright.tmp"

# The notices file.
{
	cat <<EOF
Third-party software in $PKG
$(printf '%s' "Third-party software in $PKG" | tr -c '\n' '=')

/usr/bin/$PKG is $PKG, Copyright $own_copyright,
licensed under the Apache License, Version 2.0 ($DOC_DIR/LICENSE).
It is a static Go binary that also contains the Go standard library and
runtime and the Go modules below. Their licenses ask that binary
redistributions carry their copyright notices, license texts and NOTICE
files: this file reproduces, verbatim, the license and notice files of each
of them, as found in the Go distribution and the module cache when the
package was built.

The list is the binary's own ("go version -m /usr/bin/$PKG"), made by
scripts/gen-notices.sh at build time; $DOC_DIR/copyright
summarises the same in Debian's machine-readable format.

Component                                                     License
EOF
	for ((i = 0; i < n; i++)); do
		printf '%-61s %s\n' "${names[i]} ${versions[i]}" "${licenses[i]}"
	done
	for ((i = 0; i < n; i++)); do
		echo
		echo
		printf '%80s\n' '' | tr ' ' '='
		echo "${names[i]} ${versions[i]}"
		echo "License: ${licenses[i]}${notes[i]:+ (${notes[i]})}"
		printf '%80s\n' '' | tr ' ' '='
		if [ -z "${filelists[i]}" ]; then
			echo
			echo "(${names[i]} has no license or notice file at its root.)"
		fi
		while IFS= read -r f; do
			[ -n "$f" ] || continue
			echo
			echo "--- ${names[i]}: $f ---"
			echo
			cat_text "${dirs[i]}/$f"
		done <<<"${filelists[i]}"
	done
} >"$outdir/$NOTICES_NAME.tmp"

mv "$outdir/copyright.tmp" "$outdir/copyright"
mv "$outdir/$NOTICES_NAME.tmp" "$outdir/$NOTICES_NAME"

# --- Summary ---------------------------------------------------------------------

summary=$(printf '%s\n' "${licenses[@]:1}" | sort | uniq -c | awk '{printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1}')
log "$((n - 1)) modules in $bin ($summary), and the Go standard library (${licenses[0]})"
for ((i = 0; i < n; i++)); do
	[ "${licenses[i]}" != unknown ] || log "warning: license of ${names[i]} ${versions[i]} is unknown: ${notes[i]}"
done
log "wrote $outdir/copyright and $outdir/$NOTICES_NAME"
