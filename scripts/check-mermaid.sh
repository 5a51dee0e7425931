#!/usr/bin/env bash
# Renders every ```mermaid block of the given Markdown files with the real renderer
# (mermaid-cli driving the system Chromium) and fails on any block Mermaid cannot draw,
# and on a file without a block (a chart that went missing is a failure too).
#
#   scripts/check-mermaid.sh [--png] [--page] [--out DIR] FILE.md...
#
# Block N of FILE.md becomes DIR/FILE-N.svg (and DIR/FILE-N.png with --png, white
# background at twice the size). --page also draws the whole file, charts in place, as a
# page in the browser: DIR/FILE.html and a screenshot DIR/FILE-page.png (for docs/).
# Without --out the output goes to a temp dir.
# Installs what it needs into $MERMAID_CACHE (default ~/.cache/servicestage-gate-ci/mermaid):
# Chromium from apt when /usr/bin/chromium is missing, and mermaid-cli from npm with
# PUPPETEER_SKIP_DOWNLOAD=1, so nothing downloads a browser of its own.
set -euo pipefail

cli_version=12.2.0
cache="${MERMAID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/servicestage-gate-ci/mermaid}"
png=false
page=false
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --png) png=true; shift ;;
    --page) page=true; shift ;;
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

apt_updated=false
apt_install() {
  $apt_updated || apt-get update -qq
  apt_updated=true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
[ -x /usr/bin/chromium ] || apt_install chromium
if $page && ! fc-list | grep -q "Noto Color Emoji"; then
  # the summary's verdict icon (✅ ❌ ⚠️ 🛑) is an emoji; Chromium shows a box without one
  apt_install fonts-noto-color-emoji
fi
mmdc="$cache/node_modules/.bin/mmdc"
installed="$cache/installed-mermaid-cli-$cli_version"
if [ ! -f "$installed" ]; then
  # mermaid-cli 12 declares Node >= 22 but renders on Node 20 too; npm only warns.
  # marked turns a whole summary into a page for --page
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$cache" --no-audit --no-fund --silent \
    --engine-strict=false "@mermaid-js/mermaid-cli@$cli_version" marked@16.4.2 2>&1 |
    grep -v EBADENGINE >&2 || true
  [ "$("$mmdc" --version 2>/dev/null)" = "$cli_version" ] ||
    { echo "installing @mermaid-js/mermaid-cli@$cli_version failed" >&2; exit 1; }
  touch "$installed"
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
  if $png; then
    "$mmdc" -q -p "$config" -i "$markdown" -o "$out/$name.md" -e png -b white -s 2 || return 1
  fi
  # last, so $name.md links the SVGs for --page
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
  if $page; then
    node "$cache/page.mjs" "$out/$name.md" "$out/$name.html" "$out/$name-page.png" || return 1
  fi
}

# The Markdown that mmdc wrote (charts replaced by their SVGs) as a GitHub-like page, and
# a full-page screenshot of it in the same Chromium.
cat >"$cache/page.mjs" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { marked } from "marked";
import puppeteer from "puppeteer";
const [markdown, html, png] = process.argv.slice(2);
writeFileSync(html, `<!doctype html><meta charset="utf-8"><style>
body{font:14px -apple-system,"Segoe UI","Liberation Sans",sans-serif;color:#1f2328;width:860px;margin:24px}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:6px 13px}
code{background:#eff1f3;padding:2px 4px;border-radius:4px}img{max-width:100%}
</style>${marked.parse(readFileSync(markdown, "utf8"))}`);
const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const tab = await browser.newPage();
await tab.setViewport({ width: 908, height: 200 });
await tab.goto(pathToFileURL(html).href, { waitUntil: "load" });
await tab.screenshot({ path: png, fullPage: true });
await browser.close();
EOF

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
