#!/usr/bin/env bash
# A short libFuzzer run of every cargo-fuzz target in fuzz/ (the decoders of what a server
# sends, and the cookie jar that keeps what it sets), starting from the committed seeds in fuzz/corpus/; exits non-zero if a target
# crashes, fails an assertion or hangs. CI runs it (.ci/run); `make test` does not.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default 20)
#
# Installs cargo-fuzz (pinned, from crates.io) if it is missing. cargo-fuzz passes nightly
# compiler flags (sanitizer, coverage): RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# New inputs go to a temporary directory (the committed corpus stays as it is); a crashing
# input is saved under fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qF "$version"; then
  cargo install cargo-fuzz --version "$version" --locked
fi
export RUSTC_BOOTSTRAP=1

cargo fuzz build --fuzz-dir fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list --fuzz-dir fuzz); do
  echo "== fuzz $target (${seconds} s)"
  mkdir -p "$work/$target"
  log="$work/$target.log"
  if ! cargo fuzz run --fuzz-dir fuzz "$target" "$work/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz-smoke: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::peak_rss_mb)' "$log"
done
echo "fuzz-smoke: every target ran ${seconds} s without a crash"
