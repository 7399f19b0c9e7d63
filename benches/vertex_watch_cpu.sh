#!/usr/bin/env bash
# CPU used by the dashboard while its Monitor follows two running Vertex AI tuning jobs: an
# emulator whose steps take STEP_MS (default 2000), two jobs created on it through its Cloud
# Storage and tuningJobs routes, the dashboard with --vertex on the Monitor tab; then CPU time
# and context switches are counted over SECONDS (default 60), and the jobs' progress shown.
#   bash benches/vertex_watch_cpu.sh [SECONDS] [STEP_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/dashboard_cpu.sh
SECS=${1:-60}
STEP_MS=${2:-2000}
BIN=$PWD/target/release/tunedeck
[ -x "$BIN" ] || cargo build --release
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOME_DIR=$(mktemp -d)
SOCK=tunedeck-vertex-$$
"$BIN" emulator --ephemeral --empty --step-ms "$STEP_MS" --bind "127.0.0.1:$PORT" >"$HOME_DIR/emu.log" 2>&1 &
EMU=$!
trap 'tmux -L $SOCK kill-server 2>/dev/null || true; kill $EMU 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT
sleep 1
BASE="http://127.0.0.1:$PORT"
python3 - "$BASE" <<'EOF'
import json, sys, urllib.request
base = sys.argv[1]
lines = "".join(json.dumps({"contents": [
    {"role": "user", "parts": [{"text": f"question {i}"}]},
    {"role": "model", "parts": [{"text": f"answer {i % 7}"}]}]}) + "\n" for i in range(200))
def call(method, url, body, kind="application/json"):
    req = urllib.request.Request(url, data=body, method=method, headers={"content-type": kind})
    return json.load(urllib.request.urlopen(req))
call("POST", f"{base}/upload/storage/v1/b/bench/o?uploadType=media&name=t.jsonl", lines.encode(), "application/jsonl")
for name in ("first", "second"):
    call("POST", f"{base}/v1/projects/bench/locations/us-central1/tuningJobs", json.dumps({
        "baseModel": "gemini-2.5-flash", "tunedModelDisplayName": name,
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://bench/t.jsonl",
                                 "validationDatasetUri": "gs://bench/t.jsonl",
                                 "hyperParameters": {"epochCount": 50}}}).encode())
EOF
tmux -L $SOCK new-session -d -s t -x 120 -y 30 \
  "env HOME=$HOME_DIR XDG_CONFIG_HOME=$HOME_DIR/c XDG_DATA_HOME=$HOME_DIR/d XDG_STATE_HOME=$HOME_DIR/s $BIN --endpoint $BASE --vertex --project bench"
sleep 3
tmux -L $SOCK send-keys -t t 2
sleep 12
dashboard_cpu "$SOCK" "$SECS"
echo "following two running Vertex AI jobs (a step every ${STEP_MS} ms) for ${SECS}s: CPU $CPU_MS ms, context switches $SWITCHES"
tmux -L $SOCK capture-pane -t t -p | sed -n 3,6p
