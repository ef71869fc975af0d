#!/usr/bin/env bash
# Runs a command with every CPU core kept busy for its whole duration, then stops the hog.
#
#   scripts/with-cpu-hog.sh npm run test:chaos
#   HOG_WORKERS=4 scripts/with-cpu-hog.sh npx vitest run test/unit
#
# The tests must pass like this: a busy machine is when timing assumptions break (issue 11).
# The hog is Debian's stress-ng when installed, else one busy `node` loop per core. It runs at
# normal priority (a nice'd hog would yield and prove nothing). HOG_WORKERS overrides the number
# of busy processes (default: one per core). Exit status: the command's.
set -uo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

workers="${HOG_WORKERS:-$(nproc 2>/dev/null || echo 2)}"
hog_pids=()

stop_hog() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  hog_pids=()
}
trap stop_hog EXIT
trap 'stop_hog; exit 130' INT TERM

if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu "$workers" --cpu-method matrixprod --quiet &
  hog_pids+=($!)
  echo "with-cpu-hog: stress-ng --cpu $workers (pid ${hog_pids[*]})" >&2
else
  for _ in $(seq "$workers"); do
    node -e 'for (;;) {}' &
    hog_pids+=($!)
  done
  echo "with-cpu-hog: $workers busy node processes (pids ${hog_pids[*]})" >&2
fi

"$@"
status=$?
stop_hog
exit "$status"
