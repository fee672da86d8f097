/*
 * pack.c -- concat and best-fit-decreasing packing, the PRNG, mixing.
 *
 * Best-fit decreasing, and why it is O(N + L) here: chunk lengths are
 * integers in 1..L (L = seq_len), so "sort by length, descending" is a
 * counting sort, and "the fullest open row that still fits a chunk of length
 * n" is "the smallest remaining room r >= n among open rows". Open rows sit
 * in one list per remaining room (bucket r, LIFO), and a two-level bitmap
 * marks the non-empty buckets: finding the first set bit at or above n reads
 * one word, then at most L/4096 summary words, then one word. Every chunk
 * costs O(1 + L/4096) and the whole buffer O(N + L) (N = chunks), which for
 * L <= 32768 is a handful of word operations per document.
 */
#include "pack.h"

#include <sys/mman.h>
#include "hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ---------------------------------------------------------------- */

uint64_t wn_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void wn_rng_seed(struct wn_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = wn_splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t wn_rng_next(struct wn_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t wn_rng_below(struct wn_rng *r, uint64_t n)
{
	/* Lemire: multiply-high with rejection of the biased low region. */
	unsigned __int128 m = (unsigned __int128)wn_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t thresh = -n % n;
		while (lo < thresh) {
			m = (unsigned __int128)wn_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double wn_rng_unit(struct wn_rng *r)
{
	return (double)(wn_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- token helpers -------------------------------------------------------- */

/* The two per-token loops of the stage: built vectorised (GCC's -O2 cost
 * model leaves them scalar) and, on x86-64, also for AVX2, picked at load
 * time. perf: 14% of the CPU time scalar. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define WN_VECTOR_LOOP __attribute__((target_clones("avx2", "default"), optimize("tree-vectorize")))
#else
#define WN_VECTOR_LOOP
#endif

/* Ids are read with memcpy: documents in a mapped stream are rarely 4-byte
 * aligned, and an unaligned vector load costs the same as an aligned one. */
static inline uint32_t ld32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

WN_VECTOR_LOOP static uint32_t max_token(const unsigned char *tok, size_t n)
{
	uint32_t mx = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = ld32(tok + 4 * i);
		mx = v > mx ? v : mx;
	}
	return mx;
}

WN_VECTOR_LOOP static void narrow16(uint16_t *d, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint16_t)ld32(src + 4 * i);
}

/* Segment ordinals and padding: runs of one value, up to seq_len long (GCC
 * -O2 left these scalar; perf: half of wn_packer_row). */
WN_VECTOR_LOOP static void fill16(uint16_t *d, uint16_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = v;
}

WN_VECTOR_LOOP static void fill32(uint32_t *d, uint32_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = v;
}

size_t wn_pack_check_tokens(const void *le32, size_t n, uint32_t vocab)
{
	const unsigned char *tok = le32;
	/* Max-reduction first (vectorises); locate only on failure. */
	if (n == 0 || max_token(tok, n) < vocab)
		return n;
	for (size_t i = 0; i < n; i++)
		if (ld32(tok + 4 * i) >= vocab)
			return i;
	return n;
}

void wn_pack_narrow(void *dst, unsigned esize, const void *le32, size_t n)
{
	/* Formats are little-endian and so is every host we build on (checked
	 * at compile time below), so narrowing is a plain truncation. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "winnow shard writers assume a little-endian host"
#endif
	if (esize == 4) {
		memcpy(dst, le32, n * 4);
		return;
	}
	narrow16(dst, le32, n);
}

/* ---- packer --------------------------------------------------------------- */

int wn_packer_init(struct wn_packer *p, const struct wn_pack_opts *o, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (o->seq_len == 0 || o->seq_len > (1u << 24))
		return wn_err(err, errlen, "seq_len must be in 1..%u", 1u << 24);
	if (o->esize != 2 && o->esize != 4)
		return wn_err(err, errlen, "token width must be 2 or 4 bytes");
	p->o = *o;
	if (p->o.buffer_tokens < o->seq_len)
		p->o.buffer_tokens = o->seq_len;
	p->seg_esize = o->seq_len <= 65535 ? 2 : 4;
	wn_rng_seed(&p->rng, o->seed, o->stream);
	size_t L = o->seq_len;
	p->cnt = wn_xcalloc(L + 1, sizeof *p->cnt);
	p->head = wn_xmalloc((L + 1) * sizeof *p->head);
	size_t w0 = (L + 1 + 63) / 64, w1 = (w0 + 63) / 64;
	p->bits0 = wn_xcalloc(w0, sizeof *p->bits0);
	p->bits1 = wn_xcalloc(w1, sizeof *p->bits1);
	return 0;
}

void wn_packer_release(struct wn_packer *p)
{
	free(p->tok);
	free(p->docs);
	free(p->piece);
	free(p->rowstart);
	free(p->order);
	free(p->cks);
	free(p->krow);
	free(p->cnt);
	free(p->head);
	free(p->next);
	free(p->bits0);
	free(p->bits1);
	memset(p, 0, sizeof *p);
}

/* Room for n more tokens in the store; returns where they go. */
static unsigned char *store_reserve(struct wn_packer *p, size_t n)
{
	if (p->nstore + n > p->tokcap) {
		/* First allocation: the whole buffer at once (up to 256M
		 * tokens). Untouched pages cost nothing, and growing by doubling
		 * would copy it. */
		size_t cap = p->tokcap ? p->tokcap : (size_t)WN_MIN(p->o.buffer_tokens + p->o.seq_len, (uint64_t)1 << 28);
		while (cap < p->nstore + n)
			cap *= 2;
		p->tok = wn_xrealloc(p->tok, cap * p->o.esize);
		p->tokcap = cap;
	}
#ifdef MADV_POPULATE_WRITE
	/* Map the store in 32 MiB steps ahead of use rather than page by page
	 * on first touch: one call instead of thousands of page faults
	 * (perf: the faults were ~4% of the packing thread). */
	size_t need = (p->nstore + n) * p->o.esize, cap = p->tokcap * p->o.esize;
	if (need > p->populated) {
		size_t to = WN_MIN(cap, WN_MAX(need, p->populated + ((size_t)32 << 20)));
		uintptr_t a = ((uintptr_t)p->tok + p->populated) & ~(uintptr_t)4095;
		uintptr_t e = ((uintptr_t)p->tok + to) & ~(uintptr_t)4095;
		if (e > a)
			madvise((void *)a, e - a, MADV_POPULATE_WRITE);
		p->populated = to;
	}
#endif
	unsigned char *d = p->tok + p->nstore * p->o.esize;
	p->nstore += n;
	return d;
}

static int add_doc(struct wn_packer *p, uint64_t src, int ref, size_t n)
{
	size_t L = p->o.seq_len;
	WN_GROW(p->docs, p->docscap, p->ndocs + 1);
	struct wn_pack_doc *d = &p->docs[p->ndocs++];
	d->src = src;
	d->len = (uint32_t)n;
	d->ref = (uint32_t)ref;
	/* Cuts are known on arrival: concat's buffer starts on a row boundary
	 * (the carried tail is a whole number of rows shorter than the stream),
	 * so a document is cut iff it crosses a multiple of L; best-fit cuts
	 * exactly the documents longer than L. */
	size_t first;
	if (p->o.kind == WN_PACK_CONCAT)
		first = L - p->ntok % L;
	else
		first = L;
	if (n > first) {
		p->st.docs_cut++;
		p->st.tokens_cut += n - first;
	}
	p->st.docs++;
	p->st.tokens += n;
	p->ntok += n;
	return p->ntok >= p->o.buffer_tokens;
}

int wn_packer_add(struct wn_packer *p, const void *le32, size_t n)
{
	if (n == 0)
		return p->ntok >= p->o.buffer_tokens;
	size_t at = p->nstore;
	wn_pack_narrow(store_reserve(p, n), p->o.esize, le32, n);
	return add_doc(p, at, 0, n);
}

/* Why by reference: a mapped input stays mapped for the whole run, so its
 * documents need not be copied into the store: copying (and the first touch
 * of the store's pages, which the kernel zeroes) was ~15% of the stage's CPU
 * time (perf); the ids are narrowed once, straight into the output rows. */
int wn_packer_add_ref(struct wn_packer *p, const void *le32, size_t n)
{
	if (n == 0)
		return p->ntok >= p->o.buffer_tokens;
	return add_doc(p, (uint64_t)(uintptr_t)le32, 1, n);
}

/* Where token `skip` of document d is. */
static inline const unsigned char *doc_at(const struct wn_packer *p, const struct wn_pack_doc *d, uint64_t skip)
{
	if (d->ref)
		return (const unsigned char *)(uintptr_t)d->src + skip * 4;
	return p->tok + (d->src + skip) * p->o.esize;
}

static void add_piece(struct wn_packer *p, const unsigned char *src, uint32_t len, uint32_t ref)
{
	WN_GROW(p->piece, p->piececap, p->npiece + 1);
	struct wn_pack_piece *pc = &p->piece[p->npiece++];
	pc->src = src;
	pc->len = len;
	pc->newdoc = 1; /* every piece starts a segment in its row */
	pc->ref = (uint16_t)ref;
}

static void start_row(struct wn_packer *p)
{
	WN_GROW(p->rowstart, p->rowcap, p->nrows + 2);
	p->rowstart[p->nrows++] = p->npiece;
	p->rowstart[p->nrows] = p->npiece;
}

static void end_rows(struct wn_packer *p)
{
	WN_GROW(p->rowstart, p->rowcap, p->nrows + 1);
	p->rowstart[p->nrows] = p->npiece;
}

static void pack_concat(struct wn_packer *p, int final)
{
	size_t L = p->o.seq_len;
	size_t full = p->ntok / L, rows = final ? (p->ntok + L - 1) / L : full;
	size_t end = rows * L < p->ntok ? rows * L : p->ntok;
	size_t d = 0, dpos = 0; /* dpos: where document d starts */
	for (size_t r = 0; r < rows; r++) {
		size_t a = r * L, b = WN_MIN(a + L, end);
		start_row(p);
		while (d < p->ndocs && dpos + p->docs[d].len <= a)
			dpos += p->docs[d++].len;
		for (size_t k = d, kpos = dpos; k < p->ndocs && kpos < b; kpos += p->docs[k++].len) {
			const struct wn_pack_doc *dk = &p->docs[k];
			size_t s = WN_MAX(a, kpos), e = WN_MIN(b, kpos + dk->len);
			/* A piece that starts mid-document (the tail of a cut one) is
			 * still its own segment in this row. */
			add_piece(p, doc_at(p, dk, s - kpos), (uint32_t)(e - s), dk->ref);
		}
		p->rowstart[p->nrows] = p->npiece;
	}
	end_rows(p);
	p->carry_from = rows * L;
	if (p->carry_from > p->ntok)
		p->carry_from = p->ntok;
}

/* Bitmap of non-empty buckets. */
static inline void bit_set(struct wn_packer *p, size_t r)
{
	p->bits0[r >> 6] |= 1ULL << (r & 63);
	p->bits1[r >> 12] |= 1ULL << ((r >> 6) & 63);
}

static inline void bit_clear(struct wn_packer *p, size_t r)
{
	p->bits0[r >> 6] &= ~(1ULL << (r & 63));
	if (!p->bits0[r >> 6])
		p->bits1[r >> 12] &= ~(1ULL << ((r >> 6) & 63));
}

/* Smallest non-empty bucket >= n, or (size_t)-1. */
static size_t bit_find(const struct wn_packer *p, size_t n)
{
	size_t L = p->o.seq_len;
	size_t w0n = (L + 1 + 63) / 64, w1n = (w0n + 63) / 64;
	size_t w = n >> 6;
	uint64_t x = p->bits0[w] & (~0ULL << (n & 63));
	if (x)
		return (w << 6) + (size_t)__builtin_ctzll(x);
	w++;
	if (w >= w0n)
		return (size_t)-1;
	size_t s = w >> 6;
	uint64_t y = p->bits1[s] & (~0ULL << (w & 63));
	while (!y) {
		if (++s >= w1n)
			return (size_t)-1;
		y = p->bits1[s];
	}
	w = (s << 6) + (size_t)__builtin_ctzll(y);
	return (w << 6) + (size_t)__builtin_ctzll(p->bits0[w]);
}

static void pack_bestfit(struct wn_packer *p)
{
	size_t L = p->o.seq_len;
	/* 1. chunks: full seq_len chunks become rows of their own right away;
	 *    the rest (at most one per document) are counted by length ... */
	size_t nc = 0;
	memset(p->cnt, 0, (L + 1) * sizeof *p->cnt);
	for (size_t d = 0; d < p->ndocs; d++) {
		const struct wn_pack_doc *dd = &p->docs[d];
		size_t len = dd->len;
		if (len >= L) {
			const unsigned char *src = doc_at(p, dd, 0);
			size_t step = (size_t)L * (dd->ref ? 4 : p->o.esize);
			for (; len >= L; len -= L, src += step) {
				start_row(p);
				add_piece(p, src, (uint32_t)L, dd->ref);
				p->rowstart[p->nrows] = p->npiece;
			}
		}
		p->cnt[len]++;
		nc += len > 0;
	}
	size_t fullrows = p->nrows;
	/* 2. ... and sorted by length, descending, stable (input order on
	 *    ties): a counting sort. The chunks themselves are moved (16 bytes
	 *    each) rather than an index sorted: the loops below then read them
	 *    in order, where reading through an index missed the cache on every
	 *    chunk (perf: half of the packing's time on that one load). */
	if (p->ccap < nc) {
		size_t cap = WN_MAX(nc, (size_t)1024);
		p->cks = wn_xrealloc(p->cks, cap * sizeof *p->cks);
		p->krow = wn_xrealloc(p->krow, cap * sizeof *p->krow);
		p->ccap = cap;
	}
	{
		uint32_t acc = 0;
		p->cnt[0] = 0; /* documents that were whole chunks: no remainder */
		for (size_t len = L + 1; len-- > 1;) {
			uint32_t c = p->cnt[len];
			p->cnt[len] = acc;
			acc += c;
		}
	}
	for (size_t d = 0; d < p->ndocs; d++) {
		const struct wn_pack_doc *dd = &p->docs[d];
		size_t len = dd->len, skip = 0;
		while (len >= L)
			len -= L, skip += L;
		if (!len)
			continue;
		struct wn_pack_piece *c = &p->cks[p->cnt[len]++];
		c->src = doc_at(p, dd, skip);
		c->len = (uint32_t)len;
		c->newdoc = 1;
		c->ref = (uint16_t)dd->ref;
	}
	/* 3. best fit: open rows numbered 0.. (after the full rows); bucket
	 *    lists by remaining room. */
	for (size_t r = 0; r <= L; r++)
		p->head[r] = -1;
	size_t nopen = 0;
	for (size_t k = 0; k < nc; k++) {
		size_t n = p->cks[k].len;
		size_t b = bit_find(p, n);
		int32_t row;
		if (b == (size_t)-1) {
			if (nopen + 1 > p->nextcap) {
				size_t cap = p->nextcap ? p->nextcap * 2 : 1024;
				p->next = wn_xrealloc(p->next, cap * sizeof *p->next);
				p->nextcap = cap;
			}
			row = (int32_t)nopen++;
			b = L;
		} else {
			row = p->head[b];
			p->head[b] = p->next[row];
			if (p->head[b] < 0)
				bit_clear(p, b);
		}
		size_t left = b - n;
		p->krow[k] = (uint32_t)row;
		if (left) {
			p->next[row] = p->head[left];
			if (p->head[left] < 0)
				bit_set(p, left);
			p->head[left] = row;
		}
	}
	/* Leave the bitmap clean for the next buffer. */
	for (size_t r = 0; r <= L; r++)
		if (p->head[r] >= 0)
			bit_clear(p, r);
	/* 4. pieces of open rows in CSR order: count, prefix, fill (in
	 *    placement order within a row, i.e. longest first). */
	size_t base = p->npiece;
	WN_GROW(p->rowstart, p->rowcap, fullrows + nopen + 1);
	size_t *rs = p->rowstart + fullrows;
	memset(rs, 0, (nopen + 1) * sizeof *rs);
	for (size_t k = 0; k < nc; k++)
		rs[p->krow[k] + 1]++;
	rs[0] = base;
	for (size_t r = 0; r < nopen; r++)
		rs[r + 1] += rs[r];
	WN_GROW(p->piece, p->piececap, base + nc);
	/* rs[r] is used as a fill cursor, then restored by shifting. */
	for (size_t k = 0; k < nc; k++)
		p->piece[rs[p->krow[k]]++] = p->cks[k];
	for (size_t r = nopen; r > 0; r--)
		rs[r] = rs[r - 1];
	rs[0] = base;
	p->npiece = base + nc;
	p->nrows = fullrows + nopen;
	p->carry_from = p->ntok;
}

void wn_packer_pack(struct wn_packer *p, int final)
{
	p->nrows = 0;
	p->npiece = 0;
	if (p->o.kind == WN_PACK_CONCAT)
		pack_concat(p, final);
	else
		pack_bestfit(p);
	end_rows(p);
	/* Fisher-Yates over the row order. */
	WN_GROW(p->order, p->ordercap, p->nrows + 1);
	for (size_t i = 0; i < p->nrows; i++)
		p->order[i] = i;
	for (size_t i = p->nrows; i > 1; i--) {
		size_t j = (size_t)wn_rng_below(&p->rng, i);
		size_t t = p->order[i - 1];
		p->order[i - 1] = p->order[j];
		p->order[j] = t;
	}
	uint64_t used = 0;
	for (size_t i = 0; i < p->npiece; i++)
		used += p->piece[i].len;
	p->st.rows += p->nrows;
	p->st.padding += (uint64_t)p->nrows * p->o.seq_len - used;
}

size_t wn_packer_row(const struct wn_packer *p, size_t i, void *tok, void *seg)
{
	size_t r = p->order[i], L = p->o.seq_len, es = p->o.esize, pos = 0;
	unsigned char *t = tok;
	uint32_t ord = 0;
	/* Rows are read in shuffled order and best-fit rows gather pieces from
	 * all over the buffer: start fetching the next row's pieces now, so
	 * their cache and TLB misses overlap this row's copying. */
	if (i + 1 < p->nrows) {
		size_t nr = p->order[i + 1];
		for (size_t k = p->rowstart[nr]; k < p->rowstart[nr + 1]; k++) {
			const unsigned char *src = p->piece[k].src;
			__builtin_prefetch(src);
			__builtin_prefetch(src + 64);
		}
	}
	for (size_t k = p->rowstart[r]; k < p->rowstart[r + 1]; k++) {
		const struct wn_pack_piece *pc = &p->piece[k];
		if (pc->ref)
			wn_pack_narrow(t + pos * es, (unsigned)es, pc->src, pc->len);
		else
			memcpy(t + pos * es, pc->src, (size_t)pc->len * es);
		ord += pc->newdoc;
		if (p->seg_esize == 2)
			fill16((uint16_t *)seg + pos, (uint16_t)ord, pc->len);
		else
			fill32((uint32_t *)seg + pos, ord, pc->len);
		pos += pc->len;
	}
	if (pos < L) {
		if (es == 2)
			fill16((uint16_t *)tok + pos, (uint16_t)p->o.pad_id, L - pos);
		else
			fill32((uint32_t *)tok + pos, p->o.pad_id, L - pos);
		memset((unsigned char *)seg + pos * p->seg_esize, 0, (L - pos) * p->seg_esize);
	}
	return pos;
}

void wn_packer_reset(struct wn_packer *p)
{
	size_t from = p->carry_from, keep = p->ntok - from, j = 0;
	if (keep) {
		/* concat: keep the unemitted tail; documents that overlap it are
		 * rebased (the first may start before it), and the stored
		 * tokens still needed move to the front of the store. */
		size_t d = 0, sfrom = p->nstore, dpos = 0;
		while (d < p->ndocs && dpos + p->docs[d].len <= from)
			dpos += p->docs[d++].len;
		for (; d < p->ndocs; d++, j++) {
			struct wn_pack_doc x = p->docs[d];
			uint64_t skip = dpos < from ? from - dpos : 0;
			dpos += x.len;
			x.len -= (uint32_t)skip;
			x.src += skip * (x.ref ? 4 : 1);
			if (!x.ref && x.src < sfrom)
				sfrom = x.src;
			p->docs[j] = x;
		}
		if (sfrom < p->nstore)
			memmove(p->tok, p->tok + sfrom * p->o.esize, (p->nstore - sfrom) * p->o.esize);
		for (size_t k = 0; k < j; k++)
			if (!p->docs[k].ref)
				p->docs[k].src -= sfrom;
		p->nstore -= sfrom;
	} else {
		p->nstore = 0;
	}
	p->ndocs = j;
	p->ntok = keep;
	p->nrows = 0;
	p->npiece = 0;
	p->carry_from = 0;
}

/* ---- sources and mixing --------------------------------------------------- */

void wn_pack_mix_init(struct wn_pack_mix *m, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	wn_rng_seed(&m->rng, seed, 3);
}

void wn_pack_mix_release(struct wn_pack_mix *m)
{
	for (size_t i = 0; i < m->nent; i++)
		free(m->ent[i].key);
	free(m->ent);
	for (size_t i = 0; i < m->srccap; i++)
		if (m->src[i]) {
			free(m->src[i]->name);
			free(m->src[i]);
		}
	free(m->src);
	memset(m, 0, sizeof *m);
}

int wn_pack_mix_parse(struct wn_pack_mix *m, const char *spec, char *err, size_t errlen)
{
	const char *s = spec;
	size_t cap = 0;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		if (!eq || eq == s)
			return wn_err(err, errlen, "--mix: expected source=weight, got '%.*s'", (int)len, s);
		char num[64];
		size_t nl = len - (size_t)(eq + 1 - s);
		if (nl == 0 || nl >= sizeof num)
			return wn_err(err, errlen, "--mix: bad weight in '%.*s'", (int)len, s);
		memcpy(num, eq + 1, nl);
		num[nl] = '\0';
		char *end;
		double w = strtod(num, &end);
		if (*end || !(w >= 0) || w > 1e12)
			return wn_err(err, errlen, "--mix: bad weight '%s'", num);
		for (size_t i = 0; i < m->nent; i++)
			if (strlen(m->ent[i].key) == (size_t)(eq - s) && !memcmp(m->ent[i].key, s, (size_t)(eq - s)))
				return wn_err(err, errlen, "--mix: source '%.*s' given twice", (int)(eq - s), s);
		WN_GROW(m->ent, cap, m->nent + 1);
		memset(&m->ent[m->nent], 0, sizeof m->ent[0]);
		m->ent[m->nent].key = wn_xstrndup(s, (size_t)(eq - s));
		m->ent[m->nent].weight = w;
		m->total_weight += w;
		m->nent++;
		s += len;
		if (*s == ',')
			s++;
	}
	if (m->nent == 0 || !(m->total_weight > 0))
		return wn_err(err, errlen, "--mix: need at least one source with a weight > 0");
	return 0;
}

/* The mix entry for a source: exact name, else the longest key that is a
 * '/'-delimited prefix ("cc" for "cc/2024") or a glob prefix ("cc-*"), else
 * "*", else -1. */
static int mix_match(const struct wn_pack_mix *m, const char *name)
{
	int best = -1, star = -1;
	size_t bestlen = 0, n = strlen(name);
	for (size_t i = 0; i < m->nent; i++) {
		const char *k = m->ent[i].key;
		size_t kl = strlen(k);
		if (!strcmp(k, "*"))
			star = (int)i;
		else if (kl > 1 && k[kl - 1] == '*' && kl - 1 <= n && !memcmp(k, name, kl - 1)) {
			if (kl > bestlen)
				best = (int)i, bestlen = kl;
		}
		else if (kl == n && !memcmp(k, name, n))
			return (int)i;
		else if (kl < n && name[kl] == '/' && !memcmp(k, name, kl) && kl > bestlen) {
			best = (int)i;
			bestlen = kl;
		}
	}
	return best >= 0 ? best : star;
}

static struct wn_pack_source *source_lookup(struct wn_pack_mix *m, const char *name, size_t len);

static uint64_t name_hash(const char *s, size_t n)
{
	return wn_hash64(s, n, 0x5eed);
}

struct wn_pack_source *wn_pack_source_get(struct wn_pack_mix *m, const char *name, size_t len)
{
	/* Called for every document, and documents of a handful of sources
	 * come interleaved: a small cache indexed by a multiplicative hash of
	 * the length and the last (up to) 8 bytes of the tag answers most
	 * lookups without hashing the whole tag (perf: hashing and probing
	 * were ~4% of the stage's CPU). */
	uint64_t h = len, w = 0;
	if (len >= 8) /* one fixed-size load (a variable-size memcpy stalled on store forwarding) */
		memcpy(&w, name + len - 8, 8);
	else
		for (size_t i = 0; i < len; i++)
			w = w << 8 | (unsigned char)name[i];
	h ^= w;
	size_t c = (size_t)((h * 0x9e3779b97f4a7c15ULL) >> 58);
	struct wn_pack_source *s = m->recent[c];
	if (s && s->namelen == len && !memcmp(s->name, name, len))
		return s;
	s = source_lookup(m, name, len);
	m->recent[c] = s;
	return s;
}

static struct wn_pack_source *source_lookup(struct wn_pack_mix *m, const char *name, size_t len)
{
	/* The table holds pointers: sources never move, so callers may keep
	 * them (the validation reservoir does) while the table grows. */
	if (2 * (m->nsrc + 1) > m->srccap) {
		size_t cap = m->srccap ? m->srccap * 2 : 64;
		struct wn_pack_source **t = wn_xcalloc(cap, sizeof *t);
		for (size_t i = 0; i < m->srccap; i++) {
			if (!m->src[i])
				continue;
			size_t j = (size_t)name_hash(m->src[i]->name, m->src[i]->namelen) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = m->src[i];
		}
		free(m->src);
		m->src = t;
		m->srccap = cap;
	}
	size_t j = (size_t)name_hash(name, len) & (m->srccap - 1);
	while (m->src[j]) {
		if (m->src[j]->namelen == len && !memcmp(m->src[j]->name, name, len))
			return m->src[j];
		j = (j + 1) & (m->srccap - 1);
	}
	struct wn_pack_source *s = m->src[j] = wn_xcalloc(1, sizeof *s);
	s->name = wn_xstrndup(name, len);
	s->namelen = len;
	s->mixidx = m->nent ? mix_match(m, s->name) : -1;
	m->nsrc++;
	return s;
}

static int cmp_src(const void *a, const void *b)
{
	return strcmp((*(struct wn_pack_source *const *)a)->name, (*(struct wn_pack_source *const *)b)->name);
}

struct wn_pack_source **wn_pack_sources_sorted(const struct wn_pack_mix *m, size_t *n)
{
	struct wn_pack_source **v = wn_xmalloc((m->nsrc + 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < m->srccap; i++)
		if (m->src[i])
			v[k++] = m->src[i];
	qsort(v, k, sizeof *v, cmp_src);
	*n = k;
	return v;
}

int wn_pack_mix_plan(struct wn_pack_mix *m, char *err, size_t errlen)
{
	for (size_t i = 0; i < m->srccap; i++) {
		struct wn_pack_source *s = m->src[i];
		if (s && s->mixidx >= 0) {
			m->ent[s->mixidx].tokens_in += s->tokens_in;
			m->ent[s->mixidx].docs_in += s->docs_in;
		}
	}
	/* Shares are renormalised over the entries that have data, and the
	 * total is kept at the eligible input size (or --mix-tokens), so each
	 * entry is repeated (factor > 1) or sampled down (factor < 1). */
	double wsum = 0;
	uint64_t avail = 0;
	for (size_t i = 0; i < m->nent; i++) {
		if (m->ent[i].tokens_in && m->ent[i].weight > 0) {
			wsum += m->ent[i].weight;
			avail += m->ent[i].tokens_in;
		}
	}
	if (!(wsum > 0) || !avail)
		return wn_err(err, errlen, "--mix: none of the named sources has documents");
	uint64_t target = m->target_tokens ? m->target_tokens : avail;
	for (size_t i = 0; i < m->nent; i++) {
		struct wn_pack_mixent *e = &m->ent[i];
		e->share = e->tokens_in && e->weight > 0 ? e->weight / wsum : 0;
		e->factor = e->tokens_in ? e->share * (double)target / (double)e->tokens_in : 0;
	}
	return 0;
}

unsigned wn_pack_mix_repeats(struct wn_pack_mix *m, const struct wn_pack_source *s, size_t n)
{
	if (!m->nent)
		return 1;
	if (s->mixidx < 0 || n == 0)
		return 0;
	/* Randomised error diffusion: `credit` is the entry's tokens wanted
	 * minus tokens written. Each document adds factor * n and is written
	 * floor(credit / n + u) times (u uniform in [0,1)), so the expected
	 * count is the factor plus a correction that pulls the running total
	 * back to its target: shares come out within about one document of
	 * the request, where independent coin flips drift by sqrt(docs). */
	struct wn_pack_mixent *e = &m->ent[s->mixidx];
	e->credit += e->factor * (double)n;
	double k = floor(e->credit / (double)n + wn_rng_unit(&m->rng));
	if (k < 0)
		k = 0;
	if (k > 1e6)
		k = 1e6;
	e->credit -= k * (double)n;
	return (unsigned)k;
}
