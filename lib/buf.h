/*
 * buf.h -- growable byte buffer (after git's strbuf).
 *
 * Invariants: `data` is never NULL and is always NUL-terminated at data[len]
 * (the NUL is not counted in len), so it can be handed to C string functions.
 * A buffer initialised with WN_BUF_INIT or wn_buf_init() owns nothing until
 * the first addition. Appending may move `data`: pointers into it are invalid
 * after any call that adds bytes.
 *
 * Lifecycle: wn_buf_init sets up; wn_buf_release frees the contents and
 * re-inits; wn_buf_reset empties without freeing (per-record reuse);
 * wn_buf_detach hands the allocation to the caller (who free()s it).
 */
#ifndef WN_BUF_H
#define WN_BUF_H

#include "wn.h"
#include <string.h>

struct wn_buf {
	char *data;
	size_t len;
	size_t cap; /* allocated bytes; 0 means data points at a shared "" */
};

extern char wn_buf_empty[];
#define WN_BUF_INIT { wn_buf_empty, 0, 0 }

void wn_buf_init(struct wn_buf *b);
void wn_buf_release(struct wn_buf *b);
char *wn_buf_detach(struct wn_buf *b, size_t *len);
/* Make room for at least `extra` more bytes (plus the NUL). */
void wn_buf_grow(struct wn_buf *b, size_t extra);
void wn_buf_addf(struct wn_buf *b, const char *fmt, ...) WN_PRINTF(2, 3);

static inline void wn_buf_reset(struct wn_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

static inline void wn_buf_setlen(struct wn_buf *b, size_t len)
{
	b->len = len;
	if (b->cap)
		b->data[len] = '\0';
}

static inline void wn_buf_add(struct wn_buf *b, const void *p, size_t n)
{
	if (WN_UNLIKELY(b->len + n + 1 > b->cap))
		wn_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void wn_buf_addc(struct wn_buf *b, char c)
{
	if (WN_UNLIKELY(b->len + 2 > b->cap))
		wn_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

static inline void wn_buf_adds(struct wn_buf *b, const char *s)
{
	wn_buf_add(b, s, strlen(s));
}

#endif
