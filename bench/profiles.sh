#!/usr/bin/env bash
# Builds the static gate with each release-profile option tried for issue 13, each in its own
# target dir under target/variants (so the real build is left alone; a rebuild is a no-op),
# and prints size and speed side by side: the 10,000-build `--input` case with every history
# rule on, as instructions (valgrind callgrind; repeatable) and as time (hyperfine, median
# wall and mean user + system CPU), against `jq` on the same file.
# One build takes 1 to 7 minutes depending on the machine's load. Needs what bench/run.sh
# needs, plus valgrind.
#   bash bench/profiles.sh                 # every option below
#   bash bench/profiles.sh s-fat 3-fat     # some of them
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${BENCH_RUNS:-100}"
# name -> settings on top of Cargo.toml's [profile.release] (lto = true, codegen-units = 1,
# panic = "abort", strip = true): environment variables, then cargo arguments
fat="CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort"
declare -A options=(
  [z-fat]="CARGO_PROFILE_RELEASE_OPT_LEVEL=z $fat"
  [s-fat]="CARGO_PROFILE_RELEASE_OPT_LEVEL=s $fat"
  [2-fat]="CARGO_PROFILE_RELEASE_OPT_LEVEL=2 $fat"
  [3-fat]="CARGO_PROFILE_RELEASE_OPT_LEVEL=3 $fat"
  [3-thin]="-- --config profile.release.opt-level=3 --config profile.release.lto=\"thin\""
  [s-fat-hot3]="-- --config profile.release.opt-level=\"s\" --config profile.release.package.serde_json.opt-level=3 --config profile.release.package.servicestage-gate.opt-level=3"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(z-fat s-fat 2-fat 3-fat 3-thin s-fat-hot3)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
file="$work/builds-10000.json"
cargo run --quiet --release --locked --example fake-servicestage -- --generate 10000 >"$file"
rules="--window 10000 --min-success-rate 50 --max-consecutive-failures 5 --max-duration-regression 50"

commands=()
for name in "${names[@]}"; do
  settings="${options[$name]}"
  variables="${settings%%--*}"
  arguments=""
  [[ "$settings" != *--* ]] || arguments="${settings#*-- }"
  # shellcheck disable=SC2086 # the settings are several words on purpose
  env CC_x86_64_unknown_linux_musl=musl-gcc $variables cargo build --quiet --release --locked \
    --target x86_64-unknown-linux-musl --target-dir "target/variants/$name" $arguments
  bin="target/variants/$name/x86_64-unknown-linux-musl/release/servicestage-gate"
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --input "$file" $rules \
    >/dev/null 2>"$work/$name.callgrind"
  echo "$(stat -c %s "$bin") $(sed -n 's/.*refs: *//p' "$work/$name.callgrind" | tr -d ,)" >"$work/$name.size"
  commands+=(--command-name "$name" "$bin --input $file $rules")
done
hyperfine --shell=none --warmup 5 --runs "$runs" --style basic --export-json "$work/times.json" \
  "${commands[@]}" --command-name jq "jq -e '.list[0].build_state == \"Successful\"' $file"

cpu() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .user + .system' "$work/times.json"; }
wall() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$work/times.json"; }
jq_cpu=$(cpu jq)
jq_wall=$(wall jq)
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| option | bytes (limit 2,621,440) | instructions | median wall | / jq | user+sys CPU | / jq |"
echo "|---|---|---|---|---|---|---|"
for name in "${names[@]}"; do
  read -r size instructions <"$work/$name.size"
  awk -v n="$name" -v s="$size" -v i="$instructions" -v w="$(wall "$name")" -v jw="$jq_wall" \
    -v c="$(cpu "$name")" -v jc="$jq_cpu" \
    'BEGIN { printf "| %s | %d | %d | %.2f ms | %.3f | %.2f ms | %.3f |\n", n, s, i, w * 1000, w / jw, c * 1000, c / jc }'
done
awk -v w="$jq_wall" -v c="$jq_cpu" 'BEGIN { printf "| jq 1.6 | | | %.2f ms | 1 | %.2f ms | 1 |\n", w * 1000, c * 1000 }'
