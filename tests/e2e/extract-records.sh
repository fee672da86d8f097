#!/usr/bin/env bash
# extract-records.sh -- winnow-extract's record contract: text records pass
# through byte for byte, html/wikitext become text with other fields kept,
# limits and empty pages are rejected with reasons, malformed records are
# bad, and docs_in == docs_out + docs_rejected + docs_bad.
source "$(dirname "$0")/../lib.sh"
X="$BIN/winnow-extract"
P='The committee met on Tuesday to discuss the budget, which had been delayed for months, and agreed on a plan.'
cat >"$WN_TMP/in.jsonl" <<JSON
{"id": "t1", "text": "already text \u00e9",   "source": "x", "metadata": {"a": 1}}
{"id":"h1","html":"<html lang=\"de\"><head><title>T</title></head><body><nav>Menu</nav><div><p>$P</p><p>$P</p></div></body></html>","url":"https://e.org/","metadata":{"charset":"utf-8","warc_date":"2019"}}
{"id":"h2","html":"<html><body><script>x</script></body></html>"}
{"id":"w1","wikitext":"'''Paris''' is the [[capital city|capital]] of [[France]].{{Infobox|x=1}}<ref>note</ref>","metadata":{"title":"Paris"}}
{"id":"b1","html":42}
not json at all
{"id":"n1","source":"no markup"}
{"id":"h3","html":"<p>$P $P $P $P $P $P $P $P $P $P $P $P $P $P $P $P $P $P</p>"}
JSON
"$X" --max-bytes 1000 --stats "$WN_TMP/st.json" --rejects "$WN_TMP/rej.jsonl" --bad "$WN_TMP/bad.jsonl" \
  "$WN_TMP/in.jsonl" >"$WN_TMP/out.jsonl" 2>"$WN_TMP/err"
check_eq "exit 1 with bad records" $? 1
check_eq "text record byte for byte" "$(sed -n 1p "$WN_TMP/out.jsonl")" "$(sed -n 1p "$WN_TMP/in.jsonl")"
$PYTHON - "$WN_TMP/out.jsonl" <<'PY' && ok "html and wikitext records converted" || not_ok "html and wikitext records converted"
import json, sys
recs = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
h = recs["h1"]
assert "html" not in h and "Menu" not in h["text"] and h["text"].startswith("The committee"), h
assert h["url"] == "https://e.org/" and h["metadata"]["warc_date"] == "2019" and h["metadata"]["charset"] == "utf-8"
assert h["metadata"]["title"] == "T" and h["metadata"]["html_lang"] == "de"
w = recs["w1"]
assert "wikitext" not in w and w["text"] == "Paris is the capital of France.", w
assert w["metadata"]["title"] == "Paris"
assert set(recs) == {"t1", "h1", "w1"}, recs.keys()
PY
$PYTHON - "$WN_TMP/st.json" <<'PY' && ok "stats: identity and reasons" || not_ok "stats: identity and reasons"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["docs_in"] == 7 + 1 and s["docs_in"] == s["docs_out"] + s["docs_rejected"] + s["docs_bad"], s
assert s["docs_out"] == 3 and s["docs_bad"] == 2, s
assert s["reasons"] == {"empty": 1, "no-content": 1, "too-large": 1}, s["reasons"]
PY
check_eq "rejects carry rejected_by" "$(grep -o '"rejected_by":"extract:[a-z-]*"' "$WN_TMP/rej.jsonl" | sort | tr '\n' ' ')" \
  '"rejected_by":"extract:empty" "rejected_by":"extract:no-content" "rejected_by":"extract:too-large" '
check_eq "bad lines kept raw" "$(wc -l <"$WN_TMP/bad.jsonl")" 2
check "bad record named with file and line" grep -q 'in.jsonl.*line 5' "$WN_TMP/err"

# -j N: same records, same order, same accounting
"$X" -j 3 --max-bytes 1000 --stats "$WN_TMP/st3.json" --rejects "$WN_TMP/rej3.jsonl" --bad "$WN_TMP/bad3.jsonl" \
  "$WN_TMP/in.jsonl" >"$WN_TMP/out3.jsonl" 2>/dev/null
check_eq "-j 3 exit 1 with bad records" $? 1
check "-j 3 output identical" cmp -s "$WN_TMP/out.jsonl" "$WN_TMP/out3.jsonl"
check "-j 3 rejects identical" cmp -s "$WN_TMP/rej.jsonl" "$WN_TMP/rej3.jsonl"
check_eq "-j 3 counts" "$(grep -o '"docs_[a-z]*":[0-9]*' "$WN_TMP/st3.json" | tr '\n' ' ')" \
  "$(grep -o '"docs_[a-z]*":[0-9]*' "$WN_TMP/st.json" | tr '\n' ' ')"
if dev=$(wn_data html/dev); then
  $PYTHON "$WN_ROOT/tests/tools/extract_mkjsonl.py" "$dev" 3 >"$WN_TMP/dev3.jsonl"
  "$X" "$WN_TMP/dev3.jsonl" >"$WN_TMP/d1.jsonl"; "$X" -j 4 "$WN_TMP/dev3.jsonl" >"$WN_TMP/d4.jsonl"
  check "-j 4 on 180 pages: identical output in input order" cmp -s "$WN_TMP/d1.jsonl" "$WN_TMP/d4.jsonl"
fi

# --max-seconds: a page that cannot finish in time is rejected as timeout
if [ -n "${dev:-}" ]; then
  "$X" --max-seconds 0.000001 --stats "$WN_TMP/sto.json" "$WN_TMP/dev3.jsonl" >"$WN_TMP/o.jsonl"
  check "--max-seconds rejects as timeout" grep -q '"reasons":{"timeout":180}' "$WN_TMP/sto.json"
fi

# flags
"$X" --help >"$WN_TMP/help" 2>&1; check_eq "--help exits 0" $? 0
check "--help lists --mode" grep -q -- '--mode' "$WN_TMP/help"
"$X" --mode fast </dev/null >/dev/null 2>&1; check_eq "bad --mode is a usage error" $? 2
"$X" --wiki-tables maybe </dev/null >/dev/null 2>&1; check_eq "bad --wiki-tables is a usage error" $? 2
printf '{"id":"w","wikitext":"A\\n{|\\n| a || b\\n|}\\nB"}\n' | "$X" --wiki-tables flatten >"$WN_TMP/wt.jsonl"
check_eq "--wiki-tables flatten" "$(cat "$WN_TMP/wt.jsonl")" '{"id":"w","text":"A\n\na\tb\n\nB"}'

# The WARC-derived dev pages through the real enwiki sample: all articles convert.
if wiki=$(wn_data wikipedia/enwiki-2016-206pages.xml.bz2); then
  $PYTHON - "$wiki" >"$WN_TMP/wiki.jsonl" <<'PY'
import bz2, html, json, re, sys
s = bz2.open(sys.argv[1]).read().decode()
for i, (title, text) in enumerate(re.findall(r"<title>(.*?)</title>.*?<text[^>]*>(.*?)</text>", s, re.S)):
    t = html.unescape(text)
    if t.lstrip().upper().startswith("#REDIRECT"):
        continue
    print(json.dumps({"id": "w%d" % i, "wikitext": t, "metadata": {"title": html.unescape(title)}}))
PY
  n=$(wc -l <"$WN_TMP/wiki.jsonl")
  "$X" --stats "$WN_TMP/wst.json" "$WN_TMP/wiki.jsonl" >"$WN_TMP/wout.jsonl"
  check_eq "enwiki sample converts" $? 0
  check "enwiki: no markup left" bash -c "! grep -q '{{\|\[\[\|&lt;ref' '$WN_TMP/wout.jsonl'"
  echo "# enwiki: $n articles in, $(wc -l <"$WN_TMP/wout.jsonl") out"
fi
wn_done
