#!/usr/bin/env bash
# Runs the whole test suite with the process clock moved (libfaketime), once per offset, to prove that
# no test and no product code depends on today's date. Postgres and Redis keep the real clock: that is
# the point, since the application's clock is the one every stored timestamp comes from (README, Clocks).
#
#   pnpm test:any-date                 # the default offsets: +400d and -30d
#   pnpm test:any-date +90d -1y        # other offsets, in faketime's syntax
#   pnpm test:any-date -- +400d apps/checks-evaluator   # after --: extra vitest arguments
set -euo pipefail
cd "$(dirname "$0")/.."

offsets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do offsets+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#offsets[@]} -gt 0 ] || offsets=(+400d -30d)

libfaketime=""
for candidate in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
  [ -f "$candidate" ] && libfaketime=$candidate && break
done
if [ -z "$libfaketime" ]; then
  echo "test:any-date: libfaketime is missing: install Debian's faketime package (apt-get install -y faketime)" >&2
  exit 1
fi
: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
export DATABASE_URL REDIS_URL

# The build runs on the real clock: turbo's cache and tsc's incremental state compare file times.
pnpm turbo run build --output-logs=errors-only

results=()
status=0
# Each offset's results also go to a JSON report, so that the failed tests are listed again at the very
# end: CI keeps only the tail of the output, and a failure at +400d scrolls away under the -30d run.
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
for offset in "${offsets[@]}"; do
  moved=$(LD_PRELOAD=$libfaketime FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 date -u +%Y-%m-%dT%H:%MZ)
  echo "test:any-date: running the suite with the clock moved $offset (now $moved, real $(date -u +%Y-%m-%dT%H:%MZ))"
  # Monotonic time stays real so timers and timeouts behave; only the wall clock moves. Child
  # processes (the demo's apps, fake-aws) inherit the variables and so share the moved clock.
  # The lock test (optimised-evaluation) is left out too: it measures BullMQ lock renewal at a few
  # hundred milliseconds, and under libfaketime every clock read is intercepted (it lost its lock at
  # -30d; it passes in `pnpm test` on the real clock, and reads no date).
  # The console's browser journey is left out here: Chromium under libfaketime runs each step about
  # 25 times slower (one step a minute: the journey timed out at 480 s), and the browser's clock is
  # not one the product reads (sessions use Max-Age). It runs in `pnpm test` on the real clock.
  if LD_PRELOAD=$libfaketime FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    pnpm exec vitest run --exclude '**/journey.int.test.ts' --exclude '**/optimised-evaluation.int.test.ts' \
    --reporter=default --reporter=json --outputFile.json="$reports/$offset.json" "$@"; then
    results+=("$offset ($moved): passed")
  else
    results+=("$offset ($moved): FAILED")
    status=1
  fi
done
echo "test:any-date: offsets run:"
printf '  %s\n' "${results[@]}"
for report in "$reports"/*.json; do
  [ -f "$report" ] || continue
  node scripts/failed-tests.mjs "$(basename "$report" .json)" "$report"
done
exit $status
