/*
 * tokjson.h -- load a Hugging Face tokenizer.json into a wn_bpe.
 *
 * Accepted: model BPE over GPT-2 byte-level symbols (vocab keys decode
 * through bytelevel.h), merges as "a b" strings or [a, b] pairs, no
 * dropout, no continuing-subword prefix or end-of-word suffix, no byte
 * fallback; normalizer null; pre_tokenizer either ByteLevel(use_regex,
 * add_prefix_space=false) or Sequence[Split(Regex|String, behavior
 * Isolated or Removed+invert), ByteLevel(use_regex=false,
 * add_prefix_space=false)]; decoder ByteLevel or null. `ignore_merges`
 * (Llama 3 style) makes a piece that is a whole token encode to it.
 * Anything else (WordPiece, Unigram, a normalizer, Metaspace, ...) is
 * refused with a message naming it: a tokenizer we cannot reproduce
 * exactly is never used.
 *
 * added_tokens (special or not) become special tokens: they get their ids
 * and decode to their text, but are never produced from document text (HF
 * would match them inside text; winnow encodes text as ordinary text).
 *
 * The tokenizer hash is the sha256 (hex) of the file's bytes.
 * Ownership: the returned model belongs to the caller (wn_bpe_free).
 */
#ifndef WN_TOKJSON_H
#define WN_TOKJSON_H

#include "bpe.h"

/* `path` is a tokenizer.json or a directory holding one. */
struct wn_bpe *wn_tokjson_load(const char *path, char *err, size_t errlen);
struct wn_bpe *wn_tokjson_parse(const char *data, size_t n, const char *name, char *err, size_t errlen);

#endif
