#!/usr/bin/env bash
# Profiles libsio's hot paths over WebSocket with callgrind, which counts instructions rather
# than time, so the figures repeat on a loaded machine: compare them before and after a change.
#
#   bench/profile.sh [N_SMALL N_LARGE]      (default 5000 50000; TOP=n functions, default 40)
#
# For client → server emit (sio_bench c2s) and server → client receive (sio_bench s2c), it runs
# the whole client process (all its threads) under callgrind twice, with N_SMALL and N_LARGE
# messages, and prints
#   - instructions per message = (Ir(N_LARGE) − Ir(N_SMALL)) / (N_LARGE − N_SMALL), which
#     cancels start-up, connection and teardown;
#   - the top functions by inclusive cost in the N_LARGE run (callgrind_annotate).
# Output files: target/bench/callgrind.<scenario>.<N>.out (open them with callgrind_annotate or
# kcachegrind). Needs what `make bench` builds (run it, or `python3 bench/run.py --smoke`, first).
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-5000}
large=${2:-50000}
out=target/bench
[ -x "$out/sio_bench" ] || { echo "profile.sh: build first (make bench-smoke)" >&2; exit 1; }
export no_proxy="${no_proxy:+$no_proxy,}127.0.0.1"

# The bench server, alive as long as this script holds its stdin open.
coproc SERVER { exec node bench/server.js; }
read -r line <&"${SERVER[0]}"
port=$(sed 's/[^0-9]//g' <<<"$line")
url="http://127.0.0.1:$port"
trap 'exec {SERVER[1]}>&-; wait' EXIT

total_ir() { grep -m1 '^totals:' "$1" | awk '{print $2}'; }

for scenario in c2s s2c; do
  for n in "$small" "$large"; do
    args=("$scenario" "$url" "$n")
    [ "$scenario" = c2s ] && args+=(websocket)
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$scenario.$n.out" \
      "$out/sio_bench" "${args[@]}" >/dev/null 2>"$out/callgrind.$scenario.$n.log" \
      || { cat "$out/callgrind.$scenario.$n.log" >&2; exit 1; }
  done
  a=$(total_ir "$out/callgrind.$scenario.$small.out")
  b=$(total_ir "$out/callgrind.$scenario.$large.out")
  echo "== $scenario: $a Ir with $small messages, $b Ir with $large:" \
    "$(( (b - a) / (large - small) )) instructions per message"
  callgrind_annotate --inclusive=yes "$out/callgrind.$scenario.$large.out" 2>/dev/null \
    | grep -E '^ *[0-9,]+ \(' | head -"${TOP:-40}" || true
  echo
done
