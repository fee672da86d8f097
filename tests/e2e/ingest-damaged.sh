#!/usr/bin/env bash
# ingest-damaged: the hand-made inputs of tests/data/ingest (garbage between
# records, bad chunking, wrong Content-Length, lying Content-Encoding, a
# corrupt and a truncated gzip member, bare LF and WARC/0.18, tar, zip, a
# UTF-16 wiki export, JSONL), read from files and from pipes, in the release
# and (when built) the sanitizer build.
. "$(dirname "$0")/../lib.sh"
D=$WN_ROOT/tests/data/ingest
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
stat() { $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); k=sys.argv[2]
print(d[k] if k in d else d["reasons"].get(k, d["repairs"].get(k, 0)))' "$1" "$2"; }

# t NAME EXIT INPUT-CMD KEY=VALUE...: run ingest on the output of INPUT-CMD
t() {
  local name=$1 want=$2 src=$3; shift 3
  local b
  for b in "$BIN" ${SAN_BIN:-}; do
    local tag=rel; [ "$b" = "$BIN" ] || tag=san
    bash -c "$src" | "$b/winnow-ingest" ${FORCE:-} --stats "$WN_TMP/s.json" --rejects "$WN_TMP/r.jsonl" >"$WN_TMP/$name.jsonl" 2>"$WN_TMP/$name.err"
    local rc=${PIPESTATUS[1]}
    check_eq "$tag $name: exit" "$rc" "$want"
    ! grep -q -E 'Sanitizer|runtime error' "$WN_TMP/$name.err" || { not_ok "$tag $name: sanitizer report"; head -5 "$WN_TMP/$name.err"; }
    check "$tag $name: stats identity" $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["docs_in"]!=d["docs_out"]+d["docs_rejected"]+d["docs_bad"])' "$WN_TMP/s.json"
    local kv
    for kv in "$@"; do check_eq "$tag $name: ${kv%%=*}" "$(stat "$WN_TMP/s.json" "${kv%%=*}")" "${kv#*=}"; done
  done
}
[ -x "$WN_ROOT/build/san/bin/winnow-ingest" ] && SAN_BIN=$WN_ROOT/build/san/bin

t garbage 1 "cat $D/garbage-between.warc" docs_out=2 docs_bad=2
check "garbage: message names offset and damage" grep -q -- '-:offset 600: .*297 bytes that are not a WARC record' "$WN_TMP/garbage.err"
t chunked 0 "cat $D/chunked.warc" docs_out=3 http-bad-chunked=1 http-not-chunked=1
check "chunked: good chunking decoded exactly" grep -q '"html":"<!doctype html><html><head><title>Chunk</title></head><body><p>Some text.</p></body></html>"' "$WN_TMP/chunked.jsonl"
t content-length 0 "cat $D/content-length.warc" docs_out=4 warc-content-length-too-large=1 warc-content-length-too-small=1
check "content-length: too-large record re-cut before the next record" grep -q '"url":"http://cl.example/too-large","html":"<!doctype html><html><head><title>Long</title></head><body><p>Some text.</p></body></html>"' "$WN_TMP/content-length.jsonl"
t encodings 0 "cat $D/encodings.warc" docs_out=4 http-status=1 redirect=1 not-html=1 empty=1 http-fake-content-encoding=1
check_eq "encodings: gzip and deflate bodies decoded" "$(grep -c -E '<title>(Gzipped|Deflated)</title>' "$WN_TMP/encodings.jsonl")" 2
check "encodings: latin-1 converted to UTF-8" grep -q 'Crème brûlée.*"charset":"windows-1252"' "$WN_TMP/encodings.jsonl"
t corrupt-member 1 "cat $D/corrupt-member.warc.gz" docs_out=2 docs_bad=1
check "corrupt-member: records after the damage kept" grep -q 'c.example' "$WN_TMP/corrupt-member.jsonl"
check "corrupt-member: message names the member" grep -q 'offset 434: .*corrupt gzip data in member at offset 434' "$WN_TMP/corrupt-member.err"
t truncated 1 "cat $D/truncated.warc.gz" docs_out=1 docs_bad=1
check "truncated: message" grep -q 'truncated gzip member at offset 434' "$WN_TMP/truncated.err"
t bare-lf 0 "cat $D/bare-lf-0.18.warc" docs_out=2 warc-bare-lf=2 http-bare-lf=2
t tar 0 "cat $D/site.tar" docs_out=3 not-html=1 empty=1
check "tar: ids from archive name and member" grep -q '"id":"stdin/site/index.html"' "$WN_TMP/tar.jsonl"
t tar.gz 0 "gzip -c $D/site.tar" docs_out=3
t zip 0 "cat $D/site.zip" docs_out=3 not-html=1 empty=1
t wiki-utf16 0 "cat $D/wiki-utf16.xml" docs_out=1 redirect=1 namespace=1
check "wiki-utf16: url from <base>, UTF-8 title" grep -q '"url":"https://test.example.org/wiki/Crème_brûlée"' "$WN_TMP/wiki-utf16.jsonl"
t wiki-cut 1 "cat $D/wiki-cut.xml" docs_out=1 docs_bad=1
check "wiki-cut: XML error named" grep -q 'XML error, line' "$WN_TMP/wiki-cut.err"
t jsonl 1 "xz -c $D/docs.jsonl" docs_out=3 docs_bad=1
check_eq "jsonl: records pass through byte for byte" "$(head -2 "$WN_TMP/jsonl.jsonl")" "$(head -3 "$D/docs.jsonl" | grep .)"
t zstd-warc 0 "zstd -q -c $D/content-length.warc" docs_out=4
t per-record-zstd 0 "for f in $D/garbage-between.warc; do $PYTHON -c 'import sys
d=open(sys.argv[1],\"rb\").read(); i=d.index(b\"this is not\"); sys.stdout.buffer.write(d[:i])' \$f; done | zstd -q -c" docs_out=1
t arc 0 "cat $D/example.arc" docs_out=1 warcinfo=1 not-html=2
check "arc: url and date from the ARC header line" grep -q '"url":"http://arc.example/".*"warc_date":"20060101000001"' "$WN_TMP/arc.jsonl"
t arc.gz 0 "cat $D/example.arc.gz" docs_out=1 warcinfo=1 not-html=2
t arc-cut 1 "head -c 250 $D/example.arc" docs_out=0 docs_bad=1
check "arc-cut: message" grep -q 'ARC record truncated' "$WN_TMP/arc-cut.err"
t not-a-container 1 "echo hello" docs_bad=1
check "not-a-container: says so" grep -q 'not a container' "$WN_TMP/not-a-container.err"
t empty-input 0 "true" docs_in=0
FORCE="--format wiki"; t forced-format 1 "cat $D/chunked.warc" docs_bad=1; FORCE=
wn_done
