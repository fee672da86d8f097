/*
 * pack.h -- packing documents into fixed-length training rows, the seeded
 * PRNG that makes it deterministic, and per-source mixing (docs/shards.md).
 *
 * A wn_packer owns a bounded buffer of documents (token ids already narrowed
 * to the output width, 2 or 4 bytes). The caller adds documents until
 * wn_packer_add() says the buffer is full, then packs, reads the rows out in
 * shuffled order, and resets. Two packings:
 *
 *  - concat: the buffer is one token stream cut every seq_len tokens (what
 *    nanoGPT and Megatron do at train time). A partial last row is carried
 *    into the next buffer, so only the final row of the whole run is padded.
 *  - bestfit: best-fit decreasing (Ding et al. 2024). Documents longer than
 *    seq_len are split into seq_len chunks; the rest are placed, longest
 *    first, into the fullest open row that still has room. No document of at
 *    most seq_len tokens is ever cut.
 *
 * Ownership: the packer owns its token store and row tables (documents added
 * with wn_packer_add_ref stay the caller's); row data handed out by
 * wn_packer_row() is copied into caller memory. wn_pack_mix owns its
 * source table (names are copied).
 */
#ifndef WN_PACK_H
#define WN_PACK_H

#include "wn.h"

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---------------------- */

struct wn_rng {
	uint64_t s[4];
};

uint64_t wn_splitmix64(uint64_t *state);
/* Seed from a 64-bit seed and a stream number, so independent decisions
 * (validation choice, mixing, row order) use independent sequences. */
void wn_rng_seed(struct wn_rng *r, uint64_t seed, uint64_t stream);
uint64_t wn_rng_next(struct wn_rng *r);
/* Uniform in [0, n), unbiased (Lemire's method); n > 0. */
uint64_t wn_rng_below(struct wn_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double wn_rng_unit(struct wn_rng *r);

/* ---- token helpers ------------------------------------------------------ */

/* Token ids are read as little-endian uint32 at any alignment (a mapped
 * token stream puts most documents at offsets that are not multiples of 4). */
/* Index of the first token >= vocab, or n when all are valid. */
size_t wn_pack_check_tokens(const void *le32, size_t n, uint32_t vocab);
/* Store n uint32 ids as esize-byte (2 or 4) little-endian values. */
void wn_pack_narrow(void *dst, unsigned esize, const void *le32, size_t n);

/* ---- packer ------------------------------------------------------------- */

enum wn_pack_kind { WN_PACK_BESTFIT = 0, WN_PACK_CONCAT = 1 };

struct wn_pack_opts {
	enum wn_pack_kind kind;
	uint32_t seq_len;       /* > 0 */
	unsigned esize;         /* bytes per token in the output: 2 or 4 */
	uint32_t pad_id;        /* padding token */
	uint64_t buffer_tokens; /* add() reports "full" at this many tokens */
	uint64_t seed;
	uint64_t stream;        /* PRNG stream (train and val use different ones) */
};

struct wn_pack_stats {
	uint64_t docs, tokens, rows, padding;
	uint64_t docs_cut;   /* documents split across two or more rows */
	uint64_t tokens_cut; /* tokens after a document's first cut (they lose
	                        the context before the cut) */
};

/* A document in the buffer: its tokens are in the store (src = token index)
 * or, added by reference, in caller memory (src = address of len
 * little-endian uint32). Documents follow each other in the buffer's token
 * stream, so where one starts is the sum of the lengths before it. */
struct wn_pack_doc {
	uint64_t src;
	uint32_t len, ref;
};

/* A piece of a row: len tokens at src (in the store: esize bytes each; by
 * reference: little-endian uint32). */
struct wn_pack_piece {
	const unsigned char *src;
	uint32_t len;
	uint16_t newdoc; /* 1: starts a document segment in its row */
	uint16_t ref;
};

struct wn_packer {
	struct wn_pack_opts o;
	unsigned seg_esize; /* 2 when seq_len fits in uint16, else 4 */
	struct wn_rng rng;
	struct wn_pack_stats st;
	/* buffer: ntok tokens in ndocs documents, the copied ones in tok */
	size_t ntok;
	unsigned char *tok; /* nstore tokens of o.esize bytes */
	size_t nstore, tokcap;
	size_t populated; /* bytes of tok mapped in ahead of use (see add) */
	struct wn_pack_doc *docs;
	size_t ndocs, docscap;
	/* packed rows: pieces of row r are piece[rowstart[r] .. rowstart[r+1]) */
	struct wn_pack_piece *piece;
	size_t npiece, piececap;
	size_t *rowstart;
	size_t nrows, rowcap;
	size_t *order; /* shuffled row order */
	size_t ordercap;
	size_t carry_from; /* concat: first token not emitted (kept by reset) */
	/* best-fit scratch: the chunks sorted by length, and the row each went to */
	struct wn_pack_piece *cks;
	uint32_t *krow;
	size_t ccap;
	uint32_t *cnt; /* seq_len + 1 counters */
	int32_t *head, *next; /* bucket lists of open rows by remaining room */
	size_t nextcap;
	uint64_t *bits0, *bits1; /* two-level bitmap of non-empty buckets */
};

int wn_packer_init(struct wn_packer *p, const struct wn_pack_opts *o, char *err, size_t errlen);
void wn_packer_release(struct wn_packer *p);
/* Copy a document in: n little-endian uint32 ids at any alignment (a
 * uint32_t array on our little-endian hosts), each < 2^(8*esize) (check them
 * before). Returns 1 when the buffer holds buffer_tokens or more: pack it
 * now. */
int wn_packer_add(struct wn_packer *p, const void *le32, size_t n);
/* The same by reference: the ids are read when the rows are written
 * (wn_packer_row), not copied now. The caller keeps them valid and unchanged
 * until wn_packer_release (concat may carry a document's tail into the next
 * buffer). */
int wn_packer_add_ref(struct wn_packer *p, const void *le32, size_t n);
/* Pack the buffer into rows (final: the end of the input, so concat pads its
 * last row instead of carrying it). Rows are then numbered 0..nrows-1 in
 * shuffled order. */
void wn_packer_pack(struct wn_packer *p, int final);
static inline size_t wn_packer_nrows(const struct wn_packer *p) { return p->nrows; }
/* Write row i (seq_len tokens of esize bytes and seq_len segment ordinals of
 * seg_esize bytes: 1, 2, ... per document piece, 0 on padding). Returns the
 * number of document (non-padding) tokens in the row. */
size_t wn_packer_row(const struct wn_packer *p, size_t i, void *tok, void *seg);
/* Drop the packed rows and their tokens (concat keeps its carried tail). */
void wn_packer_reset(struct wn_packer *p);

/* ---- sources and mixing ------------------------------------------------- */

struct wn_pack_source {
	char *name;
	size_t namelen;
	int mixidx; /* index in the mix spec, -1 = none */
	uint64_t docs_in, tokens_in;   /* eligible input (after length filters) */
	uint64_t docs_out, tokens_out; /* written to train, repeats included */
	uint64_t docs_val, tokens_val;
};

struct wn_pack_mixent {
	char *key; /* source name, prefix ("cc" matches "cc/...", "cc-*" matches
	              "cc-en"), or "*" = every source no other key matches */
	double weight;
	double share;   /* weight normalised over entries that have tokens */
	double factor;  /* repeats per document (expected) */
	uint64_t tokens_in, tokens_out, docs_in, docs_out;
	double credit; /* tokens wanted - tokens written (see repeats) */
};

struct wn_pack_mix {
	struct wn_pack_mixent *ent;
	size_t nent;
	double total_weight;
	uint64_t target_tokens; /* 0 = the eligible input tokens */
	struct wn_pack_source **src; /* open-addressing table of owned, stable entries */
	size_t srccap, nsrc;
	/* recent lookups, direct-mapped by a cheap hash of the tag (see
	 * wn_pack_source_get) */
	struct wn_pack_source *recent[64];
	struct wn_rng rng;
};

void wn_pack_mix_init(struct wn_pack_mix *m, uint64_t seed);
void wn_pack_mix_release(struct wn_pack_mix *m);
/* Parse "source=weight,source=weight" (weights >= 0, at least one > 0). */
int wn_pack_mix_parse(struct wn_pack_mix *m, const char *spec, char *err, size_t errlen);
/* The source record for a tag (created on first sight). The pointer stays
 * valid until wn_pack_mix_release. */
struct wn_pack_source *wn_pack_source_get(struct wn_pack_mix *m, const char *name, size_t len);
/* Sources in a stable order (sorted by name) for reports; caller frees. */
struct wn_pack_source **wn_pack_sources_sorted(const struct wn_pack_mix *m, size_t *n);
/* After a counting pass (docs_in/tokens_in filled for every source), set the
 * per-entry repeat factors. Returns 0 or -1 (no eligible tokens in the mix). */
int wn_pack_mix_plan(struct wn_pack_mix *m, char *err, size_t errlen);
/* How many times to write a document of n tokens of this source (0 =
 * sampled out). Without a mix spec, always 1. */
unsigned wn_pack_mix_repeats(struct wn_pack_mix *m, const struct wn_pack_source *s, size_t n);

#endif
