#!/usr/bin/env bash
# CPU used by the dashboard while it watches a job that makes no progress: an emulator whose
# steps take 10 minutes, one job created on it, the dashboard on the Monitor tab; then CPU time,
# context switches and HTTP polls are counted over SECONDS (default 60).
#   bash benches/stalled_watch_cpu.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/dashboard_cpu.sh
SECS=${1:-60}
BIN=$PWD/target/release/tunedeck
[ -x "$BIN" ] || cargo build --release
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOME_DIR=$(mktemp -d)
SOCK=tunedeck-stall-$$
"$BIN" emulator --ephemeral --empty --step-ms 600000 --bind "127.0.0.1:$PORT" >"$HOME_DIR/emu.log" 2>&1 &
EMU=$!
trap 'tmux -L $SOCK kill-server 2>/dev/null || true; kill $EMU 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT
sleep 1
curl -s -X POST "http://127.0.0.1:$PORT/v1beta/tunedModels" -H 'content-type: application/json' \
  -d '{"displayName":"stalled","baseModel":"models/gemini-1.5-flash-001-tuning","tuningTask":{"trainingData":{"examples":{"examples":[{"textInput":"a","output":"b"}]}}}}' >/dev/null
tmux -L $SOCK new-session -d -s t -x 120 -y 30 \
  "env HOME=$HOME_DIR XDG_CONFIG_HOME=$HOME_DIR/c XDG_DATA_HOME=$HOME_DIR/d XDG_STATE_HOME=$HOME_DIR/s $BIN --endpoint http://127.0.0.1:$PORT"
sleep 3
tmux -L $SOCK send-keys -t t 2
sleep 12
dashboard_cpu "$SOCK" "$SECS"
echo "watching a stalled job for ${SECS}s: CPU $CPU_MS ms, context switches $SWITCHES"
tmux -L $SOCK capture-pane -t t -p | sed -n 4,6p
