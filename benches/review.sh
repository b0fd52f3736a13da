#!/usr/bin/env bash
# How fast `ostmig review` opens a long ticket: the demo's generated help desk with one ticket's
# thread grown to ENTRIES entries (copies of the desk's own entries, a few minutes apart), split
# and transformed; then, in one run with the order rotated every round, the server's answer,
# Debian's headless Chromium opening the page (its load event: the first screen's bodies
# framed) and every body framed (the page's script frames the rest as the reader scrolls, and
# then all of them) for
#   long        the long ticket's first page (100 lines)
#   long-last   its last page
#   short       an ordinary ticket of the same desk (its median length): the baseline
# The ratios against the ordinary ticket say what the length costs; the goal is under a second.
#
#   bash benches/review.sh [--entries 5000] [--rounds 7]
#
# Needs chromium and chromium-driver (Debian) and the duckdb shell, as .ci/run installs them.
# Prints a table and writes benches/results/review-<time>.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES=5000
ROUNDS=7
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) ENTRIES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ostmig-target}"
OSTMIG="$CARGO_TARGET_DIR/release/ostmig"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build --release --locked --quiet
cargo build --release --locked --quiet --bench review_open
BENCH=$(ls -t "$CARGO_TARGET_DIR"/release/deps/review_open-* | grep -v '\.d$' | head -1)

echo "preparing the demo's help desk" >&2
"$OSTMIG" demo --no-mariadb --tickets 200 --dir "$WORK/d" --stop-before-load > "$WORK/demo.log" 2>&1 \
  || { tail -20 "$WORK/demo.log" >&2; exit 1; }
DB="$WORK/d/migration.duckdb"

# The longest ticket's thread grows to ENTRIES entries: the desk's own entries copied in turn.
duckdb "$DB" > /dev/null <<SQL
CREATE TEMP TABLE target AS
  SELECT th.id AS thread_id, count(e.id) AS entries, max(e.created) AS last
  FROM raw.thread th JOIN raw.thread_entry e ON e.thread_id = th.id
  WHERE th.object_type = 'T'
  GROUP BY th.id ORDER BY entries DESC, th.id LIMIT 1;
CREATE TEMP TABLE donors AS
  SELECT e.*, row_number() OVER (ORDER BY e.id) - 1 AS k
  FROM raw.thread_entry e JOIN raw.thread th ON th.id = e.thread_id AND th.object_type = 'T'
  WHERE e.body IS NOT NULL AND length(e.body) > 0;
INSERT INTO raw.thread_entry
  SELECT d.* EXCLUDE (k) REPLACE (
           ((SELECT max(id) FROM raw.thread_entry) + g)::UINTEGER AS id,
           0::UINTEGER AS pid,
           (SELECT thread_id FROM target)::UINTEGER AS thread_id,
           (SELECT last FROM target) + g * INTERVAL 7 MINUTE AS created,
           NULL AS updated)
  FROM range(1, $ENTRIES - (SELECT entries FROM target) + 1) r(g)
  JOIN donors d ON d.k = g % (SELECT count(*) FROM donors);
SQL
"$OSTMIG" split --db "$DB" > "$WORK/split.log" 2>&1 || true
"$OSTMIG" transform --db "$DB" --config "$WORK/d/ostmig.toml" > "$WORK/transform.log" 2>&1 \
  || { tail -20 "$WORK/transform.log" >&2; exit 1; }

read -r LONG LONG_ENTRIES LONG_LINES < <(duckdb -noheader -csv "$DB" -c "
  SELECT t.number, count(*) FILTER (WHERE r.source_kind IS NOT NULL AND r.source_kind <> 'event'), count(*)
  FROM reports.rpt_review_thread r JOIN staging.stg_tickets t USING (ticket_id)
  GROUP BY t.number ORDER BY 3 DESC LIMIT 1" | tr ',' ' ')
read -r SHORT SHORT_ENTRIES SHORT_LINES < <(duckdb -noheader -csv "$DB" -c "
  WITH n AS (SELECT t.number, count(*) FILTER (WHERE r.source_kind IS NOT NULL AND r.source_kind <> 'event') AS entries, count(*) AS lines
             FROM reports.rpt_review_thread r JOIN staging.stg_tickets t USING (ticket_id) GROUP BY t.number)
  SELECT number, entries, lines FROM n
  ORDER BY abs(lines - (SELECT median(lines) FROM n)), number LIMIT 1" | tr ',' ' ')
LAST_PAGE=$(( (LONG_LINES + 99) / 100 ))
echo "long ticket #$LONG: $LONG_ENTRIES entries, $LONG_LINES lines ($LAST_PAGE pages); ordinary ticket #$SHORT: $SHORT_ENTRIES entries, $SHORT_LINES lines" >&2

"$BENCH" "$OSTMIG" "$DB" "$ROUNDS" \
  "long=$LONG?shown=outbox" "long-last=$LONG?shown=outbox&page=$LAST_PAGE" "short=$SHORT?shown=outbox" \
  > "$WORK/out"
cat "$WORK/out" >&2

mkdir -p benches/results
CSV="benches/results/review-$(date -u +%Y%m%dT%H%M%SZ).csv"
awk -v le="$LONG_ENTRIES" -v ll="$LONG_LINES" -v se="$SHORT_ENTRIES" -v sl="$SHORT_LINES" -v raw="$ENTRIES" '
  { label[NR] = $1; server[NR] = $2; load[NR] = $3; full[NR] = $4; nav[NR] = $5; bytes[NR] = $6; lines[NR] = $7 }
  $1 == "short" { s_server = $2; s_load = $3; s_full = $4 }
  END {
    print "page,entries,lines_in_ticket,lines_shown,bytes,server_ms,load_event_ms,all_framed_ms,webdriver_ms,server_vs_short,load_vs_short,framed_vs_short,opens_under_1s"
    for (i = 1; i <= NR; i++) {
      e = (label[i] == "short") ? se : le; l = (label[i] == "short") ? sl : ll
      printf "%s,%d,%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%.2f,%.2f,%.2f,%s\n", label[i], e, l, lines[i], bytes[i],
        server[i], load[i], full[i], nav[i], server[i] / s_server, load[i] / s_load, full[i] / s_full,
        (load[i] + 0 < 1000 ? "yes" : "no")
    }
  }' "$WORK/out" > "$CSV"
column -s, -t < "$CSV"
echo "written to $CSV" >&2
