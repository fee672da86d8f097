#!/usr/bin/env bash
# bench/run.sh -- run every benchmark (bench/bench-*.sh) and print one table.
# Each script prints rows "| benchmark | winnow | peer | ratio | note |" on
# stdout (timings are medians of repeated runs, peers run in the same run)
# and anything else on stderr. BENCH_ONLY=NAME runs one script.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
out=build/bench/report.md
{
  echo "| benchmark | winnow | peer | ratio | note |"
  echo "|---|---|---|---|---|"
} >"$out"
rc=0
for b in bench/bench-*.sh; do
  n=$(basename "$b" .sh); n=${n#bench-}
  [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$n" ] && continue
  echo "bench: $n" >&2
  bash "$b" >>"$out" || { echo "| $n | FAILED | | | see stderr |" >>"$out"; rc=1; }
done
echo
cat "$out"
echo
echo "(table also in $out)"
exit $rc
