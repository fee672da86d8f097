/*
 * tiktoken_io.h -- load a .tiktoken ranks file (one "BASE64 RANK" per
 * line, as tiktoken's load_tiktoken_bpe reads it) plus a pre-tokenization
 * pattern into a wn_bpe.
 *
 * Ranks are token ids; merges are derived tiktoken-style (bpe.h), and a
 * piece that is a whole token encodes to it directly. With a built-in
 * pattern name and the standard number of ranks (gpt2 50256, cl100k
 * 100256, o200k 199998), the encoding's standard special tokens are added:
 *   gpt2:   <|endoftext|> 50256
 *   cl100k: <|endoftext|> 100257, <|fim_prefix|> 100258,
 *           <|fim_middle|> 100259, <|fim_suffix|> 100260, <|endofprompt|> 100276
 *   o200k:  <|endoftext|> 199999, <|endofprompt|> 200018
 *
 * The tokenizer hash is the sha256 (hex) of the file's bytes, "\n" and the
 * pattern's regex text.
 *
 * Ownership: the returned model belongs to the caller (wn_bpe_free).
 */
#ifndef WN_TIKTOKEN_IO_H
#define WN_TIKTOKEN_IO_H

#include "bpe.h"

struct wn_bpe *wn_tiktoken_load(const char *path, const char *pattern, char *err, size_t errlen);
/* The same from memory (`name` is used in messages). */
struct wn_bpe *wn_tiktoken_parse(const char *data, size_t n, const char *name, const char *pattern, char *err,
				 size_t errlen);

#endif
