#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600), two at a time, seeding the corpora from
# examples/ and the signing vectors. Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install --locked cargo-fuzz
# Findings land in fuzz/artifacts/<target>/; the summary line per target gives executions.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
targets=(response config signing)

mkdir -p corpus/response corpus/config corpus/signing logs
for f in ../examples/*.json; do
  # the response target reads its first byte as rule knobs
  { printf '\x7f'; cat "$f"; } > "corpus/response/$(basename "$f")"
done
printf -- '--input\0-\0--max-duration\0020m\0--window\0005\0\0SERVICESTAGE_MIN_SUCCESS_RATE=95%%\0' > corpus/config/seed
printf -- '--job-id\0j\0--job-name\0n\0--endpoint\0http://127.0.0.1:8080/\0\0SERVICESTAGE_TOKEN=t\0' > corpus/config/seed-api
printf '/assembling/v1/jobs/job%%20id%%3A1/builds\nname=my%%20build&page=2&per_page=50\nHost:x\tContent-Type:application/json\n' > corpus/signing/seed

cargo +nightly fuzz build --release
run() {
  cargo +nightly fuzz run --release "$1" "corpus/$1" -- -max_total_time="$seconds" -print_final_stats=1 \
    > "logs/$1.log" 2>&1 || echo "$1: FOUND A FAILURE, see logs/$1.log and artifacts/$1/"
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "logs/$1.log" | sed "s/^/$1 /" || true
}
run "${targets[0]}" & run "${targets[1]}" & wait
run "${targets[2]}"
