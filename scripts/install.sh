#!/usr/bin/env bash
# Installs servicestage-gate for this runner and prints the binary's path as the step output
# `bin`. Two ways, decided by `plan`:
# - download: the release archive for this OS and arch, refused unless its sha256 is the one
#   committed in checksums/<version>.sha256 of this checkout (never one fetched with it);
#   only the binary is taken from it, installed with mode 0755.
# - build: `cargo install` of this checkout, for `version: source`, or for this checkout's own
#   version when it has no release checksums (with a ::warning) or the runner has no asset.
#   Any other version without committed checksums is an error: building this checkout
#   would install a version nobody asked for.
#
# `install.sh --cache-key`, run before actions/cache/restore, prints the outputs `key` and
# `path` when this runner will build, and nothing when it will download. The key holds a full
# sha256 over every source file's name and content, the toolchain and the platform. A build
# records its binary's sha256 beside it (servicestage-gate.sha256) and prints `save=true`; a
# restored build (GATE_CACHE_HIT=true) runs only if it still matches that record.
#
# Environment: GATE_VERSION (MAJOR.MINOR.PATCH with an optional v, or source; default: this
# checkout's version), GATE_CACHE_HIT, RUNNER_TEMP, GITHUB_OUTPUT. For tests: GATE_RELEASE_URL
# (where releases live; https, or http to 127.0.0.1 or localhost), GATE_PLATFORM ("os/arch",
# overrides uname), GATE_DOWNLOAD_MAX_TIME (seconds, default 300).
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
platform="${GATE_PLATFORM:-$(uname -s)/$(uname -m)}"
release_url="${GATE_RELEASE_URL:-https://github.com/servicestage-gate/servicestage-gate/releases/download}"
# A release archive is about 1 MiB; the cap holds even when the server sends no length.
max_bytes=$((64 * 1024 * 1024))

say() { echo "servicestage-gate install: $*" >&2; }

# Workflow-command data escaping: a value cannot end the line and add a command of its own.
escape() {
  local text="$1"
  text="${text//'%'/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

fail() {
  echo "::error title=servicestage-gate install::$(escape "$*")"
  exit 1
}

warn() { echo "::warning title=servicestage-gate install::$(escape "$*")"; }

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >>"$GITHUB_OUTPUT"
  else
    echo "$1"
  fi
}

sha256_of_stdin() {
  local sum
  if command -v sha256sum >/dev/null; then sum="$(sha256sum)"; else sum="$(shasum -a 256)"; fi
  printf '%s' "${sum%% *}"
}

sha256_of() { sha256_of_stdin <"$1"; }

own_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
[[ "$own_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "Cargo.toml of this action has no MAJOR.MINOR.PATCH version"

requested="${GATE_VERSION:-}"
if [ -z "$requested" ]; then
  version="$own_version"
elif [ "$requested" = source ]; then
  version=source
elif [[ "$requested" =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  version="${BASH_REMATCH[1]}"
else
  fail "version \"$requested\" is not MAJOR.MINOR.PATCH (a leading v is fine, e.g. v0.1.0) or source"
fi

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
asset="servicestage-gate-$version-$target.tar.gz"

# Sets `expected` to the sha256 that checksums/<version>.sha256 gives for $asset. The file is
# written by the release workflow with sha256sum; anything else in it is refused, not guessed.
read_checksum() {
  local file="$1" name="checksums/$version.sha256" line number=0 hint
  [ -s "$file" ] || fail "$name is empty: it should hold one \"<sha256>  <archive>\" line per target"
  expected=""
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    if [[ ! "$line" =~ ^([0-9a-f]{64})\ [\ *]([^/[:cntrl:]]+)$ ]]; then
      hint=""
      case "$line" in
        *$'\r') hint=" (it ends with CR: Windows line endings)" ;;
        SHA256\ \(*) hint=" (that is the BSD format)" ;;
      esac
      fail "$name line $number is not \"<sha256>  <archive>\" as sha256sum writes it$hint"
    fi
    [ "${BASH_REMATCH[2]}" = "$asset" ] || continue
    [ -z "$expected" ] || fail "$name has two lines for $asset"
    expected="${BASH_REMATCH[1]}"
  done <"$file"
  [ -n "$expected" ] || fail "$name has no line for $asset"
}

# Sets `mode` (download or build) and `reason` (why this runner builds). A build is of this
# checkout, so it is only ever chosen for this checkout's own version or for `source`.
plan() {
  local sums="$root/checksums/$version.sha256"
  mode=build
  if [ "$version" = source ]; then
    reason="version: source was asked for"
    return
  fi
  if [ "$version" != "$own_version" ]; then
    [ -n "$target" ] || fail "no prebuilt asset for $platform: use version: source (this checkout, $own_version), or the action at v$version"
    [ -e "$sums" ] || fail "this action has no checksums for version $version (checksums/$version.sha256): use servicestage-gate/servicestage-gate@v$version, whose checkout has them, or version: source"
  elif [ -z "$target" ]; then
    reason="no prebuilt asset for $platform: building this checkout ($version) from source"
    return
  elif [ ! -e "$sums" ]; then
    reason="no release checksums for $version in this checkout (checksums/$version.sha256; no release yet, or not a release tag): building this checkout ($version) from source"
    return
  fi
  read_checksum "$sums"
  mode=download
}

# Where the binary goes: the job's own RUNNER_TEMP, else a fresh private directory.
destination() {
  if [ -n "${RUNNER_TEMP:-}" ]; then
    dest="$RUNNER_TEMP/servicestage-gate-$version"
  else
    dest="$(mktemp -d "${TMPDIR:-/tmp}/servicestage-gate.XXXXXXXX")"
  fi
}

# One "<sha256>  <name>" line per source file, so renaming a file or moving a line from one
# file to another changes the key, then the toolchain and the platform; hashed whole.
source_digest() {
  (
    cd "$root"
    find Cargo.toml Cargo.lock src -type f | sort | while IFS= read -r file; do
      printf '%s  %s\n' "$(sha256_of "$file")" "$file"
    done
    printf 'rustc: %s\nplatform: %s\nimage: %s\n' "$(rustc -V 2>/dev/null || echo none)" "$platform" "${ImageOS:-}"
  ) | sha256_of_stdin
}

# The restored build is the one recorded: a regular file whose sha256 is in the record.
cached_build_is_intact() {
  local bin="$1" record="$2" line
  [ -f "$bin" ] && [ ! -L "$bin" ] && [ -f "$record" ] || return 1
  line="$(cat "$record")"
  [[ "$line" =~ ^([0-9a-f]{64})\ \ servicestage-gate(\.exe)?$ ]] || return 1
  [ "${BASH_REMATCH[1]}" = "$(sha256_of "$bin")" ]
}

build_from_source() {
  local bin="$dest/bin/servicestage-gate$exe" record="$dest/servicestage-gate.sha256" save=true
  if [ "${GATE_CACHE_HIT:-}" = true ]; then
    if cached_build_is_intact "$bin" "$record"; then
      say "reusing the build cached by an earlier run ($reason), sha256 $(sha256_of "$bin")"
      output "bin=$bin"
      return
    fi
    warn "the cached build does not match the sha256 recorded when it was built: building again, and not running it"
    rm -rf "$dest"
    # the cache keeps the entry it has under this key; it cannot be replaced
    save=false
  fi
  say "building from source: $reason"
  cargo install --locked --quiet --path "$root" --root "$dest"
  printf '%s  %s\n' "$(sha256_of "$bin")" "servicestage-gate$exe" >"$record"
  output "bin=$bin"
  output "save=$save"
}

# Sets `proto` for curl: https, or plain http to a loopback test server. The host is read from
# the URL's authority, and a user-info part (`http://127.0.0.1:x@host`) is refused.
check_release_url() {
  local rest authority host
  [[ ! "$release_url" =~ [[:space:][:cntrl:]\\] ]] || fail "GATE_RELEASE_URL holds spaces, backslashes or control characters"
  case "$release_url" in
    https://*) proto='=https' rest="${release_url#https://}" ;;
    http://*) proto='=http' rest="${release_url#http://}" ;;
    *) fail "GATE_RELEASE_URL must be an https:// URL: $release_url" ;;
  esac
  authority="${rest%%[/?#]*}"
  case "$authority" in *@*) fail "GATE_RELEASE_URL must not hold a user name or password: $release_url" ;; esac
  [ "$proto" = '=https' ] && return
  host="$authority"
  [[ "$authority" =~ ^(.*):[0-9]{1,5}$ ]] && host="${BASH_REMATCH[1]}"
  case "$host" in
    127.0.0.1 | localhost | '[::1]') ;;
    *) fail "GATE_RELEASE_URL must be https (plain http only to 127.0.0.1 or localhost): $release_url" ;;
  esac
}

# Downloads $1 to $2, refusing more than max_bytes whatever the server says about the length.
fetch() {
  local url="$1" file="$2" max_time="${GATE_DOWNLOAD_MAX_TIME:-300}" status size
  [[ "$max_time" =~ ^[1-9][0-9]{0,3}$ ]] || fail "GATE_DOWNLOAD_MAX_TIME must be 1 to 9999 seconds"
  say "downloading $url"
  # -q first: no ~/.curlrc can add options
  if curl -q --proto "$proto" --tlsv1.2 --fail --silent --show-error --location --max-redirs 5 \
    --connect-timeout 30 --max-time "$max_time" --max-filesize "$max_bytes" \
    --retry 3 --retry-delay 2 --retry-connrefused --retry-max-time "$max_time" \
    --output - "$url"; then
    echo 0 >"$file.status"
  else
    echo "$?" >"$file.status"
  fi | head -c "$((max_bytes + 1))" >"$file"
  status="$(cat "$file.status")"
  size="$(wc -c <"$file" | tr -d ' ')"
  [ "$size" -le "$max_bytes" ] || fail "$asset is larger than $max_bytes bytes: refusing it"
  case "$status" in
    0) ;;
    28) fail "downloading $asset took longer than $max_time s" ;;
    63) fail "$asset is larger than $max_bytes bytes: refusing it" ;;
    *) fail "could not download $url (curl exit $status)" ;;
  esac
}

# Unpacks exactly one entry, `servicestage-gate`, a regular file at the archive's top level,
# into $2; an archive with another file of that name anywhere is refused.
extract_binary() {
  local archive="$1" into="$2" name="servicestage-gate$exe" listing count kind
  listing="$(tar -tzf "$archive")" || fail "$asset is not a gzip tar archive"
  count="$(printf '%s\n' "$listing" | awk -v n="$name" '$0 == n || substr($0, length($0) - length(n)) == "/" n' | wc -l | tr -d ' ')"
  [ "$count" = 1 ] || fail "$asset holds $count files named $name, not exactly one: refusing it"
  printf '%s\n' "$listing" | grep -qxF "$name" || fail "$asset holds $name only inside a folder: refusing it"
  kind="$(tar -tvzf "$archive" "$name" | cut -c 1)" || fail "$asset: cannot list $name"
  [ "$kind" = - ] || fail "$name in $asset is not a regular file: refusing it"
  mkdir "$into"
  tar -xzf "$archive" -C "$into" --no-same-owner --no-same-permissions "$name"
}

download_release() {
  local work
  check_release_url
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: work is local
  trap "rm -rf '$work'" EXIT
  fetch "$release_url/v$version/$asset" "$work/$asset"
  local actual
  actual="$(sha256_of "$work/$asset")"
  [ "$actual" = "$expected" ] || fail "checksum mismatch for $asset: expected $expected, got $actual; refusing to run it"
  extract_binary "$work/$asset" "$work/unpacked"
  mkdir -p "$dest/bin"
  # a fresh file, mode 0755: no setuid bit or owner from the archive survives
  rm -f "$dest/bin/servicestage-gate$exe"
  install -m 0755 "$work/unpacked/servicestage-gate$exe" "$dest/bin/servicestage-gate$exe"
  say "installed $asset (sha256 $actual)"
  output "bin=$dest/bin/servicestage-gate$exe"
}

plan
if [ "${1:-}" = --cache-key ]; then
  if [ "$mode" = build ]; then
    [ -n "${RUNNER_TEMP:-}" ] || fail "--cache-key needs RUNNER_TEMP: it runs inside GitHub Actions"
    destination
    digest="$(source_digest)"
    output "key=servicestage-gate-$own_version-${platform//[^A-Za-z0-9._]/-}-$digest"
    output "path=$dest"
  fi
  exit 0
fi
destination
if [ "$mode" = build ]; then
  [ "$version" = source ] || warn "$reason"
  build_from_source
else
  download_release
fi
