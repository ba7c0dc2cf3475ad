#!/usr/bin/env bash
# Renders the HTML part of a realistic digest (the offline demo's sample feeds) in headless
# Chromium and writes a PNG, to look at the digest as a reader would.
#
#   benches/screenshot.sh [OUT.png]        default: target/digest-preview.png
#
# Installs Debian's chromium and CJK fonts when missing (apt, as root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/digest-preview.png}
if ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
fc-list 2>/dev/null | grep -qi "noto.*cjk" || apt-get install -y -qq fonts-noto-cjk >/dev/null || true
(cd "$ROOT" && cargo build --release -q)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export STATE_DIRECTORY="$WORK/state"
BIN="$ROOT/target/release/chipwatch"
# The demo's one digest, as mailed (`--digest-now`: alert-rule stories such as the Entity List
# additions go into it too, instead of a separate alert), and its HTML part as a page.
"$BIN" run --once --digest-now --config "$ROOT/config/demo.toml" >/dev/null
python3 - "$STATE_DIRECTORY"/demo-outbox/*.eml >"$WORK/digest.html" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
sys.stdout.write(msg.get_body(preferencelist=("html",)).get_content())
PY
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/chromium" --window-size=900,1800 --hide-scrollbars \
  --screenshot="$OUT" "file://$WORK/digest.html" 2>/dev/null
echo "wrote $OUT"
