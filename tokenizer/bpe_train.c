/*
 * bpe_train.c -- BPE merge loop with incremental pair counts.
 *
 * The idea (the design of HF tokenizers' BpeTrainer and of rustbpe): every
 * distinct pre-token is a "word" with a count and a sequence of token ids.
 * A table holds, for every adjacent pair of ids, the number of its
 * occurrences weighted by word counts. A max-heap orders candidate merges by
 * (count desc, pair asc); each heap entry also carries the list of words
 * that contained its pair when the entry was made. Merging the best pair
 * rewrites only the words in that list, and each rewrite reports the pair
 * counts it changed: (prev, a) and (b, next) lose an occurrence, (prev, new)
 * and (new, next) gain one. Counts are updated in the table, not in the
 * heap: the heap is lazy. A popped entry whose count disagrees with the
 * table is pushed back with the table's count; only an entry that agrees is
 * merged. New pairs (those containing the new id) get heap entries listing
 * the words where they appeared. Cost: the initial count is linear in the
 * corpus' distinct pieces; a merge costs time proportional to the symbols of
 * the words that contain its pair, plus heap operations.
 *
 * Exactness with HF: the changes reported by a word rewrite are exactly
 * HF's Word::merge (left to right, non-overlapping, the "prev" of a match
 * being the already rewritten symbol), the count of a merged pair is not
 * decremented for the occurrences it consumed (HF leaves it stale too,
 * which only matters if the pair could be formed again, i.e. when a token
 * id is reused), and the stop and tie rules are HF's. So the training order
 * is the same merge for merge.
 *
 * Threads: the initial pair count is split over the threads (each counts a
 * slice of the words in its own table; the tables are folded). In a merge
 * whose word list is long, the rewrites are cut into chunks that any
 * thread takes (see take_chunks); each thread sums its changes in its own
 * buffer; the counts are applied serially, buffer by buffer, then every
 * thread copies its words into the new lists. Nothing depends on which
 * thread ran what, so the result does not depend on the number of threads.
 */
#include "bpe_train.h"

#include "bytelevel.h"
#include "hash.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>


#define PAIR(a, b) (((uint64_t)(a) << 32) | (uint32_t)(b))
#define PAIR_A(p) ((uint32_t)((p) >> 32))
#define PAIR_B(p) ((uint32_t)(p))
#define EMPTY_KEY UINT64_MAX
/* Words per thread below which a merge step runs on one thread only: waking
 * threads costs more than rewriting a few hundred short words. */
#define PAR_MIN_WORDS 1024
/* Words to copy into new lists below which the copy stays on one thread. */
#define PAR_MIN_NODES 32768

/* ---- pair table: pair -> weighted count, plus per-step bookkeeping ---- */

struct pent {
	uint64_t key;
	int64_t count;
	uint32_t stamp; /* merge step that last gave this pair a new word list */
	uint32_t pos;   /* that list (index into the pos pool) */
};

struct ptab {
	struct pent *t;
	size_t cap, n; /* cap is a power of two */
	int shift;
};

static inline size_t phash(const struct ptab *p, uint64_t k)
{
	return (size_t)((k * 0x9E3779B97F4A7C15ull) >> p->shift);
}

static void ptab_init(struct ptab *p, size_t cap)
{
	size_t c = 1024;
	int bits = 10;
	while (c < cap * 2) {
		c *= 2;
		bits++;
	}
	p->cap = c;
	p->shift = 64 - bits;
	p->n = 0;
	p->t = wn_bpe_big_alloc(c * sizeof(*p->t));
	for (size_t i = 0; i < c; i++)
		p->t[i].key = EMPTY_KEY;
}

static struct pent *ptab_get(struct ptab *p, uint64_t k);

static void ptab_grow(struct ptab *p)
{
	struct pent *old = p->t;
	size_t oc = p->cap;
	ptab_init(p, oc); /* doubles: cap*2 requested */
	for (size_t i = 0; i < oc; i++)
		if (old[i].key != EMPTY_KEY) {
			size_t m = p->cap - 1, s = phash(p, old[i].key);
			while (p->t[s].key != EMPTY_KEY)
				s = (s + 1) & m;
			p->t[s] = old[i];
			p->n++;
		}
	free(old);
}

/* The entry for k, created (count 0) when absent. */
static struct pent *ptab_get(struct ptab *p, uint64_t k)
{
	size_t m = p->cap - 1, s = phash(p, k);
	for (;;) {
		struct pent *e = &p->t[s];
		if (e->key == k)
			return e;
		if (e->key == EMPTY_KEY) {
			if ((p->n + 1) * 4 > p->cap * 3) {
				ptab_grow(p);
				return ptab_get(p, k);
			}
			e->key = k;
			e->count = 0;
			e->stamp = 0;
			e->pos = UINT32_MAX;
			p->n++;
			return e;
		}
		s = (s + 1) & m;
	}
}

/* ---- word lists ---- */

struct posl {
	uint32_t *w;
	uint32_t n, cap;
};

struct pospool {
	struct posl *l;
	size_t n, cap;
	uint32_t *freel;
	size_t nfree, freecap;
};

static uint32_t pos_new(struct pospool *pp)
{
	if (pp->nfree)
		return pp->freel[--pp->nfree];
	WN_GROW(pp->l, pp->cap, pp->n + 1);
	pp->l[pp->n] = (struct posl){ 0 };
	return (uint32_t)pp->n++;
}

static void pos_free(struct pospool *pp, uint32_t i)
{
	free(pp->l[i].w);
	pp->l[i] = (struct posl){ 0 };
	WN_GROW(pp->freel, pp->freecap, pp->nfree + 1);
	pp->freel[pp->nfree++] = i;
}

static inline void pos_add(struct posl *l, uint32_t w)
{
	if (l->n && l->w[l->n - 1] == w)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->w = wn_xrealloc(l->w, (size_t)l->cap * sizeof(*l->w));
	}
	l->w[l->n++] = w;
}

/* ---- heap of candidate merges ---- */

struct hent {
	uint64_t count;
	uint64_t pair;
	uint32_t pos;
};

static inline int hent_above(const struct hent *x, const struct hent *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	return x->pair < y->pair; /* ties: the smaller pair first */
}

struct heap {
	struct hent *h;
	size_t n, cap;
};

static void heap_push(struct heap *hp, struct hent e)
{
	WN_GROW(hp->h, hp->cap, hp->n + 1);
	size_t i = hp->n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!hent_above(&e, &hp->h[up]))
			break;
		hp->h[i] = hp->h[up];
		i = up;
	}
	hp->h[i] = e;
}

/* Put e at hole i and sift it down. */
static void heap_sift(struct heap *hp, size_t i, struct hent e)
{
	size_t n = hp->n;
	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= n)
			break;
		if (l + 1 < n && hent_above(&hp->h[l + 1], &hp->h[l]))
			m = l + 1;
		if (!hent_above(&hp->h[m], &e))
			break;
		hp->h[i] = hp->h[m];
		i = m;
	}
	hp->h[i] = e;
}

static struct hent heap_pop(struct heap *hp)
{
	struct hent top = hp->h[0], last = hp->h[--hp->n];
	if (hp->n)
		heap_sift(hp, 0, last);
	return top;
}

/* Make hp->h[0..n) a heap in O(n). */
static void heap_build(struct heap *hp)
{
	for (size_t i = hp->n / 2; i-- > 0;)
		heap_sift(hp, i, hp->h[i]);
}

/* ---- the candidate queue: a heap over the top count level, buckets below ----
 *
 * Most entries are never popped: of the ~800k pairs that merges create on a
 * 100k-document corpus, training to 32k tokens pops some 100k. Pushing each
 * into one big heap costs a chain of cache misses (log2 n levels) on the
 * serial path of every merge. So entries go by level, floor(log2(count)):
 * those at or above the heap's level `lvl` into the heap, the others are
 * appended to their level's bucket (O(1), one store). When the heap runs
 * empty, the highest non-empty bucket becomes the heap (heapified in O(n))
 * and `lvl` drops to its level. Every bucketed entry has a count below
 * 2^lvl <= every heap entry's, so the heap's top is the queue's top:
 * the order (count desc, pair asc) is exactly that of one heap. Entries
 * of count 0 (kept only so training can stop on them) go last. */
struct pqueue {
	struct heap hp;
	int lvl;               /* heap holds counts >= 2^lvl; 64: nothing pulled yet; -1: the zero bucket */
	struct heap bk[65];    /* bk[k]: counts in [2^k, 2^(k+1)); bk[64]: count 0 */
};

static inline int pq_level(uint64_t count)
{
	return count ? 63 - __builtin_clzll(count) : -1;
}

static void pq_push(struct pqueue *q, struct hent e)
{
	int l = pq_level(e.count);
	if (l >= q->lvl) {
		heap_push(&q->hp, e);
		return;
	}
	struct heap *b = &q->bk[l < 0 ? 64 : l];
	WN_GROW(b->h, b->cap, b->n + 1);
	b->h[b->n++] = e;
}

/* Make sure the heap holds the queue's top; 0 when the queue is empty. */
static int pq_ready(struct pqueue *q)
{
	while (!q->hp.n) {
		int l = q->lvl > 64 ? 64 : q->lvl;
		while (--l >= 0 && !q->bk[l].n)
			;
		struct heap *b;
		if (l >= 0)
			b = &q->bk[l];
		else if (q->lvl >= 0 && q->bk[64].n)
			b = &q->bk[64], l = -1;
		else
			return 0;
		/* the bucket's array becomes the heap's (the empty heap's goes back) */
		struct heap t = q->hp;
		q->hp = *b;
		*b = t;
		q->lvl = l;
		heap_build(&q->hp);
	}
	return 1;
}

static void pq_release(struct pqueue *q)
{
	free(q->hp.h);
	for (int i = 0; i < 65; i++)
		free(q->bk[i].h);
}

/* ---- token strings -> id (to find merges that reach an existing token) ---- */

struct tokmap {
	uint32_t *slot; /* id + 1 */
	uint64_t *hash; /* per id */
	size_t cap;
};

/* ---- the trainer ---- */

/* Changes of one step, aggregated per pair: most changes of a step hit few
 * pairs (merging (Ġ,t) turns (t,h) into (Ġt,h) in thousands of words), so
 * summing them in a small, cache-resident table first saves one random
 * access to the big pair table per change. Words where a pair appeared are
 * chained per pair (newest first). Each thread has its own. */
struct aent {
	uint64_t pair;
	int64_t delta;
	uint32_t head;   /* node index + 1, 0 = no word */
	uint32_t nwords; /* nodes in the chain */
	uint32_t dst, at; /* after apply_counts: the chain's words go to list dst from index at */
};

struct anode {
	uint32_t w, next;
};

struct chgbuf {
	struct aent *t;
	size_t cap; /* power of two */
	uint32_t *used; /* slots in first-use order */
	size_t nused, ucap;
	struct anode *node;
	size_t nn, ncap;
};

struct trainer;

enum { JOB_REWRITE, JOB_SETUP, JOB_WORDS };

/* Setup: each thread counts the pairs of its words in its own table. */
/* Per-thread structs start on their own cache line (_Alignas), so one
 * thread's counters never share a line with another's (false sharing). */
struct setup_local {
	_Alignas(64) struct ptab pt;
	struct pospool pp;
};

struct worker {
	_Alignas(64) struct trainer *tr;
	int idx;
	pthread_t th;
	struct chgbuf out;
};

struct trainer {
	/* words, back to back in one array; a word is named by its offset w:
	 * sym[w] = current length, sym[w+1..w+2] = count (u64, little half
	 * first), sym[w+3..] = ids. One cache miss reaches all of a short
	 * word, where separate length/count/start arrays cost four. */
	uint32_t *sym;
	uint32_t nw;
	/* vocabulary */
	struct wn_bpe_model *m;
	size_t tokcap, bcap;
	struct tokmap tm;
	/* tables */
	struct ptab pt;
	struct pospool pp;
	struct pqueue hp;
	/* current step */
	uint32_t a, b, nid;
	const uint32_t *jobw;
	size_t njobw;
	/* threads: workers run `job` on their slice (see run_all) */
	int job;
	uint32_t *bound; /* setup: word offsets where each thread's words begin (nthreads + 1) */
	struct setup_local *sl;
	struct chgbuf *mainbuf; /* the caller's buffer (thread 0) */
	int nthreads;
	struct worker *wk;
	pthread_mutex_t mu;
	pthread_cond_t go;
	size_t chunk;            /* words per chunk (rewrite job) */
	/* The atomics each on their own cache line, away from the fields
	 * above that every thread reads in its inner loops. */
	_Alignas(64) _Atomic uint64_t ticket; /* job generation << 40 | chunks << 20 | next chunk */
	_Alignas(64) _Atomic uint32_t ndone;  /* chunks of the current job finished */
	_Alignas(64) _Atomic uint64_t gen;    /* bumped (under mu) to wake sleeping workers */
	_Atomic int stop;
	char pad_end[64];
};

/* n zeroed elements of size bytes, on a cache-line boundary. */
static void *calloc_lines(size_t n, size_t size)
{
	size_t bytes = (n * size + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, bytes ? bytes : 64);
	if (!p)
		return wn_xcalloc(n, size); /* unaligned is only slower */
	memset(p, 0, bytes);
	return p;
}

static void tokmap_insert(struct trainer *tr, uint32_t id, uint64_t h);

static uint32_t tokmap_find(const struct trainer *tr, const char *p, size_t n, uint64_t h)
{
	const struct tokmap *tm = &tr->tm;
	size_t mask = tm->cap - 1, s = h & mask;
	uint32_t v;
	while ((v = tm->slot[s]) != 0) {
		uint32_t id = v - 1;
		if (tm->hash[id] == h && tr->m->len[id] == n && !memcmp(tr->m->bytes + tr->m->off[id], p, n))
			return id;
		s = (s + 1) & mask;
	}
	return UINT32_MAX;
}

static void tokmap_insert(struct trainer *tr, uint32_t id, uint64_t h)
{
	struct tokmap *tm = &tr->tm;
	if ((tr->m->ntok + 1) * 2 > tm->cap) {
		size_t nc = tm->cap ? tm->cap * 2 : 1024;
		free(tm->slot);
		tm->slot = wn_xcalloc(nc, sizeof(*tm->slot));
		tm->cap = nc;
		for (size_t i = 0; i < tr->m->ntok; i++) {
			if (tm->hash[i] == 0)
				continue; /* not in the map (a special that is not byte-level text) */
			size_t s = tm->hash[i] & (nc - 1);
			while (tm->slot[s])
				s = (s + 1) & (nc - 1);
			tm->slot[s] = (uint32_t)(i + 1);
		}
	}
	size_t s = h & (tm->cap - 1);
	while (tm->slot[s])
		s = (s + 1) & (tm->cap - 1);
	tm->slot[s] = id + 1;
}

/* Append a token (bytes p[0..n)) to the vocabulary; `h` non-zero puts it in
 * the byte map. Returns its id. */
static uint32_t add_token(struct trainer *tr, const char *p, size_t n, int special, uint64_t h)
{
	struct wn_bpe_model *m = tr->m;
	size_t id = m->ntok;
	if (id + 1 > tr->tokcap) {
		size_t nc = tr->tokcap ? tr->tokcap * 2 : 1024;
		m->off = wn_xrealloc(m->off, nc * sizeof(*m->off));
		m->len = wn_xrealloc(m->len, nc * sizeof(*m->len));
		m->special = wn_xrealloc(m->special, nc);
		tr->tm.hash = wn_xrealloc(tr->tm.hash, nc * sizeof(*tr->tm.hash));
		tr->tokcap = nc;
	}
	size_t blen = id ? m->off[id - 1] + m->len[id - 1] : 0;
	if (blen + n + 1 > tr->bcap) {
		while (blen + n + 1 > tr->bcap)
			tr->bcap = tr->bcap ? tr->bcap * 2 : 1 << 16;
		m->bytes = wn_xrealloc(m->bytes, tr->bcap);
	}
	memmove(m->bytes + blen, p, n); /* p may point into the arena */
	m->off[id] = blen;
	m->len[id] = (uint32_t)n;
	m->special[id] = (unsigned char)special;
	tr->tm.hash[id] = h;
	if (h)
		tokmap_insert(tr, (uint32_t)id, h);
	m->ntok = id + 1;
	return (uint32_t)id;
}

static uint64_t tok_hash(const char *p, size_t n)
{
	uint64_t h = wn_hash64(p, n, 0x51ed270b27a1c3d5ull);
	return h ? h : 1; /* 0 means "not in the map" */
}

/* ---- rewriting one word (HF's Word::merge) ---- */

static void agg_rehash(struct chgbuf *o, size_t cap)
{
	struct aent *old = o->t;
	o->t = wn_xmalloc(cap * sizeof(*o->t));
	for (size_t i = 0; i < cap; i++)
		o->t[i].pair = EMPTY_KEY;
	for (size_t i = 0; i < o->nused; i++) {
		struct aent e = old[o->used[i]];
		size_t s = (size_t)((e.pair * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
		while (o->t[s].pair != EMPTY_KEY)
			s = (s + 1) & (cap - 1);
		o->t[s] = e;
		o->used[i] = (uint32_t)s;
	}
	o->cap = cap;
	free(old);
}

static void agg_reset(struct chgbuf *o)
{
	for (size_t i = 0; i < o->nused; i++)
		o->t[o->used[i]].pair = EMPTY_KEY;
	o->nused = 0;
	o->nn = 0;
}

static inline void chg_add(struct chgbuf *o, uint64_t pair, int64_t d, uint32_t w)
{
	size_t mask = o->cap - 1, s = (size_t)((pair * 0x9E3779B97F4A7C15ull) >> 32) & mask;
	struct aent *e;
	for (;;) {
		e = &o->t[s];
		if (e->pair == pair)
			break;
		if (e->pair == EMPTY_KEY) {
			if ((o->nused + 1) * 2 > o->cap) {
				agg_rehash(o, o->cap * 2);
				chg_add(o, pair, d, w);
				return;
			}
			e->pair = pair;
			e->delta = 0;
			e->head = 0;
			e->nwords = 0;
			if (o->nused == o->ucap) {
				o->ucap = o->ucap ? o->ucap * 2 : 256;
				o->used = wn_xrealloc(o->used, o->ucap * sizeof(*o->used));
			}
			o->used[o->nused++] = (uint32_t)s;
			break;
		}
		s = (s + 1) & mask;
	}
	e->delta += d;
	if (d > 0 && !(e->head && o->node[e->head - 1].w == w)) {
		if (o->nn == o->ncap) {
			o->ncap = o->ncap ? o->ncap * 2 : 1024;
			o->node = wn_xrealloc(o->node, o->ncap * sizeof(*o->node));
		}
		o->node[o->nn] = (struct anode){ w, e->head };
		e->head = (uint32_t)++o->nn;
		e->nwords++;
	}
}

static void agg_init(struct chgbuf *o)
{
	memset(o, 0, sizeof(*o));
	o->cap = 1024;
	o->t = wn_xmalloc(o->cap * sizeof(*o->t));
	for (size_t i = 0; i < o->cap; i++)
		o->t[i].pair = EMPTY_KEY;
}

static void agg_release(struct chgbuf *o)
{
	free(o->t);
	free(o->used);
	free(o->node);
}

static void merge_word(struct trainer *tr, uint32_t w, struct chgbuf *o)
{
	uint32_t *s = tr->sym + w + 3;
	uint32_t n = tr->sym[w], r = 0, k = 0;
	const uint32_t a = tr->a, b = tr->b, nid = tr->nid;
	const int64_t cnt = (int64_t)((uint64_t)tr->sym[w + 1] | (uint64_t)tr->sym[w + 2] << 32);
	while (r < n) {
		if (s[r] == a && r + 1 < n && s[r + 1] == b) {
			if (k > 0) {
				chg_add(o, PAIR(s[k - 1], a), -cnt, w);
				chg_add(o, PAIR(s[k - 1], nid), cnt, w);
			}
			if (r + 2 < n) {
				chg_add(o, PAIR(b, s[r + 2]), -cnt, w);
				chg_add(o, PAIR(nid, s[r + 2]), cnt, w);
			}
			s[k++] = nid;
			r += 2;
		} else {
			s[k++] = s[r++];
		}
	}
	tr->sym[w] = k;
}

/* Words of a list lie anywhere in the symbol array: ask for the word a few
 * places ahead while rewriting this one, so the cache misses overlap. */
#define PREFETCH_AHEAD 8

static void rewrite_words(struct trainer *tr, const uint32_t *w, size_t lo, size_t hi, struct chgbuf *o)
{
	for (size_t i = lo; i < hi; i++) {
		if (i + PREFETCH_AHEAD < hi)
			__builtin_prefetch(tr->sym + w[i + PREFETCH_AHEAD]);
		merge_word(tr, w[i], o);
	}
}

static void run_slice(struct trainer *tr, uint32_t chunk, struct chgbuf *o)
{
	size_t lo = (size_t)chunk * tr->chunk, hi = WN_MIN(lo + tr->chunk, tr->njobw);
	rewrite_words(tr, tr->jobw, lo, hi, o);
}

static void setup_slice(struct trainer *tr, int idx)
{
	struct setup_local *L = &tr->sl[idx];
	ptab_init(&L->pt, 1 << 14);
	for (uint32_t w = tr->bound[idx]; w < tr->bound[idx + 1]; w += 3 + tr->sym[w]) {
		const uint32_t *s = tr->sym + w + 3;
		const int64_t cnt = (int64_t)((uint64_t)tr->sym[w + 1] | (uint64_t)tr->sym[w + 2] << 32);
		for (uint32_t j = 0; j + 1 < tr->sym[w]; j++) {
			struct pent *e = ptab_get(&L->pt, PAIR(s[j], s[j + 1]));
			e->count += cnt;
			if (e->pos == UINT32_MAX)
				e->pos = pos_new(&L->pp);
			pos_add(&L->pp.l[e->pos], w);
		}
	}
}

static void apply_words(struct trainer *tr, struct chgbuf *o);

static void run_job(struct trainer *tr, uint32_t chunk, struct chgbuf *o)
{
	if (tr->job == JOB_SETUP)
		setup_slice(tr, (int)chunk);
	else if (tr->job == JOB_WORDS) /* chunk i: the buffer of thread i */
		apply_words(tr, chunk ? &tr->wk[chunk].out : tr->mainbuf);
	else
		run_slice(tr, chunk, o);
}

/* Jobs are cut into chunks that any thread may take (the caller's too), by
 * bumping `ticket` with a compare-and-swap that also checks the job's
 * generation, so a thread that wakes late cannot take a chunk of the next
 * job. On a loaded machine a worker may not get a core for milliseconds:
 * the caller then simply takes its chunks, instead of waiting for it (what
 * rayon's work stealing gives HF). Chunk results go to the buffer of the
 * thread that ran them; the buffers are applied after the job, and the
 * outcome does not depend on which thread ran what.
 *
 * Waiting: a merge step's parallel part lasts tens of microseconds, about
 * what a futex sleep and wake-up cost, so idle workers spin a little on
 * the atomics before blocking on the condition variable (the blocking path
 * re-checks under the mutex, so no wake-up is lost); the caller spins and
 * yields while the last chunks finish. */
#define SPIN 300
#define TK_GEN(t) ((t) >> 40)
#define TK_N(t) ((uint32_t)((t) >> 20) & 0xFFFFF)
#define TK_NEXT(t) ((uint32_t)(t) & 0xFFFFF)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Take and run chunks of job generation g until none is left. */
static void take_chunks(struct trainer *tr, uint64_t g, struct chgbuf *o)
{
	uint64_t t = atomic_load(&tr->ticket);
	while (TK_GEN(t) == g && TK_NEXT(t) < TK_N(t)) {
		if (!atomic_compare_exchange_weak(&tr->ticket, &t, t + 1))
			continue; /* t was reloaded */
		run_job(tr, TK_NEXT(t), o);
		atomic_fetch_add(&tr->ndone, 1);
		t = atomic_load(&tr->ticket);
	}
}

/* Run tr->job in nchunks chunks (< 2^20) on every thread and wait. */
static void run_all(struct trainer *tr, uint32_t nchunks, struct chgbuf *mainbuf)
{
	if (tr->nthreads == 1) {
		for (uint32_t c = 0; c < nchunks; c++)
			run_job(tr, c, mainbuf);
		return;
	}
	uint64_t g = (TK_GEN(atomic_load(&tr->ticket)) + 1) & 0xFFFFFF;
	atomic_store(&tr->ndone, 0);
	atomic_store(&tr->ticket, g << 40 | (uint64_t)nchunks << 20);
	pthread_mutex_lock(&tr->mu);
	atomic_fetch_add(&tr->gen, 1);
	pthread_cond_broadcast(&tr->go);
	pthread_mutex_unlock(&tr->mu);
	take_chunks(tr, g, mainbuf);
	for (unsigned i = 0; atomic_load(&tr->ndone) < nchunks; i++) {
		if (i < SPIN)
			cpu_relax();
		else
			sched_yield(); /* the thread we wait for may need this core */
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct trainer *tr = wk->tr;
	uint64_t seen = 0;
	for (;;) {
		for (int i = 0; i < SPIN && atomic_load(&tr->gen) == seen && !atomic_load(&tr->stop); i++)
			cpu_relax();
		if (atomic_load(&tr->gen) == seen && !atomic_load(&tr->stop)) {
			pthread_mutex_lock(&tr->mu);
			while (atomic_load(&tr->gen) == seen && !atomic_load(&tr->stop))
				pthread_cond_wait(&tr->go, &tr->mu);
			pthread_mutex_unlock(&tr->mu);
		}
		if (atomic_load(&tr->stop))
			return NULL;
		seen = atomic_load(&tr->gen);
		take_chunks(tr, TK_GEN(atomic_load(&tr->ticket)), &wk->out);
	}
}

/* Applying one thread's aggregated changes is split in two. apply_counts
 * (serial, in a fixed order) updates the pair table, gives each pair that
 * gained words this step its new list (touched pairs are remembered in
 * *touched) and reserves the chain's place in it; apply_words then copies
 * the chains into their places, which for a parallel step every thread does
 * for its own buffer at once (the places do not overlap). */
static void apply_counts(struct trainer *tr, struct chgbuf *o, uint32_t step, uint64_t **touched, size_t *nt,
			 size_t *tcap)
{
	for (size_t i = 0; i < o->nused; i++) {
		struct aent *c = &o->t[o->used[i]];
		if (i + PREFETCH_AHEAD < o->nused)
			__builtin_prefetch(&tr->pt.t[phash(&tr->pt, o->t[o->used[i + PREFETCH_AHEAD]].pair)]);
		struct pent *e = ptab_get(&tr->pt, c->pair);
		e->count += c->delta;
		if (!c->head)
			continue;
		if (e->stamp != step) {
			e->stamp = step;
			e->pos = pos_new(&tr->pp);
			if (*nt == *tcap) {
				*tcap = *tcap ? *tcap * 2 : 256;
				*touched = wn_xrealloc(*touched, *tcap * sizeof(**touched));
			}
			(*touched)[(*nt)++] = c->pair;
		}
		struct posl *l = &tr->pp.l[e->pos];
		if (l->n + c->nwords > l->cap) { /* one allocation per pair and thread */
			l->cap = l->n + c->nwords;
			l->w = wn_xrealloc(l->w, (size_t)l->cap * sizeof(*l->w));
		}
		c->dst = e->pos;
		c->at = l->n;
		l->n += c->nwords;
	}
}

static void apply_words(struct trainer *tr, struct chgbuf *o)
{
	for (size_t i = 0; i < o->nused; i++) {
		const struct aent *c = &o->t[o->used[i]];
		if (!c->head)
			continue;
		uint32_t *w = tr->pp.l[c->dst].w + c->at;
		for (uint32_t k = c->head; k; k = o->node[k - 1].next)
			*w++ = o->node[k - 1].w;
	}
	agg_reset(o);
}


static int cmp_byte_cp(const void *x, const void *y)
{
	uint32_t a = wn_bytelevel_codepoint(*(const unsigned char *)x);
	uint32_t b = wn_bytelevel_codepoint(*(const unsigned char *)y);
	return a < b ? -1 : a > b;
}

static void record_merge(struct wn_bpe_model *m, size_t *cap, uint32_t a, uint32_t b, uint32_t id)
{
	WN_GROW(m->merges, *cap, m->nmerges + 1);
	m->merges[m->nmerges++] = (struct wn_bpe_merge){ a, b, id };
}

static int train(const struct wn_bpe_counts *c, struct wn_bpe_counts **take, const struct wn_bpe_train_opts *o,
		 struct wn_bpe_model *m, char *err, size_t errlen);

int wn_bpe_train(const struct wn_bpe_counts *c, const struct wn_bpe_train_opts *o, struct wn_bpe_model *m, char *err,
		 size_t errlen)
{
	return train(c, NULL, o, m, err, errlen);
}

int wn_bpe_train_take(struct wn_bpe_counts *c, const struct wn_bpe_train_opts *o, struct wn_bpe_model *m, char *err,
		      size_t errlen)
{
	struct wn_bpe_counts *t = c;
	int rc = train(c, &t, o, m, err, errlen);
	wn_bpe_counts_free(t); /* still ours when training stopped early */
	return rc;
}

/* `take`, when not NULL, points to c, which is freed (and *take cleared) as
 * soon as the words are built. */
static int train(const struct wn_bpe_counts *c, struct wn_bpe_counts **take, const struct wn_bpe_train_opts *o,
		 struct wn_bpe_model *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (o->vocab_size < 1 || o->vocab_size > UINT32_MAX / 2)
		return wn_err(err, errlen, "vocab size %zu out of range", o->vocab_size);
	if (c->n >= UINT32_MAX)
		return wn_err(err, errlen, "too many distinct pieces (%zu)", c->n);
	struct trainer T = { 0 }, *tr = &T;
	double t_start = wn_now();
	tr->m = m;
	m->npieces = c->n;

	/* Specials first, skipping repeats (HF does). HF keys its vocabulary by
	 * string, so a special whose text is also the byte-level spelling of
	 * some bytes (e.g. "<|endoftext|>": printable ASCII stands for itself)
	 * would be the id of a merge that reaches those bytes. We reproduce
	 * that for specials whose characters all stand for themselves. */
	tr->tm.cap = 1024;
	tr->tm.slot = wn_xcalloc(tr->tm.cap, sizeof(*tr->tm.slot));
	struct wn_buf dec = WN_BUF_INIT;
	for (size_t i = 0; i < o->nspecials; i++) {
		const char *s = o->specials[i];
		size_t n = strlen(s), j;
		for (j = 0; j < m->ntok; j++)
			if (m->len[j] == n && !memcmp(m->bytes + m->off[j], s, n))
				break;
		if (j < m->ntok)
			continue;
		wn_buf_reset(&dec);
		uint64_t h = 0;
		if (n && wn_bytelevel_decode(s, n, &dec) >= 0 && dec.len == n && !memcmp(dec.data, s, n))
			h = tok_hash(s, n);
		add_token(tr, s, n, 1, h);
	}
	m->nspecials = m->ntok;

	/* The alphabet. */
	unsigned char seen[256] = { 0 };
	size_t nsym = 0;
	for (size_t i = 0; i < c->n; i++) {
		const unsigned char *p = (const unsigned char *)wn_bpe_counts_piece(c, i);
		for (uint32_t j = 0; j < c->e[i].len; j++)
			seen[p[j]] = 1;
		if (c->e[i].len > 1)
			nsym += c->e[i].len;
	}
	unsigned char order[256];
	size_t nalpha = 0;
	for (int b = 0; b < 256; b++)
		if (seen[b] || o->all_bytes)
			order[nalpha++] = (unsigned char)b;
	qsort(order, nalpha, 1, cmp_byte_cp);
	uint32_t byte_id[256];
	for (size_t i = 0; i < nalpha; i++) {
		char ch = (char)order[i];
		uint64_t h = tok_hash(&ch, 1);
		uint32_t id = tokmap_find(tr, &ch, 1, h);
		byte_id[order[i]] = id != UINT32_MAX ? id : add_token(tr, &ch, 1, 0, h);
	}

	/* Words: pieces of two or more bytes (single bytes never merge). */
	size_t nw = 0;
	for (size_t i = 0; i < c->n; i++)
		nw += c->e[i].len > 1;
	if (nsym + 3 * (uint64_t)nw >= UINT32_MAX) {
		free(tr->tm.slot);
		free(tr->tm.hash);
		wn_buf_release(&dec);
		wn_bpe_model_release(m);
		return wn_err(err, errlen, "too many distinct pieces (%zu bytes in %zu pieces)", nsym, nw);
	}
	/* Words are laid out sorted by their first four bytes, not in the
	 * table's order (first occurrence in the corpus). A merge rewrites the
	 * words that contain its pair, and for most merges (Ġ+t, Ġt+h, ...)
	 * many of those words begin with it: in prefix order they lie close
	 * together, so a merge streams through memory instead of missing the
	 * cache on nearly every word. The order does not change the result.
	 * Two stable 16-bit radix passes over (prefix << 32 | piece index). */
	uint64_t *ord = wn_xmalloc((nw + 1) * sizeof(*ord)), *tmp = wn_xmalloc((nw + 1) * sizeof(*tmp));
	uint32_t *hist = wn_xmalloc(65536 * sizeof(*hist));
	size_t nord = 0;
	for (size_t i = 0; i < c->n; i++) {
		uint32_t n = c->e[i].len;
		if (n < 2)
			continue;
		const unsigned char *p = (const unsigned char *)wn_bpe_counts_piece(c, i);
		uint32_t key = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (n > 2 ? (uint32_t)p[2] << 8 : 0) | (n > 3 ? p[3] : 0);
		ord[nord++] = (uint64_t)key << 32 | i;
	}
	for (int shift = 32; shift < 64; shift += 16) {
		memset(hist, 0, 65536 * sizeof(*hist));
		for (size_t q = 0; q < nord; q++)
			hist[(ord[q] >> shift) & 0xFFFF]++;
		for (uint32_t b = 0, sum = 0; b < 65536; b++) {
			uint32_t h = hist[b];
			hist[b] = sum;
			sum += h;
		}
		for (size_t q = 0; q < nord; q++)
			tmp[hist[(ord[q] >> shift) & 0xFFFF]++] = ord[q];
		uint64_t *x = ord;
		ord = tmp;
		tmp = x;
	}
	free(tmp);
	free(hist);
	tr->sym = wn_bpe_big_alloc((nsym + 3 * nw + 1) * sizeof(*tr->sym));
	size_t at = 0;
	for (size_t q = 0; q < nord; q++) {
		if (q + 8 < nord)
			__builtin_prefetch(&c->e[(uint32_t)ord[q + 8]]);
		size_t i = (uint32_t)ord[q];
		const unsigned char *p = (const unsigned char *)wn_bpe_counts_piece(c, i);
		tr->sym[at++] = c->e[i].len;
		tr->sym[at++] = (uint32_t)c->e[i].count;
		tr->sym[at++] = (uint32_t)(c->e[i].count >> 32);
		for (uint32_t j = 0; j < c->e[i].len; j++)
			tr->sym[at++] = byte_id[p[j]];
		tr->nw++;
	}
	free(ord);

	size_t npieces = c->n;
	if (take) { /* the words hold everything training needs from here */
		wn_bpe_counts_free(*take);
		*take = NULL;
		c = NULL;
	}

	/* Threads (started before the setup, which they share). */
	tr->nthreads = o->threads > 1 ? o->threads : 1;
	if (!o->par_min_words && (size_t)tr->nthreads > (size_t)tr->nw / 64 + 1)
		tr->nthreads = (int)(tr->nw / 64 + 1); /* tiny corpora: not worth it */
	struct chgbuf mainbuf;
	agg_init(&mainbuf);
	tr->mainbuf = &mainbuf;
	if (tr->nthreads > 1) {
		pthread_mutex_init(&tr->mu, NULL);
		pthread_cond_init(&tr->go, NULL);
		tr->wk = calloc_lines((size_t)tr->nthreads, sizeof(*tr->wk));
		for (int i = 1; i < tr->nthreads; i++) {
			tr->wk[i].tr = tr;
			tr->wk[i].idx = i;
			agg_init(&tr->wk[i].out);
			if (pthread_create(&tr->wk[i].th, NULL, worker_main, &tr->wk[i])) {
				agg_release(&tr->wk[i].out);
				tr->nthreads = i; /* run with what we have */
				break;
			}
		}
	}

	/* Initial pair counts and word lists: each thread counts a slice of
	 * the words in its own table; the tables are then folded into the
	 * first one (word lists moved or appended). */
	tr->bound = wn_xmalloc(((size_t)tr->nthreads + 1) * sizeof(*tr->bound));
	for (uint32_t w = 0, k = 0, t = 0; t <= (uint32_t)tr->nthreads; k++, w += 3 + (k <= tr->nw ? tr->sym[w] : 0)) {
		while (t <= (uint32_t)tr->nthreads && (uint64_t)k >= (uint64_t)tr->nw * t / (uint32_t)tr->nthreads)
			tr->bound[t++] = k >= tr->nw ? (uint32_t)at : w;
		if (k >= tr->nw)
			break;
	}
	tr->sl = calloc_lines((size_t)tr->nthreads, sizeof(*tr->sl));
	tr->job = JOB_SETUP;
	run_all(tr, (uint32_t)tr->nthreads, &mainbuf);
	tr->job = JOB_REWRITE;
	/* The folded table is made at its final size. Entries are only ever
	 * added: every pair that a merge creates stays (with count 0 once it
	 * is gone), about 26 per merge on mixed-real-text, so the table ends
	 * some 50 times larger than at the start. Growing it by doubling
	 * re-inserted it seven times inside the serial merge loop and touched
	 * twice the memory (fresh pages cost a fault and zeroing each); the
	 * estimate (32 per merge, capped by the corpus' symbols for small
	 * corpora) avoids that, and a wrong estimate only means growing. */
	size_t est = o->vocab_size > m->ntok ? (o->vocab_size - m->ntok) * 32 : 0, have = 0;
	if (est > nsym)
		est = nsym;
	for (int t = 0; t < tr->nthreads; t++)
		have += tr->sl[t].pt.n;
	ptab_init(&tr->pt, WN_MAX(est, have));
	for (int t = 0; t < tr->nthreads; t++) {
		struct setup_local *L = &tr->sl[t];
		for (size_t i = 0; i < L->pt.cap; i++) {
			struct pent *le = &L->pt.t[i];
			if (le->key == EMPTY_KEY)
				continue;
			struct pent *e = ptab_get(&tr->pt, le->key);
			struct posl *from = &L->pp.l[le->pos];
			e->count += le->count;
			if (e->pos == UINT32_MAX) {
				e->pos = pos_new(&tr->pp);
				tr->pp.l[e->pos] = *from;
				*from = (struct posl){ 0 };
			} else {
				struct posl *to = &tr->pp.l[e->pos];
				if (to->n + from->n > to->cap) {
					to->cap = to->n + from->n;
					to->w = wn_xrealloc(to->w, (size_t)to->cap * sizeof(*to->w));
				}
				memcpy(to->w + to->n, from->w, (size_t)from->n * sizeof(*from->w));
				to->n += from->n;
			}
		}
		for (size_t i = 0; i < L->pp.n; i++)
			free(L->pp.l[i].w);
		free(L->pp.l);
		free(L->pp.freel);
		free(L->pt.t);
	}
	free(tr->sl);
	free(tr->bound);
	tr->sl = NULL;
	tr->bound = NULL;
	tr->hp.lvl = 65; /* all in buckets: the first pq_ready pulls the top level */
	for (size_t i = 0; i < tr->pt.cap; i++) {
		struct pent *e = &tr->pt.t[i];
		if (e->key == EMPTY_KEY)
			continue;
		if (e->count > 0)
			pq_push(&tr->hp, (struct hent){ (uint64_t)e->count, e->key, e->pos });
		else
			pos_free(&tr->pp, e->pos);
		e->pos = UINT32_MAX;
	}
	double t_init = wn_now();

	/* The merge loop. */
	size_t mcap = 0;
	uint64_t *touched = NULL;
	size_t ntouched = 0, tcap = 0;
	uint32_t step = 0;
	size_t par_min = o->par_min_words ? o->par_min_words : PAR_MIN_WORDS;
	double t0 = wn_now();
	uint64_t par_steps = 0, par_words = 0, all_words = 0;
	while (m->ntok < o->vocab_size && pq_ready(&tr->hp)) {
		struct hent top = heap_pop(&tr->hp.hp);
		struct pent *e = ptab_get(&tr->pt, top.pair);
		if ((int64_t)top.count != e->count) {
			top.count = e->count > 0 ? (uint64_t)e->count : 0;
			pq_push(&tr->hp, top);
			continue;
		}
		if (top.count < 1 || (o->min_frequency > top.count)) {
			pq_push(&tr->hp, top); /* keep its list owned: freed below */
			break;
		}
		uint32_t a = PAIR_A(top.pair), b = PAIR_B(top.pair);
		/* The new token: concatenate in the arena's tail, then look up. */
		size_t la = m->len[a], lb = m->len[b];
		char *cat = wn_xmalloc(la + lb);
		memcpy(cat, m->bytes + m->off[a], la);
		memcpy(cat + la, m->bytes + m->off[b], lb);
		uint64_t h = tok_hash(cat, la + lb);
		uint32_t nid = tokmap_find(tr, cat, la + lb, h);
		if (nid == UINT32_MAX)
			nid = add_token(tr, cat, la + lb, 0, h);
		free(cat);
		record_merge(m, &mcap, a, b, nid);

		step++;
		tr->a = a;
		tr->b = b;
		tr->nid = nid;
		struct posl *pl = &tr->pp.l[top.pos];
		tr->jobw = pl->w;
		tr->njobw = pl->n;
		ntouched = 0;
		all_words += pl->n;
		if (tr->nthreads > 1 && pl->n >= par_min * (size_t)tr->nthreads) {
			par_steps++;
			par_words += pl->n;
			tr->chunk = WN_MAX((size_t)64, pl->n >> 19);
			run_all(tr, (uint32_t)((pl->n + tr->chunk - 1) / tr->chunk), &mainbuf);
			apply_counts(tr, &mainbuf, step, &touched, &ntouched, &tcap);
			for (int i = 1; i < tr->nthreads; i++)
				apply_counts(tr, &tr->wk[i].out, step, &touched, &ntouched, &tcap);
			size_t nodes = mainbuf.nn;
			for (int i = 1; i < tr->nthreads; i++)
				nodes += tr->wk[i].out.nn;
			if (nodes >= PAR_MIN_NODES) { /* worth another round of the threads */
				tr->job = JOB_WORDS;
				run_all(tr, (uint32_t)tr->nthreads, &mainbuf);
				tr->job = JOB_REWRITE;
			} else {
				apply_words(tr, &mainbuf);
				for (int i = 1; i < tr->nthreads; i++)
					apply_words(tr, &tr->wk[i].out);
			}
		} else {
			rewrite_words(tr, pl->w, 0, pl->n, &mainbuf);
			apply_counts(tr, &mainbuf, step, &touched, &ntouched, &tcap);
			apply_words(tr, &mainbuf);
		}
		pos_free(&tr->pp, top.pos);
		for (size_t i = 0; i < ntouched; i++) {
			struct pent *t = ptab_get(&tr->pt, touched[i]);
			if (t->count > 0)
				pq_push(&tr->hp, (struct hent){ (uint64_t)t->count, t->key, t->pos });
			else
				pos_free(&tr->pp, t->pos);
		}
		if (o->verbose && step % 5000 == 0)
			fprintf(stderr, "bpe: %u merges, vocab %zu, %.1f s\n", step, m->ntok, wn_now() - t0);
	}

	if (o->verbose)
		fprintf(stderr, "bpe: %zu pieces, %u words, pair table %zu/%zu; setup %.2f s, %u merges in %.2f s (%llu steps on %d threads: "
				"%llu of %llu word rewrites)\n",
			npieces, tr->nw, tr->pt.n, tr->pt.cap, t_init - t_start, step, wn_now() - t0, (unsigned long long)par_steps,
			tr->nthreads, (unsigned long long)par_words, (unsigned long long)all_words);
	/* Tear down. */
	if (tr->nthreads > 1) {
		pthread_mutex_lock(&tr->mu);
		atomic_store(&tr->stop, 1);
		pthread_cond_broadcast(&tr->go);
		pthread_mutex_unlock(&tr->mu);
		for (int i = 1; i < tr->nthreads; i++) {
			pthread_join(tr->wk[i].th, NULL);
			agg_release(&tr->wk[i].out);
		}
		free(tr->wk);
		pthread_mutex_destroy(&tr->mu);
		pthread_cond_destroy(&tr->go);
	}
	agg_release(&mainbuf);
	free(touched);
	for (size_t i = 0; i < tr->pp.n; i++)
		free(tr->pp.l[i].w);
	free(tr->pp.l);
	free(tr->pp.freel);
	pq_release(&tr->hp);
	free(tr->pt.t);
	free(tr->tm.slot);
	free(tr->tm.hash);
	free(tr->sym);
	wn_buf_release(&dec);
	return 0;
}

void wn_bpe_model_release(struct wn_bpe_model *m)
{
	free(m->bytes);
	free(m->off);
	free(m->len);
	free(m->special);
	free(m->merges);
	memset(m, 0, sizeof(*m));
}

struct midx {
	uint64_t pair;
	size_t i;
};

static int cmp_midx(const void *x, const void *y)
{
	const struct midx *a = x, *b = y;
	if (a->pair != b->pair)
		return a->pair < b->pair ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

struct wn_bpe_merge *wn_bpe_model_unique_merges(const struct wn_bpe_model *m, size_t *n)
{
	struct midx *x = wn_xmalloc((m->nmerges ? m->nmerges : 1) * sizeof(*x));
	for (size_t i = 0; i < m->nmerges; i++)
		x[i] = (struct midx){ PAIR(m->merges[i].a, m->merges[i].b), i };
	qsort(x, m->nmerges, sizeof(*x), cmp_midx);
	unsigned char *keep = wn_xcalloc(m->nmerges ? m->nmerges : 1, 1);
	for (size_t i = 0; i < m->nmerges; i++)
		if (i + 1 == m->nmerges || x[i + 1].pair != x[i].pair)
			keep[x[i].i] = 1;
	struct wn_bpe_merge *out = wn_xmalloc((m->nmerges ? m->nmerges : 1) * sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < m->nmerges; i++)
		if (keep[i])
			out[k++] = m->merges[i];
	free(keep);
	free(x);
	*n = k;
	return out;
}
