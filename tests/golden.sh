#!/usr/bin/env bash
# tests/golden.sh DIR -- one golden test of a stage (after zstd's CLI tests).
#   DIR/cmd           shell words run from DIR with bin/ on PATH (may use $DATA
#                     for ../shared/data and $T for a scratch directory)
#   DIR/stdin         optional input on stdin
#   DIR/stdout        expected stdout, exactly (optional)
#   DIR/exit          expected exit status (default 0)
#   DIR/stderr        a fragment that stderr must contain, one per line (optional)
set -u
d=$(cd "$1" && pwd); root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$PATH" DATA=${WINNOW_DATA:-$root/../shared/data}
T=$(mktemp -d); export T; trap 'rm -rf "$T"' EXIT
name=$(basename "$d")
if grep -q '\$DATA' "$d/cmd" && [ ! -d "$DATA" ]; then
  if [ "${CI:-}" = true ]; then echo "not ok - $name: test data absent at $DATA"; exit 1; fi
  echo "# $name: test data absent at $DATA -- skipping"; exit 0
fi
in=/dev/null; [ -f "$d/stdin" ] && in="$d/stdin"
(cd "$d" && bash -c "$(cat cmd)" <"$in" >"$T/.out" 2>"$T/.err"); rc=$?
want_rc=0; [ -f "$d/exit" ] && want_rc=$(cat "$d/exit")
fail=0
if [ "$rc" != "$want_rc" ]; then echo "# exit $rc, expected $want_rc"; fail=1; fi
if [ -f "$d/stdout" ] && ! cmp -s "$T/.out" "$d/stdout"; then
  echo "# stdout differs:"; diff "$d/stdout" "$T/.out" | head -20 | sed 's/^/#   /'; fail=1; fi
if [ -f "$d/stderr" ]; then
  while IFS= read -r frag; do
    [ -n "$frag" ] || continue
    grep -qF -- "$frag" "$T/.err" || { echo "# stderr lacks: $frag"; sed 's/^/#   /' "$T/.err" | head -10; fail=1; }
  done <"$d/stderr"
fi
if [ $fail = 0 ]; then echo "ok - $name"; else echo "not ok - $name"; fi
exit $fail
