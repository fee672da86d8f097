/* buf.c -- growable byte buffer; see buf.h for the invariants. */
#include "buf.h"

#include <stdarg.h>
#include <stdlib.h>

char wn_buf_empty[1];

void wn_buf_init(struct wn_buf *b)
{
	b->data = wn_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void wn_buf_release(struct wn_buf *b)
{
	if (b->cap)
		free(b->data);
	wn_buf_init(b);
}

char *wn_buf_detach(struct wn_buf *b, size_t *len)
{
	char *p = b->cap ? b->data : wn_xstrdup("");
	if (len)
		*len = b->len;
	wn_buf_init(b);
	return p;
}

void wn_buf_grow(struct wn_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len) /* overflow */
		BUG("wn_buf_grow: size overflow");
	if (need <= b->cap)
		return;
	/* Doubling keeps appends amortised O(1): a 200 MB line costs ~2x its size
	 * in copies, not quadratic time. */
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->cap) {
		b->data = wn_xrealloc(b->data, cap);
	} else {
		b->data = wn_xmalloc(cap);
		b->data[0] = '\0';
	}
	b->cap = cap;
}

void wn_buf_addf(struct wn_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		wn_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}
