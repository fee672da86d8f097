#!/usr/bin/env bash
# tokenize-stream: the token stream of winnow-tokenize: one document per
# input record in input order (also with -j), EOS per document, empty
# documents, bad records accounted, --source, --decode round trip
# (decode(encode(x)) == x), truncation detected. Token counts per document
# were checked against HF tokenizers (hf_encode.js) plus one EOS.
. "$(dirname "$0")/../lib.sh"
TJ=$(wn_data tokenizers/olmo2-dolma2-tokenizer.json) || wn_done
T="$BIN/winnow-tokenize --tokenizer $TJ"
DOCS=$WN_ROOT/tests/data/tokenizer-docs.jsonl
ADV=$WN_ROOT/tests/data/tokenizer-adversarial.jsonl

$T --source fallback --stats "$WN_TMP/st.json" -o "$WN_TMP/d.tok" "$DOCS" 2>"$WN_TMP/err"; rc=$?
check_eq "bad records: exit 1" "$rc" 1
got=$($PYTHON -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["docs_in"], s["docs_out"], s["docs_bad"])' "$WN_TMP/st.json")
check_eq "accounting: 8 in = 5 out + 3 bad" "$got" "8 5 3"
check "bad records named with file and line" grep -q 'tokenizer-docs.jsonl:line 4: record has no string' "$WN_TMP/err"

# the framing, read independently of the C reader
got=$($PYTHON - "$WN_TMP/d.tok" <<'PY'
import json, struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"WNTOK\0\1\n"
n = struct.unpack("<I", d[8:12])[0]; h = json.loads(d[12:12 + n]); p = 12 + n
out = []
while True:
    nt, = struct.unpack("<I", d[p:p + 4])
    if nt == 0xFFFFFFFF:
        docs, toks = struct.unpack("<QQ", d[p + 4:p + 20]); assert p + 20 == len(d); break
    ns, ni = struct.unpack("<II", d[p + 4:p + 12]); p += 12
    src = d[p:p + ns].decode(); p += ns
    did = d[p:p + ni].decode(); p += ni
    ids = struct.unpack("<%dI" % nt, d[p:p + 4 * nt]); p += 4 * nt
    assert ids[-1] == h["eos_id"]
    out.append("%s/%s/%d" % (did, src, nt))
print(" ".join(out), docs)
PY
)
check_eq "stream: ids, sources (--source for none), EOS, empty doc, trailer" "$got" \
  "d1/web/7 d2/fallback/1 7/books/11 d7/code/13 /web/4 5"

$T --decode "$WN_TMP/d.tok" >"$WN_TMP/back.jsonl"
got=$($PYTHON - "$DOCS" "$WN_TMP/back.jsonl" <<'PY'
import json, sys
src = []
for l in open(sys.argv[1]):
    try: r = json.loads(l)
    except ValueError: continue
    if isinstance(r.get("text"), str): src.append(r)
back = [json.loads(l) for l in open(sys.argv[2])]
ok = len(src) == len(back) and all(a["text"] == b["text"] and str(a.get("id", "")) == b["id"] for a, b in zip(src, back))
print("same" if ok else "differ")
PY
)
check_eq "decode(encode(x)) == x on the sample documents" "$got" same

# round trip and -j order on adversarial strings plus a strided corpus sample
cp "$ADV" "$WN_TMP/rt.jsonl"
if D=$(wn_data jsonl/mixed-real-text.jsonl.zst); then zstd -dc "$D" | awk 'NR % 10 == 7' >>"$WN_TMP/rt.jsonl"; fi
$T -o "$WN_TMP/j1.tok" "$WN_TMP/rt.jsonl"
$T -j 2 -o "$WN_TMP/j2.tok" "$WN_TMP/rt.jsonl"
$T -j 3 <"$WN_TMP/rt.jsonl" >"$WN_TMP/j3.tok"
check "-j 2 and -j 3 streams are byte-identical to -j 1" sh -c "cmp -s '$WN_TMP/j1.tok' '$WN_TMP/j2.tok' && cmp -s '$WN_TMP/j1.tok' '$WN_TMP/j3.tok'"
$T --decode "$WN_TMP/j2.tok" >"$WN_TMP/rt-back.jsonl"
got=$($PYTHON - "$WN_TMP/rt.jsonl" "$WN_TMP/rt-back.jsonl" <<'PY'
import json, sys
a = [json.loads(l)["text"] for l in open(sys.argv[1])]
b = [json.loads(l)["text"] for l in open(sys.argv[2])]
bad = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
print(len(a), bad)
PY
)
check_eq "decode(encode(x)) == x on adversarial + corpus sample" "${got#* }" 0

# emit jsonl with --eos none; --bos with an explicit id
got=$(printf '{"id":"x","text":"Hello"}\n{"id":"y","text":""}\n' | $T --emit jsonl --eos none --bos --bos-id 100257)
check_eq "--emit jsonl --eos none --bos" "$got" '{"id":"x","tokens":[100257,9906]}
{"id":"y","tokens":[100257]}'

head -c 300 "$WN_TMP/j1.tok" >"$WN_TMP/trunc.tok"
$T --decode "$WN_TMP/trunc.tok" >/dev/null 2>"$WN_TMP/err"; rc=$?
check "truncated stream: decode fails with a message" test $rc = 1 -a -n "$(grep -i truncated "$WN_TMP/err")"
$T --tiktoken /nonexistent --pattern cl100k </dev/null >/dev/null 2>&1; rc=$?
check_eq "missing ranks file: usage exit 2" "$rc" 2
wn_done
