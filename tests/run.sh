#!/usr/bin/env bash
# tests/run.sh -- run every test tier and print one summary line.
#   unit tests   build/rel/tests/test_*       (one per lib module)
#   golden tests tests/golden/*/              (cmd, expected stdout/exit/stderr)
#   e2e tests    tests/e2e/*.sh               (stages on real data, peers)
#   sanitizer    build/san/tests/test_*       (unit tests under ASan+UBSan)
# Each test prints "ok - NAME" / "not ok - NAME"; this script counts them.
# Usage: tests/run.sh [TIER...]   (tiers: unit golden e2e san; default all)
set -u
cd "$(dirname "$0")/.."
tiers=${*:-unit golden e2e san}
log=build/test-logs; mkdir -p "$log"
passed=0; failed=0; failures=()

count() { # count NAME LOGFILE EXIT
  local p f
  p=$(grep -c '^ok - ' "$2" || true); f=$(grep -c '^not ok - ' "$2" || true)
  if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $1 exited $3" >>"$2"; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" != 0 ]; then failures+=("$1 ($2)"); grep -E '^(not ok|#)' "$2" | head -30; fi
  printf '%-40s %4d passed %4d failed\n' "$1" "$p" "$f"
}

for tier in $tiers; do
  case $tier in
  unit|san)
    dir=build/rel/tests; [ $tier = san ] && dir=build/san/tests
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1
    for t in "$dir"/test_*; do
      [ -x "$t" ] || continue
      n="$tier/$(basename "$t")"; l="$log/${n//\//_}.log"
      "$t" >"$l" 2>&1; count "$n" "$l" $?
    done ;;
  golden)
    for d in tests/golden/*/; do
      [ -f "$d/cmd" ] || continue
      n="golden/$(basename "$d")"; l="$log/${n//\//_}.log"
      tests/golden.sh "$d" >"$l" 2>&1; count "$n" "$l" $?
    done ;;
  e2e)
    for t in tests/e2e/*.sh; do
      [ -f "$t" ] || continue
      n="e2e/$(basename "$t" .sh)"; l="$log/${n//\//_}.log"
      bash "$t" >"$l" 2>&1; count "$n" "$l" $?
    done ;;
  esac
done
if [ ${#failures[@]} -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
