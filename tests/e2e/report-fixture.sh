#!/usr/bin/env bash
# winnow-report on the committed work-directory fixture (tests/data/report/work:
# real winnow-cat stats on real files plus hand-written extract/filter/dedup/
# bpe/tokenize/pack stats, a tokenizer meta.json, a pack manifest, failed
# attempts). The numbers on the page must equal the sums of the stats files
# (summed independently in Python), the page must be self-contained and
# escaped, and it must render in headless Chromium to a screenshot that is
# not blank.
. "$(dirname "$0")/../lib.sh"
W="$WN_ROOT/tests/data/report/work"
T="$WN_ROOT/tests/tools"
"$BIN/winnow-report" "$W" -o "$WN_TMP/report.html" --json "$WN_TMP/report.json" 2>"$WN_TMP/err"; rc=$?
check_eq "fixture: exit status" "$rc" 0
check_eq "fixture: nothing on stderr" "$(cat "$WN_TMP/err")" ""
$PYTHON "$T/report_check.py" "$W" "$WN_TMP/report.html" "$WN_TMP/report.json" \
  --present funnel,rejections,lengths,languages,duplicates,tokenizer,packing,timings,failures | sed 's/^\(not \)\?ok - /&fixture: /'
[ "${PIPESTATUS[0]}" = 0 ] || WN_FAILED=1
check "fixture: no temporary file left beside the page" test -z "$(ls "$WN_TMP" | grep '\.tmp\.')"

# Same input, same page: nothing time- or order-dependent slips in.
"$BIN/winnow-report" "$W" -o "$WN_TMP/again.html" 2>/dev/null
check "fixture: the page is deterministic" cmp -s "$WN_TMP/report.html" "$WN_TMP/again.html"

# Render in headless Chromium and look at the pixels.
if command -v chromium >/dev/null; then
  prof=$(mktemp -d "$WN_TMP/chromium.XXXXXX")
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
    --screenshot="$WN_TMP/shot.png" --window-size=1200,2000 "file://$WN_TMP/report.html" >/dev/null 2>&1
  check "chromium: screenshot written" test -s "$WN_TMP/shot.png"
  if [ -s "$WN_TMP/shot.png" ]; then
    s=$($PYTHON "$T/report_png.py" stats "$WN_TMP/shot.png")
    echo "# screenshot: $s"
    # a blank page is ~0% non-white with a handful of colours; ours has
    # cards, tables, and coloured bars (blue, orange, green) in the first 2000 px
    check "chromium: the page is not blank (>5% non-white pixels)" \
      $PYTHON -c "import json,sys; sys.exit(not json.loads(sys.argv[1])['non_white'] > 0.05)" "$s"
    check "chromium: charts are drawn (>1% saturated pixels, >50 colours)" \
      $PYTHON -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(not (d['coloured'] > 0.01 and d['colours'] > 50))" "$s"
    if [ -n "${REPORT_SHOT:-}" ]; then cp "$WN_TMP/shot.png" "$REPORT_SHOT"; fi
  fi
else
  if [ "${CI:-}" = true ]; then not_ok "chromium not installed"; else echo "# chromium absent -- render check skipped"; fi
fi
wn_done
