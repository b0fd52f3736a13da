#!/usr/bin/env bash
# Split throughput: ostmig's streaming cleaner (lol_html) against a full-DOM baseline (html5ever
# via scraper: parse, serialise, extract text) on the same thread entry bodies, alternating A/B on
# one core in one run; plus `ostmig split` end to end (both cores, reading and writing DuckDB).
# Prints medians and the ratio; writes CSV to benches/results/.
#   bash benches/split.sh [TICKETS] [ROUNDS]      defaults: 200000 tickets, 5 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
TICKETS="${1:-200000}"
ROUNDS="${2:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ostmig-target}"
PORT="${OSTMIG_TEST_MYSQL_PORT:-33306}"
DB="ostmig_bench_${TICKETS}"
OSTMIG="$CARGO_TARGET_DIR/release/ostmig"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
. benches/fixture_db.sh

cargo build --release --locked --quiet --bench split_throughput
BENCH=$(ls -t "$CARGO_TARGET_DIR"/release/deps/split_throughput-* | grep -v '\.d$' | head -1)
OSTMIG_MYSQL_PASSWORD=ro-pass "$OSTMIG" snapshot --source "mysql://ostmig_ro@127.0.0.1:$PORT/$DB" \
  --db "$WORK/s.duckdb" --json > /dev/null 2>&1

: > "$WORK/runs"
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) -eq 1 ]; then order="ostmig dom"; else order="dom ostmig"; fi
  for mode in $order; do
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BENCH" "$WORK/s.duckdb" "$mode" > "$WORK/out"
    read -r m secs bytes bodies < "$WORK/out"
    echo "$m $secs $(cat "$WORK/rss") $bytes $bodies" >> "$WORK/runs"
  done
  echo "round $i/$ROUNDS done" >&2
done
/usr/bin/time -f '%e %M' -o "$WORK/e2e" "$OSTMIG" split --db "$WORK/s.duckdb" --json > "$WORK/split.json" || true
read -r e2e_secs e2e_rss < "$WORK/e2e"
entries=$(grep -o '"entries": [0-9]*' "$WORK/split.json" | grep -o '[0-9]*$')

bytes=$(awk 'NR==1{print $4}' "$WORK/runs")
bodies=$(awk 'NR==1{print $5}' "$WORK/runs")
o_t=$(awk '$1=="ostmig"{print $2}' "$WORK/runs" | median)
d_t=$(awk '$1=="dom"{print $2}' "$WORK/runs" | median)
o_m=$(awk '$1=="ostmig"{print $3}' "$WORK/runs" | median)
d_m=$(awk '$1=="dom"{print $3}' "$WORK/runs" | median)
mkdir -p benches/results
csv="benches/results/split-${TICKETS}-$(date -u +%Y%m%dT%H%M%SZ).csv"
{
  echo "what,tickets,bodies,html_bytes,median_seconds,mb_per_second,peak_rss_kb,speedup_vs_dom"
  awk -v t="$TICKETS" -v n="$bodies" -v b="$bytes" -v ot="$o_t" -v dt="$d_t" -v om="$o_m" -v dm="$d_m" 'BEGIN {
    printf "ostmig_cleaner_1_core,%s,%s,%s,%.3f,%.1f,%s,%.2f\n", t, n, b, ot, b/ot/1e6, om, dt/ot
    printf "full_dom_html5ever_1_core,%s,%s,%s,%.3f,%.1f,%s,1.00\n", t, n, b, dt, b/dt/1e6, dm
  }'
  awk -v t="$TICKETS" -v n="$entries" -v b="$bytes" -v s="$e2e_secs" -v m="$e2e_rss" 'BEGIN {
    printf "ostmig_split_end_to_end,%s,%s,%s,%.2f,%.1f,%s,\n", t, n, b, s, b/s/1e6, m
  }'
} > "$csv"
column -s, -t < "$csv"
echo "written to $csv" >&2
