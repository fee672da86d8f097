/*
 * bpe.c -- byte-level BPE encoder (see bpe.h).
 *
 * Tables (built once, then read-only):
 *  - tok[id]: span of the token's bytes in `blob` (ordinary and special);
 *  - bytes -> id: open addressing over ordinary tokens, slots hold the id
 *    and 32 bits of the hash so that misses rarely touch the bytes;
 *  - (left id, right id) -> (rank, merged id): open addressing on the
 *    64-bit pair key.
 *
 * The merge loop. A piece of n bytes starts as n single-byte tokens. For
 * short pieces (n <= SMALL_MAX, nearly all of them) we keep the ids and the
 * rank of each adjacent pair in arrays and repeatedly scan for the lowest
 * rank: O(n^2) worst case but n is small and the arrays stay in L1, which
 * is what tiktoken does too. Long pieces (a megabyte of one character or of
 * spaces is a single piece) use a doubly linked list of nodes and a binary
 * min-heap of candidate pairs ordered by (rank, position), with lazy
 * deletion: an entry is applied only if its two nodes are still adjacent
 * and still carry the ids it was made from. Each merge removes one node
 * and pushes at most two entries, so the piece costs O(n log n).
 *
 * Both orders give "lowest rank first, leftmost on ties", the rule of
 * tiktoken's _byte_pair_merge and of HF's BPE word merge.
 *
 * Per-thread cache: a direct-mapped table from short pieces (<= CACHE_BYTES)
 * to their ids (<= CACHE_TOKS); collisions simply overwrite.
 */
#include "bpe.h"
#include "hash.h"

#include <string.h>

#define SMALL_MAX 128
#define CACHE_SLOTS (1u << 16)
#define CACHE_BYTES 32
#define CACHE_TOKS 7

struct tokspan {
	uint32_t off, len; /* len == WN_BPE_NONE: no token with this id */
};

/* A slot of the bytes -> id table holds the first 8 bytes and the length
 * of its token, so that the usual lookup (tokens of <= 8 bytes) is decided
 * without touching the token's bytes elsewhere: one cache miss, not three. */
struct bslot {
	uint64_t pre; /* first 8 bytes, zero padded */
	uint32_t id;  /* WN_BPE_NONE = empty */
	uint32_t len;
};

struct pslot {
	uint64_t key; /* UINT64_MAX = empty */
	uint32_t rank, merged;
};

struct special {
	char *text;
	uint32_t id;
};

struct wn_bpe {
	unsigned flags;
	struct tokspan *tok;
	size_t ntok; /* allocated entries of tok (ids < ntok) */
	uint32_t vocab_size;
	struct wn_buf blob;
	unsigned char *is_special; /* per id */
	struct bslot *bt;
	size_t bmask, bcount;
	struct pslot *pt;
	size_t pmask, pcount;
	uint32_t byte_id[256];
	struct special *sp;
	size_t nsp, spcap;
	struct wn_pretok *pre;
	/* rules for pairs of single bytes, indexed by (byte1 << 8 | byte2):
	 * the first round of every merge loop, kept in L2 instead of
	 * probing the big pair table */
	struct bbrule {
		uint32_t rank, merged;
	} *bb;
	/* whole[id]: a piece equal to token id encodes to [id]. Always so
	 * with WN_BPE_WHOLE_LOOKUP (tiktoken's rule); with merge rules only
	 * (HF) it is so exactly when merging the token's own bytes ends in
	 * the token, which wn_bpe_finish works out once per token: most
	 * pieces then skip the merge loop, with identical results. */
	unsigned char *whole;
	char hash[65];
};

/* ---------------------------------------------------------------- build */

struct wn_bpe *wn_bpe_new(unsigned flags)
{
	struct wn_bpe *b = wn_xcalloc(1, sizeof *b);
	b->flags = flags;
	wn_buf_init(&b->blob);
	b->bmask = 1023;
	b->bt = wn_xmalloc((b->bmask + 1) * sizeof *b->bt);
	memset(b->bt, 0xFF, (b->bmask + 1) * sizeof *b->bt);
	b->pmask = 1023;
	b->pt = wn_xmalloc((b->pmask + 1) * sizeof *b->pt);
	memset(b->pt, 0xFF, (b->pmask + 1) * sizeof *b->pt);
	for (int i = 0; i < 256; i++)
		b->byte_id[i] = WN_BPE_NONE;
	return b;
}

void wn_bpe_free(struct wn_bpe *b)
{
	if (!b)
		return;
	free(b->tok);
	free(b->is_special);
	wn_buf_release(&b->blob);
	free(b->bt);
	free(b->pt);
	free(b->bb);
	free(b->whole);
	for (size_t i = 0; i < b->nsp; i++)
		free(b->sp[i].text);
	free(b->sp);
	wn_pretok_free(b->pre);
	free(b);
}

static inline uint64_t load8(const void *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n < 8 ? n : 8);
	return v;
}

/* Hash for short byte strings (pieces are mostly < 16 bytes): the first
 * and last 8 bytes and the length through a multiply-xorshift mix; longer
 * strings fall back to wn_hash64. Not for adversarial keys: a skewed
 * table only costs time. */
static inline uint64_t bhash(const void *p, size_t n)
{
	uint64_t a, c;
	if (n <= 8) {
		a = load8(p, n);
		c = 0;
	} else if (n <= 16) {
		a = load8(p, 8);
		c = load8((const char *)p + n - 8, 8);
	} else {
		return wn_hash64(p, n, 0x5bd1e995u);
	}
	uint64_t h = (a ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
	h ^= (c + n) * 0x94D049BB133111EBull;
	h ^= h >> 31;
	h *= 0xD6E8FEB86659FD93ull;
	return h ^ (h >> 32);
}

static inline size_t pair_slot(uint64_t key, size_t mask)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h ^ (h >> 29)) & mask;
}

static void bt_insert(struct bslot *t, size_t mask, uint32_t id, const void *bytes, size_t n)
{
	size_t i = (size_t)bhash(bytes, n) & mask;
	while (t[i].id != WN_BPE_NONE)
		i = (i + 1) & mask;
	t[i].id = id;
	t[i].len = (uint32_t)n;
	t[i].pre = load8(bytes, n);
}

static void ensure_id(struct wn_bpe *b, uint32_t id)
{
	if (id < b->ntok)
		return;
	size_t old = b->ntok, n = old ? old : 1024;
	while (n <= id)
		n *= 2;
	b->tok = wn_xrealloc(b->tok, n * sizeof *b->tok);
	b->is_special = wn_xrealloc(b->is_special, n);
	for (size_t i = old; i < n; i++) {
		b->tok[i].off = 0;
		b->tok[i].len = WN_BPE_NONE;
		b->is_special[i] = 0;
	}
	b->ntok = n;
}

static inline uint32_t lookup_h(const struct wn_bpe *b, const void *bytes, size_t n, uint64_t h)
{
	uint64_t pre = load8(bytes, n);
	for (size_t i = (size_t)h & b->bmask;; i = (i + 1) & b->bmask) {
		const struct bslot *s = &b->bt[i];
		if (s->id == WN_BPE_NONE)
			return WN_BPE_NONE;
		if (s->pre == pre && s->len == n &&
		    (n <= 8 || !memcmp(b->blob.data + b->tok[s->id].off + 8, (const char *)bytes + 8, n - 8)))
			return s->id;
	}
}

uint32_t wn_bpe_lookup(const struct wn_bpe *b, const void *bytes, size_t n)
{
	return lookup_h(b, bytes, n, bhash(bytes, n));
}

static int add_bytes(struct wn_bpe *b, uint32_t id, const void *bytes, size_t n, char *err, size_t errlen)
{
	if (id == WN_BPE_NONE)
		return wn_err(err, errlen, "token id %u out of range", id);
	ensure_id(b, id);
	if (b->tok[id].len != WN_BPE_NONE)
		return wn_err(err, errlen, "token id %u defined twice", id);
	if (b->blob.len + n > 0xFFFFFFF0u)
		return wn_err(err, errlen, "vocabulary too large");
	b->tok[id].off = (uint32_t)b->blob.len;
	b->tok[id].len = (uint32_t)n;
	wn_buf_add(&b->blob, bytes, n);
	if (id + 1 > b->vocab_size)
		b->vocab_size = id + 1;
	return 0;
}

int wn_bpe_add_token(struct wn_bpe *b, uint32_t id, const void *bytes, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return wn_err(err, errlen, "token id %u is empty", id);
	uint32_t other = wn_bpe_lookup(b, bytes, n);
	if (other != WN_BPE_NONE)
		return wn_err(err, errlen, "tokens %u and %u have the same bytes", other, id);
	if (add_bytes(b, id, bytes, n, err, errlen) < 0)
		return -1;
	if (2 * (b->bcount + 1) > b->bmask + 1) {
		size_t nm = 2 * (b->bmask + 1) - 1;
		struct bslot *nt = wn_xmalloc((nm + 1) * sizeof *nt);
		memset(nt, 0xFF, (nm + 1) * sizeof *nt);
		for (size_t i = 0; i <= b->bmask; i++)
			if (b->bt[i].id != WN_BPE_NONE) {
				const struct tokspan *t = &b->tok[b->bt[i].id];
				bt_insert(nt, nm, b->bt[i].id, b->blob.data + t->off, t->len);
			}
		free(b->bt);
		b->bt = nt;
		b->bmask = nm;
	}
	bt_insert(b->bt, b->bmask, id, bytes, n);
	b->bcount++;
	if (n == 1)
		b->byte_id[*(const unsigned char *)bytes] = id;
	return 0;
}

int wn_bpe_add_special(struct wn_bpe *b, uint32_t id, const char *text, char *err, size_t errlen)
{
	if (add_bytes(b, id, text, strlen(text), err, errlen) < 0)
		return -1;
	b->is_special[id] = 1;
	if (b->nsp == b->spcap)
		WN_GROW(b->sp, b->spcap, b->nsp + 1);
	b->sp[b->nsp].text = wn_xstrdup(text);
	b->sp[b->nsp].id = id;
	b->nsp++;
	return 0;
}

int wn_bpe_add_special_list(struct wn_bpe *b, const char *list, char *err, size_t errlen)
{
	char e2[256];
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *item = wn_xstrndup(p, n), *eq = strrchr(item, '='), *end;
		uint64_t id = b->vocab_size;
		if (eq && eq[1] >= '0' && eq[1] <= '9') {
			unsigned long long v = strtoull(eq + 1, &end, 10);
			if (!*end && v < WN_BPE_NONE) {
				id = v;
				*eq = 0;
			}
		}
		int rc = 0;
		if (*item && wn_bpe_special_id(b, item) == WN_BPE_NONE &&
		    wn_bpe_add_special(b, (uint32_t)id, item, e2, sizeof e2) < 0)
			rc = wn_err(err, errlen, "special token '%s': %s", item, e2);
		free(item);
		if (rc)
			return rc;
		p = e ? e + 1 : p + n;
	}
	return 0;
}

static void pair_put(struct wn_bpe *b, uint32_t l, uint32_t r, uint32_t rank, uint32_t merged)
{
	if (2 * (b->pcount + 1) > b->pmask + 1) {
		size_t nm = 2 * (b->pmask + 1) - 1;
		struct pslot *nt = wn_xmalloc((nm + 1) * sizeof *nt);
		memset(nt, 0xFF, (nm + 1) * sizeof *nt);
		for (size_t i = 0; i <= b->pmask; i++)
			if (b->pt[i].key != UINT64_MAX) {
				size_t j = pair_slot(b->pt[i].key, nm);
				while (nt[j].key != UINT64_MAX)
					j = (j + 1) & nm;
				nt[j] = b->pt[i];
			}
		free(b->pt);
		b->pt = nt;
		b->pmask = nm;
	}
	uint64_t key = (uint64_t)l << 32 | r;
	size_t j = pair_slot(key, b->pmask);
	while (b->pt[j].key != UINT64_MAX && b->pt[j].key != key)
		j = (j + 1) & b->pmask;
	if (b->pt[j].key == UINT64_MAX)
		b->pcount++;
	/* A repeated rule: the later one wins, as in HF's HashMap collect. */
	b->pt[j].key = key;
	b->pt[j].rank = rank;
	b->pt[j].merged = merged;
}

static inline const struct pslot *pair_get(const struct wn_bpe *b, uint32_t l, uint32_t r)
{
	uint64_t key = (uint64_t)l << 32 | r;
	for (size_t j = pair_slot(key, b->pmask);; j = (j + 1) & b->pmask) {
		const struct pslot *p = &b->pt[j];
		if (p->key == key)
			return p;
		if (p->key == UINT64_MAX)
			return NULL;
	}
}

static int ordinary(const struct wn_bpe *b, uint32_t id)
{
	return id < b->ntok && b->tok[id].len != WN_BPE_NONE && !b->is_special[id];
}

int wn_bpe_add_merge(struct wn_bpe *b, uint32_t rank, uint32_t left, uint32_t right, char *err, size_t errlen)
{
	if (!ordinary(b, left) || !ordinary(b, right))
		return wn_err(err, errlen, "merge %u uses a token that is not in the vocabulary", rank);
	const struct tokspan *l = &b->tok[left], *r = &b->tok[right];
	struct wn_buf cat = WN_BUF_INIT;
	wn_buf_add(&cat, b->blob.data + l->off, l->len);
	wn_buf_add(&cat, b->blob.data + r->off, r->len);
	uint32_t m = wn_bpe_lookup(b, cat.data, cat.len);
	wn_buf_release(&cat);
	if (m == WN_BPE_NONE)
		return wn_err(err, errlen, "merge %u makes a token that is not in the vocabulary", rank);
	pair_put(b, left, right, rank, m);
	return 0;
}

void wn_bpe_derive_merges(struct wn_bpe *b)
{
	for (uint32_t id = 0; id < b->ntok && id < b->vocab_size; id++) {
		if (!ordinary(b, id) || b->tok[id].len < 2)
			continue;
		const char *p = b->blob.data + b->tok[id].off;
		uint32_t n = b->tok[id].len;
		for (uint32_t k = 1; k < n; k++) {
			uint32_t l = wn_bpe_lookup(b, p, k);
			if (l == WN_BPE_NONE)
				continue;
			uint32_t r = wn_bpe_lookup(b, p + k, n - k);
			if (r != WN_BPE_NONE)
				pair_put(b, l, r, id, id);
		}
	}
}

void wn_bpe_set_pretok(struct wn_bpe *b, struct wn_pretok *pt)
{
	wn_pretok_free(b->pre);
	b->pre = pt;
}

void wn_bpe_set_hash(struct wn_bpe *b, const char *hex)
{
	snprintf(b->hash, sizeof b->hash, "%s", hex);
}

static void mark_whole(struct wn_bpe *b)
{
	unsigned char *whole = wn_xcalloc(b->ntok ? b->ntok : 1, 1);
	if (b->flags & WN_BPE_WHOLE_LOOKUP) {
		for (size_t id = 0; id < b->ntok; id++)
			whole[id] = ordinary(b, (uint32_t)id);
		b->whole = whole;
		return;
	}
	struct wn_bpe_state *s = wn_bpe_state_new(b); /* b->whole is NULL: no shortcut */
	struct wn_u32vec out = { 0 };
	char err[128];
	for (size_t id = 0; id < b->ntok; id++) {
		if (!ordinary(b, (uint32_t)id))
			continue;
		out.n = 0;
		if (wn_bpe_encode_piece(s, b->blob.data + b->tok[id].off, b->tok[id].len, &out, err, sizeof err) == 0 &&
		    out.n == 1 && out.v[0] == id)
			whole[id] = 1;
	}
	wn_u32vec_release(&out);
	wn_bpe_state_free(s);
	b->whole = whole;
}

int wn_bpe_finish(struct wn_bpe *b, char *err, size_t errlen)
{
	if (!b->pre)
		return wn_err(err, errlen, "tokenizer has no pre-tokenizer");
	/* Bytes missing from the vocabulary are not fatal here: a tokenizer
	 * trained on a corpus that lacks some bytes cannot encode them, and
	 * encoding reports that per document. */
	b->bb = wn_xmalloc(65536 * sizeof *b->bb);
	for (int x = 0; x < 256; x++)
		for (int y = 0; y < 256; y++) {
			struct bbrule *r = &b->bb[x << 8 | y];
			const struct pslot *p = NULL;
			if (b->byte_id[x] != WN_BPE_NONE && b->byte_id[y] != WN_BPE_NONE)
				p = pair_get(b, b->byte_id[x], b->byte_id[y]);
			r->rank = p ? p->rank : WN_BPE_NONE;
			r->merged = p ? p->merged : 0;
		}
	mark_whole(b);
	return 0;
}

/* -------------------------------------------------------------- queries */

uint32_t wn_bpe_vocab_size(const struct wn_bpe *b)
{
	return b->vocab_size;
}

const char *wn_bpe_hash(const struct wn_bpe *b)
{
	return b->hash;
}

const struct wn_pretok *wn_bpe_pretok(const struct wn_bpe *b)
{
	return b->pre;
}

uint32_t wn_bpe_special_id(const struct wn_bpe *b, const char *text)
{
	for (size_t i = 0; i < b->nsp; i++)
		if (!strcmp(b->sp[i].text, text))
			return b->sp[i].id;
	return WN_BPE_NONE;
}

const char *wn_bpe_token_bytes(const struct wn_bpe *b, uint32_t id, size_t *n)
{
	if (id >= b->ntok || b->tok[id].len == WN_BPE_NONE)
		return NULL;
	*n = b->tok[id].len;
	return b->blob.data + b->tok[id].off;
}

/* ---------------------------------------------------------------- state */

struct cslot {
	uint64_t h;
	uint8_t len, ntok;
	char bytes[CACHE_BYTES];
	uint32_t tok[CACHE_TOKS];
};

struct wn_bpe_state {
	const struct wn_bpe *b;
	struct wn_pretok_state *ps;
	struct cslot *cache;
	struct wn_u32vec *out;
	/* scratch for the merge loops */
	uint32_t *ids, *rank, *merged;
	int32_t *prev, *next;
	size_t scap;
	uint64_t *heap;
	size_t hcap;
	char *err;
	size_t errlen;
};

struct wn_bpe_state *wn_bpe_state_new(const struct wn_bpe *b)
{
	struct wn_bpe_state *s = wn_xcalloc(1, sizeof *s);
	s->b = b;
	s->ps = wn_pretok_state_new(b->pre);
	s->cache = wn_xcalloc(CACHE_SLOTS, sizeof *s->cache);
	return s;
}

void wn_bpe_state_free(struct wn_bpe_state *s)
{
	if (!s)
		return;
	wn_pretok_state_free(s->ps);
	free(s->cache);
	free(s->ids);
	free(s->rank);
	free(s->merged);
	free(s->prev);
	free(s->next);
	free(s->heap);
	free(s);
}

static void scratch(struct wn_bpe_state *s, size_t n)
{
	if (n <= s->scap)
		return;
	size_t c = s->scap ? s->scap : 256;
	while (c < n)
		c *= 2;
	s->ids = wn_xrealloc(s->ids, c * sizeof *s->ids);
	s->rank = wn_xrealloc(s->rank, c * sizeof *s->rank);
	s->merged = wn_xrealloc(s->merged, c * sizeof *s->merged);
	s->prev = wn_xrealloc(s->prev, c * sizeof *s->prev);
	s->next = wn_xrealloc(s->next, c * sizeof *s->next);
	s->scap = c;
}

static inline void set_rank(const struct wn_bpe *b, uint32_t *rank, uint32_t *merged, size_t i, uint32_t l,
			    uint32_t r)
{
	const struct pslot *p = pair_get(b, l, r);
	rank[i] = p ? p->rank : WN_BPE_NONE;
	merged[i] = p ? p->merged : 0;
}

/* The array scan for short pieces; ids[0..n) hold the tokens of the
 * piece's bytes p[0..n). */
static size_t merge_small(const struct wn_bpe *b, const unsigned char *p, uint32_t *ids, uint32_t *rank,
			  uint32_t *merged, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		const struct bbrule *r = &b->bb[p[i] << 8 | p[i + 1]];
		rank[i] = r->rank;
		merged[i] = r->merged;
	}
	while (n > 1) {
		uint32_t best = WN_BPE_NONE;
		size_t bi = 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (rank[i] < best) {
				best = rank[i];
				bi = i;
			}
		if (best == WN_BPE_NONE)
			break;
		ids[bi] = merged[bi];
		/* drop element bi+1 of ids and pair bi+1 of rank/merged */
		memmove(ids + bi + 1, ids + bi + 2, (n - bi - 2) * sizeof *ids);
		if (bi + 2 < n) {
			memmove(rank + bi + 1, rank + bi + 2, (n - bi - 2 - 1) * sizeof *rank);
			memmove(merged + bi + 1, merged + bi + 2, (n - bi - 2 - 1) * sizeof *merged);
		}
		n--;
		if (bi > 0)
			set_rank(b, rank, merged, bi - 1, ids[bi - 1], ids[bi]);
		if (bi + 1 < n)
			set_rank(b, rank, merged, bi, ids[bi], ids[bi + 1]);
	}
	return n;
}

/* Heap entries are (rank << 32 | position): one integer compare orders by
 * rank, then leftmost. A rank names exactly one pair (tiktoken: the merged
 * token; HF: the index in merges), so an entry is still valid iff the
 * pair now at its position has the same rank. */
static void sift_down(uint64_t *h, size_t n, size_t i)
{
	uint64_t x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= x)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void hpush(struct wn_bpe_state *s, size_t *hn, uint64_t e)
{
	if (*hn == s->hcap)
		WN_GROW(s->heap, s->hcap, *hn + 1);
	size_t i = (*hn)++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (s->heap[p] <= e)
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = e;
}

static inline uint32_t pair_rank(const struct wn_bpe *b, uint32_t l, uint32_t r, uint32_t *merged)
{
	const struct pslot *p = pair_get(b, l, r);
	if (!p)
		return WN_BPE_NONE;
	*merged = p->merged;
	return p->rank;
}

/* The heap + linked list for long pieces; appends the result to out. */
static void merge_large(struct wn_bpe_state *s, size_t n, struct wn_u32vec *out)
{
	const struct wn_bpe *b = s->b;
	uint32_t *ids = s->ids, m;
	int32_t *prev = s->prev, *next = s->next;
	size_t hn = 0;
	if (s->hcap < n)
		WN_GROW(s->heap, s->hcap, n);
	for (size_t i = 0; i < n; i++) {
		prev[i] = (int32_t)i - 1;
		next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
		uint32_t r = i + 1 < n ? pair_rank(b, ids[i], ids[i + 1], &m) : WN_BPE_NONE;
		if (r != WN_BPE_NONE)
			s->heap[hn++] = (uint64_t)r << 32 | i;
	}
	for (size_t i = hn / 2; i-- > 0;)
		sift_down(s->heap, hn, i);
	while (hn) {
		uint64_t e = s->heap[0];
		s->heap[0] = s->heap[--hn];
		if (hn)
			sift_down(s->heap, hn, 0);
		int32_t i = (int32_t)(uint32_t)e, j = next[i];
		/* stale: node i was removed (prev == -2), or its pair changed */
		if (prev[i] == -2 || j < 0 || pair_rank(b, ids[i], ids[j], &m) != (uint32_t)(e >> 32))
			continue;
		ids[i] = m;
		int32_t k = next[j];
		next[i] = k;
		if (k >= 0)
			prev[k] = i;
		prev[j] = -2;
		uint32_t r;
		if (prev[i] >= 0 && (r = pair_rank(b, ids[prev[i]], ids[i], &m)) != WN_BPE_NONE)
			hpush(s, &hn, (uint64_t)r << 32 | (uint32_t)prev[i]);
		if (k >= 0 && (r = pair_rank(b, ids[i], ids[k], &m)) != WN_BPE_NONE)
			hpush(s, &hn, (uint64_t)r << 32 | (uint32_t)i);
	}
	for (int32_t i = 0; i >= 0; i = next[i])
		wn_u32vec_push(out, ids[i]);
}

int wn_bpe_encode_piece(struct wn_bpe_state *s, const char *piece, size_t n, struct wn_u32vec *out, char *err,
			size_t errlen)
{
	const struct wn_bpe *b = s->b;
	const unsigned char *p = (const unsigned char *)piece;
	if (n == 0)
		return 0;
	if (n == 1) {
		uint32_t id = b->byte_id[p[0]];
		if (id == WN_BPE_NONE)
			return wn_err(err, errlen, "byte 0x%02X is not in the vocabulary", p[0]);
		wn_u32vec_push(out, id);
		return 0;
	}
	uint64_t h = bhash(piece, n);
	if (b->whole) {
		uint32_t id = lookup_h(b, piece, n, h);
		if (id != WN_BPE_NONE && b->whole[id]) {
			wn_u32vec_push(out, id);
			return 0;
		}
	}
	struct cslot *c = NULL;
	if (n <= CACHE_BYTES) {
		c = &s->cache[(h >> 20) & (CACHE_SLOTS - 1)];
		if (c->h == h && c->len == n && !memcmp(c->bytes, piece, n)) {
			for (size_t i = 0; i < c->ntok; i++)
				wn_u32vec_push(out, c->tok[i]);
			return 0;
		}
	}
	scratch(s, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = b->byte_id[p[i]];
		if (id == WN_BPE_NONE)
			return wn_err(err, errlen, "byte 0x%02X is not in the vocabulary", p[i]);
		s->ids[i] = id;
	}
	if (n > SMALL_MAX) {
		merge_large(s, n, out);
		return 0;
	}
	size_t m = merge_small(b, p, s->ids, s->rank, s->merged, n);
	for (size_t i = 0; i < m; i++)
		wn_u32vec_push(out, s->ids[i]);
	if (c && m <= CACHE_TOKS) {
		c->h = h;
		c->len = (uint8_t)n;
		c->ntok = (uint8_t)m;
		memcpy(c->bytes, piece, n);
		memcpy(c->tok, s->ids, m * sizeof *s->ids);
	}
	return 0;
}

static int piece_cb(const char *piece, size_t n, void *arg)
{
	struct wn_bpe_state *s = arg;
	return wn_bpe_encode_piece(s, piece, n, s->out, s->err, s->errlen) < 0 ? -1 : 0;
}

int wn_bpe_encode(struct wn_bpe_state *s, const char *text, size_t len, struct wn_u32vec *out, char *err,
		  size_t errlen)
{
	s->out = out;
	s->err = err;
	s->errlen = errlen;
	int rc = wn_pretok_split(s->ps, text, len, piece_cb, s, err, errlen);
	s->out = NULL;
	return rc ? -1 : 0;
}

int wn_bpe_decode(const struct wn_bpe *b, const uint32_t *ids, size_t n, struct wn_buf *out, char *err,
		  size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		if (id >= b->ntok || b->tok[id].len == WN_BPE_NONE)
			return wn_err(err, errlen, "unknown token id %u", id);
		wn_buf_add(out, b->blob.data + b->tok[id].off, b->tok[id].len);
	}
	return 0;
}
