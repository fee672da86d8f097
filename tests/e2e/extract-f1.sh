#!/usr/bin/env bash
# extract-f1.sh -- winnow-extract on the 60 annotated article pages, scored
# with the article-extraction-benchmark metric (tests/tools/extract_f1.py).
# Measured here: balanced F1 0.976 (P 0.967, R 0.984), precision mode 0.973
# (P 0.968), recall mode 0.969 (R 0.986); Readability.js 0.951
# with the same scorer. The threshold leaves a little room for libxml2
# versions, not for regressions.
source "$(dirname "$0")/../lib.sh"
dev=$(wn_data html/dev) || wn_done
gt=$(wn_data html/ground-truth-dev.json) || wn_done
$PYTHON "$WN_ROOT/tests/tools/extract_mkjsonl.py" "$dev" >"$WN_TMP/in.jsonl"

"$BIN/winnow-extract" --stats "$WN_TMP/st.json" "$WN_TMP/in.jsonl" >"$WN_TMP/out.jsonl"
check "extract exits 0" test $? = 0
read -r P R F N < <($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$WN_TMP/out.jsonl")
echo "# balanced: P=$P R=$R F1=$F pages=$N"
check "60 pages scored" test "$N" = 60
check "balanced F1 $F >= 0.96" $PYTHON -c "import sys; sys.exit(0 if $F >= 0.96 else 1)"

for mode in precision recall; do
  "$BIN/winnow-extract" --mode $mode "$WN_TMP/in.jsonl" >"$WN_TMP/$mode.jsonl"
  read -r P2 R2 F2 N2 < <($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$WN_TMP/$mode.jsonl")
  echo "# $mode: P=$P2 R=$R2 F1=$F2"
  check "$mode F1 $F2 >= 0.90" $PYTHON -c "import sys; sys.exit(0 if $F2 >= 0.90 else 1)"
  eval "P_$mode=$P2 R_$mode=$R2"
done
check "precision mode is more precise ($P_precision >= $P)" $PYTHON -c "import sys; sys.exit(0 if $P_precision >= $P else 1)"
check "recall mode recalls more ($R_recall >= $R)" $PYTHON -c "import sys; sys.exit(0 if $R_recall >= $R else 1)"

# The real pipe: winnow-ingest on the WARC wrapping the same pages.
if [ -x "$BIN/winnow-ingest" ] && warc=$(wn_data warc/article-pages-60.warc.gz); then
  "$BIN/winnow-ingest" --no-progress "$warc" | "$BIN/winnow-extract" --no-progress >"$WN_TMP/pipe.jsonl"
  read -r P3 R3 F3 N3 < <($PYTHON "$WN_ROOT/tests/tools/extract_f1.py" "$gt" "$WN_TMP/pipe.jsonl")
  echo "# ingest|extract: P=$P3 R=$R3 F1=$F3"
  check "ingest|extract F1 $F3 >= 0.96" $PYTHON -c "import sys; sys.exit(0 if $F3 >= 0.96 else 1)"
fi
if [ -x "$BIN/winnow-ingest" ] && wiki=$(wn_data wikipedia/enwiki-2016-206pages.xml.bz2); then
  "$BIN/winnow-ingest" --no-progress "$wiki" | "$BIN/winnow-extract" --no-progress >"$WN_TMP/wiki.jsonl"
  check_eq "ingest|extract: 106 wiki articles" "$(grep -c '"text":' "$WN_TMP/wiki.jsonl")" 106
  check "ingest|extract: no wiki markup left" bash -c "! grep -q '{{\|\[\[\|<ref' '$WN_TMP/wiki.jsonl'"
fi

# Every page yields text, a title and a language.
check "no page rejected" grep -q '"docs_out":60' "$WN_TMP/st.json"
check "titles set" test "$(grep -c '"title":' "$WN_TMP/out.jsonl")" = 60
wn_done
