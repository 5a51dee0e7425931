#!/usr/bin/env bash
# Benchmarks servicestage-gate against what a user would write instead, side by side in one run:
#   1. end to end against a loopback fake ServiceStage (one page of 100 builds):
#      the gate, one `curl` request, and `curl | jq` doing the simplest check;
#   2. judging a saved response with --input and every history rule on (--window = builds),
#      against `jq` doing the simplest check on the same file, for 100, 1,000 and 10,000 builds,
#      with the gate's peak RSS;
#   3. a far region: the fake over TLS with 50 ms before each response, for one page, three
#      pages, and a job found by name with its commit's build and failed phase; per job the wall time
#      (median), requests, TCP connections and TLS handshakes (from the fake's /_stats) and the
#      ratio to the floor (requests x latency); and 5 jobs in one gate (--job) against one;
#   4. CodeArts Build (--backend codearts) beside ServiceStage, end to end over loopback against
#      a job of 10,000 builds an hour apart: the newest build, and --window 10000 with every
#      history rule on; wall, CPU, peak RSS and requests (the far-region table has CodeArts rows
#      too);
#   5. the action's install step: prebuilt (download from a loopback release server, checksum,
#      unpack), from source (`version: source`, a cold `cargo install`; BENCH_SOURCE=0 skips
#      it) and from source again with the build the action's cache restored.
# Wall times are medians (this machine is shared and noisy), CPU is user + system time.
# Prints the ratios. Needs root for apt-get where hyperfine, jq, curl, time, python3 or
# musl-tools are missing.
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

# The fake's CodeArts id for a job id that is not one: the hex of its bytes, padded to 32.
codearts_id() { printf '%32s' "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" | tr ' ' 0; }
cpu() { jq -r --arg name "$2" '.results[] | select(.command == $name) | .user + .system' "$1"; }
median() { jq -r --arg name "$2" '.results[] | select(.command == $name) | .median' "$1"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine makes timings noisy)"
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
g=$(median "$work/e2e.json" gate)
c=$(median "$work/e2e.json" curl)
cj=$(median "$work/e2e.json" "curl | jq")

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
  gi=$(median "$work/input-$n.json" "gate $n")
  ji=$(median "$work/input-$n.json" "jq $n")
  gc=$(cpu "$work/input-$n.json" "gate $n")
  jc=$(cpu "$work/input-$n.json" "jq $n")
  rows+=("| $n | $(stat -c %s "$file") | $(ms "$gi") | $(ms "$ji") | $(ratio "$gi" "$ji") | $(ms "$gc") | $(ms "$jc") | $(ratio "$gc" "$jc") | $rss KiB |")
done

echo
echo "== CodeArts Build beside ServiceStage: 10,000 builds an hour apart, over loopback"
start_server many --builds 10000
many="$(cat "$work/many.url")"
history=(--window 10000 --min-success-rate 50 --max-consecutive-failures 5 --max-duration-regression 50)
backends=("servicestage" "--job-id j --job-name n" "codearts" "--backend codearts --job-id $(codearts_id j) --job-name n")
many_rows=()
for i in 0 2; do
  backend="${backends[$i]}"
  read -r -a job <<<"${backends[$((i + 1))]}"
  for rules in newest history; do
    extra=()
    [ "$rules" = history ] && extra=("${history[@]}")
    command=("$gate" --endpoint "$many" "${job[@]}" "${extra[@]}")
    name="$backend, $rules"
    hyperfine --shell=none --warmup 2 --runs "$runs" --style basic --export-json "$work/many.json" \
      --command-name "$name" "${command[*]}"
    requests=$("${command[@]}" --format json | jq .requests)
    rss=$(/usr/bin/time -f %M "${command[@]}" 2>&1 >/dev/null | tail -n 1)
    many_rows+=("| $name | $(ms "$(median "$work/many.json" "$name")") | $(ms "$(cpu "$work/many.json" "$name")") | $requests | $rss KiB |")
  done
done

latency_ms=50
far_runs="${BENCH_FAR_RUNS:-30}"
echo
echo "== a far region: TLS and $latency_ms ms before each response ($far_runs runs each, medians)"
start_server far --builds 1000 --tls --latency "${latency_ms}ms" --jobs job-1,job-2,job-3,job-4,job-5
far="$(cat "$work/far.url")"
stats() { curl -s --cacert tests/fixtures/ca.pem "$far/_stats"; }
far_rows=()
hyperfine_flags=()
# far_case NAME GATE-ARGS...: one row of the far-region table; the fake's counters, read
# before and after, give each job's requests, connections and handshakes.
far_case() {
  local name="$1" before after
  shift
  before="$(stats)"
  # Without SSL_CERT_FILE, as on GitHub's runners: the gate adds that file's CAs to its roots,
  # and this machine's bundle is 200 KB of PEM to decode per job.
  env -u SSL_CERT_FILE hyperfine --shell=none "${hyperfine_flags[@]}" --warmup 2 --runs "$far_runs" --style basic --export-json "$work/far.json" \
    --command-name "$name" "$gate --endpoint $far --ca-cert tests/fixtures/ca.pem $*"
  after="$(stats)"
  local per_job wall floor
  per_job="$(jq -rn --argjson a "$after" --argjson b "$before" --argjson n $((far_runs + 2)) \
    '[$a.requests - $b.requests, $a.connections - $b.connections, $a.tls_handshakes - $b.tls_handshakes]
     | map(. / $n) | @tsv')"
  read -r requests connections handshakes <<<"$per_job"
  wall=$(median "$work/far.json" "$name")
  floor=$(awk -v r="$requests" -v l="$latency_ms" 'BEGIN { print r * l / 1000 }')
  far_rows+=("| $name | $(ms "$wall") | $requests | $connections | $handshakes | $(ms "$floor") | $(ratio "$wall" "$floor") |")
}
far_case "one job judged (one page)" --job-id job-1 --job-name build-1
far_case "window of 250 (three pages)" --job-id job-1 --job-name build-1 --window 250 --min-success-rate 50
# Several jobs in one gate: each job looks its id up (one job-list request) and reads one
# page, in parallel; the floor counts requests as if sent one after another, so a ratio
# under 1 means they overlapped. The target is 5 jobs within 1.5x the wall of one.
far_case "one job by name (lookup + one page)" --job job-1
one_job=$(median "$work/far.json" "one job by name (lookup + one page)")
far_case "5 jobs in one gate" --job job-1 --job job-2 --job job-3 --job job-4 --job job-5
five_jobs=$(median "$work/far.json" "5 jobs in one gate")
# CodeArts reads the newest window whole (the order within one is not documented): with
# 1,000 builds an hour apart that is 29 days of builds on 7 pages.
codearts_job=(--backend codearts --job-id "$(codearts_id job-1)" --job-name build-1)
far_case "CodeArts: one job judged (the newest window)" "${codearts_job[@]}"
far_case "CodeArts: window of 250 (the newest window)" "${codearts_job[@]}" --window 250 --min-success-rate 50
# The job by name (the job list), the build of a commit (list, then details newest first
# until the commit matches) and the phase that failed it: examples/commits.json's b3.
start_server far-commits --fixture examples/commits.json --tls --latency "${latency_ms}ms"
far="$(cat "$work/far-commits.url")"
lookup=(--job-name web-api --commit 3f5e0c6)
# The verdict is "fail" (exit 1) by design: check it once, then let hyperfine accept it.
set +e
verdict="$(env -u SSL_CERT_FILE "$gate" --endpoint "$far" --ca-cert tests/fixtures/ca.pem "${lookup[@]}" 2>&1)"
code=$?
set -e
if [ "$code" != 1 ] || ! grep -q "failed in phase Build" <<<"$verdict"; then
  echo "lookup case: expected exit 1 naming phase Build, got $code: $verdict" >&2
  exit 1
fi
hyperfine_flags=(--ignore-failure)
far_case "name lookup + commit match + failure phases" "${lookup[@]}"
# The same with CodeArts: the job list of a project, the builds with their commits (the
# search wants --window candidates, and the job has four builds: all twelve windows), and
# history-details of the failed build.
far_case "CodeArts: name lookup + commit match + failed step" --backend codearts \
  --codearts-project 6d1a0c3b5e7f48a9b2c4d6e8f0a1b3c5 "${lookup[@]}"
hyperfine_flags=()

echo
echo "== the action's install step"
version=9.9.9
asset="servicestage-gate-$version-x86_64-unknown-linux-musl.tar.gz"
mkdir -p "$work/release/v$version" "$work/action/scripts" "$work/action/checksums"
tar -czf "$work/release/v$version/$asset" -C "$(dirname "$gate")" servicestage-gate
cp scripts/install.sh "$work/action/scripts/"
cp Cargo.toml "$work/action/"
(cd "$work/release/v$version" && sha256sum "$asset") >"$work/action/checksums/$version.sha256"
python3 -u -m http.server --bind 127.0.0.1 0 --directory "$work/release" >"$work/release.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q 'port [0-9]' "$work/release.log" && break; sleep 0.1; done
release_url="http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$work/release.log" | head -n 1)"
hyperfine --shell=none --warmup 3 --runs 30 --style basic --export-json "$work/install.json" \
  --prepare "rm -rf $work/runner" --command-name prebuilt \
  "env GATE_VERSION=$version GATE_RELEASE_URL=$release_url RUNNER_TEMP=$work/runner bash $work/action/scripts/install.sh"
prebuilt=$(median "$work/install.json" prebuilt)
source_row="| from source, first run (cold \`cargo install\`) | skipped (BENCH_SOURCE=0) |"
if [ "${BENCH_SOURCE:-1}" != 0 ]; then
  start=$(date +%s.%N)
  # `cargo install --path` builds in the checkout's target/: point it at an empty one, as on
  # a fresh runner.
  CARGO_TARGET_DIR="$work/source-target" GATE_VERSION=source RUNNER_TEMP="$work/source" bash scripts/install.sh >/dev/null
  source_row="| from source, first run (cold \`cargo install\`) | $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }') |"
fi
# A later run of the workflow: actions/cache restored the build, install.sh reuses it.
mkdir -p "$work/cached/servicestage-gate-source/bin"
cp "$gate" "$work/cached/servicestage-gate-source/bin/"
hyperfine --shell=none --warmup 3 --runs 30 --style basic --export-json "$work/cached.json" \
  --command-name cached "env GATE_VERSION=source GATE_CACHE_HIT=true RUNNER_TEMP=$work/cached bash scripts/install.sh"
cached=$(median "$work/cached.json" cached)

echo
echo "## Results"
echo
echo "Wall times are hyperfine medians; CPU is hyperfine's mean user + system time."
echo
echo "| end to end (100 builds, loopback) | median | gate / this |"
echo "|---|---|---|"
echo "| servicestage-gate | $(ms "$g") | 1 |"
echo "| curl | $(ms "$c") | $(ratio "$g" "$c") (target <= 0.3) |"
echo "| curl \\| jq | $(ms "$cj") | $(ratio "$g" "$cj") (target <= 0.1) |"
echo
echo "| builds | file bytes | gate --input | jq | gate / jq (target <= 0.15) | gate CPU | jq CPU | CPU gate / jq | gate peak RSS (target <= 8192 KiB) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| 10,000 builds over loopback | wall (median) | CPU | requests | peak RSS |"
echo "|---|---|---|---|---|"
printf '%s\n' "${many_rows[@]}"

echo
echo "| far region: TLS, $latency_ms ms per response | wall (median) | requests | TCP connections | TLS handshakes | floor (requests x latency) | wall / floor (target <= 1.2) |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${far_rows[@]}"
echo
echo "5 jobs / one job by name, wall: $(ratio "$five_jobs" "$one_job") (target <= 1.5)"
echo
echo "| install step | time |"
echo "|---|---|"
echo "| prebuilt: download from loopback, checksum, unpack (median) | $(ms "$prebuilt") (target < 2 s) |"
echo "$source_row"
echo "| from source, later runs (build restored by actions/cache; median, restore itself not included) | $(ms "$cached") |"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
