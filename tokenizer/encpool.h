/*
 * encpool.h -- encode batches of documents on N threads, handing results
 * back strictly in submission order (winnow-tokenize -j N).
 *
 * The caller fills a batch (wn_encpool_get, wn_encbatch_add), submits it,
 * and collects finished batches in order with wn_encpool_done; at most
 * `ring` batches are in flight, so memory stays bounded. With one thread,
 * submit encodes in the caller's thread.
 *
 * Each document's tokens are BOS (if any), the text's ids, EOS (if any).
 * A document whose text cannot be encoded gets err set (its message in the
 * batch's `errs` buffer) and no tokens.
 *
 * Ownership: the pool owns its batches and threads; a batch returned by
 * get/done belongs to the caller until it is submitted / released. The
 * model is borrowed and must outlive the pool.
 */
#ifndef WN_ENCPOOL_H
#define WN_ENCPOOL_H

#include "bpe.h"

struct wn_encdoc {
	size_t text, textlen, src, srclen, id, idlen, line, linelen; /* spans in data */
	uint64_t lineno;
	size_t tok, ntok;   /* span in toks */
	long err;           /* offset of the message in errs, or -1 */
};

struct wn_encbatch {
	struct wn_buf data;
	struct wn_encdoc *docs;
	size_t n, cap;
	struct wn_u32vec toks;
	struct wn_buf errs;
	size_t seq;
	int state;
};

struct wn_encpool;

struct wn_encpool *wn_encpool_new(const struct wn_bpe *b, int threads, uint32_t bos, uint32_t eos);
void wn_encpool_free(struct wn_encpool *p);
/* An empty batch, or NULL when all are in flight (collect one with done first). */
struct wn_encbatch *wn_encpool_get(struct wn_encpool *p);
/* Append a document; the strings are copied. */
void wn_encbatch_add(struct wn_encbatch *b, const char *text, size_t textlen, const char *src, size_t srclen,
		     const char *id, size_t idlen, const char *line, size_t linelen, uint64_t lineno);
void wn_encpool_submit(struct wn_encpool *p, struct wn_encbatch *b);
/* The oldest submitted batch once encoded; NULL when none is in flight. */
struct wn_encbatch *wn_encpool_done(struct wn_encpool *p);
void wn_encpool_release(struct wn_encpool *p, struct wn_encbatch *b);

#endif
