/*
 * encpool.c -- ordered multi-threaded batch encoding (see encpool.h).
 *
 * A ring of batches; batch states: FREE -> FILLING (caller) -> QUEUED ->
 * WORKING (a worker) -> DONE -> FREE (caller, after writing it). Batches are
 * numbered in submission order; workers take the lowest queued number and
 * the caller waits for the next number to be DONE, so output order never
 * depends on which thread finished first.
 */
#include "encpool.h"

#include <pthread.h>
#include <string.h>

enum { FREE, FILLING, QUEUED, WORKING, DONE };

struct wn_encpool {
	const struct wn_bpe *b;
	uint32_t bos, eos;
	int nthreads;
	pthread_t *th;
	struct wn_bpe_state *inline_state;
	struct wn_encbatch *ring;
	size_t nring;
	size_t next_seq, out_seq; /* next number to hand out; next to collect */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	int stop;
};

static void encode_batch(struct wn_bpe_state *s, uint32_t bos, uint32_t eos, struct wn_encbatch *b)
{
	char err[256];
	b->toks.n = 0;
	wn_buf_reset(&b->errs);
	for (size_t i = 0; i < b->n; i++) {
		struct wn_encdoc *d = &b->docs[i];
		d->tok = b->toks.n;
		d->err = -1;
		if (bos != WN_BPE_NONE)
			wn_u32vec_push(&b->toks, bos);
		if (wn_bpe_encode(s, b->data.data + d->text, d->textlen, &b->toks, err, sizeof err) < 0) {
			b->toks.n = d->tok;
			d->err = (long)b->errs.len;
			wn_buf_adds(&b->errs, err);
			wn_buf_addc(&b->errs, '\0');
			d->ntok = 0;
			continue;
		}
		if (eos != WN_BPE_NONE)
			wn_u32vec_push(&b->toks, eos);
		d->ntok = b->toks.n - d->tok;
	}
}

static void *worker(void *arg)
{
	struct wn_encpool *p = arg;
	struct wn_bpe_state *s = wn_bpe_state_new(p->b);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct wn_encbatch *pick = NULL;
		for (size_t i = 0; i < p->nring; i++)
			if (p->ring[i].state == QUEUED && (!pick || p->ring[i].seq < pick->seq))
				pick = &p->ring[i];
		if (!pick) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		pick->state = WORKING;
		pthread_mutex_unlock(&p->mu);
		encode_batch(s, p->bos, p->eos, pick);
		pthread_mutex_lock(&p->mu);
		pick->state = DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	wn_bpe_state_free(s);
	return NULL;
}

struct wn_encpool *wn_encpool_new(const struct wn_bpe *b, int threads, uint32_t bos, uint32_t eos)
{
	struct wn_encpool *p = wn_xcalloc(1, sizeof *p);
	p->b = b;
	p->bos = bos;
	p->eos = eos;
	p->nthreads = threads > 1 ? threads : 0;
	p->nring = p->nthreads ? 2 * (size_t)p->nthreads + 2 : 1;
	p->ring = wn_xcalloc(p->nring, sizeof *p->ring);
	for (size_t i = 0; i < p->nring; i++) {
		wn_buf_init(&p->ring[i].data);
		wn_buf_init(&p->ring[i].errs);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (!p->nthreads) {
		p->inline_state = wn_bpe_state_new(b);
		return p;
	}
	p->th = wn_xcalloc((size_t)p->nthreads, sizeof *p->th);
	for (int i = 0; i < p->nthreads; i++)
		if (pthread_create(&p->th[i], NULL, worker, p))
			BUG("cannot start encoder thread");
	return p;
}

void wn_encpool_free(struct wn_encpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	free(p->th);
	wn_bpe_state_free(p->inline_state);
	for (size_t i = 0; i < p->nring; i++) {
		wn_buf_release(&p->ring[i].data);
		wn_buf_release(&p->ring[i].errs);
		free(p->ring[i].docs);
		wn_u32vec_release(&p->ring[i].toks);
	}
	free(p->ring);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}

struct wn_encbatch *wn_encpool_get(struct wn_encpool *p)
{
	struct wn_encbatch *b = NULL;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nring && !b; i++)
		if (p->ring[i].state == FREE)
			b = &p->ring[i];
	if (b) {
		b->state = FILLING;
		b->n = 0;
		wn_buf_reset(&b->data);
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

void wn_encbatch_add(struct wn_encbatch *b, const char *text, size_t textlen, const char *src, size_t srclen,
		     const char *id, size_t idlen, const char *line, size_t linelen, uint64_t lineno)
{
	if (b->n == b->cap)
		WN_GROW(b->docs, b->cap, b->n + 1);
	struct wn_encdoc *d = &b->docs[b->n++];
	memset(d, 0, sizeof *d);
	d->text = b->data.len;
	d->textlen = textlen;
	wn_buf_add(&b->data, text, textlen);
	d->src = b->data.len;
	d->srclen = srclen;
	wn_buf_add(&b->data, src, srclen);
	d->id = b->data.len;
	d->idlen = idlen;
	wn_buf_add(&b->data, id, idlen);
	d->line = b->data.len;
	d->linelen = linelen;
	wn_buf_add(&b->data, line, linelen);
	d->lineno = lineno;
	d->err = -1;
}

void wn_encpool_submit(struct wn_encpool *p, struct wn_encbatch *b)
{
	pthread_mutex_lock(&p->mu);
	b->seq = p->next_seq++;
	if (!p->nthreads) {
		pthread_mutex_unlock(&p->mu);
		encode_batch(p->inline_state, p->bos, p->eos, b);
		b->state = DONE;
		return;
	}
	b->state = QUEUED;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

struct wn_encbatch *wn_encpool_done(struct wn_encpool *p)
{
	pthread_mutex_lock(&p->mu);
	struct wn_encbatch *b = NULL;
	while (p->out_seq < p->next_seq) {
		for (size_t i = 0; i < p->nring; i++) {
			struct wn_encbatch *c = &p->ring[i];
			if (c->state != FREE && c->state != FILLING && c->seq == p->out_seq)
				b = c;
		}
		if (b && b->state == DONE)
			break;
		b = NULL;
		pthread_cond_wait(&p->done, &p->mu);
	}
	if (b)
		p->out_seq++;
	pthread_mutex_unlock(&p->mu);
	return b;
}

void wn_encpool_release(struct wn_encpool *p, struct wn_encbatch *b)
{
	pthread_mutex_lock(&p->mu);
	b->state = FREE;
	pthread_mutex_unlock(&p->mu);
}
