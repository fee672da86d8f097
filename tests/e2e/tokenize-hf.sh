#!/usr/bin/env bash
# tokenize-hf: winnow-tokenize loading OLMo 2's real tokenizer.json encodes
# like Hugging Face `tokenizers` (npm, native) loading the same file, on a
# strided sample of mixed-real-text (every 5th document; TOKENIZE_FULL=1
# for all) and on the adversarial strings (minus those that contain an
# added token's text, which HF matches inside text and winnow never does);
# and like tiktoken's cl100k ranks (the same ids for ordinary text).
. "$(dirname "$0")/../lib.sh"
P=$WN_ROOT/tests/peers
ADV=$WN_ROOT/tests/data/tokenizer-adversarial.jsonl
if [ ! -d "$P/node_modules/tokenizers" ]; then
  if [ "${CI:-}" = true ]; then not_ok "npm tokenizers peer missing"; else echo "# npm tokenizers missing: skipping"; fi
  wn_done
fi
same() {
  if cmp -s "$2" "$3"; then ok "$1"
  else not_ok "$1: $(cmp "$2" "$3" 2>&1 | head -1)"; diff <(cut -c1-300 "$2") <(cut -c1-300 "$3") | head -6; fi
}
TJ=$(wn_data tokenizers/olmo2-dolma2-tokenizer.json) || wn_done

grep -v -e '<|' -e '|||' "$ADV" >"$WN_TMP/adv.jsonl"
node "$P/hf_encode.js" encode "$TJ" <"$WN_TMP/adv.jsonl" >"$WN_TMP/hf.jsonl"
"$BIN/winnow-tokenize" --tokenizer "$TJ" --emit jsonl --eos none "$WN_TMP/adv.jsonl" >"$WN_TMP/ours.jsonl"
same "olmo2 tokenizer.json: adversarial strings ($(wc -l <"$WN_TMP/adv.jsonl") docs) equal HF tokenizers" "$WN_TMP/hf.jsonl" "$WN_TMP/ours.jsonl"

# a directory holding tokenizer.json works too; the hash is the file's sha256
mkdir -p "$WN_TMP/tokdir" && cp "$TJ" "$WN_TMP/tokdir/tokenizer.json"
hash=$("$BIN/winnow-tokenize" --tokenizer "$WN_TMP/tokdir" </dev/null | $PYTHON -c '
import json, struct, sys
d = sys.stdin.buffer.read(); n = struct.unpack("<I", d[8:12])[0]
h = json.loads(d[12:12 + n]); print(h["tokenizer_hash"], h["vocab_size"], h["eos_id"], h["bos_id"], h["pad_id"])')
check_eq "tokenizer dir: header hash, vocab size, EOS/BOS/PAD" "$hash" "$(sha256sum "$TJ" | cut -d' ' -f1) 100278 100257 -1 100277"

# what we cannot reproduce exactly is refused, with a message
printf '{"model":{"type":"WordPiece","vocab":{"a":0},"unk_token":"a"},"pre_tokenizer":null}' >"$WN_TMP/wp.json"
"$BIN/winnow-tokenize" --tokenizer "$WN_TMP/wp.json" </dev/null >/dev/null 2>"$WN_TMP/err"; rc=$?
check "WordPiece tokenizer.json refused (exit 2, message names it)" test $rc = 2 -a -n "$(grep WordPiece "$WN_TMP/err")"
$PYTHON -c 'import json,sys; j=json.load(open(sys.argv[1])); j["normalizer"]={"type":"NFKC"}; json.dump(j,open(sys.argv[2],"w"))' "$TJ" "$WN_TMP/nfkc.json"
"$BIN/winnow-tokenize" --tokenizer "$WN_TMP/nfkc.json" </dev/null >/dev/null 2>"$WN_TMP/err"; rc=$?
check "tokenizer.json with an NFKC normalizer refused" test $rc = 2 -a -n "$(grep NFKC "$WN_TMP/err")"

if D=$(wn_data jsonl/mixed-real-text.jsonl.zst); then
  if [ "${TOKENIZE_FULL:-}" = 1 ]; then zstd -dc "$D" >"$WN_TMP/corpus.jsonl"
  else zstd -dc "$D" | awk 'NR % 5 == 3' >"$WN_TMP/corpus.jsonl"; fi
  n=$(wc -l <"$WN_TMP/corpus.jsonl")
  if grep -q -e '<|' -e '|||' "$WN_TMP/corpus.jsonl"; then echo "# note: corpus contains added-token text"; fi
  node "$P/hf_encode.js" encode "$TJ" <"$WN_TMP/corpus.jsonl" >"$WN_TMP/hf.jsonl"
  "$BIN/winnow-tokenize" --tokenizer "$TJ" --emit jsonl --eos none "$WN_TMP/corpus.jsonl" >"$WN_TMP/ours.jsonl"
  same "olmo2 tokenizer.json: mixed-real-text ($n docs) equals HF tokenizers" "$WN_TMP/hf.jsonl" "$WN_TMP/ours.jsonl"
  node "$P/tiktoken_encode.js" ranks cl100k_base "$WN_TMP/cl100k.tiktoken"
  "$BIN/winnow-tokenize" --tiktoken "$WN_TMP/cl100k.tiktoken" --pattern cl100k --emit jsonl --eos none "$WN_TMP/corpus.jsonl" >"$WN_TMP/tt.jsonl"
  same "olmo2 tokenizer.json and cl100k .tiktoken give the same ids" "$WN_TMP/tt.jsonl" "$WN_TMP/ours.jsonl"
fi
wn_done
