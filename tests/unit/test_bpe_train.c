/* test_bpe_train.c -- the BPE trainer on hand-computed corpora (ties, id
 * order, overlapping pairs, specials) and against a naive reference trainer
 * (recount every pair at every step) on random corpora, with 1..3 threads. */
#include "bpe_train.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static struct wn_bpe_counts *corpus(const char *const *w, const uint64_t *n, size_t k)
{
	struct wn_bpe_counts *c = wn_bpe_counts_new();
	for (size_t i = 0; i < k; i++)
		wn_bpe_counts_add(c, w[i], strlen(w[i]), n[i]);
	return c;
}

static struct wn_bpe_train_opts opts(size_t vocab)
{
	struct wn_bpe_train_opts o = { .vocab_size = vocab, .threads = 1 };
	return o;
}

/* "a b -> ab, ab c -> abc" as a string of token texts, for readable checks. */
static void merges_str(const struct wn_bpe_model *m, char *out, size_t cap)
{
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < m->nmerges; i++) {
		const struct wn_bpe_merge *g = &m->merges[i];
		at += (size_t)snprintf(out + at, cap - at, "%s%.*s+%.*s=%u", i ? "," : "", (int)m->len[g->a],
				       m->bytes + m->off[g->a], (int)m->len[g->b], m->bytes + m->off[g->b], g->id);
		if (at >= cap)
			return;
	}
}

static const char *tok(const struct wn_bpe_model *m, size_t id)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "%.*s", (int)m->len[id], m->bytes + m->off[id]);
	return buf;
}

TEST(stale_count_and_tie)
{
	/* ids a=0 b=1 c=2. (a,b)=3 merges first; then (b,c) and (ab,c) both
	 * have count 1 in the heap, (b,c) is smaller but stale (really 0). */
	const char *w[] = { "ab", "abc" };
	uint64_t n[] = { 2, 1 };
	struct wn_bpe_counts *c = corpus(w, n, 2);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	char s[512];
	merges_str(&m, s, sizeof s);
	CHECK_EQ_STR(s, "a+b=3,ab+c=4");
	CHECK_EQ_INT(m.ntok, 5);
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(tie_by_bytelevel_order)
{
	/* Both pairs occur once. By raw bytes ' ' (0x20) < 'b', but HF orders
	 * the alphabet by byte-level character: ' ' is U+0120 'Ġ', after 'b'.
	 * So a=0 b=1 ' '=2 and (a,b) wins the tie. */
	const char *w[] = { "a ", "ab" };
	uint64_t n[] = { 1, 1 };
	struct wn_bpe_counts *c = corpus(w, n, 2);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	char s[512];
	merges_str(&m, s, sizeof s);
	CHECK_EQ_STR(s, "a+b=3,a+ =4");
	CHECK_EQ_STR(tok(&m, 2), " ");
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(tie_smaller_second_id)
{
	/* (b,a) and (b,c): same first id, the smaller second wins. */
	const char *w[] = { "bc", "ba" };
	uint64_t n[] = { 5, 5 };
	struct wn_bpe_counts *c = corpus(w, n, 2);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(4);
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	char s[512];
	merges_str(&m, s, sizeof s);
	CHECK_EQ_STR(s, "b+a=3"); /* vocab 4 reached after one merge */
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(overlapping_runs)
{
	/* "aaaa": (a,a)=3 -> [aa,aa]; then (aa,aa) -> aaaa. "aaa"x1 adds
	 * (a,a)=2 -> [aa,a]. Counts: (a,a)=5 first; then (aa,aa)=1 and
	 * (aa,a)=1 tie: (aa,a) = (1,0) < (1,1). */
	const char *w[] = { "aaaa", "aaa" };
	uint64_t n[] = { 1, 1 };
	struct wn_bpe_counts *c = corpus(w, n, 2);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	char s[512];
	merges_str(&m, s, sizeof s);
	CHECK_EQ_STR(s, "a+a=1,aa+a=2,aa+aa=3");
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(specials_and_alphabet)
{
	/* Specials take ids 0..; repeats are dropped; all_bytes gives 256
	 * bytes in byte-level order: '!' (0x21) is the first, byte 0x00
	 * (U+0100) comes after 0xFF (U+00FF). */
	const char *sp[] = { "<|endoftext|>", "<|pad|>", "<|endoftext|>" };
	const char *w[] = { "hi" };
	uint64_t n[] = { 3 };
	struct wn_bpe_counts *c = corpus(w, n, 1);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(300);
	o.specials = sp;
	o.nspecials = 3;
	o.all_bytes = 1;
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	CHECK_EQ_INT(m.nspecials, 2);
	CHECK(m.special[0] && m.special[1] && !m.special[2]);
	CHECK_EQ_STR(tok(&m, 0), "<|endoftext|>");
	CHECK_EQ_STR(tok(&m, 2), "!");
	CHECK_EQ_INT(m.len[2 + 0xFF - 0xAE + 94 + 12], 1);
	/* 188 printable bytes first: '!'..'~' (94), 0xA1..0xAC (12), 0xAE..0xFF (82) */
	CHECK_EQ_INT((unsigned char)m.bytes[m.off[2 + 188]], 0x00);
	CHECK_EQ_INT((unsigned char)m.bytes[m.off[2 + 188 + 32]], 0x20);
	CHECK_EQ_INT(m.ntok, 2 + 256 + 1);
	CHECK_EQ_STR(tok(&m, 258), "hi");
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(min_frequency_and_vocab_stop)
{
	const char *w[] = { "ab", "cd" };
	uint64_t n[] = { 5, 2 };
	struct wn_bpe_counts *c = corpus(w, n, 2);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	o.min_frequency = 3;
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	CHECK_EQ_INT(m.nmerges, 1);
	wn_bpe_model_release(&m);
	o.min_frequency = 0;
	o.vocab_size = 3; /* below the alphabet: no merges, alphabet kept */
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	CHECK_EQ_INT(m.nmerges, 0);
	CHECK_EQ_INT(m.ntok, 4);
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

TEST(counts_beyond_32_bits)
{
	/* 3e9 + 3e9 occurrences: a 32-bit count would wrap and pick "cd". */
	const char *w[] = { "ab", "xab", "cd" };
	uint64_t n[] = { 3000000000ull, 3000000000ull, 4000000000ull };
	struct wn_bpe_counts *c = corpus(w, n, 3);
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
	CHECK(m.nmerges >= 1);
	CHECK_EQ_STR(tok(&m, m.merges[0].id), "ab");
	wn_bpe_model_release(&m);
	wn_bpe_counts_free(c);
}

/* ---- naive reference: recount everything at every step ---- */

struct rword {
	uint32_t s[64];
	uint32_t n;
	uint64_t cnt;
};

static size_t naive(struct rword *w, size_t nw, size_t vocab, const struct wn_bpe_model *init, struct wn_bpe_merge *out,
		    size_t maxout)
{
	/* token texts */
	static char txt[4096][64];
	static size_t tl[4096];
	size_t ntok = init->ntok, nm = 0;
	for (size_t i = 0; i < ntok; i++) {
		memcpy(txt[i], init->bytes + init->off[i], init->len[i]);
		tl[i] = init->len[i];
	}
	while (ntok < vocab && nm < maxout) {
		/* exact pair counts */
		uint64_t best = 0, bp = UINT64_MAX;
		for (size_t i = 0; i < nw; i++)
			for (uint32_t j = 0; j + 1 < w[i].n; j++) {
				uint64_t p = ((uint64_t)w[i].s[j] << 32) | w[i].s[j + 1], tot = 0;
				for (size_t k = 0; k < nw; k++)
					for (uint32_t l = 0; l + 1 < w[k].n; l++)
						if ((((uint64_t)w[k].s[l] << 32) | w[k].s[l + 1]) == p)
							tot += w[k].cnt;
				if (tot > best || (tot == best && p < bp)) {
					best = tot;
					bp = p;
				}
			}
		if (best == 0)
			break;
		uint32_t a = (uint32_t)(bp >> 32), b = (uint32_t)bp;
		char cat[128];
		size_t cl = tl[a] + tl[b];
		memcpy(cat, txt[a], tl[a]);
		memcpy(cat + tl[a], txt[b], tl[b]);
		uint32_t id = UINT32_MAX;
		for (size_t i = 0; i < ntok; i++)
			if (tl[i] == cl && !memcmp(txt[i], cat, cl))
				id = (uint32_t)i;
		if (id == UINT32_MAX) {
			memcpy(txt[ntok], cat, cl);
			tl[ntok] = cl;
			id = (uint32_t)ntok++;
		}
		out[nm++] = (struct wn_bpe_merge){ a, b, id };
		for (size_t i = 0; i < nw; i++) {
			uint32_t k = 0, r = 0;
			while (r < w[i].n) {
				if (w[i].s[r] == a && r + 1 < w[i].n && w[i].s[r + 1] == b) {
					w[i].s[k++] = id;
					r += 2;
				} else {
					w[i].s[k++] = w[i].s[r++];
				}
			}
			w[i].n = k;
		}
	}
	return nm;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

TEST(random_against_naive)
{
	int bad = 0;
	for (int round = 0; round < 300 && !bad; round++) {
		size_t nw = 1 + xr() % 25, alpha = 2 + xr() % 4;
		char words[25][40];
		uint64_t cnts[25];
		struct wn_bpe_counts *c = wn_bpe_counts_new();
		for (size_t i = 0; i < nw; i++) {
			size_t len = 1 + xr() % 30;
			for (size_t j = 0; j < len; j++)
				words[i][j] = (char)((xr() % 7 == 0) ? ' ' : 'a' + (int)(xr() % alpha));
			words[i][len] = '\0';
			cnts[i] = 1 + xr() % 5;
			wn_bpe_counts_add(c, words[i], len, cnts[i]);
		}
		size_t vocab = 10 + xr() % 60;
		for (int threads = 1; threads <= 3; threads++) {
			struct wn_bpe_model m;
			struct wn_bpe_train_opts o = opts(vocab);
			o.threads = threads;
			o.block_words = 1;
			/* batches of merges: the default, small ones that often end
			 * (and are undone) early, and the largest */
			o.max_batch = round % 3 == 0 ? 0 : round % 3 == 1 ? 3 : 64;
			CHECK(wn_bpe_train(c, &o, &m, NULL, 0) == 0);
			/* the reference, from the same alphabet */
			static struct rword rw[25];
			size_t k = 0;
			for (size_t i = 0; i < c->n; i++) {
				if (c->e[i].len < 2)
					continue;
				rw[k].n = c->e[i].len;
				rw[k].cnt = c->e[i].count;
				for (uint32_t j = 0; j < rw[k].n; j++) {
					unsigned char ch = (unsigned char)wn_bpe_counts_piece(c, i)[j];
					for (uint32_t t = 0; t < m.ntok; t++)
						if (m.len[t] == 1 && (unsigned char)m.bytes[m.off[t]] == ch) {
							rw[k].s[j] = t;
							break;
						}
				}
				k++;
			}
			struct wn_bpe_model init = m;
			init.ntok = m.ntok - (m.nmerges ? 0 : 0);
			/* alphabet size: tokens before the first merge result */
			size_t nalpha = m.nmerges ? m.merges[0].id : m.ntok;
			init.ntok = nalpha;
			struct wn_bpe_merge ref[200];
			size_t nref = naive(rw, k, vocab, &init, ref, 200);
			int same = nref == m.nmerges;
			for (size_t i = 0; same && i < nref; i++)
				same = ref[i].a == m.merges[i].a && ref[i].b == m.merges[i].b && ref[i].id == m.merges[i].id;
			if (!same) {
				printf("#   round %d threads %d: %zu merges vs reference %zu\n", round, threads, m.nmerges,
				       nref);
				bad = 1;
			}
			wn_bpe_model_release(&m);
		}
		wn_bpe_counts_free(c);
	}
	CHECK(!bad);
}

/* A corpus large enough that the merge loop's arrays grow past the sizes
 * where, with threads, their next memory is faulted in early by idle
 * threads (lists by id, queue buckets, list arena chunks): every thread
 * count must give the same merges. (The naive trainer above would take
 * minutes here; its agreement with one thread is checked there.) */
TEST(threads_agree_on_a_large_corpus)
{
	struct wn_bpe_counts *c = wn_bpe_counts_new();
	char w[24];
	for (int i = 0; i < 30000; i++) {
		size_t len = 2 + xr() % 14;
		for (size_t j = 0; j < len; j++) /* skewed letters: long frequent pairs and many rare ones */
			w[j] = (char)(xr() % 3 ? 'a' + (int)(xr() % 6) : 'g' + (int)(xr() % 20));
		wn_bpe_counts_add(c, w, len, 1 + (xr() % 7 == 0 ? xr() % 500 : xr() % 4));
	}
	struct wn_bpe_model m[3];
	for (int t = 0; t < 3; t++) {
		struct wn_bpe_train_opts o = opts(1000000); /* to the end: every queued candidate matters */
		o.threads = t + 1;
		CHECK(wn_bpe_train(c, &o, &m[t], NULL, 0) == 0);
	}
	CHECK(m[0].nmerges > 5000);
	for (int t = 1; t < 3; t++) {
		int same = m[t].nmerges == m[0].nmerges && m[t].ntok == m[0].ntok;
		for (size_t i = 0; same && i < m[0].nmerges; i++)
			same = m[t].merges[i].a == m[0].merges[i].a && m[t].merges[i].b == m[0].merges[i].b &&
			       m[t].merges[i].id == m[0].merges[i].id;
		CHECK(same); /* t + 1 threads give what one gives */
	}
	for (int t = 0; t < 3; t++)
		wn_bpe_model_release(&m[t]);
	wn_bpe_counts_free(c);
}

TEST(unique_merges_last_rank)
{
	struct wn_bpe_model m = { 0 };
	struct wn_bpe_merge g[] = { { 1, 2, 5 }, { 3, 4, 6 }, { 1, 2, 5 }, { 0, 0, 7 } };
	m.merges = g;
	m.nmerges = 4;
	size_t n;
	struct wn_bpe_merge *u = wn_bpe_model_unique_merges(&m, &n);
	CHECK_EQ_INT(n, 3);
	CHECK(u[0].a == 3 && u[1].a == 1 && u[2].a == 0);
	free(u);
}

TEST(take_frees_the_counts)
{
	/* ownership passes in both outcomes; ASan's leak check watches */
	const char *w[] = { "ab", "abc" };
	uint64_t n[] = { 2, 1 };
	struct wn_bpe_model m;
	struct wn_bpe_train_opts o = opts(100);
	char err[128];
	CHECK(wn_bpe_train_take(corpus(w, n, 2), &o, &m, err, sizeof err) == 0);
	CHECK_EQ_INT(m.nmerges, 2);
	CHECK_EQ_INT(m.npieces, 2);
	wn_bpe_model_release(&m);
	o.vocab_size = 0;
	CHECK(wn_bpe_train_take(corpus(w, n, 2), &o, &m, err, sizeof err) == -1);
	CHECK(strstr(err, "vocab size") != NULL);
}

int main(void)
{
	RUN(stale_count_and_tie);
	RUN(tie_by_bytelevel_order);
	RUN(tie_smaller_second_id);
	RUN(overlapping_runs);
	RUN(specials_and_alphabet);
	RUN(min_frequency_and_vocab_stop);
	RUN(counts_beyond_32_bits);
	RUN(random_against_naive);
	RUN(threads_agree_on_a_large_corpus);
	RUN(unique_merges_last_rank);
	RUN(take_frees_the_counts);
	return tap_done();
}
