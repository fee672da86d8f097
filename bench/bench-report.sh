#!/usr/bin/env bash
# winnow-report on a large work directory: 5000 tasks of a three-stage step
# (extract-like stats with 15 reasons and histograms, languages on the last
# stage) plus 5000 tasks of a tokenize step: 10,000 markers, ~40 MB. Peer:
# jq summing only the funnel counts of the same markers (`jq -s`), which is
# a fraction of what the report computes. Median of 3, same run.
. "$(dirname "$0")/../tests/lib.sh"; . "$(dirname "$0")/lib.sh"
W="$WN_TMP/work"
$PYTHON - "$W" <<'PY'
import json, os, random, sys
w = sys.argv[1]; r = random.Random(1)
os.makedirs(f"{w}/clean"); os.makedirs(f"{w}/tok")
langs = ["en", "de", "fr", "es", "it", "pt", "nl", "ru", "zh", "ja", "ko", "ar", "hi", "pl", "tr"]
json.dump({"name": "bench", "steps": [{"name": "clean", "barrier": False, "tasks": 5000},
                                      {"name": "tok", "barrier": False, "tasks": 5000}]}, open(f"{w}/run.json", "w"))
for t in range(5000):
    st = [{"argv": ["winnow-" + n], "exit": 0, "stats": {
        "stage": n, "docs_in": 1000, "docs_out": 900, "docs_rejected": 100, "docs_bad": 0, "bytes_in": 10 ** 7,
        "bytes_out": 9 * 10 ** 6, "reasons": {f"rule-{k}": r.randint(0, 20) for k in range(15)}, "seconds": 1.5,
        "hist_bytes_in": [r.randint(0, 100) for _ in range(20)], "hist_bytes_out": [r.randint(0, 100) for _ in range(20)],
        **({"langs": {l: r.randint(0, 50) for l in langs}} if n == "filter" else {})}} for n in ("ingest", "extract", "filter")]
    json.dump({"task": t, "seconds": 5.0, "finished": "2026-11-29T05:00:00Z", "stages": st}, open(f"{w}/clean/{t:05d}.done.json", "w"))
    json.dump({"task": t, "seconds": 2.0, "stages": [{"argv": ["winnow-tokenize"], "stats": {
        "stage": "tokenize", "docs_in": 900, "docs_out": 900, "tokens_out": 400000, "text_bytes": 1600000}}]},
        open(f"{w}/tok/{t:05d}.done.json", "w"))
PY
mb=$(du -sm "$W" | cut -f1)
# CPU seconds (user + system, mean) beside the wall median: on a shared
# machine the wall time is mostly waiting for a core
cpu() { jq -r '.results[0] | .user + .system' "$WN_TMP/hf.json" | awk '{printf "%.2f", $1}'; }
w=$(median_secs 3 "$BIN/winnow-report $W -o $WN_TMP/r.html --json $WN_TMP/r.json"); wc=$(cpu)
j=$(median_secs 3 "cat $W/clean/*.done.json $W/tok/*.done.json | jq -s '[.[].stages[] .stats | .docs_in, .docs_out, .docs_rejected, .bytes_in, .bytes_out] | add' >/dev/null"); jc=$(cpu)
echo "| report: 10,000 markers ($mb MB), page + JSON | $w s wall, $wc s CPU | jq -s, funnel sums only: $j s wall, $jc s CPU | $(ratio $jc $wc)x CPU | median of 3; the page has every section; most of our CPU is jansson parsing |"
