#!/usr/bin/env bash
# Issue 17's check, side by side with the feedparser baseline on one generated workload
# (default 300 feeds) of the shared harness, whole-process user+sys CPU of `run --once` as
# /usr/bin/time reports it (start-up included):
#
#   cold       every feed new (nginx with ETag/Last-Modified)
#   304        nothing changed, validators honoured (all 304)
#   unchanged  nothing changed, server restarted with --no-validators (all 200, same bytes)
#
#   benches/steady_eval.sh [CHIPWATCH_BIN ...]     default: target/release/chipwatch
#   N=300 RUNS=3 PORT=8177 BENCH=/tmp/chipwatch-bench benches/steady_eval.sh new-bin old-bin
#
# Every binary and the baseline run once per round, in turn (A/B/A/B on a noisy machine);
# prints the medians per binary and the three ratios the issue asks for:
#   cold:      baseline cold CPU / chipwatch cold CPU             (>= 30)
#   unchanged: chipwatch unchanged CPU / chipwatch all-304 CPU   (<= 4)
#   vs base:   baseline unchanged CPU / chipwatch unchanged CPU  (>= 20)
# Uses a writable copy of ../shared/bench in $BENCH (created on first use, as pipeline.sh does).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-/tmp/chipwatch-bench}
N=${N:-300}
RUNS=${RUNS:-3}
PORT=${PORT:-8177}
BINS=("${@:-$ROOT/target/release/chipwatch}")

if [ ! -d "$BENCH" ]; then
  cp -r "$ROOT/../shared/bench" "$BENCH"
  chmod -R u+w "$BENCH"
fi
cd "$BENCH"
[ -x .venv/bin/python ] || ./install.sh
NAME="n${N}p${PORT}"
DATA="data/$NAME"
[ -f "$DATA/manifest.json" ] ||
  python3 gen_feeds.py --n "$N" --out "$DATA" --base-url "http://127.0.0.1:$PORT/$NAME" >/dev/null
OUT=$(mktemp -d /tmp/steady-eval.XXXXXX)
trap 'python3 serve.py stop --port "$PORT" >/dev/null 2>&1 || true' EXIT

serve() { # serve [--no-validators]
  python3 serve.py stop --port "$PORT" >/dev/null 2>&1 || true
  python3 serve.py start --port "$PORT" "$@" >/dev/null
}

timed() { # timed LABEL CMD… → appends "LABEL cpu_s rss_mib wall_s" to $OUT/times
  local label=$1
  shift
  /usr/bin/time -f "%U %S %M %e" -o "$OUT/t" "$@" >"$OUT/stdout" 2>"$OUT/stderr" || {
    echo "$label failed:" >&2
    tail -5 "$OUT/stderr" >&2
    exit 1
  }
  awk -v l="$label" '{ printf "%s %.3f %.1f %.2f\n", l, $1 + $2, $3 / 1024, $4 }' "$OUT/t" | tee -a "$OUT/times"
}

chipwatch_round() { # chipwatch_round KEY BIN
  local key=$1 bin=$2 state="$OUT/state-$1"
  rm -rf "$state"
  mkdir -p "$state"
  python3 mkconfig.py --base "$ROOT/config/chipwatch.toml" --out "$ROOT/config/.bench-eval-$key.toml" \
    --store "$state/chipwatch.db" --opml "$BENCH/$DATA/feeds.opml" --outbox "$state/outbox" >/dev/null
  local cmd=("$bin" run --once --digest-now --json --config "$ROOT/config/.bench-eval-$key.toml")
  serve
  timed "$key cold" "${cmd[@]}"
  timed "$key 304" "${cmd[@]}"
  serve --no-validators
  timed "$key unchanged" "${cmd[@]}"
  rm -f "$ROOT/config/.bench-eval-$key.toml"
}

baseline_round() {
  local state="$OUT/state-fp"
  rm -rf "$state"
  mkdir -p "$state"
  local cmd=(.venv/bin/python peers/fp_baseline.py --urls "$DATA/urls.txt" --db "$state/state.db"
    --rules rules.tsv --threads 8)
  serve
  timed "baseline cold" "${cmd[@]}"
  serve --no-validators
  timed "baseline unchanged" "${cmd[@]}"
}

echo "workload $DATA ($(du -sh "$DATA/feeds" | cut -f1)), $RUNS rounds, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
  for i in "${!BINS[@]}"; do
    chipwatch_round "cw$i" "${BINS[$i]}"
  done
  baseline_round
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { # median LABEL FIELD → median of that column over the rounds
  awk -v l="$1" -v f="$2" '$1 " " $2 == l { print $f }' "$OUT/times" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
fp_cold=$(median "baseline cold" 3)
fp_same=$(median "baseline unchanged" 3)
echo
echo "medians of $RUNS (CPU s = user+sys, peak RSS MiB):"
printf "  %-10s %-8s %-8s %s\n" peer pass cpu_s rss_mib
printf "  %-10s %-8s %-8s %s\n" baseline cold "$fp_cold" "$(median "baseline cold" 4)"
printf "  %-10s %-8s %-8s %s\n" baseline unchanged "$fp_same" "$(median "baseline unchanged" 4)"
for i in "${!BINS[@]}"; do
  cold=$(median "cw$i cold" 3)
  n304=$(median "cw$i 304" 3)
  same=$(median "cw$i unchanged" 3)
  for p in cold 304 unchanged; do
    printf "  %-10s %-8s %-8s %s\n" "cw$i" "$p" "$(median "cw$i $p" 3)" "$(median "cw$i $p" 4)"
  done
  echo "cw$i = ${BINS[$i]}"
  awk -v fc="$fp_cold" -v c="$cold" -v s="$same" -v n="$n304" -v fs="$fp_same" 'BEGIN {
    printf "  cold:      baseline / chipwatch       = %6.1fx  (want >= 30)\n", fc / c
    printf "  unchanged: chipwatch / own all-304   = %6.2fx  (want <= 4)\n", s / n
    printf "  vs base:   baseline / chipwatch       = %6.1fx  (want >= 20)\n", fs / s
  }'
done
echo "raw: $OUT/times"
