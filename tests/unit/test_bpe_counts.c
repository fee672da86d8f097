/* test_bpe_counts.c -- the piece count table, count files (round trip,
 * order, corruption, truncation) and the k-way merge of count files. */
#include "bpe_counts.h"
#include "pretok.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static uint64_t get_n(const struct wn_bpe_counts *c, const char *s, size_t n)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].len == n && !memcmp(wn_bpe_counts_piece(c, i), s, n))
			return c->e[i].count;
	return 0;
}

static uint64_t get(const struct wn_bpe_counts *c, const char *s)
{
	return get_n(c, s, strlen(s));
}

TEST(table_add_merge_sort)
{
	struct wn_bpe_counts *a = wn_bpe_counts_new(), *b = wn_bpe_counts_new();
	char key[32];
	for (int i = 0; i < 5000; i++) { /* forces several rehashes */
		snprintf(key, sizeof key, "p%d", i % 1000);
		wn_bpe_counts_add(a, key, strlen(key), 1);
	}
	wn_bpe_counts_add(a, "", 0, 2);
	wn_bpe_counts_add(b, "p7", 2, 10);
	wn_bpe_counts_add(b, "zz", 2, 3);
	b->docs = 4;
	wn_bpe_counts_merge(a, b);
	CHECK_EQ_INT(a->n, 1002);
	CHECK_EQ_INT(get(a, "p7"), 15);
	CHECK_EQ_INT(get(a, "zz"), 3);
	CHECK_EQ_INT(get(a, ""), 2);
	CHECK_EQ_INT(a->docs, 4);
	wn_bpe_counts_sort(a);
	int sorted = 1;
	for (size_t i = 1; i < a->n; i++)
		sorted &= wn_bpe_piece_cmp(wn_bpe_counts_piece(a, i - 1), a->e[i - 1].len, wn_bpe_counts_piece(a, i),
					   a->e[i].len) < 0;
	CHECK(sorted);
	/* still a working table after sorting */
	wn_bpe_counts_add(a, "p7", 2, 1);
	CHECK_EQ_INT(get(a, "p7"), 16);
	CHECK_EQ_INT(a->n, 1002);
	CHECK(wn_bpe_piece_cmp("ab", 2, "abc", 3) < 0 && wn_bpe_piece_cmp("b", 1, "abc", 3) > 0);
	CHECK(wn_bpe_piece_cmp("a\xff", 2, "a\x01", 2) > 0); /* unsigned bytes */
	wn_bpe_counts_free(a);
	wn_bpe_counts_free(b);
}

static struct wn_bpe_counts *sample(int which)
{
	struct wn_bpe_counts *c = wn_bpe_counts_new();
	if (which == 0) {
		wn_bpe_counts_add(c, " the", 4, 100);
		wn_bpe_counts_add(c, "a", 1, 5);
		wn_bpe_counts_add(c, "\xe4\xb8\xad", 3, 7);
		wn_bpe_counts_add(c, "big", 3, 5000000000ull);
		c->docs = 10;
		c->bytes = 1000;
	} else {
		wn_bpe_counts_add(c, "a", 1, 1);
		wn_bpe_counts_add(c, "zeta", 4, 2);
		wn_bpe_counts_add(c, "big", 3, 1);
		c->docs = 3;
		c->bytes = 30;
	}
	return c;
}

TEST(file_round_trip_and_merge)
{
	struct wn_bpe_counts *c0 = sample(0), *c1 = sample(1);
	char err[256] = "";
	CHECK(wn_bpe_counts_write(c0, "PAT", tpath("c0"), err, sizeof err) == 0);
	CHECK(wn_bpe_counts_write(c1, "PAT", tpath("c1"), err, sizeof err) == 0);
	struct wn_bpe_creader *r = wn_bpe_creader_open(tpath("c0"), err, sizeof err);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_STR(wn_bpe_creader_pattern(r), "PAT");
		const char *p;
		size_t n;
		uint64_t cnt;
		int k = 0;
		CHECK(wn_bpe_creader_next(r, &p, &n, &cnt, err, sizeof err) == 1);
		CHECK_EQ_MEM(p, n, " the", 4); /* ' ' sorts first */
		k++;
		while (wn_bpe_creader_next(r, &p, &n, &cnt, err, sizeof err) == 1)
			k++;
		CHECK_EQ_INT(k, 4);
		uint64_t d, b;
		wn_bpe_creader_stats(r, &d, &b);
		CHECK_EQ_INT(d, 10);
		CHECK_EQ_INT(b, 1000);
		wn_bpe_creader_free(r);
	}
	char *paths[] = { (char *)wn_xstrdup(tpath("c0")), (char *)wn_xstrdup(tpath("c1")) };
	char *pat = NULL;
	struct wn_bpe_counts *m = wn_bpe_counts_merge_files(paths, 2, &pat, err, sizeof err);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ_STR(pat, "PAT");
		CHECK_EQ_INT(m->n, 5);
		CHECK_EQ_INT(get(m, "a"), 6);
		CHECK_EQ_INT(get(m, "big"), 5000000001ull);
		CHECK_EQ_INT(get(m, "zeta"), 2);
		CHECK_EQ_INT(m->docs, 13);
		CHECK_EQ_INT(m->bytes, 1030);
	}
	free(pat);
	wn_bpe_counts_free(m);
	/* different patterns are refused */
	CHECK(wn_bpe_counts_write(c1, "OTHER", tpath("c1"), err, sizeof err) == 0);
	m = wn_bpe_counts_merge_files(paths, 2, &pat, err, sizeof err);
	CHECK(m == NULL && strstr(err, "pattern"));
	free(paths[0]);
	free(paths[1]);
	wn_bpe_counts_free(c0);
	wn_bpe_counts_free(c1);
}

/* Write raw (uncompressed) bytes as a zstd file. */
static void write_zst(const char *path, const void *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n);
	void *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, p, n, 1);
	FILE *f = fopen(path, "wb");
	fwrite(z, 1, zn, f);
	fclose(f);
	free(z);
}

static int read_all(const char *path, char *err, size_t errlen)
{
	struct wn_bpe_creader *r = wn_bpe_creader_open(path, err, errlen);
	if (!r)
		return -1;
	const char *p;
	size_t n;
	uint64_t c;
	int rc;
	while ((rc = wn_bpe_creader_next(r, &p, &n, &c, err, errlen)) == 1)
		;
	wn_bpe_creader_free(r);
	return rc;
}

TEST(corrupt_and_truncated_files)
{
	struct wn_bpe_counts *c0 = sample(0);
	char err[256];
	CHECK(wn_bpe_counts_write(c0, "PAT", tpath("good"), err, sizeof err) == 0);
	/* decompress, then cut / change */
	FILE *f = fopen(tpath("good"), "rb");
	char z[4096];
	size_t zn = fread(z, 1, sizeof z, f);
	fclose(f);
	char raw[4096];
	size_t n = ZSTD_decompress(raw, sizeof raw, z, zn);
	CHECK(!ZSTD_isError(n));
	CHECK(read_all(tpath("good"), err, sizeof err) == 0);
	for (size_t cut = 0; cut < n; cut += 3) {
		write_zst(tpath("bad"), raw, cut);
		err[0] = '\0';
		if (read_all(tpath("bad"), err, sizeof err) != -1) {
			printf("#   truncation at %zu not detected\n", cut);
			tap_cur_failed = 1;
			break;
		}
	}
	/* unsorted: swap order by changing the first piece's first byte to 'z' */
	char mod[4096];
	memcpy(mod, raw, n);
	size_t first = 8 + 8 + 3 + 4; /* magic, version+len, "PAT", u32 len */
	mod[first] = 'z';
	write_zst(tpath("bad"), mod, n);
	CHECK(read_all(tpath("bad"), err, sizeof err) == -1 && strstr(err, "order"));
	/* trailer count disagrees */
	memcpy(mod, raw, n);
	mod[n - 32]++;
	write_zst(tpath("bad"), mod, n);
	CHECK(read_all(tpath("bad"), err, sizeof err) == -1 && strstr(err, "corrupt"));
	/* bad magic, not compressed at all */
	write_zst(tpath("bad"), "hello world, not a count file", 29);
	CHECK(read_all(tpath("bad"), err, sizeof err) == -1 && strstr(err, "magic"));
	/* garbage after the trailer */
	memcpy(mod, raw, n);
	mod[n] = 'x';
	write_zst(tpath("bad"), mod, n + 1);
	CHECK(read_all(tpath("bad"), err, sizeof err) == -1);
	wn_bpe_counts_free(c0);
}

TEST(counter_threads_agree)
{
	char err[256];
	struct wn_pretok *pt = wn_pretok_new("cl100k", err, sizeof err);
	CHECK(pt != NULL);
	if (!pt)
		return;
	const char *docs[] = { "Hello world, hello  world!\n\n", "Grüße aus Köln 1234567", "   ", "",
			       "x\r\n\r\n  y  ", "日本語のテキスト、です。" };
	struct wn_bpe_counts *c[3];
	for (int t = 1; t <= 3; t++) {
		struct wn_bpe_counter *k = wn_bpe_counter_new(pt, t, t == 3 ? 4 : 0);
		for (int rep = 0; rep < 3000; rep++)
			for (size_t i = 0; i < WN_ARRAY_SIZE(docs); i++)
				wn_bpe_counter_add(k, docs[i], strlen(docs[i]));
		uint64_t skipped;
		c[t - 1] = wn_bpe_counter_finish(k, &skipped);
		CHECK_EQ_INT(c[t - 1]->docs, 3000 * WN_ARRAY_SIZE(docs));
		if (t == 3)
			CHECK(skipped > 0);
		else
			CHECK_EQ_INT(skipped, 0);
	}
	CHECK_EQ_INT(get(c[0], " world"), 6000);
	CHECK_EQ_INT(get(c[0], "1234567") + get(c[0], "123"), 3000);
	CHECK_EQ_INT(get(c[0], "123"), 3000);
	CHECK_EQ_INT(c[0]->n, c[1]->n);
	int same = 1;
	for (size_t i = 0; i < c[0]->n; i++)
		same &= get_n(c[1], wn_bpe_counts_piece(c[0], i), c[0]->e[i].len) == c[0]->e[i].count;
	CHECK(same);
	CHECK_EQ_INT(get(c[2], "Hello"), 0); /* 5 bytes > 4: not counted */
	CHECK_EQ_INT(get(c[2], " wor"), 0);
	for (int t = 0; t < 3; t++)
		wn_bpe_counts_free(c[t]);
	wn_pretok_free(pt);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/wn-bpe-counts.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(table_add_merge_sort);
	RUN(file_round_trip_and_merge);
	RUN(corrupt_and_truncated_files);
	RUN(counter_threads_agree);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
