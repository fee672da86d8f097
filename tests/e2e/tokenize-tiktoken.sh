#!/usr/bin/env bash
# tokenize-tiktoken: winnow-tokenize with the cl100k_base / o200k_base / gpt2
# ranks of the npm `tiktoken` package (extracted into a temp dir, never
# committed) gives the same ids as tiktoken's encode_ordinary on the
# adversarial strings and on a strided sample of mixed-real-text (every 5th
# document, ~19k; TOKENIZE_FULL=1 takes all 97k).
. "$(dirname "$0")/../lib.sh"
P=$WN_ROOT/tests/peers
TT=$P/tiktoken_encode.js
ADV=$WN_ROOT/tests/data/tokenizer-adversarial.jsonl
if [ ! -d "$P/node_modules/tiktoken" ]; then
  if [ "${CI:-}" = true ]; then not_ok "npm tiktoken peer missing (tests/peers/node_modules)"; else echo "# npm tiktoken missing: skipping"; fi
  wn_done
fi

same() { # same NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then ok "$1"
  else not_ok "$1: $(cmp "$2" "$3" 2>&1 | head -1)"; diff <(cut -c1-300 "$2") <(cut -c1-300 "$3") | head -6; fi
}

for enc in cl100k o200k gpt2; do
  name=${enc}_base; [ $enc = gpt2 ] && name=gpt2
  node "$TT" ranks $name "$WN_TMP/$name.tiktoken"
  node "$TT" encode $name <"$ADV" >"$WN_TMP/ref.jsonl"
  "$BIN/winnow-tokenize" --tiktoken "$WN_TMP/$name.tiktoken" --pattern $enc --emit jsonl --eos none "$ADV" >"$WN_TMP/ours.jsonl"
  same "$enc: adversarial strings ($(wc -l <"$ADV") docs) equal tiktoken" "$WN_TMP/ref.jsonl" "$WN_TMP/ours.jsonl"
done

# the pattern text we compile is tiktoken's pat_str, verbatim
for enc in cl100k o200k gpt2; do
  name=${enc}_base; [ $enc = gpt2 ] && name=gpt2
  got=$("$BIN/winnow-tokenize" --tiktoken "$WN_TMP/$name.tiktoken" --pattern $enc </dev/null | $PYTHON -c '
import json, struct, sys
d = sys.stdin.buffer.read(); n = struct.unpack("<I", d[8:12])[0]
print(json.loads(d[12:12 + n])["pattern"])')
  want=$(node "$TT" pattern $name)
  check_eq "$enc: pattern in the stream header is tiktoken's pat_str" "$got" "$want"
done

# standard specials come with the named encodings
got=$("$BIN/winnow-tokenize" --tiktoken "$WN_TMP/cl100k_base.tiktoken" --pattern cl100k --emit jsonl <<<'{"id":"a","text":"<|endoftext|>"}')
check_eq "cl100k: EOS 100257 by default; '<|endoftext|>' in text is ordinary text" "$got" '{"id":"a","tokens":[27,91,8862,728,428,91,29,100257]}'
got=$("$BIN/winnow-tokenize" --tiktoken "$WN_TMP/o200k_base.tiktoken" --pattern o200k --emit jsonl --bos --bos-id 200018 <<<'{"id":"a","text":"hi"}')
check_eq "o200k: EOS 199999, --bos --bos-id" "$got" '{"id":"a","tokens":[200018,3686,199999]}'

if D=$(wn_data jsonl/mixed-real-text.jsonl.zst); then
  if [ "${TOKENIZE_FULL:-}" = 1 ]; then zstd -dc "$D" >"$WN_TMP/corpus.jsonl"
  else zstd -dc "$D" | awk 'NR % 5 == 1' >"$WN_TMP/corpus.jsonl"; fi
  n=$(wc -l <"$WN_TMP/corpus.jsonl")
  for enc in cl100k o200k; do
    node "$TT" encode ${enc}_base <"$WN_TMP/corpus.jsonl" >"$WN_TMP/ref.jsonl"
    "$BIN/winnow-tokenize" -j 2 --tiktoken "$WN_TMP/${enc}_base.tiktoken" --pattern $enc --emit jsonl --eos none "$WN_TMP/corpus.jsonl" >"$WN_TMP/ours.jsonl"
    same "$enc: mixed-real-text ($n docs) equals tiktoken" "$WN_TMP/ref.jsonl" "$WN_TMP/ours.jsonl"
  done
fi
wn_done
