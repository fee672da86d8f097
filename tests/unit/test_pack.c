/* test_pack.c -- packing properties, PRNG, mixing (lib/pack.h). */
#include "tap.h"
#include "pack.h"

#include <stdlib.h>

/* Token = doc << 16 | position, so every row can be mapped back. */
static uint32_t *make_doc(uint32_t doc, size_t n)
{
	uint32_t *t = malloc((n ? n : 1) * sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = doc << 16 | (uint32_t)i;
	return t;
}

struct check {
	size_t ndocs, L;
	const size_t *len;
	unsigned char **seen; /* seen[doc][pos] */
	size_t *pieces;       /* pieces per doc */
	uint64_t rows, pad, tokens;
	int ok;
};

/* Read every row of a packed buffer and check segment structure. */
static void check_rows(struct wn_packer *p, struct check *c)
{
	size_t L = c->L;
	uint32_t *t = malloc(L * 4);
	uint16_t *s = malloc(L * 2);
	for (size_t i = 0; i < wn_packer_nrows(p); i++) {
		size_t used = wn_packer_row(p, i, t, s);
		c->rows++;
		c->pad += L - used;
		uint32_t prevseg = 0, prevtok = 0;
		for (size_t j = 0; j < L; j++) {
			if (s[j] == 0) {
				if (t[j] != 7 || j < used)
					c->ok = 0;
				continue;
			}
			uint32_t d = t[j] >> 16, pos = t[j] & 0xffff;
			if (d >= c->ndocs || pos >= c->len[d] || c->seen[d][pos]) {
				c->ok = 0;
				continue;
			}
			c->seen[d][pos] = 1;
			c->tokens++;
			if (s[j] == prevseg) {
				/* same segment: the next token of the same document */
				if (t[j] != prevtok + 1)
					c->ok = 0;
			} else {
				if (s[j] != prevseg + 1)
					c->ok = 0;
				c->pieces[d]++;
			}
			prevseg = s[j];
			prevtok = t[j];
		}
	}
	free(t);
	free(s);
}

static void run_case(enum wn_pack_kind kind, size_t L, size_t ndocs, uint64_t buffer, uint64_t seed, struct check *c,
		     struct wn_pack_stats *st)
{
	size_t *len = malloc(ndocs * sizeof *len);
	struct wn_rng r;
	wn_rng_seed(&r, 99, 0);
	for (size_t d = 0; d < ndocs; d++) {
		/* mostly short, some longer than L, a few exactly L */
		uint64_t u = wn_rng_below(&r, 100);
		len[d] = u < 70 ? 1 + wn_rng_below(&r, L / 3) : u < 90 ? 1 + wn_rng_below(&r, L) : u < 95 ? L
			 : 1 + wn_rng_below(&r, 3 * L);
	}
	memset(c, 0, sizeof *c);
	c->ndocs = ndocs;
	c->L = L;
	c->len = len;
	c->ok = 1;
	c->seen = malloc(ndocs * sizeof *c->seen);
	c->pieces = calloc(ndocs, sizeof *c->pieces);
	for (size_t d = 0; d < ndocs; d++)
		c->seen[d] = calloc(len[d] + 1, 1);
	struct wn_packer p;
	struct wn_pack_opts o = { .kind = kind, .seq_len = (uint32_t)L, .esize = 4, .pad_id = 7,
				  .buffer_tokens = buffer, .seed = seed };
	char err[128];
	CHECK(wn_packer_init(&p, &o, err, sizeof err) == 0);
	CHECK_EQ_INT(p.seg_esize, 2);
	for (size_t d = 0; d < ndocs; d++) {
		uint32_t *t = make_doc((uint32_t)d, len[d]);
		if (wn_packer_add(&p, t, len[d])) {
			wn_packer_pack(&p, 0);
			check_rows(&p, c);
			wn_packer_reset(&p);
		}
		free(t);
	}
	wn_packer_pack(&p, 1);
	check_rows(&p, c);
	wn_packer_reset(&p);
	*st = p.st;
	wn_packer_release(&p);
}

static void free_case(struct check *c)
{
	for (size_t d = 0; d < c->ndocs; d++)
		free(c->seen[d]);
	free(c->seen);
	free(c->pieces);
	free((void *)c->len);
}

static int all_seen(const struct check *c)
{
	for (size_t d = 0; d < c->ndocs; d++)
		for (size_t i = 0; i < c->len[d]; i++)
			if (!c->seen[d][i])
				return 0;
	return 1;
}

TEST(bestfit_properties)
{
	struct check c;
	struct wn_pack_stats st;
	run_case(WN_PACK_BESTFIT, 128, 3000, 1 << 30, 1, &c, &st);
	CHECK(c.ok);
	CHECK(all_seen(&c));
	uint64_t total = 0, cut = 0;
	for (size_t d = 0; d < c.ndocs; d++) {
		total += c.len[d];
		/* no document of at most L tokens is ever cut; longer ones
		 * are in exactly ceil(len / L) pieces */
		size_t want = (c.len[d] + c.L - 1) / c.L;
		if (c.pieces[d] != want)
			CHECK_EQ_INT(c.pieces[d], want);
		cut += c.len[d] > c.L;
	}
	CHECK_EQ_INT(c.tokens, total);
	CHECK_EQ_INT(st.tokens, total);
	CHECK_EQ_INT(st.rows, c.rows);
	CHECK_EQ_INT(st.padding, c.pad);
	CHECK_EQ_INT(st.docs_cut, cut);
	CHECK_EQ_INT(c.rows * c.L, total + c.pad);
	/* best-fit decreasing is near-optimal on this mix: padding small */
	CHECK(c.pad * 20 < total);
	free_case(&c);
}

TEST(bestfit_bounded_buffer)
{
	/* a small buffer flushes many times; properties still hold */
	struct check c;
	struct wn_pack_stats st;
	run_case(WN_PACK_BESTFIT, 64, 2000, 1000, 5, &c, &st);
	CHECK(c.ok);
	CHECK(all_seen(&c));
	for (size_t d = 0; d < c.ndocs; d++)
		if (c.pieces[d] != (c.len[d] + c.L - 1) / c.L)
			CHECK_EQ_INT(c.pieces[d], (c.len[d] + c.L - 1) / c.L);
	free_case(&c);
}

/* Reference best fit: O(N * rows) scan over all rows. */
static size_t naive_bestfit_rows(const size_t *len, size_t n, size_t L)
{
	size_t *chunks = malloc((n * 4 + 1) * sizeof *chunks), nc = 0, rows = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = len[i];
		while (l >= L) {
			rows++;
			l -= L;
		}
		if (l)
			chunks[nc++] = l;
	}
	/* insertion sort descending, stable */
	for (size_t i = 1; i < nc; i++)
		for (size_t j = i; j > 0 && chunks[j - 1] < chunks[j]; j--) {
			size_t t = chunks[j];
			chunks[j] = chunks[j - 1];
			chunks[j - 1] = t;
		}
	size_t *room = malloc((nc + 1) * sizeof *room), nopen = 0;
	for (size_t k = 0; k < nc; k++) {
		size_t best = (size_t)-1;
		for (size_t r = 0; r < nopen; r++)
			if (room[r] >= chunks[k] && (best == (size_t)-1 || room[r] < room[best]))
				best = r;
		if (best == (size_t)-1)
			room[best = nopen++] = L;
		room[best] -= chunks[k];
	}
	free(chunks);
	free(room);
	return rows + nopen;
}

TEST(bestfit_matches_naive_reference)
{
	for (uint64_t seed = 1; seed <= 5; seed++) {
		size_t L = seed == 3 ? 4096 : 100 + 37 * seed, n = 700;
		size_t *len = malloc(n * sizeof *len);
		struct wn_rng r;
		wn_rng_seed(&r, seed, 9);
		struct wn_packer p;
		struct wn_pack_opts o = { .kind = WN_PACK_BESTFIT, .seq_len = (uint32_t)L, .esize = 2,
					  .buffer_tokens = 1ull << 40, .seed = seed };
		char err[64];
		CHECK(wn_packer_init(&p, &o, err, sizeof err) == 0);
		uint32_t *t = calloc(4 * L, 4);
		for (size_t i = 0; i < n; i++) {
			len[i] = 1 + wn_rng_below(&r, i % 10 == 0 ? 2 * L : L / 2);
			wn_packer_add(&p, t, len[i]);
		}
		wn_packer_pack(&p, 1);
		CHECK_EQ_INT(wn_packer_nrows(&p), naive_bestfit_rows(len, n, L));
		wn_packer_release(&p);
		free(t);
		free(len);
	}
}

TEST(concat_properties)
{
	struct check c;
	struct wn_pack_stats st;
	/* buffer smaller than a row and not a multiple of it: carries */
	run_case(WN_PACK_CONCAT, 100, 1500, 333, 3, &c, &st);
	CHECK(c.ok);
	CHECK(all_seen(&c));
	uint64_t total = 0;
	for (size_t d = 0; d < c.ndocs; d++)
		total += c.len[d];
	/* only the very last row is padded */
	CHECK_EQ_INT(c.rows, (total + 99) / 100);
	CHECK_EQ_INT(c.pad, c.rows * 100 - total);
	/* a document is cut iff it crosses a multiple of L in the stream;
	 * pieces per document == rows it touches */
	uint64_t pos = 0, cut = 0, lost = 0;
	for (size_t d = 0; d < c.ndocs; d++) {
		size_t a = pos / 100, b = (pos + c.len[d] - 1) / 100;
		if (c.pieces[d] != b - a + 1)
			CHECK_EQ_INT(c.pieces[d], b - a + 1);
		if (b != a) {
			cut++;
			lost += pos + c.len[d] - (a + 1) * 100;
		}
		pos += c.len[d];
	}
	CHECK_EQ_INT(st.docs_cut, cut);
	CHECK_EQ_INT(st.tokens_cut, lost);
	free_case(&c);
}

TEST(deterministic_by_seed)
{
	/* same seed: identical rows; other seed: same rows, other order */
	uint32_t rowsA[64][32], rowsB[64][32], rowsC[64][32];
	uint16_t seg[32];
	uint32_t (*dst[3])[32] = { rowsA, rowsB, rowsC };
	uint64_t seeds[3] = { 42, 42, 43 };
	size_t nrows[3];
	for (int k = 0; k < 3; k++) {
		struct wn_packer p;
		struct wn_pack_opts o = { .kind = WN_PACK_BESTFIT, .seq_len = 32, .esize = 4,
					  .buffer_tokens = 1 << 20, .seed = seeds[k] };
		char err[64];
		CHECK(wn_packer_init(&p, &o, err, sizeof err) == 0);
		for (uint32_t d = 0; d < 100; d++) {
			uint32_t *t = make_doc(d, 1 + (d * 7919) % 30);
			wn_packer_add(&p, t, 1 + (d * 7919) % 30);
			free(t);
		}
		wn_packer_pack(&p, 1);
		nrows[k] = wn_packer_nrows(&p);
		CHECK(nrows[k] <= 64);
		for (size_t i = 0; i < nrows[k] && i < 64; i++)
			wn_packer_row(&p, i, dst[k][i], seg);
		wn_packer_release(&p);
	}
	CHECK_EQ_INT(nrows[0], nrows[1]);
	CHECK_EQ_INT(nrows[0], nrows[2]);
	CHECK(!memcmp(rowsA, rowsB, nrows[0] * sizeof rowsA[0]));
	CHECK(memcmp(rowsA, rowsC, nrows[0] * sizeof rowsA[0]) != 0);
}

TEST(narrow_and_check)
{
	uint32_t t[5] = { 0, 1, 65535, 300, 2 };
	uint16_t d[5];
	wn_pack_narrow(d, 2, t, 5);
	CHECK_EQ_INT(d[2], 65535);
	CHECK_EQ_INT(d[3], 300);
	CHECK_EQ_INT(wn_pack_check_tokens(t, 5, 65536), 5);
	CHECK_EQ_INT(wn_pack_check_tokens(t, 5, 1000), 2);
	CHECK_EQ_INT(wn_pack_check_tokens(t, 0, 1), 0);
}

TEST(rng_uniform_and_reproducible)
{
	struct wn_rng a, b;
	wn_rng_seed(&a, 7, 1);
	wn_rng_seed(&b, 7, 1);
	int same = 1;
	for (int i = 0; i < 100; i++)
		same &= wn_rng_next(&a) == wn_rng_next(&b);
	CHECK(same);
	wn_rng_seed(&b, 7, 2);
	CHECK(wn_rng_next(&a) != wn_rng_next(&b));
	unsigned hist[10] = { 0 };
	for (int i = 0; i < 100000; i++) {
		uint64_t v = wn_rng_below(&a, 10);
		CHECK(v < 10);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)
		CHECK(hist[i] > 9500 && hist[i] < 10500);
	double u = wn_rng_unit(&a);
	CHECK(u >= 0 && u < 1);
	/* known splitmix64 output for state 0 (reference value of the algorithm) */
	uint64_t s = 0;
	CHECK(wn_splitmix64(&s) == 0xe220a8397b1dcdafULL);
}

TEST(mix_plan_and_repeats)
{
	struct wn_pack_mix m;
	char err[128];
	wn_pack_mix_init(&m, 1);
	CHECK(wn_pack_mix_parse(&m, "a=1,b", err, sizeof err) < 0);
	wn_pack_mix_release(&m);
	wn_pack_mix_init(&m, 1);
	CHECK(wn_pack_mix_parse(&m, "a=0", err, sizeof err) < 0);
	wn_pack_mix_release(&m);
	wn_pack_mix_init(&m, 1);
	CHECK(wn_pack_mix_parse(&m, "wiki=3,cc=1", err, sizeof err) == 0);
	/* sources: wiki 1000 docs x 10 tokens; cc/2024 and cc/2023 9000 docs
	 * x 10 tokens; other: not in the mix */
	struct wn_pack_source *w = wn_pack_source_get(&m, "wiki", 4);
	struct wn_pack_source *c1 = wn_pack_source_get(&m, "cc/2024", 7);
	struct wn_pack_source *c2 = wn_pack_source_get(&m, "cc/2023", 7);
	struct wn_pack_source *o = wn_pack_source_get(&m, "other", 5);
	CHECK(wn_pack_source_get(&m, "wiki", 4) == w);
	CHECK_EQ_INT(w->mixidx, 0);
	CHECK_EQ_INT(c1->mixidx, 1);
	CHECK_EQ_INT(o->mixidx, -1);
	w->docs_in = 1000, w->tokens_in = 10000;
	c1->docs_in = c2->docs_in = 4500, c1->tokens_in = c2->tokens_in = 45000;
	o->docs_in = 10, o->tokens_in = 100;
	CHECK(wn_pack_mix_plan(&m, err, sizeof err) == 0);
	/* target = 100000 tokens; wiki 75% -> factor 7.5; cc 25% -> 0.278 */
	CHECK(m.ent[0].factor > 7.49 && m.ent[0].factor < 7.51);
	CHECK(m.ent[1].factor > 0.27 && m.ent[1].factor < 0.28);
	uint64_t wt = 0, ct = 0;
	for (int i = 0; i < 1000; i++)
		wt += 10 * wn_pack_mix_repeats(&m, w, 10);
	for (int i = 0; i < 9000; i++)
		ct += 10 * wn_pack_mix_repeats(&m, i & 1 ? c1 : c2, 10);
	CHECK_EQ_INT(wn_pack_mix_repeats(&m, o, 10), 0);
	double share = (double)wt / (double)(wt + ct);
	/* error diffusion: within a document or two of the target */
	CHECK(wt >= 74980 && wt <= 75020);
	CHECK(share > 0.749 && share < 0.751);
	size_t n;
	struct wn_pack_source **v = wn_pack_sources_sorted(&m, &n);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_STR(v[0]->name, "cc/2023");
	CHECK_EQ_STR(v[3]->name, "wiki");
	free(v);
	/* many sources: the table grows */
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "s%d", i);
		wn_pack_source_get(&m, name, strlen(name))->docs_in = (uint64_t)i;
	}
	CHECK_EQ_INT(wn_pack_source_get(&m, "s777", 4)->docs_in, 777);
	CHECK_EQ_INT(m.nsrc, 1004);
	/* entries do not move when the table grows (callers keep pointers) */
	CHECK(wn_pack_source_get(&m, "wiki", 4) == w);
	CHECK_EQ_STR(w->name, "wiki");
	CHECK_EQ_INT(w->tokens_in, 10000);
	wn_pack_mix_release(&m);
}

int main(void)
{
	RUN(bestfit_properties);
	RUN(bestfit_bounded_buffer);
	RUN(bestfit_matches_naive_reference);
	RUN(concat_properties);
	RUN(deterministic_by_seed);
	RUN(narrow_and_check);
	RUN(rng_uniform_and_reproducible);
	RUN(mix_plan_and_repeats);
	return tap_done();
}
