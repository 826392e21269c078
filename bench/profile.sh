#!/usr/bin/env bash
# Profiles libsio's hot paths with callgrind, which counts instructions rather
# than time, so the figures repeat on a loaded machine: compare them before and after a change.
#
#   bench/profile.sh [N_SMALL N_LARGE]      (default 5000 50000; TOP=n functions, default 40)
#
# For client → server emit (sio_bench c2s, over WebSocket and over long-polling) and server →
# client receive (sio_bench s2c, WebSocket), it runs the whole client process (all its threads)
# under callgrind twice, with N_SMALL and N_LARGE messages, and prints
#   - instructions per message = (Ir(N_LARGE) − Ir(N_SMALL)) / (N_LARGE − N_SMALL), which
#     cancels start-up, connection and teardown;
#   - the top functions by inclusive instructions per message, the same difference taken per
#     function (callgrind_annotate's file:function lines; one function may appear under
#     several files when code was inlined into it from them).
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

# Each name is the sio_bench scenario and, for c2s, the transport.
for scenario in c2s-websocket s2c c2s-polling; do
  for n in "$small" "$large"; do
    args=("${scenario%%-*}" "$url" "$n")
    [ "$scenario" != "${scenario%%-*}" ] && args+=("${scenario#*-}")
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$scenario.$n.out" \
      "$out/sio_bench" "${args[@]}" >/dev/null 2>"$out/callgrind.$scenario.$n.log" \
      || { cat "$out/callgrind.$scenario.$n.log" >&2; exit 1; }
  done
  a=$(total_ir "$out/callgrind.$scenario.$small.out")
  b=$(total_ir "$out/callgrind.$scenario.$large.out")
  echo "== $scenario: $a Ir with $small messages, $b Ir with $large:" \
    "$(( (b - a) / (large - small) )) instructions per message"
  echo "   top functions, inclusive instructions per message (the same difference, per function):"
  python3 - "$out/callgrind.$scenario.$small.out" "$out/callgrind.$scenario.$large.out" \
    "$small" "$large" "${TOP:-40}" <<'PY'
import re, subprocess, sys
small_out, large_out, small, large, top = sys.argv[1:]
def inclusive(path):
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no", "--threshold=100", path],
                          capture_output=True, text=True, check=True).stdout
    costs = {}
    for m in re.finditer(r"^\s*([\d,]+) \([ \d.]+%\)\s+(.*?)(?: \[.*\])?$", text, re.M):
        name = re.sub(r"^/[^ ]*?/registry/src/[^/]+/|^/rustc/[0-9a-f]+/|^/[^ ]*?/(?=src/)", "",
                      m.group(2))
        if name != "PROGRAM TOTALS" and ":" in name and not name.startswith("=>"):
            costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs
a, b = inclusive(small_out), inclusive(large_out)
per_msg = {k: (v - a.get(k, 0)) / (int(large) - int(small)) for k, v in b.items()}
for name, cost in sorted(per_msg.items(), key=lambda kv: -kv[1])[: int(top)]:
    print(f"{cost:8.0f}  {name}")
PY
  echo
done
