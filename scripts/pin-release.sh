#!/usr/bin/env bash
# pin-release.sh VERSION FILE...: points the install snippets in FILEs (the CI examples and
# the pages that show them) at release VERSION, in the commit the release workflow tags:
# every `GATE_VERSION` value becomes VERSION, every `GATE_SHA256` value the sha256 of the
# x86_64-unknown-linux-musl archive from checksums/VERSION.sha256, and the lines saying that
# no release exists yet go. Before the first release the snippets hold GATE_SHA256
# "unreleased", which no sha256sum accepts.
set -euo pipefail
export LC_ALL=C

version="${1:?usage: pin-release.sh VERSION FILE...}"
shift
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "pin-release.sh: $version is not MAJOR.MINOR.PATCH" >&2; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
asset="servicestage-gate-$version-x86_64-unknown-linux-musl.tar.gz"
sha256="$(awk -v a="$asset" '$2 == a && $1 ~ /^[0-9a-f]+$/ && length($1) == 64 { print $1 }' "$root/checksums/$version.sha256")"
[ "$(printf '%s\n' "$sha256" | wc -l)" = 1 ] && [ -n "$sha256" ] || {
  echo "pin-release.sh: checksums/$version.sha256 has no single line for $asset" >&2
  exit 1
}

# `  GATE_VERSION: "0.1.0"` (YAML) and `    GATE_VERSION = '0.1.0'` (Jenkinsfile)
value='([[:space:]]*[:=][[:space:]]*)(["'\''])[^"'\'']*(["'\''])'
for file in "$@"; do
  sed -E -i \
    -e "s/^([[:space:]]*GATE_VERSION)$value/\1\2\3$version\4/" \
    -e "s/^([[:space:]]*GATE_SHA256)$value/\1\2\3$sha256\4/" \
    -e '/^[[:space:]]*(#|\/\/) No release exists yet:/d' \
    "$file"
done
