#!/usr/bin/env bash
# The cost of durability: creates per second and their latency (median, p99) against the
# emulator with its journal (every create fsynced before its 200) and with --ephemeral (nothing
# written: the floor). 8 clients on loopback, N creates each mode (default 2,000).
#   bash benches/durability.sh [N]       (needs python3; builds --release if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
BIN=${TUNEDECK_BIN:-target/release/tunedeck}
[ -x "$BIN" ] || cargo build --release
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
run() {
  local label=$1; shift
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" emulator --empty --step-ms 100000 --bind "127.0.0.1:$port" "$@" >"$DIR/$label.log" 2>&1 &
  local emu=$!
  sleep 1
  python3 - "$port" "$N" "$label" <<'PY'
import http.client, json, sys, time, concurrent.futures
port, n, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = json.dumps({"displayName": "durability", "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {"hyperparameters": {"epochCount": 1, "batchSize": 4},
        "trainingData": {"examples": {"examples": [{"textInput": f"in {i}", "output": f"out {i}"} for i in range(8)]}}}})
def create(chunk):
    c = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for i in chunk:
        t = time.perf_counter()
        c.request("POST", f"/v1beta/tunedModels?tunedModelId=d-{i:06d}", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        out.append(time.perf_counter() - t)
        assert r.status == 200, r.status
    return out
start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    lat = sorted(x for part in pool.map(create, [range(k, n, 8) for k in range(8)]) for x in part)
took = time.perf_counter() - start
print(f"{label:10} {n/took:8.0f} creates/s   median {lat[len(lat)//2]*1000:6.2f} ms   p99 {lat[int(len(lat)*0.99)]*1000:6.2f} ms")
PY
  kill "$emu"; wait "$emu" 2>/dev/null || true
}
run journal --state "$DIR/state.json"
run ephemeral --ephemeral
