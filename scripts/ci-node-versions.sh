#!/usr/bin/env bash
# Runs the unit + integration (test:unit) and packed-tarball (test:packed) stages on Node 22 and 24,
# the versions users run besides the machine's own. The binaries come from npm's `node` package
# (node@22, node@24), nothing else is downloaded; they are cached between runs.
#
#   bash scripts/ci-node-versions.sh            # Node 22 and 24, side by side
#   NODE_MAJORS="24" bash scripts/ci-node-versions.sh
#   NODE_STAGES="test:unit" NODE_PARALLEL=0 bash scripts/ci-node-versions.sh
#
# The versions run side by side (NODE_PARALLEL=1, the default): the stages mostly wait on sockets,
# timers, the registry cache and the disk, so two at once take little longer than one. Each
# version's output goes to a log printed when it ends. Each version installs the packed tarball
# into its own copy of the example apps (seeded from the Node 20 run's), since two builds of one
# app folder at once would collide. Every version runs even when another failed; exit 1 names the
# versions that failed. Prints a table of the stage durations.
set -uo pipefail
cd "$(dirname "$0")/.."

majors=(${NODE_MAJORS:-22 24})
stages=(${NODE_STAGES:-test:unit test:packed})
parallel="${NODE_PARALLEL:-1}"
cache="${CI_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-chat-kit}"
packed_base="${PACKED_WORKDIR:-$cache/packed}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# Installs node@major when missing; prints the bin folder.
install_node() {
  local major="$1" prefix="$cache/node-$1"
  if ! "$prefix/node_modules/.bin/node" --version >/dev/null 2>&1; then
    echo "Installing node@$major from the npm registry into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null || return 1
  fi
  echo "$prefix/node_modules/.bin"
}

# Runs the stages on one version; its output goes to $logs/$major.log, its exit code is its own.
run_version() {
  local major="$1" bin="$2" started=$SECONDS
  local workdir="$packed_base-node$major"
  if [[ " ${stages[*]} " == *" test:packed "* ]] && [ ! -d "$workdir" ] && [ -d "$packed_base" ]; then cp -a "$packed_base" "$workdir"; fi
  echo "##### Node $("$bin/node" --version): ${stages[*]} #####"
  # npm, npx and every child process resolve `node` through PATH, so the whole stage runs on it.
  PATH="$bin:$PATH" PACKED_WORKDIR="$workdir" node --import tsx scripts/run-stages.ts "${stages[@]}"
  local code=$?
  echo "$((SECONDS - started))" >"$logs/$major.seconds"
  return $code
}

# test:packed builds the kit when dist is stale; two versions building one dist at once would
# collide, so it is built here once (CI has just built it: then nothing happens) and reused.
if [[ " ${stages[*]} " == *" test:packed "* ]]; then
  if [ ! -f dist/index.js ] || [ -n "$(find src package.json vite.config.ts tsconfig.json tsconfig.build.json -newer dist/index.js -print -quit)" ]; then
    npm run --silent build >/dev/null || { echo "npm run build failed" >&2; exit 1; }
  fi
  export SKIP_BUILD=1
fi

# `engines` must say what is tested: every Node that runs the tests (the machine's, which runs
# `npm test`, and each one here) satisfies it, and it names no major that is not tested.
check_engines() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const range = JSON.parse(readFileSync("package.json", "utf8")).engines?.node ?? "";
    const versions = process.argv.slice(1);
    const parse = (v) => v.replace(/^[v^]/, "").split(".").map(Number);
    const ranges = range.split("||").map((r) => r.trim());
    const problems = [];
    if (!ranges.every((r) => /^\^\d+\.\d+\.\d+$/.test(r))) problems.push(`engines.node "${range}": expected ^x.y.z ranges joined by ||`);
    const satisfies = (v, r) => { const [a, b, c] = parse(v), [x, y, z] = parse(r); return a === x && (b > y || (b === y && c >= z)); };
    for (const v of versions) if (!ranges.some((r) => satisfies(v, r))) problems.push(`Node ${v} is tested but engines.node "${range}" excludes it`);
    const tested = new Set(versions.map((v) => parse(v)[0]));
    for (const r of ranges) if (!tested.has(parse(r)[0])) problems.push(`engines.node allows Node ${parse(r)[0]}, which no stage tests`);
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
    console.log(`engines.node "${range}" covers the tested Node ${versions.join(", ")}`);
  ' "$@"
}

failed=()
pids=()
run_majors=()
for major in "${majors[@]}"; do
  if ! bin="$(install_node "$major")"; then
    echo "could not install node@$major (npm install node@$major)" >&2
    failed+=("node $major (install)")
    continue
  fi
  run_majors+=("$major")
  if [ "$parallel" = "1" ]; then
    run_version "$major" "$bin" >"$logs/$major.log" 2>&1 &
    pids+=($!)
  else
    run_version "$major" "$bin" || failed+=("node $major")
  fi
done

tested_versions=("$(node --version)")
for major in "${run_majors[@]}"; do tested_versions+=("$("$cache/node-$major/node_modules/.bin/node" --version)"); done
check_engines "${tested_versions[@]}" || failed+=("engines")

if [ "$parallel" = "1" ]; then
  for i in "${!pids[@]}"; do
    major="${run_majors[$i]}"
    wait "${pids[$i]}" || failed+=("node $major")
    echo
    cat "$logs/$major.log"
  done
fi

echo
echo "| Node | stages | s |"
echo "|---|---|---|"
for major in "${run_majors[@]}"; do echo "| $major | ${stages[*]} | $(cat "$logs/$major.seconds" 2>/dev/null || echo '?') |"; done

if [ ${#failed[@]} -gt 0 ]; then
  echo "Node versions that failed: ${failed[*]}" >&2
  exit 1
fi
echo "Node ${run_majors[*]}: ${stages[*]} passed"
