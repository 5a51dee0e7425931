#!/usr/bin/env bash
# Renders every ```mermaid block of the given Markdown files with the real renderer
# (mermaid-cli driving the system Chromium) and fails on any block Mermaid cannot draw,
# and on a file without a block (a chart that went missing is a failure too).
#
#   scripts/check-mermaid.sh [--png] [--out DIR] FILE.md...
#
# Block N of FILE.md becomes DIR/FILE-N.svg (and DIR/FILE-N.png with --png, white
# background at twice the size, for docs/). Without --out the output goes to a temp dir.
# Installs what it needs into $MERMAID_CACHE (default ~/.cache/servicestage-gate-ci/mermaid):
# Chromium from apt when /usr/bin/chromium is missing, and mermaid-cli from npm with
# PUPPETEER_SKIP_DOWNLOAD=1, so nothing downloads a browser of its own.
set -euo pipefail

cli_version=12.2.0
cache="${MERMAID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/servicestage-gate-ci/mermaid}"
png=false
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --png) png=true; shift ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--png] [--out DIR] FILE.md..." >&2; exit 2; }
if [ -z "$out" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$cache" "$out"

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
mmdc="$cache/node_modules/.bin/mmdc"
if [ "$("$mmdc" --version 2>/dev/null)" != "$cli_version" ]; then
  # mermaid-cli 12 declares Node >= 22 but renders on Node 20 too; npm only warns.
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$cache" --no-audit --no-fund --silent \
    --engine-strict=false "@mermaid-js/mermaid-cli@$cli_version" 2>&1 | grep -v EBADENGINE >&2 || true
  [ -x "$mmdc" ] || { echo "installing @mermaid-js/mermaid-cli@$cli_version failed" >&2; exit 1; }
fi
config="$cache/puppeteer-config.json"
printf '%s\n' '{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox"]}' >"$config"

# Renders every block of one Markdown file in one browser session; mmdc exits non-zero on
# a parse error, and an SVG carrying Mermaid's error drawing counts as a failure too.
check() {
  local markdown="$1" name blocks drawn
  name="$(basename "$markdown" .md)"
  blocks="$(grep -c '^```mermaid[[:space:]]*$' "$markdown" || true)"
  if [ "$blocks" -eq 0 ]; then
    echo "$markdown: no mermaid block" >&2
    return 1
  fi
  "$mmdc" -q -p "$config" -i "$markdown" -o "$out/$name.md" -e svg || return 1
  drawn="$(find "$out" -maxdepth 1 -name "$name-*.svg" | wc -l)"
  if [ "$drawn" -ne "$blocks" ]; then
    echo "$markdown: $blocks mermaid block(s) but $drawn drawn" >&2
    return 1
  fi
  if grep -l -e 'Syntax error' -e 'aria-roledescription="error"' "$out/$name"-*.svg >&2; then
    echo "$markdown: Mermaid drew an error box (files above)" >&2
    return 1
  fi
  if $png; then
    "$mmdc" -q -p "$config" -i "$markdown" -o "$out/$name.md" -e png -b white -s 2 || return 1
  fi
}

failed=0
for markdown in "$@"; do
  if check "$markdown"; then
    echo "mermaid ok: $markdown"
  else
    echo "mermaid FAILED: $markdown" >&2
    failed=$((failed + 1))
  fi
done
echo "mermaid: $(($# - failed)) of $# file(s) render (output in $out)"
[ "$failed" -eq 0 ]
