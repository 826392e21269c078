#!/usr/bin/env bash
# Runs the thread-safety stress tests (tests/stress.rs driving tests/c/stress.c against the test
# server) under ThreadSanitizer, ASan+UBSan and valgrind memcheck, and the other C tests under
# ASan+UBSan and valgrind. Any report fails the run. (`cargo test` runs the stress tests once
# without tools.)
#
# ThreadSanitizer on stable Rust: libsio and its dependencies are built instrumented with
# -Zsanitizer=thread (RUSTC_BOOTSTRAP=1 unlocks the flag; -Cunsafe-allow-abi-mismatch lets them
# link to the uninstrumented standard library, as there is no build-std on stable) into
# target/tsan, and linked statically with the C program (compiled with gcc -fsanitize=thread)
# and rustc's own TSan runtime, which matches the LLVM that instrumented the Rust code (gcc's
# libtsan lacks functions it calls). Because std is not instrumented, TSan would miss the
# acquire half of std's Arc (a fence, which TSan does not model): force_seq_cst_atomics makes
# every atomic operation synchronize, which hides no race on plain memory. scripts/tsan.supp
# holds the one suppression left, inside std. A program with a deliberate race is then run to
# show that the detector reports races (a build that silently lost TSan would pass otherwise).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=target/stress
mkdir -p "$out"
cargo build --quiet

host=$(rustc -vV | sed -n 's/^host: //p')
sysroot=$(rustc --print sysroot)
tsan_rt="$sysroot/lib/rustlib/$host/lib/librustc-stable_rt.tsan.a"
tsan_lib="target/tsan/$host/debug/libsio.a"
cflags=(-std=c11 -g -Wall -Wextra -Werror -pedantic -Iinclude)
# What libsio.a needs from the system (see examples-c/Makefile).
static_libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
asan_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:exitcode=98 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
# scripts/valgrind.supp: only what ring's AES-GCM assembly makes memcheck misread (see there).
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --num-callers=40 --suppressions=$root/scripts/valgrind.supp"

echo "== stress tests under ThreadSanitizer"
# --target: build scripts and proc macros stay uninstrumented (they run inside cargo/rustc).
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
  cargo build --quiet --lib --target "$host" --target-dir target/tsan
tsan_build() { # OUTPUT [CFLAGS...]
  local exe=$1; shift
  gcc "${cflags[@]}" -fsanitize=thread "$@" -c tests/c/stress.c -o "$exe.o"
  gcc -o "$exe" "$exe.o" "$tsan_lib" -Wl,--whole-archive "$tsan_rt" -Wl,--no-whole-archive "${static_libs[@]}"
}
tsan_build "$out/stress-tsan"
tsan_build "$out/stress-tsan-race" -DSTRESS_INJECT_RACE
export TSAN_OPTIONS="force_seq_cst_atomics=1 suppressions=$root/scripts/tsan.supp"
SIO_STRESS="$out/stress-tsan" cargo test --quiet --test stress
# The detector works: the deliberate race is reported (and fails the test).
if report=$(SIO_STRESS="$out/stress-tsan-race" cargo test --quiet --test stress eight_threads 2>&1); then
  echo "ThreadSanitizer did not report the injected race" >&2; exit 1
fi
grep -q "Location is global 'injected_race'" <<<"$report" \
  || { echo "the injected race failed otherwise:" >&2; echo "$report" >&2; exit 1; }
echo "ThreadSanitizer reports the injected race (STRESS_INJECT_RACE), and nothing in the real test"
unset TSAN_OPTIONS

echo "== stress tests under AddressSanitizer + UndefinedBehaviorSanitizer"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer tests/c/stress.c -o "$out/stress-asan" \
  -Ltarget/debug -lsio -Wl,-rpath,"$root/target/debug" -lpthread
env "${asan_env[@]}" SIO_STRESS="$out/stress-asan" cargo test --quiet --test stress

echo "== stress tests under valgrind (memcheck, full leak check)"
SIO_STRESS_RUNNER="$vg" cargo test --quiet --test stress

echo "== the other C tests (tests/c/header_check.c, tests/install/consumer.c) under ASan+UBSan and valgrind"
# consumer.c connects where nothing listens and must see the connect_error (check-install.sh
# runs it against the installed library, here it runs against target/debug).
for test in tests/c/header_check.c tests/install/consumer.c; do
  exe="$out/$(basename "$test" .c)"
  gcc "${cflags[@]}" "$test" -o "$exe" -Ltarget/debug -lsio -Wl,-rpath,"$root/target/debug"
  gcc "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer "$test" -o "$exe-asan" \
    -Ltarget/debug -lsio -Wl,-rpath,"$root/target/debug"
  env "${asan_env[@]}" "$exe-asan" http://127.0.0.1:1 >/dev/null
  $vg "$exe" http://127.0.0.1:1 >/dev/null
done
echo "stress and C tests: no ThreadSanitizer, sanitizer or valgrind reports"
