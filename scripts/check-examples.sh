#!/usr/bin/env bash
# Runs the C and C++ examples (chatbot against the chat server, quickstart, eventloop, pull and
# roundtrip against tests/server/server.js, siocat through its whole test suite, the C++
# wrapper's tests) once built with ASan+UBSan and once under valgrind. Any report fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet

# Runs "$@ URL" (a program, with an optional runner in front) against a fresh
# tests/server/server.js and returns its status.
against_server() {
  local log; log=$(mktemp)
  node tests/server/server.js >"$log" < <(sleep 120) &
  local server=$! port="" status=0
  for _ in $(seq 100); do
    port=$(sed -nE '1s/.*"port":([0-9]+).*/\1/p' "$log"); [ -n "$port" ] && break; sleep 0.1
  done
  "$@" "http://127.0.0.1:$port" || status=$?
  kill "$server"; rm -f "$log"
  return "$status"
}

# Runs examples-c's quickstart (with an optional runner) and checks what it printed.
quickstart() {
  local out; out=$(against_server "$@")
  echo "$out"
  [ "$out" = 'server says: ["hello",{"n":1}]' ] || { echo "quickstart: unexpected output" >&2; return 1; }
}

echo "== C examples under AddressSanitizer + UndefinedBehaviorSanitizer"
make -s -C examples-c BUILD=build-asan SANITIZE=address,undefined
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:exitcode=98
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
scripts/demo.sh examples-c/build-asan/chatbot
quickstart examples-c/build-asan/quickstart
against_server examples-c/build-asan/eventloop
against_server examples-c/build-asan/pull
against_server examples-c/build-asan/roundtrip
SIO_CPP_SANITIZE=address,undefined cargo test --quiet --test cpp
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
against_server $vg examples-c/build/roundtrip
SIO_CPP_RUNNER="$vg" cargo test --quiet --test cpp
SIOCAT_RUNNER="$vg" cargo test --quiet --test siocat
echo "C examples: no sanitizer or valgrind reports"
