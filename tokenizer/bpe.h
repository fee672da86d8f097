/*
 * bpe.h -- byte-level BPE encoder and decoder (the model, loaded from a
 * tokenizer.json by tokjson.h or from a .tiktoken ranks file by
 * tiktoken_io.h).
 *
 * Model: token id -> bytes; merge rules (left id, right id) -> (rank, merged
 * id); special tokens (id -> string) that are never produced from text; a
 * pre-tokenizer (pretok.h). Encoding a text splits it into pieces, then for
 * each piece starts from its bytes and repeatedly merges the adjacent pair
 * with the lowest rank (the leftmost one on ties) until no pair has a rule.
 * That is both tiktoken's rule (rank = id of the concatenation; every split
 * of a token into two tokens is a rule) and Hugging Face's BPE rule (rank =
 * index in `merges`). tiktoken (and HF with ignore_merges) first look the
 * whole piece up in the vocabulary: WN_BPE_WHOLE_LOOKUP.
 *
 * Ownership / threads: a wn_bpe is immutable once built (wn_bpe_finish) and
 * shared by threads; each thread encodes through its own wn_bpe_state
 * (pre-tokenizer match data, piece cache, scratch).
 */
#ifndef WN_BPE_H
#define WN_BPE_H

#include "buf.h"
#include "pretok.h"

#include <stdlib.h>

#define WN_BPE_NONE 0xFFFFFFFFu

struct wn_u32vec {
	uint32_t *v;
	size_t n, cap;
};

static inline void wn_u32vec_push(struct wn_u32vec *a, uint32_t x)
{
	if (WN_UNLIKELY(a->n == a->cap))
		WN_GROW(a->v, a->cap, a->n + 1);
	a->v[a->n++] = x;
}

static inline void wn_u32vec_release(struct wn_u32vec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

enum {
	WN_BPE_WHOLE_LOOKUP = 1, /* a piece that is a token encodes to it directly */
};

struct wn_bpe;
struct wn_bpe_state;

/* ---- building (loaders) ---- */

struct wn_bpe *wn_bpe_new(unsigned flags);
/* Add an ordinary token. Returns 0, -1 when the id or the bytes are taken. */
int wn_bpe_add_token(struct wn_bpe *b, uint32_t id, const void *bytes, size_t n, char *err, size_t errlen);
/* A special token: gets its id, decodes to its text, never produced by encoding. */
int wn_bpe_add_special(struct wn_bpe *b, uint32_t id, const char *text, char *err, size_t errlen);
/* Add specials from a list "TEXT[=ID],...": an existing special keeps its
 * id; a new one without =ID gets the next free id (vocab size). Returns 0
 * or -1 (err names the item). */
int wn_bpe_add_special_list(struct wn_bpe *b, const char *list, char *err, size_t errlen);
/* An explicit merge rule (HF); rank = its index in `merges`. */
int wn_bpe_add_merge(struct wn_bpe *b, uint32_t rank, uint32_t left, uint32_t right, char *err, size_t errlen);
/* Derive merge rules tiktoken-style: every token that splits into two
 * tokens gets the rule (left, right) -> token, ranked by its id. */
void wn_bpe_derive_merges(struct wn_bpe *b);
/* Set the pre-tokenizer (ownership passes to b). */
void wn_bpe_set_pretok(struct wn_bpe *b, struct wn_pretok *pt);
/* Set the hash of the tokenizer source (sha256 hex) and a description. */
void wn_bpe_set_hash(struct wn_bpe *b, const char *hex);
/* Check the model and build the lookup tables. After it, only specials
 * may still be added (wn_bpe_add_special*), and only before the first
 * wn_bpe_state_new. */
int wn_bpe_finish(struct wn_bpe *b, char *err, size_t errlen);
void wn_bpe_free(struct wn_bpe *b);

/* ---- queries ---- */

uint32_t wn_bpe_vocab_size(const struct wn_bpe *b); /* max id + 1, specials included */
const char *wn_bpe_hash(const struct wn_bpe *b);
const struct wn_pretok *wn_bpe_pretok(const struct wn_bpe *b);
/* Id of a special token by text, or WN_BPE_NONE. */
uint32_t wn_bpe_special_id(const struct wn_bpe *b, const char *text);
/* Bytes of token id (ordinary or special); NULL when unknown. */
const char *wn_bpe_token_bytes(const struct wn_bpe *b, uint32_t id, size_t *n);
/* Id of the ordinary token with exactly these bytes, or WN_BPE_NONE. */
uint32_t wn_bpe_lookup(const struct wn_bpe *b, const void *bytes, size_t n);

/* ---- encoding / decoding ---- */

struct wn_bpe_state *wn_bpe_state_new(const struct wn_bpe *b);
void wn_bpe_state_free(struct wn_bpe_state *s);

/* Encode valid UTF-8 text as ordinary text (special token strings in it
 * are plain text), appending ids to out. Returns 0 or -1 (err filled:
 * invalid UTF-8, a byte missing from the vocabulary). */
int wn_bpe_encode(struct wn_bpe_state *s, const char *text, size_t len, struct wn_u32vec *out, char *err,
		  size_t errlen);
/* Encode one piece (no pre-tokenization). */
int wn_bpe_encode_piece(struct wn_bpe_state *s, const char *piece, size_t n, struct wn_u32vec *out, char *err,
			size_t errlen);
/* Append the bytes of ids to out. Returns 0 or -1 on an unknown id. */
int wn_bpe_decode(const struct wn_bpe *b, const uint32_t *ids, size_t n, struct wn_buf *out, char *err,
		  size_t errlen);

#endif
