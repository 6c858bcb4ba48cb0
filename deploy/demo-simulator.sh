#!/bin/sh
# demo-simulator <family> <adapter-id> [more simulator flags]: the demo profile's device traffic, for ever.
# Runs the simulator (adapters/simulators/cli.ts, following the work it receives) in hour-long runs, each with a new
# seed (another share of failures on purpose), with the adapter's token from the
# gateway token file odoo-init generated. Installed in the sidecar image as /usr/local/bin/demo-simulator.
#   GATEWAY_TOKENS_FILE  the token file (/run/bridge/gateway-tokens.json)
#   GATEWAY_ADDRESS      the gateway (sidecar:50051)
#   SIMULATOR_RUNS       stop after this many runs (default: never)
set -eu
[ $# -ge 2 ] || { echo "usage: demo-simulator <barcode|sorter|robot-fleet> <adapter-id> [flags]" >&2; exit 2; }
family=$1 adapter=$2
shift 2
tokens=${GATEWAY_TOKENS_FILE:-/run/bridge/gateway-tokens.json}
cli=${SIMULATOR_CLI:-/app/dist/adapters/simulators/cli.js}
token=$(node -e '
  const [file, id] = process.argv.slice(1);
  const entry = JSON.parse(require("node:fs").readFileSync(file, "utf8"))[id];
  if (!entry) { process.stderr.write(`demo-simulator: no adapter ${id} in ${file}\n`); process.exit(1); }
  process.stdout.write(entry.token);' "$tokens" "$adapter")
seed=$(date +%s)
runs=0
pid=
# PID 1 of its container: pass docker stop on to the simulator (it closes its stream on SIGINT).
trap '[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; wait; exit 0' TERM INT
while :; do
  node "$cli" "$family" --address "${GATEWAY_ADDRESS:-sidecar:50051}" --adapter-id "$adapter" --token "$token" \
    --seed "$seed" --duration 3600 "$@" &
  pid=$!
  status=0
  wait "$pid" || status=$?
  pid=
  runs=$((runs + 1))
  [ -n "${SIMULATOR_RUNS:-}" ] && [ "$runs" -ge "$SIMULATOR_RUNS" ] && exit "$status"
  [ "$status" -eq 0 ] || { echo "demo-simulator: run ended with $status, again in 5 s" >&2; sleep 5; }
  seed=$((seed + 1))
done
