#!/usr/bin/env bash
# pack-props.sh -- winnow-pack: determinism by seed, --verify catching a
# flipped byte, bad and truncated input, accounting, midtrain mixing.
. "$(dirname "$0")/../lib.sh"
TOOLS=$WN_ROOT/tests/tools
P=$BIN/winnow-pack
src=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
"$BIN/winnow-cat" "$src" | $PYTHON "$TOOLS/pack_stream.py" gen --stride 29 >"$WN_TMP/s.tok"

hashes() { jq -r '.files[] | .name + " " + .sha256' "$1/manifest.json"; }

# --- determinism: same input + seed = byte-identical shards ---------------
for d in a b; do "$P" -o "$WN_TMP/$d" --seq-len 777 --seed 5 --val-fraction 0.1 --buffer-tokens 200000 "$WN_TMP/s.tok" 2>/dev/null; done
"$P" -o "$WN_TMP/c" --seq-len 777 --seed 6 --val-fraction 0.1 --buffer-tokens 200000 "$WN_TMP/s.tok" 2>/dev/null
check "same seed: byte-identical shards" cmp -s <(hashes "$WN_TMP/a") <(hashes "$WN_TMP/b")
check "same seed: shard files equal on disk" diff -r -q -x manifest.json "$WN_TMP/a" "$WN_TMP/b"
check "other seed: other shards" test "$(hashes "$WN_TMP/a")" != "$(hashes "$WN_TMP/c")"
check_eq "sha256 in manifest is sha256sum's" \
  "$(cd "$WN_TMP/a" && sha256sum tokens.00000.npy | cut -d' ' -f1)" \
  "$(jq -r '.files[0].sha256' "$WN_TMP/a/manifest.json")"

# --- verify: passes, then fails on a flipped byte / missing file -------------
check "verify passes" "$P" --verify "$WN_TMP/a"
f=$WN_TMP/a/segments.00000.npy
$PYTHON - "$f" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x01; open(p, "wb").write(b)
EOF
"$P" --verify "$WN_TMP/a" 2>"$WN_TMP/verr"; check_eq "verify: flipped byte -> exit 1" $? 1
check "verify: names the file" grep -q "segments.00000.npy" "$WN_TMP/verr"
rm "$WN_TMP/b/tokens.00000.npy"
"$P" --verify "$WN_TMP/b" 2>/dev/null; check_eq "verify: missing shard -> exit 1" $? 1
"$P" --verify "$WN_TMP/nonexistent" 2>/dev/null; check_eq "verify: no manifest -> exit 1" $? 1
# a structurally wrong file whose hash is recorded: the llm.c header count
"$P" -o "$WN_TMP/l" --format llmc "$WN_TMP/s.tok" 2>/dev/null
$PYTHON - "$WN_TMP/l" <<'EOF'
import hashlib, json, os, struct, sys
d = sys.argv[1]; m = json.load(open(d + "/manifest.json")); f = m["files"][0]
p = os.path.join(d, f["name"]); b = bytearray(open(p, "rb").read())
struct.pack_into("<i", b, 8, struct.unpack_from("<i", b, 8)[0] - 1)
open(p, "wb").write(b); f["sha256"] = hashlib.sha256(b).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"))
EOF
"$P" --verify "$WN_TMP/l" 2>"$WN_TMP/verr"; check_eq "verify: llm.c header count off by one (hash updated) -> exit 1" $? 1

# --- truncated input: fatal, no manifest, no temporary files left ------------
head -c 100000 "$WN_TMP/s.tok" >"$WN_TMP/trunc.tok"
"$P" -o "$WN_TMP/t" --seq-len 256 --shard-tokens 1000 "$WN_TMP/trunc.tok" 2>"$WN_TMP/terr"; check_eq "truncated stream -> exit 1" $? 1
check "truncated stream: message says so" grep -q "truncated" "$WN_TMP/terr"
check "truncated stream: no manifest (run does not look complete)" test ! -e "$WN_TMP/t/manifest.json"
check_eq "truncated stream: no temporary files" "$(find "$WN_TMP/t" -name '*.tmp.*' | wc -l)" 0
# a rerun into a directory that had a manifest removes it first
cp "$WN_TMP/c/manifest.json" "$WN_TMP/t/"
"$P" -o "$WN_TMP/t" "$WN_TMP/trunc.tok" 2>/dev/null
check "rerun that fails removes the old manifest" test ! -e "$WN_TMP/t/manifest.json"
"$P" -o "$WN_TMP/n" "$WN_TMP/nonexistent.tok" 2>/dev/null; check_eq "missing input -> exit 1" $? 1
printf 'not a token stream' | "$P" -o "$WN_TMP/n" 2>/dev/null; check_eq "garbage input -> exit 1" $? 1
"$P" --seq-len 0 -o "$WN_TMP/n" "$WN_TMP/s.tok" 2>/dev/null; check_eq "usage error -> exit 2" $? 2
"$P" --format parquet -o "$WN_TMP/n" "$WN_TMP/s.tok" 2>/dev/null; check_eq "unknown format -> exit 2" $? 2

# --- a rerun into the same directory leaves only its own shards -------------
"$P" -o "$WN_TMP/re" --seq-len 100 --shard-tokens 20000 --val-fraction 0.1 "$WN_TMP/s.tok" 2>/dev/null
"$P" -o "$WN_TMP/re" --format llmc "$WN_TMP/s.tok" 2>/dev/null
"$P" -o "$WN_TMP/re" --seq-len 100 --shard-tokens 200000 "$WN_TMP/s.tok" 2>"$WN_TMP/reerr"
check_eq "rerun: only this run's shards remain" "$(ls "$WN_TMP/re" | grep -v manifest.json | sort | tr '\n' ' ')" \
  "$(jq -r '.files[].name' "$WN_TMP/re/manifest.json" | sort | tr '\n' ' ')"
check "rerun: removals reported" grep -q "a shard of an earlier run" "$WN_TMP/reerr"
check "rerun: verify" "$P" --verify "$WN_TMP/re"

# --- bad documents (id >= vocab) are counted, reported and skipped ------------
$PYTHON - "$WN_TMP/bad.tok" <<'EOF'
import sys
sys.path.insert(0, sys.argv[0] and "tests/tools")
EOF
$PYTHON -c "
import sys; sys.path.insert(0, '$TOOLS')
from pack_stream import header_bytes, doc_bytes, trailer_bytes
docs = [[1, 2, 3, 256], [5, 300, 256], [], [7] * 10 + [256]]
b = header_bytes(257, eos=256) + b''.join(doc_bytes(d, 'src', 'd%d' % i) for i, d in enumerate(docs))
open('$WN_TMP/bad.tok', 'wb').write(b + trailer_bytes(len(docs), sum(map(len, docs))))
"
"$P" -o "$WN_TMP/bad" --seq-len 16 --min-doc-tokens 5 --stats "$WN_TMP/bad.json" "$WN_TMP/bad.tok" 2>"$WN_TMP/berr"
check_eq "bad token id -> exit 1 (output still delivered)" $? 1
check "bad token id: message names file, document and id" grep -q "bad.tok:document 2: id 'd1': token 300 >= vocab size 257" "$WN_TMP/berr"
check_eq "stats: in = out + rejected + bad" "$(jq -c '[.docs_in, .docs_out, .docs_rejected, .docs_bad, .reasons]' "$WN_TMP/bad.json")" \
  '[4,1,2,1,{"too-short":1,"empty":1}]'
check "bad input: manifest written and verifies" "$P" --verify "$WN_TMP/bad"

# --- many sources (the source table grows while the validation reservoir
# holds pointers into it) ------------------------------------------------------
$PYTHON -c "
import sys; sys.path.insert(0, '$TOOLS')
from pack_stream import header_bytes, doc_bytes, trailer_bytes
docs = [[(i * 7 + j) % 250 for j in range(1 + i % 40)] + [256] for i in range(3000)]
b = header_bytes(257, eos=256) + b''.join(doc_bytes(d, 'src%d' % (i % 700), 'd%d' % i) for i, d in enumerate(docs))
open('$WN_TMP/many.tok', 'wb').write(b + trailer_bytes(len(docs), sum(map(len, docs))))
"
"$P" -o "$WN_TMP/many" --seq-len 64 --val-docs 100 "$WN_TMP/many.tok" 2>/dev/null
check_eq "700 sources + reservoir: exit 0" $? 0
check_eq "700 sources + reservoir: per-source counts add up" \
  "$(jq '[.sources[] | .documents_out + .documents_val] | add' "$WN_TMP/many/manifest.json")" 3000
$PYTHON "$TOOLS/pack_check.py" "$WN_TMP/many" "$WN_TMP/many.tok" >"$WN_TMP/manychk"
check "700 sources + reservoir: read back" test "$(grep -c '^not ok' "$WN_TMP/manychk")" = 0

# --- midtrain mixing: upsample one source, sample another down ----------------
"$P" -o "$WN_TMP/m" --mode midtrain --seq-len 2048 --min-doc-tokens 200 \
  --mix "brown-corpus=1,debian-*=1,commoncrawl-2019-30-cc-licensed=1,enwiki-2016-wikitext=1" "$WN_TMP/s.tok" 2>"$WN_TMP/merr"
check_eq "mix: exit 0" $? 0
check "mix: verify" "$P" --verify "$WN_TMP/m"
$PYTHON "$TOOLS/pack_check.py" "$WN_TMP/m" "$WN_TMP/s.tok" --mix | tee "$WN_TMP/mchk"
grep -q '^not ok' "$WN_TMP/mchk" && WN_FAILED=1
check "mix: each entry within two documents of its requested tokens; up- and downsampled" \
  $PYTHON - "$WN_TMP/m/manifest.json" "$WN_TMP/s.tok" "$TOOLS" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[3])
from pack_stream import read_stream
m = json.load(open(sys.argv[1]))
_, docs = read_stream(sys.argv[2])
ok = True
for key, e in m["mix"].items():
    srcs = {s for s, v in m["sources"].items() if v.get("mix_key") == key}
    big = max(len(t) for s, _, t in docs if s in srcs and len(t) >= 200)
    err = abs(e["tokens_out"] - e["tokens_requested"])
    print(f"# {key}: requested {e['tokens_requested']} written {e['tokens_out']} (largest document {big})")
    ok = ok and err <= 2 * big
w, d = m["mix"]["commoncrawl-2019-30-cc-licensed"], m["mix"]["debian-*"]
ok = ok and w["repeat_factor"] > 2 and w["tokens_out"] > 2 * w["tokens_in"]
ok = ok and d["repeat_factor"] < 0.7 and d["tokens_out"] < 0.7 * d["tokens_in"]
ok = ok and m["sources"]["debian-reference-de"]["mix_key"] == "debian-*"
ok = ok and m["sources"]["tinyshakespeare"]["tokens_out"] == 0
ok = ok and m["mode"] == "midtrain" and m["seq_len"] == 2048
sys.exit(0 if ok else 1)
EOF
"$P" -o "$WN_TMP/m3" --seq-len 1024 --mix "brown-corpus=1,*=1" --mix-tokens 500000 "$WN_TMP/s.tok" 2>/dev/null
check "mix-tokens: train tokens within 2% of 500000; '*' takes the other sources" $PYTHON - "$WN_TMP/m3/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
t = m["counts"]["train"]["tokens"]
ok = abs(t - 500000) < 10000 and m["sources"]["tinyshakespeare"]["mix_key"] == "*"
ok = ok and abs(m["mix"]["*"]["share_achieved"] - 0.5) < 0.02
print(f"# train tokens {t}")
sys.exit(0 if ok else 1)
EOF
printf 'x' | "$P" -o "$WN_TMP/m2" --mix a=1 2>/dev/null; check_eq "mix from stdin -> refused" $? 1
wn_done
