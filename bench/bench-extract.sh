#!/usr/bin/env bash
# bench-extract.sh -- winnow-extract against Mozilla Readability (jsdom), side
# by side in the same run, on the 60 annotated article pages.
#  - speed: the pages replicated to >= 100 MB of HTML, one core
#    (taskset -c 0); with winnow-ingest built, the whole ingest | extract
#    pipe over the replicated WARC (both processes on that core), else
#    extract alone over JSONL records. Median of 3 runs. The peer runs once
#    over the 60 pages (at ~5 pages/s a 100 MB run would take 10 minutes).
#  - quality: F1 of both on the 60 pages (tests/tools/extract_f1.py).
# Rows go to stdout; progress to stderr. The machine is shared: figures move.
source "$(dirname "$0")/../tests/lib.sh"
dev=$(wn_data html/dev) || exit 0
gt=$(wn_data html/ground-truth-dev.json) || exit 0
warc=$(wn_data warc/article-pages-60.warc.gz) || warc=
X="$BIN/winnow-extract"
T="$WN_TMP"
REPEAT=${REPEAT:-8}
PIN="taskset -c 0"
command -v taskset >/dev/null || PIN=

$PYTHON "$WN_ROOT/tests/tools/extract_mkjsonl.py" "$dev" >"$T/dev.jsonl"
$PYTHON "$WN_ROOT/tests/tools/extract_mkjsonl.py" "$dev" "$REPEAT" >"$T/big.jsonl"
html_bytes=$(for f in "$dev"/*.html.gz; do zcat "$f"; done | wc -c)
pages=$((60 * REPEAT)); mb=$($PYTHON -c "print(round($html_bytes * $REPEAT / 1e6, 1))")

median() { sort -n | sed -n 2p; }
# "wall cpu" seconds of one run (cpu = user + sys of every process in it):
# on a shared machine wall time includes waiting for the core, CPU time not.
secs() { /usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >/dev/null || return 1; awk '{print $1, $2 + $3}' "$T/time"; }

INGEST=${INGEST:-$BIN/winnow-ingest}
if [ -x "$INGEST" ] && [ -n "$warc" ]; then
  for _ in $(seq "$REPEAT"); do cat "$warc"; done >"$T/big.warc.gz"
  what="ingest|extract over the WARC x$REPEAT"
  cmd="'$INGEST' --no-progress '$T/big.warc.gz' | '$X' --no-progress"
else
  what="extract over JSONL x$REPEAT (winnow-ingest not built)"
  cmd="'$X' --no-progress '$T/big.jsonl'"
fi
echo "bench-extract: $what: $pages pages, $mb MB of HTML" >&2
for _ in 1 2 3; do secs $PIN bash -c "$cmd"; done >"$T/runs"
w=$(awk '{print $1}' "$T/runs" | median)
c=$(awk '{print $2}' "$T/runs" | median)

echo "bench-extract: Readability.js over the 60 pages" >&2
if [ -d "$WN_ROOT/tests/peers/node_modules/jsdom" ]; then
  /usr/bin/time -f "%e %U %S" -o "$T/ptime" $PIN node "$WN_ROOT/tests/peers/readability.js" "$T/dev.jsonl" >"$T/peer.jsonl" 2>"$T/peer.err"
  ps=$(awk '/^pages/ {print $4}' "$T/peer.err")   # the peer's own wall timing: parse + extract, no startup
  pc=$(awk '{print $2 + $3}' "$T/ptime")          # CPU seconds of the whole node process (startup included)
  peer_pps=$($PYTHON -c "print(round(60 / $ps, 1))")
  peer_cpu_pps=$($PYTHON -c "print(round(60 / $pc, 1))")
  peer_f1=$($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$T/peer.jsonl" | awk '{print $3}')
else
  echo "bench-extract: peer not installed (tests/peers/node_modules)" >&2
  peer_pps=; peer_f1=
fi

if [ -x "$INGEST" ] && [ -n "$warc" ]; then   # score what the real pipe produces
  "$INGEST" --no-progress "$warc" | "$X" --no-progress >"$T/ours.jsonl"
else
  "$X" --no-progress "$T/dev.jsonl" >"$T/ours.jsonl"
fi
f1=$($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$T/ours.jsonl" | awk '{print $3}')
pps=$($PYTHON -c "print(round($pages / $w, 1))")
cpu_pps=$($PYTHON -c "print(round($pages / $c, 1))")
mbs=$($PYTHON -c "print(round($html_bytes * $REPEAT / 1e6 / $w, 1))")
cpu_mbs=$($PYTHON -c "print(round($html_bytes * $REPEAT / 1e6 / $c, 1))")
ratio=$([ -n "$peer_pps" ] && $PYTHON -c "print(round($cpu_pps / $peer_cpu_pps, 1))" || echo "-")
f1ratio=$([ -n "$peer_f1" ] && $PYTHON -c "print(round($f1 / $peer_f1, 3))" || echo "-")
echo "| extract: article pages per CPU second | $cpu_pps pages/s ($cpu_mbs MB/s of HTML); wall $pps pages/s ($mbs MB/s) | ${peer_cpu_pps:-n/a} pages/s (Readability.js+jsdom; wall ${peer_pps:-n/a}) | ${ratio}x | $what, median of 3, pinned to one core; CPU time because the machine is shared |"
echo "| extract: F1 on 60 annotated pages | $f1 | ${peer_f1:-n/a} (Readability.js) | $f1ratio | article-extraction-benchmark metric, tests/tools/extract_f1.py |"
