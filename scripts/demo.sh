#!/usr/bin/env bash
# Runs examples-c/chatbot against the bundled chat server (tests/server/chat-server.js) and
# shows the conversation. Usage: scripts/demo.sh [CHATBOT_BINARY] [-- RUNNER...]
# e.g. scripts/demo.sh examples-c/build/chatbot -- valgrind --error-exitcode=1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bot=${1:-$root/examples-c/build/chatbot}
shift || true
[ "${1:-}" = "--" ] && shift
runner=("$@")

out=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$out"' EXIT
# Created here, not by the background job's redirection, so the first read below cannot race it.
: >"$out/server.log"
node "$root/tests/server/chat-server.js" >"$out/server.log" &
server=$!
for _ in $(seq 100); do
  port=$(sed -nE '1s/.*"port":([0-9]+).*/\1/p' "$out/server.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "demo: the chat server did not start" >&2; exit 1; }
echo "== chatbot (examples-c/chatbot.c) joins /chat on http://127.0.0.1:$port"
"${runner[@]}" "$bot" "http://127.0.0.1:$port" | sed 's/^/  /'
bot_status=${PIPESTATUS[0]}
wait "$server" && server_status=0 || server_status=$?
echo "== the chat room, as the server saw it (tests/server/chat-server.js)"
tail -n +2 "$out/server.log" | sed 's/^/  /'
if [ "$bot_status" -ne 0 ] || [ "$server_status" -ne 0 ]; then
  echo "demo FAILED (bot exit $bot_status, chat server exit $server_status)" >&2
  exit 1
fi
echo "demo OK: the bot answered and left."
