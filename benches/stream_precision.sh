#!/usr/bin/env bash
# Precision in the stream: every document of ../shared/corpus/feeds as a local `path =` feed
# (backfill = "all", so every entry is judged), one `run --once --digest-now --json` with the
# shipped rule pack, then the matched entries listed from the database.
# Usage: benches/stream_precision.sh [corpus dir]   (prints the run summary and each match)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$(cd "${1:-$root/../shared/corpus/feeds}" && pwd)"
bin="$root/target/release/chipwatch"
[ -x "$bin" ] || cargo build --release --manifest-path "$root/Cargo.toml" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cfg="$work/chipwatch.toml"
{
  printf '[store]\npath = "%s/cw.db"\n\n[feeds]\nbackfill = "all"\n\n' "$work"
  printf '[mail]\nfrom = "cw <cw@localhost>"\ntransport = "file"\ndir = "%s/outbox"\n\n' "$work"
  printf '[rules]\ninclude = ["%s/config/rules/semiconductor-export.toml"]\n\n' "$root"
  printf '[[digest]]\nname = "all"\nto = ["a@example.org"]\n\n'
  n=0
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    printf '[[feed]]\npath = "%s"\nname = "corpus %d"\n\n' "$f" "$n"
  done < <(find "$corpus" -type f \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.json' -o -name '*.rdf' -o -name '*.html' -o -name '*.txt' -o -name '*.feed' \) -not -name 'MANIFEST*' -print0 | sort -z)
} > "$cfg"
echo "feeds: $(grep -c '^\[\[feed\]\]' "$cfg")" >&2
STATE_DIRECTORY="$work" "$bin" --config "$cfg" run --once --digest-now --json 2>"$work/log" | tail -1
python3 - "$work/cw.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
import json, os
rows = db.execute("""select e.title, m.rule, m.score, m.hits
  from matches m join entries e on e.id = m.entry_id order by e.id, m.rule""").fetchall()
verbose = os.environ.get("VERBOSE") == "1"
for t, rule, score, hits in rows:
    print(f"match: {t[:110]}  [{rule} {score}]")
    if verbose:
        terms = sorted({(h["term"], h["field"]) for h in json.loads(hits)})
        print("       " + ", ".join(f"{a} ({b})" for a, b in terms))
PY
