/* test_io.c -- compressed readers (every codec, multi-member, damage, long
 * lines) and the atomic writer. Compressed inputs are produced with the
 * codec libraries directly, not with the code under test. */
#include "io.h"
#include "buf.h"
#include "tap.h"

#include <bzlib.h>
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

static char dir[] = "/tmp/wn-test-io.XXXXXX";

static const char *tmp(const char *name)
{
	static char p[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static void put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(p, 1, n, f);
	fclose(f);
}

static void gz_member(struct wn_buf *out, const char *s, size_t n)
{
	z_stream z = { 0 };
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	size_t bound = deflateBound(&z, n) + 64;
	wn_buf_grow(out, bound);
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)n;
	z.next_out = (unsigned char *)out->data + out->len;
	z.avail_out = (uInt)bound;
	deflate(&z, Z_FINISH);
	out->len += bound - z.avail_out;
	deflateEnd(&z);
}

/* Read all lines of path and join them with '|'. */
static char *read_lines(const char *path, int *rc_out)
{
	char err[256];
	struct wn_reader *r = wn_reader_open(path, err, sizeof err);
	if (!r) {
		*rc_out = -2;
		return wn_xstrdup(err);
	}
	struct wn_buf b = WN_BUF_INIT;
	const char *line;
	size_t len;
	int rc;
	while ((rc = wn_reader_getline(r, &line, &len)) > 0) {
		wn_buf_add(&b, line, len);
		wn_buf_addc(&b, '|');
	}
	*rc_out = rc;
	wn_reader_free(r);
	return wn_buf_detach(&b, NULL);
}

static const char text[] = "{\"a\":1}\n{\"b\":2}\nlast line without newline";
static const char want[] = "{\"a\":1}|{\"b\":2}|last line without newline|";

TEST(plain_and_codecs_by_magic)
{
	int rc;
	char *got;
	/* names deliberately lie about the codec: detection is by content */
	put(tmp("plain.gz"), text, sizeof text - 1);
	got = read_lines(tmp("plain.gz"), &rc);
	CHECK_EQ_STR(got, want);
	CHECK_EQ_INT(rc, 0);
	free(got);

	struct wn_buf gz = WN_BUF_INIT; /* three members, as Common Crawl writes */
	gz_member(&gz, text, 8);
	gz_member(&gz, text + 8, 8);
	gz_member(&gz, text + 16, sizeof text - 17);
	put(tmp("multi.txt"), gz.data, gz.len);
	got = read_lines(tmp("multi.txt"), &rc);
	CHECK_EQ_STR(got, want);
	free(got);

	char bz[4096];
	unsigned bzlen = sizeof bz;
	CHECK(BZ2_bzBuffToBuffCompress(bz, &bzlen, (char *)text, sizeof text - 1, 9, 0, 0) == BZ_OK);
	put(tmp("x.bz2"), bz, bzlen);
	got = read_lines(tmp("x.bz2"), &rc);
	CHECK_EQ_STR(got, want);
	free(got);

	uint8_t xz[4096];
	size_t xzlen = 0;
	CHECK(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, sizeof text - 1, xz, &xzlen,
				      sizeof xz) == LZMA_OK);
	put(tmp("x.xz"), xz, xzlen);
	got = read_lines(tmp("x.xz"), &rc);
	CHECK_EQ_STR(got, want);
	free(got);

	char zs[4096]; /* two frames back to back */
	size_t z1 = ZSTD_compress(zs, sizeof zs, text, 10, 3);
	size_t z2 = ZSTD_compress(zs + z1, sizeof zs - z1, text + 10, sizeof text - 11, 3);
	put(tmp("x.zst"), zs, z1 + z2);
	struct wn_reader *r = wn_reader_open(tmp("x.zst"), NULL, 0);
	CHECK_EQ_STR(wn_reader_codec(r), "zstd");
	wn_reader_free(r);
	got = read_lines(tmp("x.zst"), &rc);
	CHECK_EQ_STR(got, want);
	free(got);
	wn_buf_release(&gz);
}

TEST(truncated_gzip_is_an_error_after_the_good_bytes)
{
	struct wn_buf gz = WN_BUF_INIT;
	static char big[200000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (i % 80 == 79) ? '\n' : (char)('a' + (i * 7919) % 26);
	gz_member(&gz, big, sizeof big);
	put(tmp("trunc.gz"), gz.data, gz.len / 2);
	int rc;
	char *got = read_lines(tmp("trunc.gz"), &rc);
	CHECK_EQ_INT(rc, -1);
	CHECK(strlen(got) > 1000); /* lines before the damage came out */
	free(got);
	struct wn_reader *r = wn_reader_open(tmp("trunc.gz"), NULL, 0);
	char buf[1 << 16];
	while (wn_reader_read(r, buf, sizeof buf) > 0)
		;
	CHECK(wn_reader_error(r) != NULL && strstr(wn_reader_error(r), "truncated gzip") != NULL);
	wn_reader_free(r);
	wn_buf_release(&gz);
}

TEST(long_line_linear)
{
	/* 64 MiB in one line through zstd: must come back whole, fast */
	size_t n = (size_t)64 << 20;
	char *big = wn_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 23);
	big[n] = '\n';
	size_t bound = ZSTD_compressBound(n + 1);
	char *z = wn_xmalloc(bound);
	size_t zl = ZSTD_compress(z, bound, big, n + 1, 1);
	put(tmp("long.zst"), z, zl);
	double t0 = wn_now();
	struct wn_reader *r = wn_reader_open(tmp("long.zst"), NULL, 0);
	const char *line;
	size_t len = 0;
	CHECK_EQ_INT(wn_reader_getline(r, &line, &len), 1);
	CHECK_EQ_INT(len, n);
	CHECK(len == n && !memcmp(line, big, n));
	CHECK_EQ_INT(wn_reader_getline(r, &line, &len), 0);
	wn_reader_free(r);
	double secs = wn_now() - t0;
	printf("# 64 MiB line in %.2f s\n", secs);
	CHECK(secs < 10); /* quadratic copying would take minutes */
	free(big);
	free(z);
}

TEST(peek_does_not_consume)
{
	put(tmp("peek"), text, sizeof text - 1);
	struct wn_reader *r = wn_reader_open(tmp("peek"), NULL, 0);
	const char *p;
	CHECK_EQ_INT(wn_reader_peek(r, &p, 4), 4);
	CHECK(!memcmp(p, "{\"a\"", 4));
	const char *line;
	size_t len;
	CHECK_EQ_INT(wn_reader_getline(r, &line, &len), 1);
	CHECK_EQ_MEM(line, len, "{\"a\":1}", 7);
	wn_reader_free(r);
}

TEST(missing_file_error)
{
	char err[256];
	CHECK(wn_reader_open(tmp("does-not-exist"), err, sizeof err) == NULL);
	CHECK(strstr(err, "does-not-exist") && strstr(err, "No such file"));
}

TEST(writer_atomic_and_compressed)
{
	struct stat sb;
	const char *path = tmp("out.jsonl.zst");
	struct wn_writer *w = wn_writer_open(path, NULL, 0);
	CHECK(w != NULL);
	CHECK(wn_writer_write(w, text, sizeof text - 1) == 0);
	CHECK(stat(path, &sb) != 0); /* not visible before commit */
	CHECK(wn_writer_commit(w, NULL, 0) == 0);
	CHECK(stat(path, &sb) == 0);
	int rc;
	char *got = read_lines(path, &rc);
	CHECK_EQ_STR(got, want);
	free(got);
	struct wn_reader *r = wn_reader_open(path, NULL, 0);
	CHECK_EQ_STR(wn_reader_codec(r), "zstd");
	wn_reader_free(r);

	const char *gzp = tmp("out.gz");
	w = wn_writer_open(gzp, NULL, 0);
	for (int i = 0; i < 1000; i++)
		wn_writer_write(w, text, sizeof text - 1);
	CHECK(wn_writer_commit(w, NULL, 0) == 0);
	r = wn_reader_open(gzp, NULL, 0);
	CHECK_EQ_STR(wn_reader_codec(r), "gzip");
	char buf[4096];
	size_t total = 0;
	ssize_t k;
	while ((k = wn_reader_read(r, buf, sizeof buf)) > 0)
		total += (size_t)k;
	CHECK_EQ_INT(total, 1000 * (sizeof text - 1));
	wn_reader_free(r);

	const char *ab = tmp("aborted");
	w = wn_writer_open(ab, NULL, 0);
	wn_writer_write(w, "x", 1);
	wn_writer_abort(w);
	CHECK(stat(ab, &sb) != 0);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(plain_and_codecs_by_magic);
	RUN(truncated_gzip_is_an_error_after_the_good_bytes);
	RUN(long_line_linear);
	RUN(peek_does_not_consume);
	RUN(missing_file_error);
	RUN(writer_atomic_and_compressed);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd)) {
	}
	return tap_done();
}
