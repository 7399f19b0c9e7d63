#!/usr/bin/env bash
# Emulator throughput and memory: stores N tuned models (default 10,000), then measures with wrk
# the requests per second of a tuned-model GET and of list pages, and the server's resident
# memory. Loopback only; everything it starts, it stops.
#   bash benches/emulator_load.sh [N]       (needs wrk and python3; builds --release if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
BIN=target/release/tunedeck
[ -x "$BIN" ] || cargo build --release
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" emulator --ephemeral --empty --step-ms 1 --bind "127.0.0.1:$PORT" >/tmp/tunedeck-load.log 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
sleep 1
echo "RSS empty: $(ps -o rss= -p $EMU) KiB"
python3 - "$PORT" "$N" <<'PY'
import http.client, json, sys, concurrent.futures
port, n = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"displayName": "load test", "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {"hyperparameters": {"epochCount": 1, "batchSize": 4},
        "trainingData": {"examples": {"examples": [{"textInput": f"in {i}", "output": f"out {i}"} for i in range(8)]}}}})
def create(chunk):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in chunk:
        c.request("POST", f"/v1beta/tunedModels?tunedModelId=load-{i:05d}", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
chunks = [range(k, n, 8) for k in range(8)]
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    list(ex.map(create, chunks))
print(f"created {n} tuned models")
PY
sleep 2
echo "RSS with $N models: $(ps -o rss= -p $EMU) KiB"
for path in "tunedModels/load-00042" "tunedModels?pageSize=10" "tunedModels?pageSize=100"; do
  echo "== GET /v1beta/$path"
  wrk -t2 -c16 -d10s "http://127.0.0.1:$PORT/v1beta/$path" | grep -E "Requests/sec|Latency"
done
echo "RSS after load: $(ps -o rss= -p $EMU) KiB"
