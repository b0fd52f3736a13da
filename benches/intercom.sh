#!/usr/bin/env bash
# Intercom client under a rate limit: a burst of N contact creates into `ostmig sim`.
# Reports the achieved request rate as a fraction of the limit (the ceiling, measured in the
# same run), the 429s received, and checks every contact exists exactly once.
#   bash benches/intercom.sh [N] [RATE] [FAIL_RATE]     (defaults: 2000 100/10s 0)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ostmig-target}"
export OSTMIG_BENCH_N="${1:-2000}" OSTMIG_BENCH_RATE="${2:-100/10s}" OSTMIG_BENCH_FAIL_RATE="${3:-0}"
mkdir -p benches/results
cargo test --release --test intercom -- --ignored --nocapture burst_benchmark 2>&1 \
  | grep '^BENCH' | tee -a benches/results/intercom.txt
