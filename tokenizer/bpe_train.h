/*
 * bpe_train.h -- byte-level BPE training over counted pre-tokens.
 *
 * The algorithm and its id order are those of Hugging Face tokenizers'
 * BpeTrainer, so that for the same pre-tokenization the merges are the same:
 *
 *  - ids: the special tokens first (in the order given), then the alphabet
 *    -- the bytes seen in the corpus, or all 256 with `all_bytes` (HF's
 *    initial_alphabet = ByteLevel.alphabet()) -- ordered by the code point
 *    of their GPT-2 byte-level character (so '!'..'~' come before U+0100
 *    'Ā'), then one id per merge in training order;
 *  - each step merges the most frequent pair; ties go to the smaller pair
 *    (first id, then second id);
 *  - a merge whose concatenation already is a token (reached earlier by
 *    another pair) reuses that token's id: the merge is recorded, the
 *    vocabulary does not grow (HF does the same);
 *  - training stops when the vocabulary (specials included) reaches
 *    vocab_size, when no pair is left, or when the best count is below
 *    min_frequency.
 *
 * Counts are 64-bit throughout. See bpe_train.c for the bookkeeping.
 *
 * Ownership: wn_bpe_train fills a wn_bpe_model that the caller releases with
 * wn_bpe_model_release; the counts table is only read.
 */
#ifndef WN_BPE_TRAIN_H
#define WN_BPE_TRAIN_H

#include "bpe_counts.h"

struct wn_bpe_train_opts {
	size_t vocab_size;      /* total, specials included */
	uint64_t min_frequency; /* 0 or 1: no limit */
	int threads;            /* >= 1: threads that apply merges to words */
	int all_bytes;          /* alphabet = all 256 bytes, not only those seen */
	const char *const *specials; /* UTF-8 strings, given ids 0..nspecials-1 */
	size_t nspecials;
	int verbose;            /* progress lines on stderr */
	size_t block_words;     /* words per block of the thread partitions (0: default; tests use 1) */
	int max_batch;          /* merges per parallel task, 1..64 (0: default, 1 with one thread;
				 * tests set it to check batching at any thread count) */
};

struct wn_bpe_merge {
	uint32_t a, b, id; /* left id, right id, id of the result */
};

struct wn_bpe_model {
	size_t ntok;        /* vocabulary size (specials included) */
	char *bytes;        /* arena: token i is bytes[off[i] .. off[i]+len[i]) */
	size_t *off;
	uint32_t *len;
	unsigned char *special; /* special[i]: token i is a special (its bytes are its text) */
	size_t nspecials;
	struct wn_bpe_merge *merges; /* in training order; a pair may repeat (see above) */
	size_t nmerges;
	uint64_t npieces;   /* distinct pre-tokens trained on */
};

/* Train on the pieces of c. Returns 0, or -1 with err (bad options). */
int wn_bpe_train(const struct wn_bpe_counts *c, const struct wn_bpe_train_opts *o, struct wn_bpe_model *m, char *err,
		 size_t errlen);
/* The same, taking ownership of c: it is freed as soon as the words are
 * built (saving its memory during the merges), or on error. */
int wn_bpe_train_take(struct wn_bpe_counts *c, const struct wn_bpe_train_opts *o, struct wn_bpe_model *m, char *err,
		      size_t errlen);
void wn_bpe_model_release(struct wn_bpe_model *m);

/* The merges as Hugging Face stores them: each pair once, at the rank of
 * its last occurrence (HF collects the trainer's list into a map), in rank
 * order. Returns a malloc'ed array of *n entries. */
struct wn_bpe_merge *wn_bpe_model_unique_merges(const struct wn_bpe_model *m, size_t *n);

#endif
