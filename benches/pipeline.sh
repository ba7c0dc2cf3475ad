#!/usr/bin/env bash
# Reproduces chipwatch's pipeline figures with the shared harness (../shared/bench):
# generated workload served by nginx with real ETag/304, SMTP sink, /usr/bin/time -v per pass.
#
#   benches/pipeline.sh [N ...]          default: 1000      (RUNS=3 PASSES=cold,repoll,update)
#
# Works on a writable copy of the harness in $BENCH (default /tmp/chipwatch-bench), created and
# installed on first use (apt: nginx, time, …; pip venv for the sink). Prints the harness'
# summary table (medians) at the end; raw records in $BENCH/results/raw.jsonl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Under /tmp, not $HOME: nginx workers run unprivileged and must be able to read the data.
BENCH=${BENCH:-/tmp/chipwatch-bench}
RUNS=${RUNS:-3}
PASSES=${PASSES:-cold,repoll,update}
SIZES=("${@:-1000}")

if [ ! -d "$BENCH" ]; then
  cp -r "$ROOT/../shared/bench" "$BENCH"
  chmod -R u+w "$BENCH"
fi
cd "$BENCH"
[ -x .venv/bin/python ] || ./install.sh
(cd "$ROOT" && cargo build --release)

python3 serve.py status >/dev/null 2>&1 || python3 serve.py start --access-log
.venv/bin/python smtp_sink.py start >/dev/null 2>&1 || true

for n in "${SIZES[@]}"; do
  [ -f "data/n$n/manifest.json" ] || python3 gen_feeds.py --n "$n"
  python3 bench.py run --peer daemon --n "$n" --runs "$RUNS" --passes "$PASSES" --project "$ROOT" \
    --daemon-cmd "$ROOT/target/release/chipwatch run --once --digest-now --json --config {config}"
done
python3 bench.py report
cat results/summary.md
