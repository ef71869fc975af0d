#!/usr/bin/env bash
# Runs the unit + integration (test:unit) and packed-tarball (test:packed) stages on Node 22 and 24,
# the versions users run besides the machine's own. The binaries come from npm's `node` package
# (node@22, node@24), nothing else is downloaded; they are cached between runs.
#
#   bash scripts/ci-node-versions.sh            # Node 22 and 24
#   NODE_MAJORS="24" bash scripts/ci-node-versions.sh
#
# Every version runs even when an earlier one failed; exit 1 names the versions that failed.
set -uo pipefail
cd "$(dirname "$0")/.."

majors=(${NODE_MAJORS:-22 24})
stages=(${NODE_STAGES:-test:unit test:packed})
cache="${CI_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-chat-kit}"
failed=()

for major in "${majors[@]}"; do
  prefix="$cache/node-$major"
  bin="$prefix/node_modules/.bin"
  if ! "$bin/node" --version >/dev/null 2>&1; then
    echo "Installing node@$major from the npm registry into $prefix"
    mkdir -p "$prefix"
    if ! npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null; then
      echo "could not install node@$major (npm install node@$major)" >&2
      failed+=("node $major (install)")
      continue
    fi
  fi
  echo
  echo "##### Node $("$bin/node" --version): ${stages[*]} #####"
  # npm, npx and every child process resolve `node` through PATH, so the whole stage runs on it.
  if ! PATH="$bin:$PATH" node --import tsx scripts/run-stages.ts "${stages[@]}"; then
    failed+=("node $major")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "Node versions that failed: ${failed[*]}" >&2
  exit 1
fi
echo "Node ${majors[*]}: ${stages[*]} passed"
