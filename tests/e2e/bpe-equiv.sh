#!/usr/bin/env bash
# bpe-equiv.sh -- the files winnow-bpe writes agree with each other and load
# in the reference implementations: Hugging Face tokenizers (npm) encodes a
# strided sample of mixed-real-text with our tokenizer.json to the same ids as
# npm tiktoken with our tokenizer.tiktoken + pattern, and tiktoken decodes
# them back to the text; meta.json's hash is tokenizer.json's SHA-256.
source "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
peers=$WN_ROOT/tests/peers
[ -d "$peers/node_modules/tokenizers" ] || { not_ok "npm peers missing (see tests/peers)"; wn_done; }
zstd -dc "$data" >"$WN_TMP/all.jsonl"
awk 'NR % 10 == 3' "$WN_TMP/all.jsonl" >"$WN_TMP/train.jsonl"

run() { # NAME FLAGS...: train on the sample, compare encoders on another stride
  local name=$1; shift
  local out="$WN_TMP/$name"
  if ! "$BIN/winnow-bpe" train --vocab-size 8000 -j 2 -o "$out" "$@" "$WN_TMP/train.jsonl"; then
    not_ok "$name: training failed"; return
  fi
  local r
  r=$(cd "$peers" && node bpe_equiv.js "$out" "$WN_TMP/all.jsonl" 29 2>&1)
  case $r in *"mismatches 0") ok "$name: HF tokenizer.json == tiktoken ranks (${r##*docs })";;
    *) not_ok "$name: $r";; esac
  local h
  h=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$out/tokenizer.meta.json")
  check_eq "$name: meta hash is sha256(tokenizer.json)" "$h" "$(sha256sum "$out/tokenizer.json" | cut -d' ' -f1)"
}
run cl100k
run cl100k-specials-last --specials-last --special '<|endoftext|>,<|pad|>'
run o200k --pattern o200k
run gpt2 --pattern gpt2 --min-frequency 3

# specials: HF ids first by default; last with --specials-last
"$PYTHON" - "$WN_TMP/cl100k" "$WN_TMP/cl100k-specials-last" <<'PY' && ok "special ids: first (HF) / last (tiktoken)" || not_ok "special ids"
import json, sys
a = json.load(open(sys.argv[1] + "/tokenizer.meta.json")); b = json.load(open(sys.argv[2] + "/tokenizer.meta.json"))
assert a["specials"] == {"<|endoftext|>": 0}, a["specials"]
assert b["specials"] == {"<|endoftext|>": 7998, "<|pad|>": 7999}, b["specials"]
tj = json.load(open(sys.argv[2] + "/tokenizer.json"))
assert [(t["id"], t["content"], t["special"]) for t in tj["added_tokens"]] == [(7998, "<|endoftext|>", True), (7999, "<|pad|>", True)]
assert sorted(tj["model"]["vocab"].values()) == list(range(8000))
ranks = [int(l.split()[1]) for l in open(sys.argv[2] + "/tokenizer.tiktoken")]
assert ranks == list(range(7998)), "tiktoken ranks are 0..N-1"
PY

# Our own encoder (winnow-tokenize, tokenizer/ library) with our tokenizer.json
# and with our .tiktoken gives the same ids as HF tokenizers.
awk 'NR % 29 == 1' "$WN_TMP/all.jsonl" >"$WN_TMP/enc.jsonl"
ids() { "$PYTHON" -c 'import sys,json; [print(json.dumps(json.loads(l)["tokens"], separators=(",", ":"))) for l in sys.stdin]'; }
if [ -x "$BIN/winnow-tokenize" ]; then
  for name in cl100k cl100k-specials-last o200k gpt2; do
    d="$WN_TMP/$name"; pat=${name%%-*}
    (cd "$peers" && node bpe_encode_hf.js "$d/tokenizer.json" "$WN_TMP/enc.jsonl") >"$WN_TMP/hf.ids"
    "$BIN/winnow-tokenize" --tokenizer "$d/tokenizer.json" --emit jsonl --eos none "$WN_TMP/enc.jsonl" | ids >"$WN_TMP/ours.ids"
    check "$name: winnow-tokenize --tokenizer == HF tokenizers" cmp -s "$WN_TMP/ours.ids" "$WN_TMP/hf.ids"
    "$BIN/winnow-tokenize" --tiktoken "$d/tokenizer.tiktoken" --pattern "$pat" --emit jsonl --eos none "$WN_TMP/enc.jsonl" | ids >"$WN_TMP/ours.tt.ids"
    check "$name: winnow-tokenize --tiktoken == HF tokenizers" cmp -s "$WN_TMP/ours.tt.ids" "$WN_TMP/hf.ids"
  done
  # the token stream names our tokenizer by meta.json's hash, and finds its EOS
  hdr=$("$BIN/winnow-tokenize" --tokenizer "$WN_TMP/cl100k-specials-last" "$WN_TMP/enc.jsonl" | "$PYTHON" -c '
import sys, json, struct
b = sys.stdin.buffer.read(); n = struct.unpack("<I", b[8:12])[0]; h = json.loads(b[12:12 + n])
print(h["tokenizer_hash"], h["eos_id"], h["vocab_size"])')
  m=$("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["hash"], m["specials"]["<|endoftext|>"], m["vocab_size"])' "$WN_TMP/cl100k-specials-last/tokenizer.meta.json")
  check_eq "token stream header: tokenizer hash, EOS id, vocab size from our files" "$hdr" "$m"
else
  echo "# winnow-tokenize not built: encoder comparison skipped"
fi
wn_done
