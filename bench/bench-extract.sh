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
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null || return 1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

if [ -x "$BIN/winnow-ingest" ] && [ -n "$warc" ]; then
  for _ in $(seq "$REPEAT"); do cat "$warc"; done >"$T/big.warc.gz"
  what="ingest|extract over the WARC x$REPEAT"
  run() { $PIN bash -c "'$BIN/winnow-ingest' '$T/big.warc.gz' | '$X' --no-progress"; }
else
  what="extract over JSONL x$REPEAT (winnow-ingest not built)"
  run() { $PIN "$X" --no-progress "$T/big.jsonl"; }
fi
echo "bench-extract: $what: $pages pages, $mb MB of HTML" >&2
w=$(for _ in 1 2 3; do secs run; done | median)

echo "bench-extract: Readability.js over the 60 pages" >&2
if [ -d "$WN_ROOT/tests/peers/node_modules/jsdom" ]; then
  $PIN node "$WN_ROOT/tests/peers/readability.js" "$T/dev.jsonl" >"$T/peer.jsonl" 2>"$T/peer.err"
  ps=$(awk '/^pages/ {print $4}' "$T/peer.err")
  peer_pps=$($PYTHON -c "print(round(60 / $ps, 1))")
  peer_f1=$($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$T/peer.jsonl" | awk '{print $3}')
else
  echo "bench-extract: peer not installed (tests/peers/node_modules)" >&2
  peer_pps=; peer_f1=
fi

"$X" --no-progress "$T/dev.jsonl" >"$T/ours.jsonl"
f1=$($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$T/ours.jsonl" | awk '{print $3}')
pps=$($PYTHON -c "print(round($pages / $w, 1))")
mbs=$($PYTHON -c "print(round($html_bytes * $REPEAT / 1e6 / $w, 1))")
ratio=$([ -n "$peer_pps" ] && $PYTHON -c "print(round($pps / $peer_pps, 1))" || echo "-")
f1ratio=$([ -n "$peer_f1" ] && $PYTHON -c "print(round($f1 / $peer_f1, 3))" || echo "-")
echo "| extract: article pages/s, one core | $pps pages/s ($mbs MB/s HTML) | ${peer_pps:-n/a} pages/s (Readability.js+jsdom) | ${ratio}x | $what, median of 3; peer on the 60 pages |"
echo "| extract: F1 on 60 annotated pages | $f1 | ${peer_f1:-n/a} (Readability.js) | $f1ratio | article-extraction-benchmark metric, tests/tools/extract_f1.py |"
