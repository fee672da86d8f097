#!/usr/bin/env bash
# winnow-report on a work directory written by the real winnow-run (skipped
# while bin/winnow-run is not built): a two-stage per-file step over real
# JSONL files (one with malformed lines), a step from its output, a barrier
# merge. The runner calls winnow-report itself at the end; the page it
# leaves in output_dir must hold the sums of the markers' stats.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/winnow-run" ]; then echo "# $BIN/winnow-run not built -- skipped"; wn_done; fi
d=$(wn_data jsonl) || wn_done
cat >"$WN_TMP/p.yaml" <<YAML
name: report-e2e
inputs:
  - "$d/cc-2019-30-697docs.jsonl.gz"
  - "$d/dolma-*.gz"
  - "$WN_ROOT/tests/data/report/bad-lines.jsonl"
work_dir: work
output_dir: out
executor:
  type: local
  workers: 2
steps:
  - name: clean
    stages:
      - [winnow-cat]
      - [winnow-cat]
  - name: again
    from: clean
    stages: [[winnow-cat, "{input}"]]
  - name: merged
    barrier: true
    from: again
    command: [winnow-cat, "{inputs}", -o, "{output}"]
    output: merged.jsonl.zst
YAML
PATH="$BIN:$PATH" timeout 120 "$BIN/winnow-run" "$WN_TMP/p.yaml" >"$WN_TMP/run.out" 2>&1
echo "# winnow-run exit $?"
check "winnow-run wrote the report into output_dir" test -s "$WN_TMP/out/report.html"
if [ -s "$WN_TMP/out/report.html" ]; then
  $PYTHON "$WN_ROOT/tests/tools/report_check.py" "$WN_TMP/work" "$WN_TMP/out/report.html" \
    --present funnel,lengths,timings,failures --absent languages,duplicates,tokenizer,packing \
    | sed 's/^\(not \)\?ok - /&run: /'
  [ "${PIPESTATUS[0]}" = 0 ] || WN_FAILED=1
  bad=$(jq -s '[.[].stages[0].stats.docs_bad] | add' "$WN_TMP"/work/clean/*.done.json)
  check_eq "run: the malformed lines of the real input are counted" "$bad" 2
  check "run: ... and shown" grep -q "data-key=\"clean/0/docs_bad\" data-v=\"2\"" "$WN_TMP/out/report.html"
fi
wn_done
