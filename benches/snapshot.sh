#!/usr/bin/env bash
# Snapshot throughput: `ostmig snapshot` against the physical limit, a raw `mariadb --quick` read
# of the same tables (inside one consistent-snapshot transaction) to /dev/null, alternating A/B
# in one run. Prints medians and the ratio; writes CSV to benches/results/.
#   bash benches/snapshot.sh [TICKETS] [ROUNDS]      defaults: 200000 tickets, 3 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
TICKETS="${1:-200000}"
ROUNDS="${2:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ostmig-target}"
PORT="${OSTMIG_TEST_MYSQL_PORT:-33306}"
DB="ostmig_bench_${TICKETS}"
OSTMIG="$CARGO_TARGET_DIR/release/ostmig"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

. benches/fixture_db.sh

# The baseline reads exactly the tables ostmig copies, in one consistent transaction.
{
  echo "SET SESSION time_zone='+00:00'; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;"
  admin -N -B -e "SELECT CONCAT('SELECT * FROM \`', TABLE_NAME, '\`;') FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE 'ost\\_%' AND TABLE_TYPE='BASE TABLE'"
  echo "COMMIT;"
} > "$WORK/baseline.sql"

run_ostmig() {
  rm -f "$WORK/b.duckdb" "$WORK/b.duckdb.wal"
  /usr/bin/time -f '%e %M' -o "$WORK/time" env OSTMIG_MYSQL_PASSWORD=ro-pass "$OSTMIG" snapshot \
    --source "mysql://ostmig_ro@127.0.0.1:$PORT/$DB" --db "$WORK/b.duckdb" --json > "$WORK/summary.json" 2>/dev/null
  read -r secs rss < "$WORK/time"
  echo "ostmig $secs $rss"
}
run_baseline() {
  /usr/bin/time -f '%e %M' -o "$WORK/time" env MYSQL_PWD=ro-pass mariadb --quick -N -B -h 127.0.0.1 -P "$PORT" -u ostmig_ro "$DB" < "$WORK/baseline.sql" > /dev/null
  read -r secs rss < "$WORK/time"
  echo "mysql_quick $secs $rss"
}

: > "$WORK/runs"
for i in $(seq 1 "$ROUNDS"); do
  # Alternate the order so neither side always gets the warmer cache.
  if [ $((i % 2)) -eq 1 ]; then run_ostmig >> "$WORK/runs"; run_baseline >> "$WORK/runs"; else run_baseline >> "$WORK/runs"; run_ostmig >> "$WORK/runs"; fi
  echo "round $i/$ROUNDS done" >&2
done

rows=$(grep -o '"rows": [0-9]*' "$WORK/summary.json" | grep -o '[0-9]*$')
bytes=$(grep -o '"bytes": [0-9]*' "$WORK/summary.json" | grep -o '[0-9]*$')
o_t=$(awk '$1=="ostmig"{print $2}' "$WORK/runs" | median)
b_t=$(awk '$1=="mysql_quick"{print $2}' "$WORK/runs" | median)
o_m=$(awk '$1=="ostmig"{print $3}' "$WORK/runs" | median)
b_m=$(awk '$1=="mysql_quick"{print $3}' "$WORK/runs" | median)
mkdir -p benches/results
csv="benches/results/snapshot-${TICKETS}-$(date -u +%Y%m%dT%H%M%SZ).csv"
{
  echo "tool,tickets,rows,bytes,median_seconds,rows_per_second,mb_per_second,peak_rss_kb,ratio_vs_mysql_quick"
  awk -v t="$TICKETS" -v r="$rows" -v b="$bytes" -v ot="$o_t" -v bt="$b_t" -v om="$o_m" -v bm="$b_m" 'BEGIN {
    printf "ostmig_snapshot,%s,%s,%s,%.2f,%.0f,%.1f,%s,%.2f\n", t, r, b, ot, r/ot, b/ot/1e6, om, ot/bt
    printf "mysql_quick_to_devnull,%s,%s,%s,%.2f,%.0f,%.1f,%s,1.00\n", t, r, b, bt, r/bt, b/bt/1e6, bm
  }'
} > "$csv"
column -s, -t < "$csv"
echo "written to $csv" >&2
