#!/usr/bin/env bash
# Idle cost of the dashboard: runs the release binary in tmux with the embedded emulator and no
# job tuning, waits for the list, then counts CPU time and context switches over all threads for
# SECONDS seconds (default 30). Idle should be ~0: no redraws, no busy loops.
#   bash benches/idle_cpu.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/dashboard_cpu.sh
SECS=${1:-30}
BIN=$PWD/target/release/tunedeck
[ -x "$BIN" ] || cargo build --release
HOME_DIR=$(mktemp -d)
SOCK=tunedeck-idle-$$
trap 'tmux -L $SOCK kill-server 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT
tmux -L $SOCK new-session -d -s t -x 120 -y 30 \
  "env -u GEMINI_API_KEY -u GOOGLE_API_KEY HOME=$HOME_DIR XDG_CONFIG_HOME=$HOME_DIR/c XDG_DATA_HOME=$HOME_DIR/d XDG_STATE_HOME=$HOME_DIR/s $BIN"
sleep 3
# Let the demo's live job finish so nothing is tuning (150 steps at 0.5 s).
for _ in $(seq 1 120); do
  tmux -L $SOCK capture-pane -t t -p | grep -q CREATING || break
  sleep 1
done
sleep 12  # tokio's idle blocking threads exit after 10 s; count after that
dashboard_cpu "$SOCK" "$SECS"
echo "idle for ${SECS}s: CPU $CPU_MS ms, context switches (all threads) $SWITCHES"
