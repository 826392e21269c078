#!/usr/bin/env bash
# Runs the C examples (chatbot against the chat server, quickstart, eventloop and pull against
# the test server, siocat through its whole test suite) once built with ASan+UBSan and once
# under valgrind. Any report fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet

# Starts tests/server/server.js in the background: sets $server (its pid) and $url.
start_server() {
  local log; log=$(mktemp)
  node tests/server/server.js >"$log" < <(sleep 120) &
  server=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -nE '1s/.*"port":([0-9]+).*/\1/p' "$log"); [ -n "$port" ] && break; sleep 0.1
  done
  rm -f "$log"
  url="http://127.0.0.1:$port"
}

# Runs examples-c's quickstart (with an optional runner) against tests/server/server.js.
quickstart() {
  start_server
  local out; out=$("$@" "$url")
  kill "$server"
  echo "$out"
  [ "$out" = 'server says: ["hello",{"n":1}]' ] || { echo "quickstart: unexpected output" >&2; return 1; }
}

# Runs an example that checks what it receives itself (eventloop, pull: non-zero exit on any
# surprise), with an optional runner, against tests/server/server.js.
against_server() {
  start_server
  local rc=0
  "$@" "$url" || rc=$?
  kill "$server"
  return "$rc"
}

echo "== C examples under AddressSanitizer + UndefinedBehaviorSanitizer"
make -s -C examples-c BUILD=build-asan SANITIZE=address,undefined
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:exitcode=98
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
scripts/demo.sh examples-c/build-asan/chatbot
quickstart examples-c/build-asan/quickstart
against_server examples-c/build-asan/eventloop
against_server examples-c/build-asan/pull
SIOCAT="$root/examples-c/build-asan/siocat" cargo test --quiet --test siocat
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== C examples under valgrind (memcheck, full leak check)"
make -s -C examples-c
# scripts/valgrind.supp: only what ring's AES-GCM assembly makes memcheck misread (see there).
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --num-callers=40 --suppressions=$root/scripts/valgrind.supp"
scripts/demo.sh examples-c/build/chatbot -- $vg
quickstart $vg examples-c/build/quickstart
against_server $vg examples-c/build/eventloop
against_server $vg examples-c/build/pull
SIOCAT_RUNNER="$vg" cargo test --quiet --test siocat
echo "C examples: no sanitizer or valgrind reports"
