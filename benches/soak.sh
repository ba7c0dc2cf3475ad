#!/usr/bin/env bash
# Soak test: the `chipwatch run` daemon against N ever-changing loopback feeds for a while,
# sampling its memory, file descriptors and database; then SIGTERM and a verdict.
#
#   benches/soak.sh [--feeds 1000] [--cycles 200] [--interval 2s] [--keep]
#
# * builds the release binary;
# * starts benches/soak_server.py (stdlib Python) on a free 127.0.0.1 port: N feeds of ~20 items,
#   each gaining one item every --interval (ETag/Last-Modified/304; ~5 % relevant items);
# * writes a config in a temp dir: [feeds] interval = --interval, min_interval "1s",
#   max_interval "10s"; [store] keep_days = 0.002 (~3 min, so retention works within the run);
#   [http] per_host_concurrency = 16; file transport; a digest every minute ("* * * * *");
# * runs `chipwatch run`, and every --interval samples VmRSS, open fds, DB size (db + wal) and
#   the entries count, for --cycles cycles;
# * SIGTERMs the daemon (it must exit 0 within 30 s) and prints first/median/last/max of each
#   series with a verdict: RSS GROWING when the median of the last quarter of the samples exceeds
#   1.2 × the median of the first quarter (likewise reported for fds).
#
# Exit status: 0 ok, 1 daemon problem (died, bad exit, slow shutdown), 2 RSS GROWING.
# The work dir (config, daemon.log, samples.tsv, outbox) is removed unless --keep or failure.
set -euo pipefail

FEEDS=1000
CYCLES=200
INTERVAL=2s
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --feeds) FEEDS=$2; shift 2 ;;
    --cycles) CYCLES=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
# --interval: "2s", "2", "500ms" or "1m" → seconds (may be fractional).
case "$INTERVAL" in
  *ms) SECS=$(awk "BEGIN{print ${INTERVAL%ms}/1000}") ;;
  *s) SECS=${INTERVAL%s} ;;
  *m) SECS=$(awk "BEGIN{print ${INTERVAL%m}*60}") ;;
  *) SECS=$INTERVAL; INTERVAL="${INTERVAL}s" ;;
esac
# chipwatch durations are whole units; feed it whole seconds (at least 1).
CW_INTERVAL="$(awk "BEGIN{s=int($SECS+0.5); if (s<1) s=1; print s}")s"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/chipwatch"
echo "== building release binary"
(cd "$ROOT" && cargo build --release --quiet)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chipwatch-soak.XXXXXX")
SERVER_PID=""
DAEMON_PID=""
STATUS=0
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then kill -KILL "$DAEMON_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ] || [ "$STATUS" != 0 ]; then
    echo "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'STATUS=130; exit 130' INT TERM

echo "== feed server: $FEEDS feeds, a new item per feed every ${SECS}s"
python3 "$ROOT/benches/soak_server.py" --feeds "$FEEDS" --change-every "$SECS" \
  --port-file "$WORK/port" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "feed server did not start:"; cat "$WORK/server.log"; STATUS=1; exit 1; }
PORT=$(cat "$WORK/port")

write_config() { # $1 = 1 to include keep_days
  {
    if [ "$1" = 1 ]; then printf '[store]\nkeep_days = 0.002\n\n'; fi
    cat <<EOF
[feeds]
backfill = "all"
interval = "$CW_INTERVAL"
min_interval = "1s"
max_interval = "10s"

[http]
per_host_concurrency = 16
timeout = "10s"

[mail]
from = "chipwatch soak <soak@localhost>"
transport = "file"
dir = "outbox"

[[rule]]
name = "ec"
query = '"export controls" OR "Entity List"'

[[digest]]
name = "soak"
to = ["soak@localhost"]
schedule = "* * * * *"
timezone = "UTC"

EOF
    for ((i = 0; i < FEEDS; i++)); do
      printf '[[feed]]\nurl = "http://127.0.0.1:%s/f/%d.rss"\nname = "Soak %d"\n' "$PORT" "$i" "$i"
    done
  } >"$WORK/chipwatch.toml"
}
write_config 1
cd "$WORK"
if ! "$BIN" --config chipwatch.toml check-config >"$WORK/check.log" 2>&1; then
  echo "check-config rejects [store] keep_days; dropping it:"
  sed 's/^/  /' "$WORK/check.log" | head -5
  write_config 0
  if ! "$BIN" --config chipwatch.toml check-config >"$WORK/check.log" 2>&1; then
    echo "check-config still fails:"; cat "$WORK/check.log"; STATUS=1; exit 1
  fi
fi

echo "== daemon: chipwatch run (work dir $WORK)"
env -u STATE_DIRECTORY -u CHIPWATCH_CONFIG RUST_LOG=warn \
  "$BIN" --config chipwatch.toml run >"$WORK/daemon.out" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
DB="$WORK/chipwatch-state/chipwatch.db"

entries() { # read-only count while the daemon runs (WAL readers don't block it)
  python3 - "$DB" <<'PY' 2>/dev/null || echo -1
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
print(c.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
PY
}
db_bytes() {
  local t=0 f s
  for f in "$DB" "$DB-wal" "$DB-shm"; do
    if [ -f "$f" ]; then s=$(stat -c %s "$f"); t=$((t + s)); fi
  done
  echo "$t"
}

printf 'cycle\tt_s\trss_kib\tfds\tdb_bytes\tentries\n' >"$WORK/samples.tsv"
START=$(date +%s.%N)
echo "== $CYCLES cycles of ${SECS}s"
for ((c = 1; c <= CYCLES; c++)); do
  sleep "$SECS"
  if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    wait "$DAEMON_PID" && rc=0 || rc=$?
    echo "DAEMON DIED after cycle $c with exit status $rc; last log lines:"
    tail -20 "$WORK/daemon.log"
    DAEMON_PID=""
    STATUS=1; exit 1
  fi
  rss=$(awk '/^VmRSS:/{print $2}' "/proc/$DAEMON_PID/status" 2>/dev/null || echo 0)
  fds=$(ls "/proc/$DAEMON_PID/fd" 2>/dev/null | wc -l)
  dbb=$(db_bytes)
  ent=$(entries)
  t=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $START}")
  printf '%d\t%s\t%s\t%s\t%s\t%s\n' "$c" "$t" "$rss" "$fds" "$dbb" "$ent" >>"$WORK/samples.tsv"
  if [ "$c" = 1 ] || [ $((c % 10)) = 0 ] || [ "$c" = "$CYCLES" ]; then
    printf '  cycle %4d/%d  t=%6ss  rss=%6d KiB  fds=%4d  db=%8.2f MiB  entries=%d\n' \
      "$c" "$CYCLES" "$t" "$rss" "$fds" "$(awk "BEGIN{print $dbb/1048576}")" "$ent"
  fi
done

echo "== SIGTERM"
T0=$(date +%s.%N)
kill -TERM "$DAEMON_PID"
rc=""
for _ in $(seq 300); do
  if ! kill -0 "$DAEMON_PID" 2>/dev/null; then break; fi
  sleep 0.1
done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
  echo "DAEMON DID NOT EXIT within 30 s of SIGTERM; killing it"
  kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=""
  STATUS=1
else
  wait "$DAEMON_PID" && rc=0 || rc=$?
  DAEMON_PID=""
  STOP=$(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $T0}")
  echo "daemon exited with status $rc after ${STOP}s"
  [ "$rc" = 0 ] || STATUS=1
fi

SERVER_STATS=$(curl -s "http://127.0.0.1:$PORT/stats" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:$PORT/stats').read().decode())" 2>/dev/null || echo '{}')
OUTBOX=$(ls "$WORK/chipwatch-state/outbox" 2>/dev/null | grep -c '\.eml$' || true)
LOGW=$(grep -c ' WARN ' "$WORK/daemon.log" || true)
LOGE=$(grep -c ' ERROR ' "$WORK/daemon.log" || true)

rc=0
python3 - "$WORK/samples.tsv" "$FEEDS" "$CYCLES" "$SECS" "$SERVER_STATS" "$OUTBOX" "$LOGW" "$LOGE" <<'PY' || rc=$?
import json, statistics, sys
path, feeds, cycles, secs, stats, outbox, logw, loge = sys.argv[1:9]
rows = [l.rstrip("\n").split("\t") for l in open(path)][1:]
cols = {"rss_kib": 2, "fds": 3, "db_bytes": 4, "entries": 5}
series = {k: [int(r[i]) for r in rows] for k, i in cols.items()}
n = len(rows)
q = max(1, n // 4)

def fmt(k, v):
    if k == "rss_kib":
        return f"{v / 1024:.1f} MiB"
    if k == "db_bytes":
        return f"{v / 1048576:.2f} MiB"
    return str(v)

print()
print(f"soak: {feeds} feeds, {n} samples every {secs}s ({float(secs) * n:.0f}s)")
print(f"{'series':<10}{'first':>12}{'median':>12}{'last':>12}{'max':>12}{'Q1 med':>12}{'Q4 med':>12}")
verdicts = {}
for k, s in series.items():
    med = statistics.median(s)
    q1 = statistics.median(s[:q])
    q4 = statistics.median(s[-q:])
    print(f"{k:<10}{fmt(k, s[0]):>12}{fmt(k, int(med)):>12}{fmt(k, s[-1]):>12}{fmt(k, max(s)):>12}{fmt(k, int(q1)):>12}{fmt(k, int(q4)):>12}")
    verdicts[k] = (q1, q4)
try:
    st = json.loads(stats)
except ValueError:
    st = {}
print(f"feed server: {st}")
print(f"digests written: {outbox}; daemon log: {logw} WARN, {loge} ERROR lines")
q1, q4 = verdicts["rss_kib"]
growing = q4 > q1 * 1.2
print(f"RSS verdict: {'GROWING' if growing else 'stable'} (last-quarter median {q4/1024:.1f} MiB vs first-quarter {q1/1024:.1f} MiB, x{q4 / q1 if q1 else 0:.2f})")
# SQLite's page cache (PRAGMA cache_size=-16000 in src/store: up to ~15.6 MiB) fills as the
# database grows, so RSS rises legitimately until the DB is larger than that. Judge again on
# the samples taken after the DB passed 16 MiB, when there are enough of them.
CACHE = 16_000 * 1024
after = [r for r, d in zip(series["rss_kib"], series["db_bytes"]) if d > CACHE]
if len(after) >= 8:
    qa = max(1, len(after) // 4)
    a1, a4 = statistics.median(after[:qa]), statistics.median(after[-qa:])
    print(f"RSS once the DB exceeds the page cache ({len(after)} samples): {'GROWING' if a4 > a1 * 1.2 else 'stable'} ({a1/1024:.1f} -> {a4/1024:.1f} MiB, x{a4 / a1:.2f})")
else:
    print(f"RSS once the DB exceeds the page cache: n/a (only {len(after)} samples with DB > 15.6 MiB; "
          "growth below that size includes SQLite cache warm-up - run longer or with more feeds)")
f1, f4 = verdicts["fds"]
print(f"fd verdict: {'GROWING' if f4 > f1 * 1.2 + 2 else 'stable'} ({f1:g} -> {f4:g})")
sys.exit(3 if growing else 0)
PY
if [ "$rc" = 3 ] && [ "$STATUS" = 0 ]; then STATUS=2; elif [ "$rc" != 0 ] && [ "$rc" != 3 ]; then STATUS=1; fi
if [ "$LOGE" != 0 ]; then echo "first ERROR lines:"; grep ' ERROR ' "$WORK/daemon.log" | head -5; fi
exit "$STATUS"
