/*
 * bpe_write.h -- write a trained BPE model as the files people load:
 *
 *   DIR/tokenizer.json       Hugging Face tokenizers (model BPE, vocab and
 *                            merges as [["a","b"],...], pre_tokenizer
 *                            Sequence[Split(Regex, Isolated), ByteLevel
 *                            (use_regex=false)], ByteLevel decoder, the
 *                            specials as added_tokens with special=true)
 *   DIR/tokenizer.tiktoken   tiktoken ranks: "base64(bytes) id" per line,
 *                            ordinary tokens only, in id order
 *   DIR/tokenizer.meta.json  pattern, specials with ids, vocab size, id
 *                            order, training corpus stats, and "hash": the
 *                            SHA-256 of tokenizer.json
 *
 * Ids: the trainer numbers specials first (HF's order). With
 * specials_last the files renumber so ordinary tokens are 0..N-1 and the
 * specials follow (tiktoken's convention: cl100k's <|endoftext|> is 100257);
 * the merges are the same either way. Every file is written atomically.
 *
 * Ownership: everything is borrowed; nothing is kept.
 */
#ifndef WN_BPE_WRITE_H
#define WN_BPE_WRITE_H

#include "bpe_train.h"

struct wn_bpe_write_opts {
	const char *pattern;      /* the split regex, as tiktoken/HF spell it */
	const char *pattern_name; /* "cl100k", ... or NULL for a custom regex */
	int specials_last;
	int all_bytes;
	uint64_t min_frequency;
	size_t vocab_size_requested;
	/* training statistics for meta.json */
	uint64_t docs, bytes;
};

/* Create DIR if needed and write the three files. Returns 0 or -1 (err). */
int wn_bpe_write_dir(const struct wn_bpe_model *m, const struct wn_bpe_write_opts *o, const char *dir, char *err,
		     size_t errlen);

/* The id a token has in the written files. */
uint32_t wn_bpe_out_id(const struct wn_bpe_model *m, int specials_last, uint32_t id);

/* The tokenizer.json text alone (appended to out). */
void wn_bpe_tokenizer_json(const struct wn_bpe_model *m, const struct wn_bpe_write_opts *o, struct wn_buf *out);

#endif
