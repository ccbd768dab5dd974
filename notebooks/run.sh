#!/usr/bin/env bash
# Regenerates the notebooks with their outputs in place, in order (02 saves the model that 03
# exports; 04 backtests the app 03 built): notebooks/run.sh [PREFIX ...], e.g. `run.sh 03 04`.
#
# The notebooks share one embedded kafkalab broker that this script starts on a free port with
# its data in notebooks/.kafkalab/data (set KAFKA_BROKERS to use another cluster instead), so
# nothing depends on port 9092 being free. Kernels run in notebooks/ (models/, apps/ land there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"
PYTHON="${PYTHON:-/usr/bin/python3}"

[ -f dist/kernel/launcher.js ] || npm run build
node bin/kafkalab.js kernel install --user

broker_pid=
cleanup() { if [ -n "$broker_pid" ]; then kill -TERM "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM

if [ -z "${KAFKA_BROKERS:-}" ]; then
  log="$(mktemp)"
  mkdir -p notebooks/.kafkalab/data
  node bin/kafkalab.js broker --port 0 --data-dir notebooks/.kafkalab/data >"$log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 300); do
    grep -q 'listening on' "$log" && break
    kill -0 "$broker_pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  addr="$(grep -o 'listening on [^ ]*' "$log" | awk '{print $3}')"
  [ -n "$addr" ] || { echo "run.sh: the broker did not start:"; cat "$log"; exit 1; }
  export KAFKA_BROKERS="localhost:${addr##*:}"
  echo "run.sh: embedded broker at $KAFKA_BROKERS (data in notebooks/.kafkalab/data)"
fi

prefixes=("$@")
[ ${#prefixes[@]} -gt 0 ] || prefixes=("")
for prefix in "${prefixes[@]}"; do
  for nb in "$here/$prefix"*.ipynb; do
    [ -f "$nb" ] || { echo "run.sh: no notebook matches $prefix"; exit 1; }
    echo "run.sh: executing $(basename "$nb")"
    start=$(date +%s)
    log="$(mktemp)"
    if ! "$PYTHON" -m jupyter nbconvert --to notebook --execute --inplace \
      --ExecutePreprocessor.kernel_name=kafkalab --ExecutePreprocessor.timeout=600 "$nb" >"$log" 2>&1; then
      grep -v -e 'Debugger warning' -e 'frozen modules' -e 'Xfrozen_modules' -e 'PYDEVD_DISABLE' -e 'Debugging will proceed' "$log" | tail -40
      rm -f "$log"
      echo "run.sh: $(basename "$nb") failed (the notebook file is left as it was)"
      exit 1
    fi
    rm -f "$log"
    echo "run.sh: $(basename "$nb") done in $(( $(date +%s) - start ))s, $(du -k "$nb" | cut -f1) KB"
  done
done
