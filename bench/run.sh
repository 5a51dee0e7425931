#!/usr/bin/env bash
# Benchmarks servicestage-gate against what a user would write instead, side by side in one run:
#   1. end to end against a loopback fake ServiceStage (one page of 100 builds):
#      the gate, one `curl` request, and `curl | jq` doing the simplest check;
#   2. judging a saved response with --input and every history rule on (--window = builds),
#      against `jq` doing the simplest check on the same file, for 100, 1,000 and 10,000 builds,
#      with the gate's peak RSS;
#   3. a far region: the fake over TLS with 50 ms before each response; per job the wall time
#      (median), requests, TCP connections and TLS handshakes (from the fake's /_stats) and the
#      ratio to the floor (requests x latency);
#   4. the action's install step: prebuilt (download from a loopback release server, checksum,
#      unpack) and from source (`version: source`, a cold `cargo install`; BENCH_SOURCE=0 skips it).
# Prints the ratios. Needs root for apt-get where hyperfine, jq, curl, time or musl-tools are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${BENCH_RUNS:-200}"
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
rustup target add x86_64-unknown-linux-musl >/dev/null

CC_x86_64_unknown_linux_musl=musl-gcc cargo build --quiet --release --locked --target x86_64-unknown-linux-musl
cargo build --quiet --release --locked --example fake-servicestage
gate="$PWD/target/x86_64-unknown-linux-musl/release/servicestage-gate"
server="$PWD/target/release/examples/fake-servicestage"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mean() { jq -r --arg name "$2" '.results[] | select(.command == $name) | .mean' "$1"; }
median() { jq -r --arg name "$2" '.results[] | select(.command == $name) | .median' "$1"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "gate: $(file -b "$gate" | cut -d, -f1,2,4), $(stat -c %s "$gate") bytes; $(hyperfine --version); $(curl --version | head -n 1 | cut -d' ' -f1-2); $(jq --version)"

# start_server NAME ARGS...: starts the fake in the background; its URL lands in $work/NAME.url
start_server() {
  local name="$1"
  shift
  "$server" --port 0 "$@" >"$work/$name.url" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$work/$name.url" ] && break; sleep 0.1; done
}
start_server loopback --builds 100
url="$(cat "$work/loopback.url")"
api="$url/assembling/v1/jobs/job-1/builds?name=build-1&page=1&per_page=100"
export SERVICESTAGE_TOKEN=bench-token

echo
echo "== end to end, one page of 100 builds over loopback ($runs runs each)"
hyperfine --shell=none --warmup 20 --runs "$runs" --style basic --export-json "$work/e2e.json" \
  --command-name gate "$gate --endpoint $url --job-id job-1 --job-name build-1" \
  --command-name curl "curl -s -o /dev/null -H X-Auth-Token:bench-token $api" \
  --command-name "curl | jq" "sh -c 'curl -s -H X-Auth-Token:bench-token \"$api\" | jq -e \".list[0].build_state == \\\"Successful\\\"\" >/dev/null'"
g=$(mean "$work/e2e.json" gate)
c=$(mean "$work/e2e.json" curl)
cj=$(mean "$work/e2e.json" "curl | jq")

echo
echo "== --input with every history rule on, against jq on the same file"
rows=()
for n in 100 1000 10000; do
  file="$work/builds-$n.json"
  "$server" --generate "$n" >"$file"
  judge="$gate --input $file --window $n --min-success-rate 50 --max-consecutive-failures 5 --max-duration-regression 50"
  hyperfine --shell=none --warmup 10 --runs "$runs" --style basic --export-json "$work/input-$n.json" \
    --command-name "gate $n" "$judge" \
    --command-name "jq $n" "jq -e '.list[0].build_state == \"Successful\"' $file"
  rss=$(/usr/bin/time -f %M $judge 2>&1 >/dev/null | tail -n 1)
  gi=$(mean "$work/input-$n.json" "gate $n")
  ji=$(mean "$work/input-$n.json" "jq $n")
  rows+=("| $n | $(stat -c %s "$file") | $(ms "$gi") | $(ms "$ji") | $(ratio "$gi" "$ji") | $rss KiB |")
done

echo
echo "## Results"
echo
echo "| end to end (100 builds, loopback) | mean | gate / this |"
echo "|---|---|---|"
echo "| servicestage-gate | $(ms "$g") | 1 |"
echo "| curl | $(ms "$c") | $(ratio "$g" "$c") (target <= 0.3) |"
echo "| curl \\| jq | $(ms "$cj") | $(ratio "$g" "$cj") (target <= 0.1) |"
echo
echo "| builds | file bytes | gate --input | jq | gate / jq (target <= 0.15) | gate peak RSS (target <= 8192 KiB) |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
