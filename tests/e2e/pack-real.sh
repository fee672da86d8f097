#!/usr/bin/env bash
# pack-real.sh -- the real chain: a strided sample of mixed-real-text through
# winnow-tokenize with OLMo 2's tokenizer (cl100k ids, vocab 100278: uint32
# npy/llm.c shards, int32 Megatron), then winnow-pack in every format, read
# back with numpy / the Megatron-layout reader / llm.c's np.fromfile and
# compared token for token with the stream.
. "$(dirname "$0")/../lib.sh"
TOOLS=$WN_ROOT/tests/tools
src=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
tok=$(wn_data tokenizers/olmo2-dolma2-tokenizer.json) || wn_done
[ -x "$BIN/winnow-tokenize" ] || { echo "# winnow-tokenize not built -- skipping"; wn_done; }
"$BIN/winnow-cat" "$src" | awk 'NR % 13 == 0' | "$BIN/winnow-tokenize" --tokenizer "$tok" >"$WN_TMP/s.tok" 2>"$WN_TMP/terr"
check_eq "tokenize: exit 0" $? 0

run() { # run NAME DIR ARGS...
  local name=$1 dir=$2; shift 2
  if "$BIN/winnow-pack" -o "$dir" "$@" "$WN_TMP/s.tok" 2>"$WN_TMP/err"; then ok "$name: pack"
  else not_ok "$name: pack ($(head -3 "$WN_TMP/err"))"; return; fi
  check "$name: --verify" "$BIN/winnow-pack" --verify "$dir"
  $PYTHON "$TOOLS/pack_check.py" "$dir" "$WN_TMP/s.tok" | sed "s/^\(not \)\{0,1\}ok - /&$name: /" >"$WN_TMP/chk"
  cat "$WN_TMP/chk"
  grep -q '^not ok' "$WN_TMP/chk" && WN_FAILED=1
}
run "olmo2 npy bestfit" "$WN_TMP/a" --seq-len 2048 --val-fraction 0.02
check_eq "olmo2 npy: uint32 tokens, PAD = 100277" "$(jq -c '[.dtype, .pad_token, .tokenizer.vocab_size]' "$WN_TMP/a/manifest.json")" \
  '["uint32",100277,100278]'
run "olmo2 megatron" "$WN_TMP/b" --format megatron
check_eq "olmo2 megatron: int32 (vocab >= 65500)" "$(jq -r .dtype "$WN_TMP/b/manifest.json")" int32
run "olmo2 llmc" "$WN_TMP/c" --format llmc --shard-tokens 1M
check_eq "olmo2 llmc: Llama-3 form (magic 20240801, version 7)" \
  "$(od -An -tu4 -N8 "$WN_TMP/c/winnow_train_000000.bin" | tr -s ' ')" " 20240801 7"
# the tokenizer hash travels from the tokenizer into the manifest unchanged
check_eq "tokenizer hash carried through" "$(jq -r .tokenizer.hash "$WN_TMP/b/manifest.json")" \
  "$($PYTHON -c "import sys; sys.path.insert(0, '$TOOLS'); from pack_stream import read_stream; print(read_stream('$WN_TMP/s.tok')[0]['tokenizer_hash'])")"
wn_done
