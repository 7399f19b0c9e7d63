#!/usr/bin/env bash
# `tunedeck models list --json` over N tuned models (default 1,000) against the emulator, side
# by side with the official Python SDK's `genai.list_tuned_models()` and the tutorial's curl
# loop over pageToken: wall time (median of 5) and peak memory (max RSS) of each client.
# Loopback only; everything it starts, it stops. The Python row is skipped without python3 or
# without google-generativeai (CI's .venv has it: `.venv/bin/python`).
#   bash benches/models_list_compare.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BIN=target/release/tunedeck
[ -x "$BIN" ] || cargo build --release
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || command -v python3 || true )}
[ -n "$PY" ] || { echo "python3 is needed to create the models"; exit 0; }
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$BIN" emulator --ephemeral --empty --step-ms 1 --bind "127.0.0.1:$PORT" >/tmp/tunedeck-compare.log 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
sleep 1
"$PY" - "$PORT" "$N" <<'PY'
import http.client, json, sys, concurrent.futures
port, n = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"displayName": "compare", "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {"hyperparameters": {"epochCount": 1, "batchSize": 4},
        "trainingData": {"examples": {"examples": [{"textInput": f"in {i}", "output": f"out {i}"} for i in range(8)]}}}})
def create(chunk):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in chunk:
        c.request("POST", f"/v1beta/tunedModels?tunedModelId=m-{i:05d}", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    list(ex.map(create, [range(k, n, 4) for k in range(4)]))
PY
sleep 2
# Runs a command 5 times; prints the median wall time and the largest max RSS.
measure() {
  local label=$1; shift
  local times=() rss=0
  for _ in 1 2 3 4 5; do
    local out
    out=$( { /usr/bin/time -f "%e %M" "$@" > /tmp/tunedeck-compare.out; } 2>&1 | tail -1 )
    times+=("${out% *}")
    local r=${out#* }
    (( r > rss )) && rss=$r
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  local count
  count=$(grep -o '"name": *"tunedModels/' /tmp/tunedeck-compare.out | wc -l)
  printf '%-44s %8s s %10s KiB   (%s models seen)\n' "$label" "$median" "$rss" "$count"
}
echo "$N tuned models, emulator at $URL"
measure "tunedeck models list --json" env -u GEMINI_API_KEY -u GOOGLE_API_KEY "$BIN" --endpoint "$URL" models list --json
cat > /tmp/tunedeck-curl-loop.sh <<SH
#!/usr/bin/env bash
# The tutorial's loop: follow nextPageToken with curl and jq-less JSON handling via python.
token=""
while : ; do
  page=\$(curl -s "$URL/v1beta/tunedModels?pageSize=1000&pageToken=\$token")
  echo "\$page"
  token=\$(printf '%s' "\$page" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("nextPageToken",""))')
  [ -n "\$token" ] || break
done
SH
measure "curl loop (pageSize=1000, pageToken)" bash /tmp/tunedeck-curl-loop.sh
if "$PY" -c 'import google.generativeai' 2>/dev/null; then
  cat > /tmp/tunedeck-sdk-list.py <<PY
import json, google.generativeai as genai
genai.configure(api_key="any-key", transport="rest", client_options={"api_endpoint": "$URL"})
print(json.dumps([{"name": m.name} for m in genai.list_tuned_models(page_size=1000)], indent=1))
PY
  measure "python google-generativeai list_tuned_models" "$PY" /tmp/tunedeck-sdk-list.py
else
  echo "python google-generativeai: skipped (not installed for $PY)"
fi
