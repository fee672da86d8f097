/*
 * bpe_counts.c -- piece -> u64 count table and count files (see bpe_counts.h).
 *
 * The table is open addressing over entry indexes (4 bytes a slot) with the
 * full 64-bit hash kept in the entry, so growing never re-hashes bytes and a
 * probe compares bytes only when the hashes agree. Piece bytes live in one
 * arena: a corpus with a million distinct pieces costs ~40 MB, not a
 * million mallocs.
 */
#include "bpe_counts.h"

#include "hash.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HASH_SEED 0x9e3779b97f4a7c15ull

void *wn_bpe_big_alloc(size_t n)
{
	const size_t huge = (size_t)2 << 20;
	if (n < 2 * huge)
		return wn_xmalloc(n);
	size_t r = (n + huge - 1) & ~(huge - 1);
	void *p = aligned_alloc(huge, r);
	if (!p)
		return wn_xmalloc(n);
#ifdef MADV_HUGEPAGE
	madvise(p, r, MADV_HUGEPAGE);
#endif
	return p;
}

struct wn_bpe_counts *wn_bpe_counts_new(void)
{
	struct wn_bpe_counts *c = wn_xcalloc(1, sizeof(*c));
	c->nslot = 1024;
	c->slot = wn_xcalloc(c->nslot, sizeof(*c->slot));
	return c;
}

void wn_bpe_counts_free(struct wn_bpe_counts *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->slot);
	free(c->arena);
	free(c);
}

/* Slots are found from the tag (the hash's high half), so growing the
 * table never re-hashes piece bytes. */
static void rehash(struct wn_bpe_counts *c, size_t nslot)
{
	free(c->slot);
	c->nslot = nslot;
	c->slot = wn_bpe_big_alloc(nslot * sizeof(*c->slot));
	memset(c->slot, 0, nslot * sizeof(*c->slot));
	size_t mask = nslot - 1;
	for (size_t i = 0; i < c->n; i++) {
		size_t s = c->e[i].tag & mask;
		while (c->slot[s])
			s = (s + 1) & mask;
		c->slot[s] = (uint64_t)c->e[i].tag << 32 | (uint64_t)(i + 1);
	}
}

static inline const char *piece_of(const struct wn_bpe_counts *c, const struct wn_bpe_centry *e)
{
	return e->len <= WN_BPE_INLINE ? e->u.inl : c->arena + e->u.off;
}

static void add_tagged(struct wn_bpe_counts *c, const char *p, size_t n, uint32_t tag, uint64_t count)
{
	/* The slot keeps the tag, so a probe that does not match never
	 * touches the entry (a cache miss each on large tables); short pieces
	 * live in the entry, so a match costs no second miss in the arena. */
	size_t mask = c->nslot - 1, s = tag & mask;
	uint64_t v;
	while ((v = c->slot[s]) != 0) {
		if ((uint32_t)(v >> 32) == tag) {
			struct wn_bpe_centry *e = &c->e[(uint32_t)v - 1];
			if (e->len == n && !memcmp(piece_of(c, e), p, n)) {
				e->count += count;
				return;
			}
		}
		s = (s + 1) & mask;
	}
	if (c->n >= UINT32_MAX - 1)
		BUG("bpe counts: more than 2^32 distinct pieces");
	WN_GROW(c->e, c->cap, c->n + 1);
	struct wn_bpe_centry *e = &c->e[c->n];
	e->count = count;
	e->len = (uint32_t)n;
	e->tag = tag;
	for (size_t j = 0; j < n; j++)
		c->byteset[(unsigned char)p[j] >> 6] |= 1ull << ((unsigned char)p[j] & 63);
	if (n > 1)
		c->nsym += n;
	if (n <= WN_BPE_INLINE) {
		memcpy(e->u.inl, p, n);
	} else {
		if (c->alen + n > c->acap) {
			size_t need = c->alen + n;
			c->acap = c->acap ? c->acap : 1 << 16;
			while (c->acap < need)
				c->acap *= 2;
			c->arena = wn_xrealloc(c->arena, c->acap);
		}
		memcpy(c->arena + c->alen, p, n);
		e->u.off = c->alen;
		c->alen += n;
	}
	c->slot[s] = (uint64_t)tag << 32 | (uint64_t)(++c->n);
	if (c->n * 2 > c->nslot)
		rehash(c, c->nslot * 2);
}

void wn_bpe_counts_add(struct wn_bpe_counts *c, const char *p, size_t n, uint64_t count)
{
	add_tagged(c, p, n, (uint32_t)(wn_hash64(p, n, HASH_SEED) >> 32), count);
}

void wn_bpe_counts_merge(struct wn_bpe_counts *dst, const struct wn_bpe_counts *src)
{
	/* Overlap the cache misses of the next inserts: the slot 16 ahead,
	 * then, 8 ahead, the entry that slot names when its tag matches (a
	 * piece in both tables: its count is added there). Measured on
	 * mixed-real-text at -j 2: 0.016 s, against 0.020 s with the slot
	 * prefetch alone. */
	for (size_t i = 0; i < src->n; i++) {
		if (i + 16 < src->n)
			__builtin_prefetch(&dst->slot[src->e[i + 16].tag & (dst->nslot - 1)]);
		if (i + 8 < src->n) {
			uint64_t v = dst->slot[src->e[i + 8].tag & (dst->nslot - 1)];
			if (v && (uint32_t)(v >> 32) == src->e[i + 8].tag)
				__builtin_prefetch(&dst->e[(uint32_t)v - 1]);
		}
		add_tagged(dst, piece_of(src, &src->e[i]), src->e[i].len, src->e[i].tag, src->e[i].count);
	}
	dst->docs += src->docs;
	dst->bytes += src->bytes;
}

int wn_bpe_piece_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, WN_MIN(an, bn));
	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

static const struct wn_bpe_counts *sort_table;
static int cmp_entry(const void *x, const void *y)
{
	const struct wn_bpe_centry *a = x, *b = y;
	return wn_bpe_piece_cmp(piece_of(sort_table, a), a->len, piece_of(sort_table, b), b->len);
}

void wn_bpe_counts_sort(struct wn_bpe_counts *c)
{
	/* qsort has no context argument in C11; the static is fine because
	 * sorting happens once per process, from one thread. */
	sort_table = c;
	qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
	sort_table = NULL;
	rehash(c, c->nslot);
}

/* ---- writing ---- */

static int put(struct wn_writer *w, const void *p, size_t n)
{
	return wn_writer_write(w, p, n);
}

int wn_bpe_counts_write(struct wn_bpe_counts *c, const char *pattern, const char *path, char *err, size_t errlen)
{
	wn_bpe_counts_sort(c);
	struct wn_writer *w = wn_writer_open_codec(path, "zstd", err, errlen);
	if (!w)
		return -1;
	unsigned char b[40];
	size_t plen = strlen(pattern);
	int rc = put(w, WN_BPE_COUNTS_MAGIC, 8);
	wn_put_le32(b, WN_BPE_COUNTS_VERSION);
	wn_put_le32(b + 4, (uint32_t)plen);
	rc |= put(w, b, 8);
	rc |= put(w, pattern, plen);
	uint64_t sum = 0;
	for (size_t i = 0; i < c->n && !rc; i++) {
		const struct wn_bpe_centry *e = &c->e[i];
		wn_put_le32(b, e->len);
		rc |= put(w, b, 4);
		rc |= put(w, piece_of(c, e), e->len);
		wn_put_le64(b, e->count);
		rc |= put(w, b, 8);
		sum += e->count;
	}
	wn_put_le32(b, 0xFFFFFFFFu);
	wn_put_le64(b + 4, c->n);
	wn_put_le64(b + 12, sum);
	wn_put_le64(b + 20, c->docs);
	wn_put_le64(b + 28, c->bytes);
	rc |= put(w, b, 36);
	if (rc) {
		wn_err(err, errlen, "%s: %s", path, wn_writer_error(w));
		wn_writer_abort(w);
		return -1;
	}
	return wn_writer_commit(w, err, errlen);
}

/* ---- reading ---- */

struct wn_bpe_creader {
	struct wn_reader *r;
	char *name;
	char *pattern;
	struct wn_buf piece, prev;
	uint64_t n, sum, docs, bytes, off;
	int have_prev, done;
};

/* Read exactly n bytes. Returns 0, or -1 with a message. */
static int rd(struct wn_bpe_creader *cr, void *p, size_t n, char *err, size_t errlen)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = wn_reader_read(cr->r, (char *)p + got, n - got);
		if (k < 0)
			return wn_err(err, errlen, "%s: %s", cr->name, wn_reader_error(cr->r));
		if (k == 0)
			return wn_err(err, errlen, "%s: truncated count file (at offset %llu)", cr->name,
				      (unsigned long long)(cr->off + got));
		got += (size_t)k;
	}
	cr->off += n;
	return 0;
}

static struct wn_bpe_creader *creader_start(struct wn_reader *r, const char *name, char *err, size_t errlen)
{
	struct wn_bpe_creader *cr = wn_xcalloc(1, sizeof(*cr));
	cr->r = r;
	cr->name = wn_xstrdup(name);
	wn_buf_init(&cr->piece);
	wn_buf_init(&cr->prev);
	unsigned char h[16];
	if (rd(cr, h, 16, err, errlen))
		goto fail;
	if (memcmp(h, WN_BPE_COUNTS_MAGIC, 8)) {
		wn_err(err, errlen, "%s: not a winnow-bpe count file (bad magic)", name);
		goto fail;
	}
	if (wn_get_le32(h + 8) != WN_BPE_COUNTS_VERSION) {
		wn_err(err, errlen, "%s: count file version %u, expected %u", name, wn_get_le32(h + 8),
		       WN_BPE_COUNTS_VERSION);
		goto fail;
	}
	uint32_t plen = wn_get_le32(h + 12);
	if (plen > (1u << 20)) {
		wn_err(err, errlen, "%s: corrupt count file (pattern of %u bytes)", name, plen);
		goto fail;
	}
	cr->pattern = wn_xmalloc(plen + 1);
	if (rd(cr, cr->pattern, plen, err, errlen))
		goto fail;
	cr->pattern[plen] = '\0';
	return cr;
fail:
	wn_bpe_creader_free(cr);
	return NULL;
}

struct wn_bpe_creader *wn_bpe_creader_open(const char *path, char *err, size_t errlen)
{
	struct wn_reader *r = wn_reader_open(path, err, errlen);
	if (!r)
		return NULL;
	return creader_start(r, path, err, errlen);
}

struct wn_bpe_creader *wn_bpe_creader_fdopen(int fd, const char *name, char *err, size_t errlen)
{
	struct wn_reader *r = wn_reader_fdopen(fd, name, 0, err, errlen);
	if (!r)
		return NULL;
	return creader_start(r, name, err, errlen);
}

const char *wn_bpe_creader_pattern(const struct wn_bpe_creader *r)
{
	return r->pattern;
}

int wn_bpe_creader_next(struct wn_bpe_creader *cr, const char **p, size_t *n, uint64_t *count, char *err,
			size_t errlen)
{
	if (cr->done)
		return 0;
	unsigned char b[32];
	uint64_t at = cr->off;
	if (rd(cr, b, 4, err, errlen))
		return -1;
	uint32_t len = wn_get_le32(b);
	if (len == 0xFFFFFFFFu) {
		if (rd(cr, b, 32, err, errlen))
			return -1;
		if (wn_get_le64(b) != cr->n || wn_get_le64(b + 8) != cr->sum)
			return wn_err(err, errlen, "%s: corrupt count file (trailer says %llu entries, read %llu)",
				      cr->name, (unsigned long long)wn_get_le64(b), (unsigned long long)cr->n);
		cr->docs = wn_get_le64(b + 16);
		cr->bytes = wn_get_le64(b + 24);
		char extra;
		ssize_t k = wn_reader_read(cr->r, &extra, 1);
		if (k != 0)
			return wn_err(err, errlen, "%s: %s after the trailer", cr->name,
				      k < 0 ? wn_reader_error(cr->r) : "data");
		cr->done = 1;
		return 0;
	}
	if (len == 0 || len > 0x7FFFFFFFu)
		return wn_err(err, errlen, "%s: corrupt count file (piece of %u bytes at offset %llu)", cr->name, len,
			      (unsigned long long)at);
	/* Swap buffers so the previous piece stays for the order check. */
	struct wn_buf t = cr->prev;
	cr->prev = cr->piece;
	cr->piece = t;
	wn_buf_reset(&cr->piece);
	/* Grow in steps so a corrupt length cannot make us allocate 2 GB
	 * before the data runs out. */
	for (size_t got = 0; got < len;) {
		size_t step = WN_MIN((size_t)len - got, (size_t)1 << 20);
		wn_buf_grow(&cr->piece, step);
		if (rd(cr, cr->piece.data + got, step, err, errlen))
			return -1;
		got += step;
		wn_buf_setlen(&cr->piece, got);
	}
	if (rd(cr, b, 8, err, errlen))
		return -1;
	uint64_t c = wn_get_le64(b);
	if (c == 0)
		return wn_err(err, errlen, "%s: corrupt count file (zero count at offset %llu)", cr->name,
			      (unsigned long long)at);
	if (cr->have_prev && wn_bpe_piece_cmp(cr->prev.data, cr->prev.len, cr->piece.data, cr->piece.len) >= 0)
		return wn_err(err, errlen, "%s: corrupt count file (pieces out of order at offset %llu)", cr->name,
			      (unsigned long long)at);
	cr->have_prev = 1;
	cr->n++;
	cr->sum += c;
	*p = cr->piece.data;
	*n = cr->piece.len;
	*count = c;
	return 1;
}

void wn_bpe_creader_stats(const struct wn_bpe_creader *r, uint64_t *docs, uint64_t *bytes)
{
	*docs = r->docs;
	*bytes = r->bytes;
}

void wn_bpe_creader_free(struct wn_bpe_creader *cr)
{
	if (!cr)
		return;
	wn_reader_free(cr->r);
	free(cr->name);
	free(cr->pattern);
	wn_buf_release(&cr->piece);
	wn_buf_release(&cr->prev);
	free(cr);
}

/* ---- k-way merge ---- */

struct src {
	struct wn_bpe_creader *r;
	const char *p;
	size_t n;
	uint64_t count;
};

static int src_less(const struct src *a, const struct src *b)
{
	return wn_bpe_piece_cmp(a->p, a->n, b->p, b->n) < 0;
}

static void sift_down(struct src *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && src_less(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && src_less(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct src t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

struct wn_bpe_counts *wn_bpe_counts_merge_files(char *const *paths, int npaths, char **pattern, char *err,
						size_t errlen)
{
	struct src *h = wn_xcalloc((size_t)npaths + 1, sizeof(*h));
	struct wn_bpe_creader **all = wn_xcalloc((size_t)npaths + 1, sizeof(*all));
	struct wn_bpe_counts *c = wn_bpe_counts_new();
	struct wn_buf cur = WN_BUF_INIT;
	size_t nh = 0;
	int ok = 0;
	*pattern = NULL;
	for (int i = 0; i < npaths; i++) {
		all[i] = wn_bpe_creader_open(paths[i], err, errlen);
		if (!all[i])
			goto out;
		if (i && strcmp(wn_bpe_creader_pattern(all[i]), wn_bpe_creader_pattern(all[0]))) {
			wn_err(err, errlen, "%s: pattern differs from %s's", paths[i], paths[0]);
			goto out;
		}
		struct src s = { .r = all[i] };
		int rc = wn_bpe_creader_next(s.r, &s.p, &s.n, &s.count, err, errlen);
		if (rc < 0)
			goto out;
		if (rc > 0)
			h[nh++] = s;
	}
	for (size_t i = nh; i-- > 0;)
		sift_down(h, nh, i);
	while (nh) {
		/* The smallest piece, summed over every file that has it. The
		 * readers' buffers change on next(), so keep a copy. */
		wn_buf_reset(&cur);
		wn_buf_add(&cur, h[0].p, h[0].n);
		uint64_t sum = 0;
		while (nh && wn_bpe_piece_cmp(h[0].p, h[0].n, cur.data, cur.len) == 0) {
			if (sum + h[0].count < sum) {
				wn_err(err, errlen, "count overflow (more than 2^64 occurrences of one piece)");
				goto out;
			}
			sum += h[0].count;
			int rc = wn_bpe_creader_next(h[0].r, &h[0].p, &h[0].n, &h[0].count, err, errlen);
			if (rc < 0)
				goto out;
			if (rc == 0)
				h[0] = h[--nh];
			sift_down(h, nh, 0);
		}
		wn_bpe_counts_add(c, cur.data, cur.len, sum);
	}
	for (int i = 0; i < npaths; i++) {
		uint64_t d, b;
		wn_bpe_creader_stats(all[i], &d, &b);
		c->docs += d;
		c->bytes += b;
	}
	if (npaths)
		*pattern = wn_xstrdup(wn_bpe_creader_pattern(all[0]));
	ok = 1;
out:
	for (int i = 0; i < npaths; i++)
		wn_bpe_creader_free(all[i]);
	free(all);
	free(h);
	wn_buf_release(&cur);
	if (!ok) {
		wn_bpe_counts_free(c);
		return NULL;
	}
	return c;
}

/* ---- threaded counting ----
 *
 * Documents are appended to a batch (texts back to back, with lengths);
 * a full batch (~1 MB) goes to a queue that the workers take from. Each
 * worker has its own table, so the hot path takes no lock. The queue is
 * bounded so a fast reader cannot pile up the corpus in memory. */

#include "pretok.h"

#include <pthread.h>

#define BATCH_BYTES (1u << 18)
#define QUEUE_MAX 8

struct batch {
	struct wn_buf text;
	size_t *len;
	size_t n, cap;
};

/* Pieces wait in a short pipeline before they are counted: when a piece
 * arrives its slot is prefetched, halfway through the slot is read and the
 * entry it names prefetched, at the end it is added. A table of a million
 * slots misses the cache on most pieces; this way the misses of several
 * pieces overlap instead of stalling one after the other. Pieces point
 * into the batch, which outlives the pipeline (it is drained per batch). */
#define PIPE 8 /* power of two */

struct pending {
	const char *p;
	uint32_t n, tag;
};

struct cworker {
	_Alignas(64) struct wn_bpe_counter *k; /* own cache line: no false sharing */
	pthread_t th;
	struct wn_pretok_state *ps;
	struct wn_bpe_counts *c;
	uint64_t skipped;
	struct pending pipe[PIPE];
	unsigned head, len; /* ring */
};

struct wn_bpe_counter {
	const struct wn_pretok *pt;
	size_t max_piece;
	int threads;
	struct cworker *w;
	struct batch *cur;
	struct batch *q[QUEUE_MAX];
	size_t qhead, qn;
	int closing;
	pthread_mutex_t mu;
	pthread_cond_t nonempty, notfull;
	uint64_t docs, bytes;
};

static void pipe_drain(struct cworker *w)
{
	for (; w->len; w->len--, w->head = (w->head + 1) & (PIPE - 1)) {
		const struct pending *q = &w->pipe[w->head];
		add_tagged(w->c, q->p, q->n, q->tag, 1);
	}
}

static int on_piece(const char *p, size_t n, void *arg)
{
	struct cworker *w = arg;
	struct wn_bpe_counts *c = w->c;
	if (w->k->max_piece && n > w->k->max_piece) {
		w->skipped++;
		return 0;
	}
	if (w->len == PIPE) { /* the oldest goes in */
		const struct pending *q = &w->pipe[w->head];
		add_tagged(c, q->p, q->n, q->tag, 1);
		w->head = (w->head + 1) & (PIPE - 1);
		w->len--;
	}
	/* the one halfway: its slot should be in cache now; fetch its entry */
	if (w->len >= PIPE / 2) {
		const struct pending *q = &w->pipe[(w->head + w->len - PIPE / 2) & (PIPE - 1)];
		uint64_t v = c->slot[q->tag & (c->nslot - 1)];
		if (v)
			__builtin_prefetch(&c->e[(uint32_t)v - 1]);
	}
	uint32_t tag = (uint32_t)(wn_hash64(p, n, HASH_SEED) >> 32);
	__builtin_prefetch(&c->slot[tag & (c->nslot - 1)]);
	w->pipe[(w->head + w->len) & (PIPE - 1)] = (struct pending){ p, (uint32_t)n, tag };
	w->len++;
	return 0;
}

static void count_batch(struct cworker *w, struct batch *b)
{
	const char *p = b->text.data;
	for (size_t i = 0; i < b->n; i++) {
		/* valid UTF-8 was checked by the caller; a regex failure (JIT
		 * stack) cannot be reported from here and is not expected with
		 * the built-in patterns: the document is then counted partly */
		wn_pretok_split_trusted(w->ps, p, b->len[i], on_piece, w, NULL, 0);
		p += b->len[i];
	}
	pipe_drain(w);
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	wn_buf_release(&b->text);
	free(b->len);
	free(b);
}

static void *cworker_main(void *arg)
{
	struct cworker *w = arg;
	struct wn_bpe_counter *k = w->k;
	for (;;) {
		pthread_mutex_lock(&k->mu);
		while (!k->qn && !k->closing)
			pthread_cond_wait(&k->nonempty, &k->mu);
		if (!k->qn) {
			pthread_mutex_unlock(&k->mu);
			return NULL;
		}
		struct batch *b = k->q[k->qhead];
		k->qhead = (k->qhead + 1) % QUEUE_MAX;
		k->qn--;
		pthread_cond_signal(&k->notfull);
		pthread_mutex_unlock(&k->mu);
		count_batch(w, b);
		batch_free(b);
	}
}

struct wn_bpe_counter *wn_bpe_counter_new(const struct wn_pretok *pt, int threads, size_t max_piece_bytes)
{
	struct wn_bpe_counter *k = wn_xcalloc(1, sizeof(*k));
	k->pt = pt;
	k->max_piece = max_piece_bytes;
	/* -j N (N > 1): N counting threads besides the reading thread, which
	 * spends a third of its time reading and parsing JSON and waits when
	 * the others fall behind (so the N threads have the cores; counting
	 * there as well made one more table to merge at the end, a serial
	 * step: measured 0.027 s against 0.020 s on mixed-real-text). */
	k->threads = threads > 1 ? threads + 1 : 1;
	size_t wbytes = ((size_t)k->threads * sizeof(*k->w) + 63) & ~(size_t)63;
	k->w = aligned_alloc(64, wbytes);
	if (!k->w)
		k->w = wn_xmalloc(wbytes);
	memset(k->w, 0, wbytes);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->nonempty, NULL);
	pthread_cond_init(&k->notfull, NULL);
	for (int i = 0; i < k->threads; i++) {
		k->w[i].k = k;
		k->w[i].ps = wn_pretok_state_new(pt);
		k->w[i].c = wn_bpe_counts_new();
	}
	/* Workers 1..threads-1; worker 0 is the caller's thread, which counts only with one thread. */
	if (k->threads > 1)
		for (int i = 1; i < k->threads; i++)
			if (pthread_create(&k->w[i].th, NULL, cworker_main, &k->w[i]))
				BUG("cannot start a counting thread");
	return k;
}

static void flush_batch(struct wn_bpe_counter *k)
{
	struct batch *b = k->cur;
	k->cur = NULL;
	if (!b)
		return;
	if (k->threads == 1) {
		count_batch(&k->w[0], b);
		batch_free(b);
		return;
	}
	pthread_mutex_lock(&k->mu);
	while (k->qn == QUEUE_MAX) /* the workers are behind: they get the cores */
		pthread_cond_wait(&k->notfull, &k->mu);
	k->q[(k->qhead + k->qn) % QUEUE_MAX] = b;
	k->qn++;
	pthread_cond_signal(&k->nonempty);
	pthread_mutex_unlock(&k->mu);
}

void wn_bpe_counter_add(struct wn_bpe_counter *k, const char *text, size_t n)
{
	if (!k->cur) {
		k->cur = wn_xcalloc(1, sizeof(*k->cur));
		wn_buf_init(&k->cur->text);
	}
	struct batch *b = k->cur;
	wn_buf_add(&b->text, text, n);
	WN_GROW(b->len, b->cap, b->n + 1);
	b->len[b->n++] = n;
	k->docs++;
	k->bytes += n;
	if (b->text.len >= BATCH_BYTES)
		flush_batch(k);
}

struct wn_bpe_counts *wn_bpe_counter_finish(struct wn_bpe_counter *k, uint64_t *skipped)
{
	flush_batch(k);
	if (k->threads > 1) { /* the workers drain the queue, then stop */
		pthread_mutex_lock(&k->mu);
		k->closing = 1;
		pthread_cond_broadcast(&k->nonempty);
		pthread_mutex_unlock(&k->mu);
		for (int i = 1; i < k->threads; i++)
			pthread_join(k->w[i].th, NULL);
	}
	/* Merge into the largest table (fewest re-insertions). */
	int big = 0;
	for (int i = 1; i < k->threads; i++)
		if (k->w[i].c->n > k->w[big].c->n)
			big = i;
	struct wn_bpe_counts *c = k->w[big].c;
	*skipped = 0;
	for (int i = 0; i < k->threads; i++) {
		*skipped += k->w[i].skipped;
		if (i != big) {
			wn_bpe_counts_merge(c, k->w[i].c);
			wn_bpe_counts_free(k->w[i].c);
		}
		wn_pretok_state_free(k->w[i].ps);
	}
	c->docs = k->docs;
	c->bytes = k->bytes;
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->nonempty);
	pthread_cond_destroy(&k->notfull);
	free(k->w);
	free(k);
	return c;
}
