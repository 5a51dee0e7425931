#!/usr/bin/env bash
# Installs servicestage-gate for this runner: the release asset for its OS and arch,
# verified against the sha256 committed in checksums/<version>.sha256, or, where there is
# no asset or checksum (or GATE_VERSION=source), a build from this checkout with cargo.
# Prints the binary's path as the step output `bin`.
#
# `install.sh --cache-key`, run before actions/cache, prints the outputs `key` (the version
# and a hash of the source) and `path` (where the build goes) when this runner will build from
# source, and nothing when it will download; the install step then reuses the build when
# GATE_CACHE_HIT=true.
#
# Environment: GATE_VERSION (default: this checkout's version), GATE_RELEASE_URL (where
# releases live), GATE_PLATFORM ("os/arch", overrides uname; for tests), GATE_CACHE_HIT,
# RUNNER_TEMP, GITHUB_OUTPUT.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
own_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
version="${GATE_VERSION:-$own_version}"
version="${version#v}"
release_url="${GATE_RELEASE_URL:-https://github.com/servicestage-gate/servicestage-gate/releases/download}"
dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/servicestage-gate-$version"
platform="${GATE_PLATFORM:-$(uname -s)/$(uname -m)}"

say() { echo "servicestage-gate install: $*" >&2; }

exe=""
case "$platform" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-musl ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
  MINGW*/x86_64 | MSYS*/x86_64 | CYGWIN*/x86_64 | Windows_NT/x86_64 | Windows_NT/AMD64)
    target=x86_64-pc-windows-msvc
    exe=.exe
    ;;
  *) target="" ;;
esac

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >>"$GITHUB_OUTPUT"
  else
    echo "$1"
  fi
}

publish() {
  say "using $1"
  output "bin=$1"
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

build_from_source() {
  if [ "${GATE_CACHE_HIT:-}" = true ] && [ -x "$dest/bin/servicestage-gate$exe" ]; then
    say "reusing the build cached by an earlier run ($1)"
  else
    say "building from source: $1"
    cargo install --locked --quiet --path "$root" --root "$dest"
  fi
  publish "$dest/bin/servicestage-gate$exe"
}

# Why this runner builds from source; empty when it downloads a release asset.
source_reason=""
if [ "$version" = source ]; then
  source_reason="version: source was asked for"
elif [ -z "$target" ]; then
  source_reason="no prebuilt asset for $platform"
else
  asset="servicestage-gate-$version-$target.tar.gz"
  sums="$root/checksums/$version.sha256"
  expected="$( [ -f "$sums" ] && awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$sums" | head -n 1 || true)"
  [ -n "$expected" ] || source_reason="no committed checksum for $asset"
fi

if [ "${1:-}" = --cache-key ]; then
  if [ -n "$source_reason" ]; then
    # The source itself, not the action's ref: a ref like v1 or main moves.
    source_hash="$( (cd "$root" && find Cargo.toml Cargo.lock src -type f 2>/dev/null || true) | LC_ALL=C sort | (cd "$root" && xargs cat) | sha256 | cut -c 1-16)"
    output "key=$own_version-$source_hash"
    output "path=$dest"
  fi
  exit 0
fi
if [ -n "$source_reason" ]; then
  build_from_source "$source_reason"
  exit 0
fi

# https only, except to a loopback test server.
proto='=https'
case "$release_url" in http://127.0.0.1:* | http://localhost:*) proto='=http,https' ;; esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
url="$release_url/v$version/$asset"
say "downloading $url"
curl --proto "$proto" --tlsv1.2 --fail --silent --show-error --location \
  --retry 3 --retry-delay 2 --retry-connrefused --output "$work/$asset" "$url"

actual="$(sha256 "$work/$asset" | cut -d ' ' -f 1)"
if [ "$actual" != "$expected" ]; then
  echo "::error title=servicestage-gate install::checksum mismatch for $asset: expected $expected, got $actual; refusing to run it"
  exit 1
fi

mkdir -p "$dest/bin"
tar -xzf "$work/$asset" -C "$work"
found="$(find "$work" -type f -name "servicestage-gate$exe" | head -n 1)"
if [ -z "$found" ]; then
  echo "::error title=servicestage-gate install::$asset holds no servicestage-gate$exe"
  exit 1
fi
mv "$found" "$dest/bin/servicestage-gate$exe"
chmod +x "$dest/bin/servicestage-gate$exe"
publish "$dest/bin/servicestage-gate$exe"
