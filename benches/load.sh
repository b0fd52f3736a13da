#!/usr/bin/env bash
# The load at Intercom's limit: a full `ostmig load` (every phase, the schema included) of a
# generated help desk into `ostmig sim` behaving like the live API under load — 250 ± 100 ms a
# request, 1666 calls per app and 4166 per workspace in each 10-second window (10,000 and
# 25,000 a minute), 429 storms — with one app's token and with three; beside it, in the same
# run on the same help desk, the loader of an earlier commit (fixed concurrency).
#
#   bash benches/load.sh [--tickets 200,5000] [--baseline REV] [--baseline-tickets 200]
#                        [--storm-rate 0.00005] [--latency 250] [--jitter 100]
#
# Per load: calls the simulator answered (429s apart), wall seconds, calls/min, the fraction of
# the limit (10,000/min for one app, 25,000/min, the workspace's, for three), the same fraction
# of the time no storm was refusing everything, ostmig's and the simulator's peak memory, the
# simulator's CPU (it must not be what limits the load) and the cost of saving its state file,
# and whether every ticket, contact and company arrived exactly once. The table is printed and
# written to benches/results/load-<time>.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
TICKETS="200,5000"
BASELINE=""
BASELINE_TICKETS="200"
STORM_RATE="0.00005"
LATENCY=250
JITTER=100
while [ $# -gt 0 ]; do
  case "$1" in
    --tickets) TICKETS="$2"; shift 2 ;;
    --baseline) BASELINE="$2"; shift 2 ;;
    --baseline-tickets) BASELINE_TICKETS="$2"; shift 2 ;;
    --storm-rate) STORM_RATE="$2"; shift 2 ;;
    --latency) LATENCY="$2"; shift 2 ;;
    --jitter) JITTER="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ostmig-target}"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
command -v duckdb >/dev/null || pip install -q duckdb-cli
WORK="$(mktemp -d)"
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The binaries are copied out of the target directory, so a build during the benchmark
# cannot swap them underneath it.
cargo build --release --locked --quiet
cp "$CARGO_TARGET_DIR/release/ostmig" "$WORK/ostmig"
if [ -n "$BASELINE" ]; then
  rev=$(git rev-parse --short "$BASELINE")
  cached="$HOME/.cache/ostmig-baseline/$rev/ostmig"
  if [ ! -x "$cached" ]; then
    echo "building the baseline loader at $rev (once; kept in $(dirname "$cached"))" >&2
    git worktree add -q --detach "$WORK/baseline-src" "$rev"
    (cd "$WORK/baseline-src" && cargo build --release --locked --quiet)
    mkdir -p "$(dirname "$cached")"
    cp "$CARGO_TARGET_DIR/release/ostmig" "$cached"
    git worktree remove --force "$WORK/baseline-src"
    # Put this checkout's binary back: cargo finds this checkout's build fresh and would not
    # copy it over the baseline's again, so the tests would run the baseline.
    rm -f "$CARGO_TARGET_DIR/release/ostmig"
    cp "$WORK/ostmig" "$CARGO_TARGET_DIR/release/ostmig"
  fi
  cp "$cached" "$WORK/ostmig-$rev"
fi

# A help desk of N tickets staged, signed off, probed and transformed by BINARY's own demo;
# the ledger emptied, so every load starts from nothing into a fresh local Intercom.
prepare() { # BINARY N DIR
  local bin="$1" n="$2" dir="$3" stop=()
  "$bin" demo --help | grep -q -- --stop-before-load && stop=(--stop-before-load)
  echo "preparing $n tickets with $(basename "$bin")" >&2
  "$bin" demo --no-mariadb --tickets "$n" --dir "$dir" "${stop[@]}" > "$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; return 1; }
  duckdb "$dir/migration.duckdb" -c "DELETE FROM load.ledger; DELETE FROM load.phase_result; DELETE FROM load.contact_match;"
}

: > "$WORK/rows"
# One full load: LABEL BINARY DIR APPS [load options…]
measure() {
  local label="$1" bin="$2" dir="$3" apps="$4"; shift 4
  cp "$dir/migration.duckdb" "$WORK/run.duckdb"
  rm -f "$WORK/run.duckdb.wal"
  rm -f "$WORK/sim-state.json"
  "$WORK/ostmig" sim --listen 127.0.0.1:0 --seed "$dir/workspace.json" --state "$WORK/sim-state.json" \
    --latency-ms "$LATENCY" --latency-jitter-ms "$JITTER" --storm-rate "$STORM_RATE" \
    > "$WORK/sim.out" 2> "$WORK/sim.err" &
  SIM_PID=$!
  local url=""
  for _ in $(seq 1 100); do
    url=$(head -1 "$WORK/sim.out" 2>/dev/null | awk '{print $NF}')
    [ -n "$url" ] && break
    sleep 0.1
  done
  : > "$WORK/tokens"
  for i in $(seq 1 "$apps"); do echo "bench-app-$i-$RANDOM" >> "$WORK/tokens"; done
  local rc=0
  OSTMIG_INTERCOM_TOKEN_FILE="$WORK/tokens" /usr/bin/time -f '%e %M' -o "$WORK/time" \
    "$bin" load --db "$WORK/run.duckdb" --intercom-url "$url" --apply --json "$@" \
    > "$WORK/load.out" 2> "$WORK/load.err" || rc=$?
  if [ "$rc" -gt 1 ]; then echo "$label failed (exit $rc):" >&2; tail -5 "$WORK/load.err" >&2; fi
  curl -s "$url/__sim/stats" > "$WORK/stats.json"
  local sim_kb sim_cpu
  sim_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SIM_PID/status")
  # The simulator's CPU seconds (user + system): it must not be what limits the load.
  sim_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$SIM_PID/stat")
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""
  read -r secs ostmig_kb < "$WORK/time"
  # Exactly once: every ticket (tasks are tickets too), contact and company the ledger
  # created is in the workspace once, and the workspace holds no other.
  local ledger
  ledger=$(duckdb -noheader -csv "$WORK/run.duckdb" -c "SELECT
      count(*) FILTER (object_type IN ('ticket', 'task') AND status = 'created'),
      count(*) FILTER (object_type = 'contact' AND status = 'created'),
      count(*) FILTER (object_type = 'company' AND status = 'created'),
      count(*) FILTER (status NOT IN ('created', 'existing'))
    FROM load.ledger")
  python3 - "$label" "$apps" "$secs" "$ostmig_kb" "$sim_kb" "$ledger" "$WORK/stats.json" "$sim_cpu" >> "$WORK/rows" <<'PY'
import json, sys
label, apps, secs, ostmig_kb, sim_kb, ledger, stats, sim_cpu = sys.argv[1:]
s = json.load(open(stats))
apps, secs = int(apps), float(secs)
served = sum(s["counts"]["by_operation"].values())
throttled = sum(a["throttled"] for a in s["counts"]["by_app"].values())
storm_seconds = 2 * s["faults"]["storms"]
limit = min(apps * 10000, 25000)
per_min = served * 60 / secs
tickets, contacts, companies, unsettled = (int(x) for x in ledger.split(","))
o = s["objects"]
once = (o["tickets"], o["contacts"], o["companies"]) == (tickets, contacts, companies) and unsettled == 0
print(",".join(str(x) for x in [
    label, apps, served, throttled, f"{secs:.1f}", f"{per_min:.0f}", limit,
    f"{per_min / limit:.3f}", f"{served * 60 / max(secs - storm_seconds, 1) / limit:.3f}",
    s["faults"]["storms"], f"{int(ostmig_kb) / 1024:.0f}", f"{int(sim_kb) / 1024:.0f}",
    sim_cpu, f"{float(sim_cpu) * 1000 / max(served + throttled, 1):.2f}",
    s["counts"]["saves"], f"{s['counts']['save_seconds']:.1f}",
    "yes" if once else f"NO ({o} vs ledger {ledger})"]))
PY
  echo "$(tail -1 "$WORK/rows")" >&2
}

IFS=, read -r -a sizes <<< "$TICKETS"
for n in "${sizes[@]}"; do
  prepare "$WORK/ostmig" "$n" "$WORK/new-$n"
  if [ -n "$BASELINE" ] && [[ ",$BASELINE_TICKETS," == *",$n,"* ]]; then
    prepare "$WORK/ostmig-$rev" "$n" "$WORK/base-$n"
    measure "$n tickets · $rev · fixed 8 in flight" "$WORK/ostmig-$rev" "$WORK/base-$n" 1
  fi
  measure "$n tickets · adaptive · 1 app" "$WORK/ostmig" "$WORK/new-$n" 1
  measure "$n tickets · adaptive · 3 apps" "$WORK/ostmig" "$WORK/new-$n" 3
done

mkdir -p benches/results
csv="benches/results/load-$(date -u +%Y%m%dT%H%M%SZ).csv"
{
  echo "load,apps,calls,throttled,seconds,calls_per_min,limit_per_min,fraction_of_limit,fraction_outside_storms,storms,ostmig_peak_mb,sim_peak_mb,sim_cpu_s,sim_cpu_ms_per_request,sim_saves,sim_save_s,exactly_once"
  cat "$WORK/rows"
} > "$csv"
column -s, -t < "$csv"
echo "written to $csv (latency ${LATENCY}±${JITTER} ms, storm rate $STORM_RATE)" >&2
