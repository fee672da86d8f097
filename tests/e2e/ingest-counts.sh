#!/usr/bin/env bash
# ingest-counts: winnow-ingest on the real dumps gives the documented counts
# (issue 3, "Done when"), keeps the stats identity, and writes valid JSONL.
. "$(dirname "$0")/../lib.sh"

# stat FILE KEY: a top-level number from a --stats file, or a reason's count
stat() { $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); k=sys.argv[2]; print(d[k] if k in d else d["reasons"].get(k,0))' "$1" "$2"; }
identity() { $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["docs_in"]!=d["docs_out"]+d["docs_rejected"]+d["docs_bad"] or sum(d["reasons"].values())!=d["docs_rejected"])' "$1"; }
valid_jsonl() { $PYTHON -c '
import json,sys
n=0
for l in open(sys.argv[1], encoding="utf-8"):
    d=json.loads(l); n+=1
    assert d["id"] and d["source"] and ("html" in d or "text" in d or "wikitext" in d), d.get("id")
    m=d["metadata"]
    if "html" in d: assert "warc_offset" in m or "archive_member" in m
' "$1"; }

# run NAME FILE KEY=VALUE...: ingest FILE, check exit 0, identity, JSONL, and each count
run() {
  local name=$1 f; f=$(wn_data "$2") || return 0; shift 2
  "$BIN/winnow-ingest" --stats "$WN_TMP/$name.json" --rejects "$WN_TMP/$name.rej" "$f" >"$WN_TMP/$name.jsonl" 2>"$WN_TMP/$name.err"
  check_eq "$name: exit status" "$?" 0
  check "$name: docs_in == out + rejected + bad, reasons sum to rejected" identity "$WN_TMP/$name.json"
  check "$name: output is valid JSONL records" valid_jsonl "$WN_TMP/$name.jsonl"
  check_eq "$name: output lines == docs_out" "$(wc -l <"$WN_TMP/$name.jsonl")" "$(stat "$WN_TMP/$name.json" docs_out)"
  local kv
  for kv in "$@"; do check_eq "$name: ${kv%%=*}" "$(stat "$WN_TMP/$name.json" "${kv%%=*}")" "${kv#*=}"; done
}

run resiliparse warc/resiliparse-warcfile.warc.gz docs_out=16 request=17 metadata=16 warcinfo=1
run dolma0 warc/dolma-sample-0000.warc.gz docs_out=22 request=22
run dolma1 warc/dolma-sample-0001.warc.gz docs_out=15
run wet warc/cc-2019-30-697docs.warc.wet.gz docs_out=670 empty=27 docs_in=698 warcinfo=1
run enwiki wikipedia/enwiki-2016-206pages.xml.bz2 docs_out=106 docs_rejected=100 redirect=99 namespace=1 docs_in=206
run pywb warc/pywb-iana.warc.gz docs_out=16 revisit=123 redirect=4 not-html=28 request=171
run articles warc/article-pages-60.warc.gz docs_out=60

# urls lose wget's angle brackets; ids are the WARC-Record-IDs
if [ -s "$WN_TMP/dolma0.jsonl" ]; then
  check_eq "dolma0: urls without <>" "$(grep -c '"url":"<' "$WN_TMP/dolma0.jsonl")" 0
  check_eq "dolma0: ids are WARC-Record-IDs" "$(grep -c '"id":"<urn:uuid:' "$WN_TMP/dolma0.jsonl")" 22
fi
# rejects: redirects carry id/url, non-HTML bodies carry no payload
if [ -s "$WN_TMP/pywb.rej" ]; then
  check_eq "pywb: rejects with a page (redirect + not-html)" "$(grep -c 'rejected_by' "$WN_TMP/pywb.rej")" 32
  check_eq "pywb: rejected non-HTML without payload" "$(grep '"ingest:not-html"' "$WN_TMP/pywb.rej" | grep -c '"html"')" 0
fi
# warc_offset seeks back to the record's gzip member
if f=$(wn_data warc/pywb-iana.warc.gz) && [ -s "$WN_TMP/pywb.jsonl" ]; then
  ok_seek=1
  while read -r off id; do
    got=$(tail -c +$((off + 1)) "$f" | gzip -dc 2>/dev/null | head -c 2000 | grep -a -m1 '^WARC-Record-ID' | tr -d '\r' | cut -d' ' -f2)
    [ "$got" = "$id" ] || { ok_seek=0; echo "# offset $off: $got != $id"; }
  done < <($PYTHON -c 'import json,sys
for l in open(sys.argv[1]).readlines()[:8]: d=json.loads(l); print(d["metadata"]["warc_offset"], d["id"])' "$WN_TMP/pywb.jsonl")
  check_eq "pywb: warc_offset seeks to the record's gzip member" $ok_seek 1
fi
# the wiki: urls from <siteinfo><base>, metadata fields
if [ -s "$WN_TMP/enwiki.jsonl" ]; then
  check_eq "enwiki: url and title" "$(head -1 "$WN_TMP/enwiki.jsonl" | $PYTHON -c 'import json,sys; d=json.loads(sys.stdin.read()); m=d["metadata"]; print(d["url"].startswith("https://en.wikipedia.org/wiki/"), d["url"].endswith(m["title"].replace(" ","_")), m["page_id"]>0, len(m["timestamp"])==20)')" "True True True True"
fi
wn_done
