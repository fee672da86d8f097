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
 * Threads: the words are cut into blocks of 64 that go round robin to
 * `threads` partitions (struct part). A partition owns its words, its own
 * pair counts (a pair's count is the sum over partitions) and its part of
 * every word list; so each merge step is a task that every partition runs
 * on its own data at once: rewrite its words of the merged pair's list,
 * apply the changes to its counts, report the pairs that gained words. The
 * main thread then only sums those reports (the pairs of the new token:
 * some 26 a step), gives each a new list id and queues it; the partitions
 * file the new words under those ids (a second task, which runs while the
 * main thread picks the next merge). The word lists are where the
 * memory traffic is, and they never cross threads. A partition's task is
 * run by whichever thread claims it first, so a worker that the OS has
 * descheduled never stalls a step (the main thread runs its partition).
 * With threads, a task applies a batch of merges chosen at once, and the
 * members that one-at-a-time training would not have chosen next are
 * undone (see the merge loop). Nothing depends on which thread ran what,
 * or on the batch size, so the result does not depend on either.
 */
#include "bpe_train.h"

#include "bytelevel.h"
#include "hash.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


#define PAIR(a, b) (((uint64_t)(a) << 32) | (uint32_t)(b))
#define PAIR_A(p) ((uint32_t)((p) >> 32))
#define PAIR_B(p) ((uint32_t)(p))
#define EMPTY_KEY UINT64_MAX
/* Words per block of a partition (see struct part): blocks go round robin to
 * the partitions, so the words of a merge (mostly near each other: words
 * are in prefix order) are shared out evenly, and a block (some 3 KB) is
 * written by one thread only. */
#define BLOCK_WORDS 64

/* Merges per parallel task (see the merge loop in train()): BATCH_DEFAULT
 * with threads (at most BATCH_MAX through the options), and a merge joins a
 * batch only if its count is at most BATCH_COUNT_MAX (large merges are work
 * enough for one task on their own; a failed batch undoes its members'
 * rewrites, which should be small). Measured on mixed-real-text at -j 2:
 * batches of 8-32 take 1-5% off the wall time of batches of 1, larger
 * ones undo more than they save (docs/bpe.md). */
#define BATCH_MAX 64
#define BATCH_DEFAULT 16
#define BATCH_COUNT_MAX 65536

/* ---- pair table: pair -> weighted count (one per partition) ---- */

struct pent {
	uint64_t key;
	int64_t count;
	uint32_t stamp; /* setup only: the pair's list id */
	uint32_t pos;   /* setup only: its word list in the partition's pool */
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

/* ---- faulting pages in on an idle thread ----
 *
 * On the VM we measure on, the first write to a fresh 4 KB page costs
 * some 2 us (the fault, and the kernel zeroing the page; docs/bpe.md).
 * With threads, the merge loop's main thread writes some 15k fresh pages
 * on its serial path (the queue's buckets as they grow, its partition's
 * list arena and list array), while the worker idles a quarter of the
 * loop. So each of those takes its next piece of memory one step early
 * and posts it here; a thread that is waiting (the worker between tasks,
 * the main thread while it waits for the worker) faults a few of its
 * pages in, with MADV_POPULATE_WRITE (which writes nothing: the memory's
 * owner may already be writing to it). Measured at -j 2: the loop 0.30 ->
 * 0.28 s (docs/bpe.md). Nothing depends on whether a page was faulted in
 * early, so neither does the result. With one thread there is no idle
 * time, and nothing is posted. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#define PFQ_MAX 64 /* regions waiting (a post to a full queue is dropped) */

struct pfq {
	pthread_mutex_t mu;
	struct {
		char *p;
		size_t len;
	} r[PFQ_MAX];
	int n;
	size_t page;         /* bytes */
	_Atomic int pending; /* n > 0 (read without the lock) */
	_Atomic int off;     /* madvise refused: the kernel is older */
};

/* Fault in [p, p + len) when a thread has time (q NULL: never). */
static void pf_post(struct pfq *q, void *p, size_t len)
{
	if (!q || atomic_load_explicit(&q->off, memory_order_relaxed))
		return;
	pthread_mutex_lock(&q->mu);
	if (q->n < PFQ_MAX) {
		q->r[q->n].p = p;
		q->r[q->n].len = len;
		q->n++;
		atomic_store_explicit(&q->pending, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Fault in up to `pages` pages of the oldest region; 0 if there was none.
 * A region may have been freed meanwhile: populating a page that is no
 * longer mapped fails harmlessly, and one that malloc has handed out
 * again is only faulted in. */
static int pf_step(struct pfq *q, size_t pages)
{
	if (!q || !atomic_load_explicit(&q->pending, memory_order_relaxed))
		return 0;
	const size_t pg = q->page;
	pthread_mutex_lock(&q->mu);
	if (!q->n) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	char *p = q->r[0].p;
	size_t len = WN_MIN(q->r[0].len, pages * pg);
	q->r[0].p += len;
	q->r[0].len -= len;
	if (!q->r[0].len) {
		memmove(&q->r[0], &q->r[1], (size_t)(q->n - 1) * sizeof(q->r[0]));
		if (!--q->n)
			atomic_store_explicit(&q->pending, 0, memory_order_relaxed);
	}
	pthread_mutex_unlock(&q->mu);
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(pg - 1), hi = ((uintptr_t)p + len + pg - 1) & ~(uintptr_t)(pg - 1);
	if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) && errno == EINVAL)
		atomic_store_explicit(&q->off, 1, memory_order_relaxed);
	return 1;
}

/* ---- word lists ---- */

struct posl {
	uint32_t *w;
	uint32_t n, cap;
};

struct pospool {
	struct posl *l;
	size_t n, cap;
};

/* Lists made in the merge loop come from a partition's arena: some 800k of
 * them, each made once at its final size and nearly all alive to the end,
 * where malloc and free cost more than the filing itself (and the
 * teardown was one free per list). A list dropped in the loop (its pair
 * merged: 32k of them) leaves its space unused. Such a list has
 * ARENA_LIST in its cap; setup lists (grown by doubling) are malloc'ed. */
#define ARENA_LIST 0x80000000u
#define ARENA_CHUNK ((size_t)1 << 18) /* u32s: 1 MB */

struct arena {
	uint32_t *cur;
	size_t left;
	uint32_t **chunk;
	size_t nchunk, chunkcap;
	uint32_t *spare; /* the next chunk, posted to pf (see pf_post) */
	struct pfq *pf;
};

static uint32_t *arena_alloc(struct arena *a, size_t n)
{
	if (n > a->left) {
		size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		uint32_t *c;
		if (a->spare && sz == ARENA_CHUNK) {
			c = a->spare;
			a->spare = NULL;
		} else {
			c = wn_xmalloc(sz * sizeof(*a->cur));
		}
		WN_GROW(a->chunk, a->chunkcap, a->nchunk + 1);
		a->chunk[a->nchunk++] = a->cur = c;
		a->left = sz;
		if (a->pf && !a->spare && a->nchunk > 1) { /* (a small corpus needs one) */
			a->spare = wn_xmalloc(ARENA_CHUNK * sizeof(*a->spare));
			pf_post(a->pf, a->spare, ARENA_CHUNK * sizeof(*a->spare));
		}
	}
	uint32_t *p = a->cur;
	a->cur += n;
	a->left -= n;
	return p;
}

static void arena_release(struct arena *a)
{
	for (size_t i = 0; i < a->nchunk; i++)
		free(a->chunk[i]);
	free(a->chunk);
	free(a->spare);
	memset(a, 0, sizeof(*a));
}

static inline void posl_free(struct posl *l)
{
	if (!(l->cap & ARENA_LIST))
		free(l->w);
	*l = (struct posl){ 0 };
}

static uint32_t pos_new(struct pospool *pp)
{
	WN_GROW(pp->l, pp->cap, pp->n + 1);
	pp->l[pp->n] = (struct posl){ 0 };
	return (uint32_t)pp->n++;
}

static inline void pos_add(struct posl *l, uint32_t w)
{
	if (l->n && l->w[l->n - 1] == w)
		return;
	if (l->n == l->cap) { /* (never reaching ARENA_LIST: a list has fewer than 2^31 words) */
		l->cap = l->cap ? (l->cap < ARENA_LIST / 2 ? l->cap * 2 : ARENA_LIST - 1) : 4;
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
	struct hent *next; /* with pf: the array it grows into, taken when 3/4 full (see heap_room) */
	size_t nextcap;
};

/* Entries below this many per array are not worth a post; arrays filled
 * in order post the entries PF_AHEAD to 2 * PF_AHEAD ahead of the last. */
#define PF_MIN_ENTRIES 4096
#define PF_AHEAD 2048

/* Room for one more entry in hp (pf: see pf_post; NULL without threads).
 * The part of the next array that the copy and the next appends will
 * fill is posted, not all of it (the last one may never be needed), and
 * the rest a step ahead of the appends. */
static inline void heap_room(struct heap *hp, struct pfq *pf)
{
	if (hp->n == hp->cap) {
		if (hp->next && hp->nextcap > hp->n) {
			memcpy(hp->next, hp->h, hp->n * sizeof(*hp->h));
			free(hp->h);
			hp->h = hp->next;
			hp->cap = hp->nextcap;
			hp->next = NULL;
		} else {
			WN_GROW(hp->h, hp->cap, hp->n + 1);
		}
	} else if (pf && hp->cap >= PF_MIN_ENTRIES) {
		if (hp->n == hp->cap / 4 * 3 && !hp->next) {
			hp->nextcap = hp->cap * 2;
			hp->next = wn_xmalloc(hp->nextcap * sizeof(*hp->next));
			pf_post(pf, hp->next, (hp->cap + PF_AHEAD) * sizeof(*hp->next));
		} else if (!(hp->n & (PF_AHEAD - 1)) && hp->n + 2 * PF_AHEAD <= hp->cap) {
			pf_post(pf, hp->h + hp->n + PF_AHEAD, PF_AHEAD * sizeof(*hp->h));
		}
	}
}

static void heap_push(struct heap *hp, struct hent e, struct pfq *pf)
{
	heap_room(hp, pf);
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
	struct pfq *pf; /* see pf_post (NULL: none) */
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
		heap_push(&q->hp, e, q->pf);
		return;
	}
	struct heap *b = &q->bk[l < 0 ? 64 : l];
	heap_room(b, q->pf);
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
	free(q->hp.next);
	for (int i = 0; i < 65; i++) {
		free(q->bk[i].h);
		free(q->bk[i].next);
	}
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
 * chained per pair (newest first). Each partition has its own. */
struct aent {
	uint64_t pair;
	int64_t delta;
	uint32_t head;   /* node index + 1, 0 = no word */
	union {
		uint32_t nwords; /* nodes in the chain */
		uint32_t id;     /* in the main thread's table of a step's new pairs: their list */
	};
	uint32_t mem;    /* the batch member whose change this is (part of the key; 0 in the main thread's) */
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

/* A partition: the words of every nthreads-th block of words, the lists
 * that name them (by list id) and the changes of its last batch. A
 * partition's task is run by whichever thread claims it first (its own
 * worker, or the main thread when the worker is late), so a descheduled
 * thread never stalls a step; claimed/done hand the partition over. Each
 * starts on its own cache line (no false sharing between threads). */
/* A pair that gained words in a partition's batch member, as the main thread
 * reads it (copied into one array, so that reading it from another core
 * streams through a few cache lines instead of missing on every entry). */
struct tch {
	uint64_t pair;
	int64_t count;   /* its count here: after the first member, else that member's own changes (see part_merge) */
	uint32_t u;      /* its entry: buf.t[buf.used[u]] (used[] follows the table when it grows) */
	uint32_t nwords; /* words in its chain */
};

struct part {
	/* the changes of the batch, per (member, pair): one table, so that
	 * its cache footprint stays that of one merge's; member j's entries
	 * are buf.used[mused[j] .. mused[j+1]) */
	_Alignas(64) struct chgbuf buf;
	uint32_t mused[BATCH_MAX + 1];
	struct tch *tch; /* pairs that gained words in the last batch */
	size_t ntch, tchcap;
	uint32_t tbeg[BATCH_MAX + 1]; /* member j's are tch[tbeg[j] .. tbeg[j+1]) */
	int mdone;       /* members applied in the last merge task (it stops at one that cannot be valid) */
	uint32_t *tdst;  /* tdst[i]: the list id for tch[i]'s chain (written by the main thread) */
	struct ptab pt;  /* this partition's pair counts (stamp: list id, in the setup) */
	struct posl *l;  /* l[id]: this partition's words of list id (owned) */
	size_t lcap;     /* l[0 .. lcap) is valid (zeroed when not filed) */
	size_t lalloc;   /* entries allocated */
	struct posl *lnext; /* with pf: the array l grows into (see part_reserve) */
	size_t lnextcap;
	struct arena ar; /* the storage of lists made in the merge loop */
	struct pospool pp; /* setup only: the word lists by pt's pos */
	struct hent *cand; /* setup only: the pairs this partition numbered */
	size_t ncand, candcap;
	uint32_t nids;     /* setup only: ids it gave (idx + nthreads * k, k < nids) */
	_Alignas(64) _Atomic uint64_t claimed; /* last task taken */
	_Alignas(64) _Atomic uint64_t done;    /* last task finished */
};

enum { JOB_BUILD, JOB_COUNT, JOB_IDS, JOB_MOVE, JOB_MERGE, JOB_FLUSH, JOB_FREE };

/* A merge of a batch: pair (a, b) with its count when chosen, its new id
 * (provisional: given when the batch is found valid) and its word list. */
struct member {
	uint64_t pair, count;
	uint32_t a, b, nid, list;
};

struct worker {
	struct trainer *tr;
	int idx;
	pthread_t th;
};

struct trainer {
	/* Read by every thread in tasks, written by the main thread only
	 * between them (this cache line is not shared with the main thread's
	 * busy fields below). */
	/* words, back to back in one array; a word is named by its offset w:
	 * sym[w] = current length, sym[w+1..w+2] = count (u64, little half
	 * first), sym[w+3..] = ids. One cache miss reaches all of a short
	 * word, where separate length/count/start arrays cost four. */
	uint32_t *sym;
	/* blocks of words: block k starts at offset bstart[k] and belongs to
	 * partition k % nthreads; bstart[nblk] is the end */
	uint32_t *bstart;
	size_t nblk;
	struct part *part;
	int nthreads;                /* = partitions */
	int job;                     /* the published task */
	struct member mem[BATCH_MAX]; /* the merges of the batch */
	int nmem;                    /* members */
	int nvalid;                  /* flush task: members found valid (the rest are undone) */
	unsigned char *dead;         /* dead[id]: list dropped, its chains are not kept */
	uint32_t nw;
	/* build task: the sorted pieces (ord: prefix << 32 | index in counts) */
	const uint64_t *ord;
	const struct wn_bpe_counts *counts;
	size_t bwords;               /* words per block */
	size_t pair_est;             /* pairs a partition's table will hold (estimate) */
	uint32_t byte_id[256];       /* byte -> token id */
	/* main thread only (from its own cache line on) */
	/* vocabulary */
	_Alignas(64) struct wn_bpe_model *m;
	size_t tokcap, bcap;
	struct tokmap tm;
	/* main thread only: the candidates, the pairs of a step, list ids */
	struct pqueue hp;
	struct chgbuf grp;           /* the pairs that gained words in a step (delta: count, id: list) */
	uint32_t nids;               /* list ids ever made */
	uint32_t *freel, *retire;    /* reusable ids; ids dropped this step (reusable after the next) */
	size_t nfree, freecap, nretire, retcap;
	size_t deadcap;
	uint32_t *deadl;             /* ids marked dead this step: cleared when they are reused */
	size_t ndead, deadlcap;
	struct worker *wk;
	pthread_mutex_t mu;
	pthread_cond_t go;
	uint64_t steals;             /* partition tasks the main thread ran for a late worker */
	/* the atomics each on their own cache line */
	_Alignas(64) _Atomic uint64_t task;  /* number of the last published task */
	_Alignas(64) _Atomic int nsleep;     /* workers blocked on `go` */
	_Atomic int stop;
	_Alignas(64) _Atomic int mstop; /* merge task: members from here on are invalid (set by partitions) */
	struct pfq *pf;                 /* &pfq with threads, else NULL (set before they start) */
	_Alignas(64) struct pfq pfq;
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

static inline size_t agg_slot(uint64_t pair, uint32_t mem, size_t mask)
{
	return (size_t)(((pair + (uint64_t)mem * 0xC2B2AE3D27D4EB4Full) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static void agg_rehash(struct chgbuf *o, size_t cap)
{
	struct aent *old = o->t;
	o->t = wn_xmalloc(cap * sizeof(*o->t));
	for (size_t i = 0; i < cap; i++)
		o->t[i].pair = EMPTY_KEY;
	for (size_t i = 0; i < o->nused; i++) {
		struct aent e = old[o->used[i]];
		size_t s = agg_slot(e.pair, e.mem, cap - 1);
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

/* The entry of (pair, member), made (all zero) when absent; *fresh says
 * which. */
static inline struct aent *agg_get(struct chgbuf *o, uint64_t pair, uint32_t mem, int *fresh)
{
	size_t mask = o->cap - 1, s = agg_slot(pair, mem, mask);
	for (;;) {
		struct aent *e = &o->t[s];
		if (e->pair == pair && e->mem == mem) {
			*fresh = 0;
			return e;
		}
		if (e->pair == EMPTY_KEY) {
			if ((o->nused + 1) * 2 > o->cap) {
				agg_rehash(o, o->cap * 2);
				return agg_get(o, pair, mem, fresh);
			}
			e->pair = pair;
			e->mem = mem;
			e->delta = 0;
			e->head = 0;
			e->nwords = 0;
			if (o->nused == o->ucap) {
				o->ucap = o->ucap ? o->ucap * 2 : 256;
				o->used = wn_xrealloc(o->used, o->ucap * sizeof(*o->used));
			}
			o->used[o->nused++] = (uint32_t)s;
			*fresh = 1;
			return e;
		}
		s = (s + 1) & mask;
	}
}

/* The entry of (pair, member), or NULL. */
static const struct aent *agg_find(const struct chgbuf *o, uint64_t pair, uint32_t mem)
{
	size_t mask = o->cap - 1, s = agg_slot(pair, mem, mask);
	for (;; s = (s + 1) & mask) {
		if (o->t[s].pair == pair && o->t[s].mem == mem)
			return &o->t[s];
		if (o->t[s].pair == EMPTY_KEY)
			return NULL;
	}
}

static inline void chg_add(struct chgbuf *o, uint64_t pair, uint32_t mem, int64_t d, uint32_t w)
{
	int fresh;
	struct aent *e = agg_get(o, pair, mem, &fresh);
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

/* Rewrite word w for merge M (member mem of the batch), changes into o. */
static void merge_word(struct trainer *tr, uint32_t w, struct chgbuf *o, const struct member *M, uint32_t mem)
{
	uint32_t *s = tr->sym + w + 3;
	uint32_t n = tr->sym[w], r = 0;
	const uint32_t a = M->a, b = M->b, nid = M->nid;
	while (r + 1 < n && !(s[r] == a && s[r + 1] == b))
		r++;
	if (r + 1 >= n)
		return; /* not (or no longer) in this word */
	uint32_t k = r; /* the symbols before the first match stay */
	const int64_t cnt = (int64_t)((uint64_t)tr->sym[w + 1] | (uint64_t)tr->sym[w + 2] << 32);
	while (r < n) {
		if (s[r] == a && r + 1 < n && s[r + 1] == b) {
			if (k > 0) {
				chg_add(o, PAIR(s[k - 1], a), mem, -cnt, w);
				chg_add(o, PAIR(s[k - 1], nid), mem, cnt, w);
			}
			if (r + 2 < n) {
				chg_add(o, PAIR(b, s[r + 2]), mem, -cnt, w);
				chg_add(o, PAIR(nid, s[r + 2]), mem, cnt, w);
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

/* A word's first two cache lines: its header and the symbols of a word of
 * up to 13 symbols that starts mid-line (the second line measured 3% off
 * the merge loop at -j 1 and -j 2). */
static inline void prefetch_word(const struct trainer *tr, uint32_t w)
{
	__builtin_prefetch(tr->sym + w);
	__builtin_prefetch(tr->sym + w + 16);
}

/* Undo merge M in word w: its new id is new in the batch, so each
 * occurrence of it came from (a, b), and putting (a, b) back restores the
 * word. (The word's room is its original length.) */
static void unmerge_word(struct trainer *tr, uint32_t w, const struct member *M)
{
	uint32_t *s = tr->sym + w + 3;
	uint32_t n = tr->sym[w], c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += s[i] == M->nid;
	if (!c)
		return;
	for (uint32_t i = n, k = n + c; i-- > 0;) {
		if (s[i] == M->nid) {
			s[--k] = M->b;
			s[--k] = M->a;
		} else {
			s[--k] = s[i];
		}
	}
	tr->sym[w] = n + c;
}

static void rewrite_words(struct trainer *tr, const uint32_t *w, size_t n, struct chgbuf *o, const struct member *M,
			  uint32_t mem)
{
	for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++) /* the first ones too: most lists are short */
		prefetch_word(tr, w[i]);
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			prefetch_word(tr, w[i + PREFETCH_AHEAD]);
		merge_word(tr, w[i], o, M, mem);
	}
}

/* Setup task: count the pairs of the partition's words in its own table. */
static void part_count(struct trainer *tr, struct part *P, int idx)
{
	ptab_init(&P->pt, 1 << 14);
	for (size_t k = (size_t)idx; k < tr->nblk; k += (size_t)tr->nthreads)
		for (uint32_t w = tr->bstart[k]; w < tr->bstart[k + 1]; w += 3 + tr->sym[w]) {
			const uint32_t *s = tr->sym + w + 3;
			const int64_t cnt = (int64_t)((uint64_t)tr->sym[w + 1] | (uint64_t)tr->sym[w + 2] << 32);
			for (uint32_t j = 0; j + 1 < tr->sym[w]; j++) {
				struct pent *e = ptab_get(&P->pt, PAIR(s[j], s[j + 1]));
				e->count += cnt;
				if (e->pos == UINT32_MAX)
					e->pos = pos_new(&P->pp);
				pos_add(&P->pp.l[e->pos], w);
			}
		}

}

/* Room for list id: l[0 .. lcap) is zeroed, and lcap grows in steps of
 * LZERO entries (ids are mostly given in order), so the array's pages are
 * written as the ids reach them, not all at a doubling. With pf (see
 * pf_post), each step posts the next one, and the array the allocation
 * grows into is taken at 3/4 and the part the copy fills is posted. */
#define LZERO 4096
static void part_reserve(struct part *P, uint32_t id, struct pfq *pf)
{
	if (id < P->lcap) {
		if (pf && P->lcap >= P->lalloc / 4 * 3 && !P->lnext && P->lalloc >= PF_MIN_ENTRIES) {
			P->lnextcap = P->lalloc * 2;
			P->lnext = wn_xmalloc(P->lnextcap * sizeof(*P->lnext));
			pf_post(pf, P->lnext, P->lalloc * sizeof(*P->lnext));
		}
		return;
	}
	size_t z = ((size_t)id / LZERO + 1) * LZERO;
	if (z > P->lalloc) {
		size_t nc = P->lalloc ? P->lalloc : LZERO;
		while (nc < z)
			nc *= 2;
		if (P->lnext && P->lnextcap >= nc) {
			memcpy(P->lnext, P->l, P->lcap * sizeof(*P->l));
			free(P->l);
			P->l = P->lnext;
			nc = P->lnextcap;
			P->lnext = NULL;
		} else {
			P->l = wn_xrealloc(P->l, nc * sizeof(*P->l));
		}
		P->lalloc = nc;
	}
	memset(P->l + P->lcap, 0, (z - P->lcap) * sizeof(*P->l));
	P->lcap = z;
	if (pf && z + LZERO <= P->lalloc)
		pf_post(pf, P->l + z, LZERO * sizeof(*P->l));
}

static const struct pent *ptab_find(const struct ptab *p, uint64_t k)
{
	size_t m = p->cap - 1, s = phash(p, k);
	while (p->t[s].key != k) {
		if (p->t[s].key == EMPTY_KEY)
			return NULL;
		s = (s + 1) & m;
	}
	return &p->t[s];
}

/* Pairs are numbered by the partition that owns them (by hash), so that
 * the numbering runs in parallel without two threads writing one entry. */
static inline int pair_owner(uint64_t pair, int nthreads)
{
	return (int)(((pair * 0xD6E8FEB86659FD93ull) >> 32) % (uint64_t)nthreads);
}

/* Setup task, after the counts: give each pair this partition owns a list
 * id (idx + nthreads * k: no two partitions give the same), write it into
 * every partition's entry of the pair (stamp), and make it a candidate
 * with its count over all partitions. Other tables are only read here,
 * except for the stamps of owned pairs. */
static void part_ids(struct trainer *tr, struct part *P, int idx)
{
	const int T = tr->nthreads;
	uint32_t k = 0;
	for (int t = 0; t < T; t++) {
		struct ptab *pt = &tr->part[t].pt;
		for (size_t i = 0; i < pt->cap; i++) {
			struct pent *e = &pt->t[i];
			if (e->key == EMPTY_KEY || pair_owner(e->key, T) != idx)
				continue;
			int earlier = 0; /* numbered from an earlier table already */
			for (int u = 0; u < t && !earlier; u++)
				earlier = ptab_find(&tr->part[u].pt, e->key) != NULL;
			if (earlier)
				continue;
			uint32_t id = (uint32_t)idx + (uint32_t)T * k++;
			int64_t sum = e->count;
			e->stamp = id;
			for (int u = t + 1; u < T; u++) {
				struct pent *f = (struct pent *)ptab_find(&tr->part[u].pt, e->key);
				if (f) {
					sum += f->count;
					f->stamp = id;
				}
			}
			if (sum > 0) {
				WN_GROW(P->cand, P->candcap, P->ncand + 1);
				P->cand[P->ncand++] = (struct hent){ (uint64_t)sum, e->key, id };
			}
		}
	}
	P->nids = k;
}

/* Setup task, after the numbering: the partition's lists go to their ids,
 * and its table is made at the size it will reach in the merge loop (see
 * pair_est): growing it by doubling inside the loop re-inserted it many
 * times and touched twice the memory (a page fault and zeroing each). */
static void part_move(struct trainer *tr, struct part *P)
{
	struct ptab old = P->pt;
	ptab_init(&P->pt, WN_MAX(old.n, tr->pair_est));
	for (size_t i = 0; i < old.cap; i++) {
		const struct pent *e = &old.t[i];
		if (e->key == EMPTY_KEY)
			continue;
		part_reserve(P, e->stamp, NULL);
		P->l[e->stamp] = P->pp.l[e->pos];
		size_t m = P->pt.cap - 1, s = phash(&P->pt, e->key);
		while (P->pt.t[s].key != EMPTY_KEY)
			s = (s + 1) & m;
		P->pt.t[s] = (struct pent){ e->key, e->count, 0, UINT32_MAX };
		P->pt.n++;
	}
	free(old.t);
	free(P->pp.l);
	memset(&P->pp, 0, sizeof(P->pp));
}

/* A pair's count: the sum of the partitions' (main thread, between tasks). */
static int64_t pair_count(const struct trainer *tr, uint64_t pair)
{
	int64_t n = 0;
	for (int t = 0; t < tr->nthreads; t++) {
		const struct pent *e = ptab_find(&tr->part[t].pt, pair);
		if (e)
			n += e->count;
	}
	return n;
}

/* Filing task: undo the batch's invalid members, drop the valid members'
 * lists, and let their chains join the lists that the main thread chose
 * for them (each a list new in the batch: one arena allocation). */
static void part_flush(struct trainer *tr, struct part *P)
{
	const int nv = tr->nvalid;
	if (P->mdone > nv) { /* undo the members found invalid: counts, then words (newest first) */
		const struct chgbuf *o = &P->buf;
		for (size_t i = P->mused[nv]; i < P->mused[P->mdone]; i++) {
			const struct aent *c = &o->t[o->used[i]];
			ptab_get(&P->pt, c->pair)->count -= c->delta;
		}
		for (int j = P->mdone - 1; j >= nv; j--) {
			const struct member *M = &tr->mem[j];
			if (M->list < P->lcap)
				for (uint32_t i = 0; i < P->l[M->list].n; i++)
					unmerge_word(tr, P->l[M->list].w[i], M);
		}
	}
	for (int j = 0; j < nv; j++) { /* the merged pairs' lists are done with */
		uint32_t id = tr->mem[j].list;
		if (id < P->lcap)
			posl_free(&P->l[id]);
	}
	for (int j = 0; j < nv; j++)
	for (size_t i = P->tbeg[j]; i < P->tbeg[j + 1]; i++) {
		uint32_t id = P->tdst[i];
		if (tr->dead[id])
			continue;
		const struct chgbuf *o = &P->buf;
		const struct aent *c = &o->t[o->used[P->tch[i].u]];
		part_reserve(P, id, tr->pf);
		struct posl *l = &P->l[id];
		if (l->n + c->nwords > (l->cap & ~ARENA_LIST)) { /* (a new list, in practice) */
			uint32_t *nw = arena_alloc(&P->ar, (size_t)l->n + c->nwords);
			if (l->n)
				memcpy(nw, l->w, (size_t)l->n * sizeof(*nw));
			if (!(l->cap & ARENA_LIST))
				free(l->w);
			l->w = nw;
			l->cap = (l->n + c->nwords) | ARENA_LIST;
		}
		uint32_t *w = l->w + l->n;
		for (uint32_t k = c->head; k; k = o->node[k - 1].next)
			*w++ = o->node[k - 1].w;
		l->n += c->nwords;
	}
	agg_reset(&P->buf);
}

/* Merge task: rewrite this partition's words of the merged pair's list
 * (and drop that list); apply the changes to the partition's counts; copy
 * the pairs that gained words out for the main thread. */
/* Members from j on cannot be valid: the other partitions skip them. */
static void mstop_at(struct trainer *tr, int j)
{
	int cur = atomic_load_explicit(&tr->mstop, memory_order_relaxed);
	while (j < cur && !atomic_compare_exchange_weak_explicit(&tr->mstop, &cur, j, memory_order_relaxed,
								    memory_order_relaxed))
		;
}
static void part_merge(struct trainer *tr, struct part *P)
{
	P->ntch = 0;
	struct hent best = { 0 }; /* the best pair a member made here (its count here) */
	int j;
	/* Most members of a batch rewrite a few words per partition, so the
	 * misses on their list (its entry, its array, its first words) would
	 * come one after the other: ask for the lists now and for the next
	 * member's words while this one is rewritten. */
	for (j = 0; j < tr->nmem; j++)
		if (tr->mem[j].list < P->lcap)
			__builtin_prefetch(&P->l[tr->mem[j].list]);
	for (j = 0; j < tr->nmem; j++) {
		const struct member *M = &tr->mem[j];
		if (j + 1 < tr->nmem && tr->mem[j + 1].list < P->lcap) {
			const struct posl *nl = &P->l[tr->mem[j + 1].list];
			if (nl->n)
				__builtin_prefetch(nl->w);
			for (uint32_t q = 0; q < nl->n && q < 4; q++)
				prefetch_word(tr, nl->w[q]);
		}
		if (j > 0) {
			if (j >= atomic_load_explicit(&tr->mstop, memory_order_relaxed))
				break; /* another partition found member j or an earlier one invalid */
			/* Not valid if an earlier member changed its count, or made a
			 * pair that outranks it: the main thread would find that out
			 * from the reports too, this only saves the work. */
			struct hent hj = { M->count, M->pair, 0 };
			if (best.count && hent_above(&best, &hj)) {
				mstop_at(tr, j);
				break;
			}
			int changed = 0;
			for (int i = 0; i < j && !changed; i++) {
				const struct aent *c = agg_find(&P->buf, M->pair, (uint32_t)i);
				changed = c && c->delta;
			}
			if (changed) {
				mstop_at(tr, j);
				break;
			}
		}
		struct chgbuf *o = &P->buf;
		P->tbeg[j] = (uint32_t)P->ntch;
		P->mused[j] = (uint32_t)o->nused;
		if (M->list < P->lcap) {
			const struct posl *l = &P->l[M->list];
			rewrite_words(tr, l->w, l->n, o, M, (uint32_t)j);
		}
		for (size_t i = P->mused[j]; i < o->nused && i < P->mused[j] + PREFETCH_AHEAD; i++)
			__builtin_prefetch(&P->pt.t[phash(&P->pt, o->t[o->used[i]].pair)]);
		for (size_t i = P->mused[j]; i < o->nused; i++) {
			const struct aent *c = &o->t[o->used[i]];
			if (i + PREFETCH_AHEAD < o->nused)
				__builtin_prefetch(&P->pt.t[phash(&P->pt, o->t[o->used[i + PREFETCH_AHEAD]].pair)]);
			struct pent *e = ptab_get(&P->pt, c->pair);
			e->count += c->delta;
			if (!c->nwords)
				continue;
			if (P->ntch == P->tchcap) {
				P->tchcap = P->tchcap ? 2 * P->tchcap : 256;
				P->tch = wn_xrealloc(P->tch, P->tchcap * sizeof(*P->tch));
				P->tdst = wn_xrealloc(P->tdst, P->tchcap * sizeof(*P->tdst));
			}
			/* The first member's count is the partition's (exact, also
			 * for a reused id); a later member's pairs are new (its id
			 * is new), so its own changes are their count, an upper
			 * bound if a still later member took some away. */
			int64_t n = j == 0 ? e->count : c->delta;
			P->tch[P->ntch++] = (struct tch){ c->pair, n, (uint32_t)i, c->nwords };
			struct hent h = { n > 0 ? (uint64_t)n : 0, c->pair, 0 };
			if (h.count && (!best.count || hent_above(&h, &best)))
				best = h;
		}
	}
	P->mdone = j;
	P->tbeg[j] = (uint32_t)P->ntch;
	P->mused[j] = (uint32_t)P->buf.nused;
}

/* Lay out the words ord[lo..hi) (in sorted order) from the counts. With
 * `starts`, from offset 0, recording the block starts on the way;
 * otherwise at the offset of block lo / bwords (lo a block start). */
static void build_words(struct trainer *tr, size_t lo, size_t hi, int starts)
{
	const struct wn_bpe_counts *c = tr->counts;
	const uint64_t *ord = tr->ord;
	size_t at = starts ? 0 : tr->bstart[lo / tr->bwords];
	for (size_t q = lo; q < hi; q++) {
		if (starts && q % tr->bwords == 0)
			tr->bstart[tr->nblk++] = (uint32_t)at;
		if (q + 8 < hi)
			__builtin_prefetch(&c->e[(uint32_t)ord[q + 8]]);
		size_t i = (uint32_t)ord[q];
		const unsigned char *p = (const unsigned char *)wn_bpe_counts_piece(c, i);
		tr->sym[at++] = c->e[i].len;
		tr->sym[at++] = (uint32_t)c->e[i].count;
		tr->sym[at++] = (uint32_t)(c->e[i].count >> 32);
		for (uint32_t j = 0; j < c->e[i].len; j++)
			tr->sym[at++] = tr->byte_id[p[j]];
	}
	if (starts)
		tr->bstart[tr->nblk] = (uint32_t)at;
}

/* Build task: the partition's blocks of words. */
static void part_build(struct trainer *tr, int idx)
{
	for (size_t k = (size_t)idx; k < tr->nblk; k += (size_t)tr->nthreads)
		build_words(tr, k * tr->bwords, WN_MIN((k + 1) * tr->bwords, (size_t)tr->nw), 0);
}

static void part_free(struct part *P)
{
	for (size_t id = 0; id < P->lcap; id++)
		if (!(P->l[id].cap & ARENA_LIST))
			free(P->l[id].w);
	free(P->l);
	free(P->lnext);
	arena_release(&P->ar);
	agg_release(&P->buf);
	free(P->tch);
	free(P->tdst);
	free(P->pt.t);
}

static void run_part(struct trainer *tr, int idx)
{
	struct part *P = &tr->part[idx];
	if (tr->job == JOB_MERGE)
		part_merge(tr, P);
	else if (tr->job == JOB_FLUSH)
		part_flush(tr, P);
	else if (tr->job == JOB_COUNT)
		part_count(tr, P, idx);
	else if (tr->job == JOB_BUILD)
		part_build(tr, idx);
	else if (tr->job == JOB_IDS)
		part_ids(tr, P, idx);
	else if (tr->job == JOB_FREE)
		part_free(P);
	else
		part_move(tr, P);
}

/* Tasks. The main thread sets the task's fields and bumps `task`; every
 * thread then claims partitions with a compare-and-swap on their `claimed`
 * (from task-1 to task), runs them and marks them done; the main thread
 * runs partition 0, takes any partition still unclaimed, and waits for the
 * rest. A merge step's parallel part lasts a few microseconds (most steps
 * rewrite some hundred words), far less than a futex wake-up, so workers
 * spin on `task` between steps and only block after SPIN idle rounds (the
 * blocking path re-checks under the mutex, so no wake-up is lost). On a
 * loaded machine a worker may not get a core for milliseconds; the main
 * thread then simply runs its partition (what rayon's work stealing gives
 * HF). Nothing depends on which thread ran a partition, so the result does
 * not depend on the number of threads or on timing. */
#define SPIN 1024

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Run partition idx of task k unless another thread has claimed it. */
static int try_part(struct trainer *tr, int idx, uint64_t k)
{
	struct part *P = &tr->part[idx];
	uint64_t want = k - 1;
	if (atomic_load_explicit(&P->claimed, memory_order_relaxed) != want ||
	    !atomic_compare_exchange_strong(&P->claimed, &want, k))
		return 0;
	run_part(tr, idx);
	atomic_store_explicit(&P->done, k, memory_order_release);
	return 1;
}

/* Publish the task set in tr and return when every partition has run it. */
static void task_publish(struct trainer *tr)
{
	if (tr->nthreads == 1) {
		run_part(tr, 0); /* one partition: run it now */
		return;
	}
	uint64_t k = atomic_load_explicit(&tr->task, memory_order_relaxed) + 1;
	atomic_store(&tr->task, k); /* seq_cst: a worker going to sleep sees it, or we see nsleep */
	if (atomic_load(&tr->nsleep)) {
		pthread_mutex_lock(&tr->mu);
		pthread_cond_broadcast(&tr->go);
		pthread_mutex_unlock(&tr->mu);
	}
}

/* Run what no thread has claimed of the published task, and wait for the
 * rest. `own`: partition 0 is the main thread's (else it is left to the
 * workers first, as the others). */
static void task_finish(struct trainer *tr, int own)
{
	if (tr->nthreads == 1)
		return;
	uint64_t k = atomic_load_explicit(&tr->task, memory_order_relaxed);
	if (own)
		try_part(tr, 0, k);
	for (int i = own; i < tr->nthreads; i++)
		if (try_part(tr, i, k) && i > 0)
			tr->steals++;
	for (int i = 0; i < tr->nthreads; i++)
		for (unsigned n = 0; atomic_load_explicit(&tr->part[i].done, memory_order_acquire) != k; n++) {
			if (pf_step(tr->pf, 1)) /* one page: this thread is needed as soon as the wait ends */
				continue;
			if (n < SPIN / 16)
				cpu_relax();
			else
				sched_yield(); /* the thread we wait for may need this core */
		}
}

static void run_task(struct trainer *tr)
{
	task_publish(tr);
	task_finish(tr, 1);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct trainer *tr = wk->tr;
	uint64_t seen = 0, k;
	for (;;) {
		for (unsigned n = 0; (k = atomic_load_explicit(&tr->task, memory_order_acquire)) == seen; n++) {
			if (atomic_load(&tr->stop))
				return NULL;
			if (pf_step(tr->pf, 2)) { /* (not idle: not counted) */
				n--;
				continue;
			}
			if (n < SPIN) { /* pause, then give the core up: it may be shared */
				if (n < SPIN / 16)
					cpu_relax();
				else
					sched_yield();
				continue;
			}
			pthread_mutex_lock(&tr->mu);
			atomic_fetch_add(&tr->nsleep, 1);
			while (atomic_load(&tr->task) == seen && !atomic_load(&tr->stop))
				pthread_cond_wait(&tr->go, &tr->mu);
			atomic_fetch_sub(&tr->nsleep, 1);
			pthread_mutex_unlock(&tr->mu);
			n = 0;
		}
		seen = k;
		/* Only its own partition: its words, lists and tables are in this
		 * core's cache; the main thread takes over a partition whose
		 * thread is late, never the other way round. */
		try_part(tr, wk->idx, k);
	}
}

/* List ids (main thread). An id dropped in a step may still be named by
 * chains that the next task flushes (and skips, being dead), so it is
 * reused only after that task. */
static uint32_t id_new(struct trainer *tr)
{
	uint32_t id = tr->nfree ? tr->freel[--tr->nfree] : tr->nids++;
	if (id >= tr->deadcap) { /* grown between tasks only */
		size_t nc = tr->deadcap ? tr->deadcap * 2 : 1024;
		while (nc <= id)
			nc *= 2;
		tr->dead = wn_xrealloc(tr->dead, nc);
		memset(tr->dead + tr->deadcap, 0, nc - tr->deadcap);
		tr->deadcap = nc;
	}
	return id;
}

static void id_retire(struct trainer *tr, uint32_t id)
{
	WN_GROW(tr->retire, tr->retcap, tr->nretire + 1);
	tr->retire[tr->nretire++] = id;
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
	size_t nsym = c->nsym;
	unsigned char order[256];
	size_t nalpha = 0;
	for (int b = 0; b < 256; b++)
		if (((c->byteset[b >> 6] >> (b & 63)) & 1) || o->all_bytes)
			order[nalpha++] = (unsigned char)b;
	qsort(order, nalpha, 1, cmp_byte_cp);
	uint32_t *byte_id = tr->byte_id;
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
	/* Threads (started before the setup, which they share). */
	tr->nthreads = o->threads > 1 ? o->threads : 1;
	if (!o->block_words && (size_t)tr->nthreads > nw / 64 + 1)
		tr->nthreads = (int)(nw / 64 + 1); /* tiny corpora: not worth it */
	tr->part = calloc_lines((size_t)tr->nthreads, sizeof(*tr->part));
	for (int i = 0; i < tr->nthreads; i++)
		agg_init(&tr->part[i].buf);
	int started = 1;
	if (tr->nthreads > 1) {
		pthread_mutex_init(&tr->pfq.mu, NULL);
		long pg = sysconf(_SC_PAGESIZE);
		tr->pfq.page = pg > 0 ? (size_t)pg : 4096;
		tr->pf = &tr->pfq;
		pthread_mutex_init(&tr->mu, NULL);
		pthread_cond_init(&tr->go, NULL);
		tr->wk = wn_xcalloc((size_t)tr->nthreads, sizeof(*tr->wk));
		for (; started < tr->nthreads; started++) {
			tr->wk[started].tr = tr;
			tr->wk[started].idx = started;
			if (pthread_create(&tr->wk[started].th, NULL, worker_main, &tr->wk[started]))
				break; /* the partitions are still run, by the threads we have */
		}
	}

	tr->sym = wn_bpe_big_alloc((nsym + 3 * nw + 1) * sizeof(*tr->sym));
	const size_t bwords = o->block_words ? o->block_words : BLOCK_WORDS;
	tr->bstart = wn_xmalloc((nw / bwords + 2) * sizeof(*tr->bstart));
	tr->nw = (uint32_t)nord;
	tr->ord = ord;
	tr->counts = c;
	tr->bwords = bwords;
	if (tr->nthreads == 1) { /* one pass: block starts found on the way */
		build_words(tr, 0, nord, 1);
	} else { /* block starts first (the words' sizes), then the blocks in parallel */
		size_t at = 0;
		for (size_t q = 0; q < nord; q++) {
			if (q % bwords == 0)
				tr->bstart[tr->nblk++] = (uint32_t)at;
			if (q + 16 < nord)
				__builtin_prefetch(&c->e[(uint32_t)ord[q + 16]]);
			at += 3 + c->e[(uint32_t)ord[q]].len;
		}
		tr->bstart[tr->nblk] = (uint32_t)at;
		tr->job = JOB_BUILD;
		run_task(tr);
	}
	tr->ord = NULL;
	tr->counts = NULL;
	free(ord);

	size_t npieces = c->n;
	if (take) { /* the words hold everything training needs from here */
		wn_bpe_counts_free(*take);
		*take = NULL;
		c = NULL;
	}

	/* Initial pair counts and word lists: each partition counts its words
	 * in its own table (and keeps these counts, updated by its merge tasks,
	 * to the end: a pair's count is the sum over the partitions); the
	 * pairs are numbered (a list id each); the lists go to their ids. */
	/* Entries are only ever added to the pair tables: every pair that a
	 * merge creates stays (with count 0 once it is gone), about 26 per
	 * merge on mixed-real-text; a partition sees some 2/3 of them with two
	 * partitions. Estimate 32 per merge over all partitions (capped by the
	 * corpus' symbols for small corpora): the table of a partition gets
	 * twice its share in slots (a power of two), so it stays below the 3/4
	 * load that makes it grow. A wrong estimate only means growing. */
	size_t est = o->vocab_size > m->ntok ? (o->vocab_size - m->ntok) * 32 : 0;
	if (est > nsym)
		est = nsym;
	tr->pair_est = est / (size_t)tr->nthreads;
	tr->job = JOB_COUNT;
	run_task(tr);
	tr->job = JOB_IDS;
	run_task(tr);
	for (int t = 0; t < tr->nthreads; t++) {
		struct part *P = &tr->part[t];
		if (P->nids)
			tr->nids = WN_MAX(tr->nids, (uint32_t)t + (uint32_t)tr->nthreads * (P->nids - 1) + 1);
	}
	if (tr->nids) { /* dead[] covers every id */
		tr->deadcap = tr->nids;
		tr->dead = wn_xcalloc(tr->deadcap, 1);
	}
	tr->job = JOB_MOVE;
	run_task(tr);
	tr->hp.lvl = 65; /* all in buckets: the first pq_ready pulls the top level */
	for (int t = 0; t < tr->nthreads; t++) {
		struct part *P = &tr->part[t];
		for (size_t i = 0; i < P->ncand; i++)
			pq_push(&tr->hp, P->cand[i]);
		free(P->cand);
		P->cand = NULL;
	}
	/* The loop's growing memory is faulted in early by idle threads. */
	tr->hp.pf = tr->pf;
	for (int t = 0; t < tr->nthreads; t++)
		tr->part[t].ar.pf = tr->pf;
	tr->job = JOB_MERGE;
	double t_init = wn_now();

	/* The merge loop, in batches. A batch is the best merge and the ones
	 * that follow it in the queue, chosen before any of them is applied;
	 * the partitions apply them in order in one task (so two hand-overs
	 * between threads serve many merges: most merges after the first few
	 * thousand rewrite a few dozen words, a few microseconds of work).
	 * Member j is what training one merge at a time would choose next iff
	 * the members before it changed neither its count (checked per
	 * partition on its change table) nor made a pair that outranks it
	 * (checked here, on the partitions' reports). The first member that
	 * fails and those after it are undone (counts; words by putting (a, b)
	 * back for each new id, the newest member first: no copy of a word is
	 * needed) and go back to the queue. So the merges are exactly those of one-at-a-time training,
	 * whatever the batch size. A member must also make a new token (an
	 * existing one would change counts of pairs with that id), so batching
	 * stops at a merge that reaches an existing token. */
	size_t mcap = 0;
	uint32_t step = 0;
	double t0 = wn_now();
	int flushing = 0; /* a flush task is out */
	const int kmax = o->max_batch > 0 ? WN_MIN(o->max_batch, BATCH_MAX) : tr->nthreads > 1 ? BATCH_DEFAULT : 1;
	struct member sel[BATCH_MAX]; /* chosen while the last batch's flush task still reads tr->mem */
	char *cat[BATCH_MAX];
	size_t catn[BATCH_MAX];
	uint64_t cath[BATCH_MAX];
	struct hent *pend = NULL; /* new candidates of the batch */
	size_t npend = 0, pendcap = 0;
	int done = 0;
	size_t nbatch = 0, nundone = 0;
	agg_init(&tr->grp);
	while (!done && m->ntok < o->vocab_size && pq_ready(&tr->hp)) {
		/* Choose the batch. */
		int k = 0, reused = 0;
		while (k < kmax && (k == 0 || m->ntok + (size_t)k < o->vocab_size) && pq_ready(&tr->hp)) {
			struct hent top = heap_pop(&tr->hp.hp);
			/* The next top is most likely the next pair to look up (a
			 * stale entry is popped about twice per merge): fetch its
			 * slots while this one's are read. */
			if (tr->hp.hp.n)
				for (int t = 0; t < tr->nthreads; t++)
					__builtin_prefetch(&tr->part[t].pt.t[phash(&tr->part[t].pt, tr->hp.hp.h[0].pair)]);
			int64_t count = pair_count(tr, top.pair);
			if ((int64_t)top.count != count) {
				top.count = count > 0 ? (uint64_t)count : 0;
				pq_push(&tr->hp, top);
				continue;
			}
			if (top.count < 1 || (o->min_frequency > top.count)) {
				pq_push(&tr->hp, top);
				done = k == 0;
				break;
			}
			if (k > 0 && top.count > BATCH_COUNT_MAX) {
				pq_push(&tr->hp, top);
				break;
			}
			uint32_t a = PAIR_A(top.pair), b = PAIR_B(top.pair);
			/* The new token: concatenate, then look up (also among the
			 * batch's tokens, which are not in the map yet). */
			size_t la = m->len[a], lb = m->len[b];
			char *cc = wn_xmalloc(la + lb);
			memcpy(cc, m->bytes + m->off[a], la);
			memcpy(cc + la, m->bytes + m->off[b], lb);
			uint64_t h = tok_hash(cc, la + lb);
			uint32_t nid = tokmap_find(tr, cc, la + lb, h);
			int old = nid != UINT32_MAX;
			for (int i = 0; i < k && !old; i++)
				old = cath[i] == h && catn[i] == la + lb && !memcmp(cat[i], cc, la + lb);
			if (old && k > 0) {
				free(cc);
				pq_push(&tr->hp, top);
				break;
			}
			if (!old)
				nid = (uint32_t)m->ntok + (uint32_t)k;
			sel[k] = (struct member){ top.pair, top.count, a, b, nid, top.pos };
			cat[k] = cc;
			catn[k] = la + lb;
			cath[k] = h;
			k++;
			if (old) {
				reused = 1;
				break;
			}
		}
		if (!k)
			break;

		if (flushing) { /* the last batch's lists are complete after this */
			task_finish(tr, 0);
			flushing = 0;
		}
		/* ids dropped in the last batch are named by no chain now */
		for (size_t i = 0; i < tr->ndead; i++)
			tr->dead[tr->deadl[i]] = 0;
		tr->ndead = 0;
		if (tr->nretire) {
			WN_GROW(tr->freel, tr->freecap, tr->nfree + tr->nretire);
			memcpy(tr->freel + tr->nfree, tr->retire, tr->nretire * sizeof(*tr->retire));
			tr->nfree += tr->nretire;
			tr->nretire = 0;
		}
		memcpy(tr->mem, sel, (size_t)k * sizeof(*sel));
		tr->nmem = k;
		atomic_store_explicit(&tr->mstop, k, memory_order_relaxed); /* published with the task */
		tr->job = JOB_MERGE;
		run_task(tr);

		/* Check the members in order, and sum the pairs that gained words
		 * over all partitions: each gets a new list. A pair with the new
		 * token is new (the token was in no word before), so its count is
		 * the sum of what the partitions report; when the token is an old
		 * one (reached again by another pair), its pairs may have counts
		 * elsewhere: ask all. */
		int nv = 0;
		struct hent best = { 0 }; /* the best pair the valid members made */
		npend = 0;
		for (int j = 0; j < k; j++) {
			if (j > 0) {
				int ok = 1;
				for (int t = 0; t < tr->nthreads && ok; t++)
					ok = tr->part[t].mdone > j;
				struct hent hj = { tr->mem[j].count, tr->mem[j].pair, 0 };
				if (!ok || (best.count && hent_above(&best, &hj)))
					break;
			}
			agg_reset(&tr->grp);
			for (int t = 0; t < tr->nthreads; t++) {
				struct part *P = &tr->part[t];
				for (uint32_t i = P->tbeg[j]; i < P->tbeg[j + 1]; i++) {
					int fresh;
					struct aent *g = agg_get(&tr->grp, P->tch[i].pair, 0, &fresh);
					if (fresh)
						g->id = id_new(tr);
					g->delta += P->tch[i].count;
					P->tdst[i] = g->id;
				}
			}
			/* Pairs that gained words but have no count left are dropped. */
			for (size_t i = 0; i < tr->grp.nused; i++) {
				struct aent *g = &tr->grp.t[tr->grp.used[i]];
				if (reused)
					g->delta = pair_count(tr, g->pair);
				if (g->delta <= 0) {
					tr->dead[g->id] = 1;
					WN_GROW(tr->deadl, tr->deadlcap, tr->ndead + 1);
					tr->deadl[tr->ndead++] = g->id;
					id_retire(tr, g->id);
					continue;
				}
				struct hent h = { (uint64_t)g->delta, g->pair, g->id };
				WN_GROW(pend, pendcap, npend + 1);
				pend[npend++] = h;
				if (!best.count || hent_above(&h, &best))
					best = h;
			}
			nv++;
		}
		/* The valid members become merges (their provisional ids are the
		 * ids add_token gives, in order); the others go back. */
		for (int j = 0; j < k; j++) {
			const struct member *M = &tr->mem[j];
			if (j < nv) {
				if (!reused && add_token(tr, cat[j], catn[j], 0, cath[j]) != M->nid)
					BUG("batch member %d: token id is not the provisional one", j);
				record_merge(m, &mcap, M->a, M->b, M->nid);
				id_retire(tr, M->list);
				step++;
				if (o->verbose && step % 5000 == 0)
					fprintf(stderr, "bpe: %u merges, vocab %zu, %.1f s\n", step, m->ntok, wn_now() - t0);
			} else {
				pq_push(&tr->hp, (struct hent){ M->count, M->pair, M->list });
			}
			free(cat[j]);
		}
		/* The chains join their lists (and the undone members are undone):
		 * the workers do that while this thread queues the new pairs and
		 * chooses the next batch; an undo must be complete before counts
		 * are read again. */
		nbatch++;
		nundone += (size_t)(k - nv);
		tr->nvalid = nv;
		tr->job = JOB_FLUSH;
		task_publish(tr);
		flushing = tr->nthreads > 1;
		if (nv < k && flushing) {
			task_finish(tr, 1);
			flushing = 0;
		}
		for (size_t i = 0; i < npend; i++)
			pq_push(&tr->hp, pend[i]);
	}
	free(pend);

	if (flushing)
		task_finish(tr, 0);
	size_t npairs = 0, nslots = 0;
	for (int t = 0; t < tr->nthreads; t++) {
		npairs += tr->part[t].pt.n;
		nslots += tr->part[t].pt.cap;
	}
	if (o->verbose)
		fprintf(stderr, "bpe: %zu pieces, %u words, %zu pair entries in %zu slots; setup %.4f s, %u merges in %.4f s "
				"(%zu batches, %zu merges undone; %d partitions of %zu-word blocks; %llu tasks taken over from late threads)\n",
			npieces, tr->nw, npairs, nslots, t_init - t_start, step, wn_now() - t0, nbatch, nundone, tr->nthreads,
			bwords, (unsigned long long)tr->steals);
	/* Tear down: each partition frees its own memory (a task: some
	 * million lists, freed on the threads that made them), then the
	 * threads stop. */
	tr->job = JOB_FREE;
	run_task(tr);
	if (tr->nthreads > 1) {
		pthread_mutex_lock(&tr->mu);
		atomic_store(&tr->stop, 1);
		pthread_cond_broadcast(&tr->go);
		pthread_mutex_unlock(&tr->mu);
		for (int i = 1; i < started; i++)
			pthread_join(tr->wk[i].th, NULL);
		free(tr->wk);
		pthread_mutex_destroy(&tr->mu);
		pthread_mutex_destroy(&tr->pfq.mu);
		pthread_cond_destroy(&tr->go);
	}
	free(tr->part);
	agg_release(&tr->grp);
	free(tr->freel);
	free(tr->retire);
	free(tr->dead);
	free(tr->deadl);
	free(tr->bstart);
	pq_release(&tr->hp);
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
