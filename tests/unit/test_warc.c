/* test_warc.c -- lib/sniff (decompressing input, format detection) and
 * lib/warc (record reader, repairs, damage, offsets, digests). */
#include "tap.h"

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"
#include "warc.h"

static char tmpl[64];

/* Write p[0..n) to a fresh temporary file; returns its path (static). */
static const char *tmpfile_with(const void *p, size_t n)
{
	snprintf(tmpl, sizeof tmpl, "/tmp/test_warc.XXXXXX");
	int fd = mkstemp(tmpl);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
	return tmpl;
}

static void gz_member(struct wn_buf *out, const char *p, size_t n)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
	wn_buf_grow(out, deflateBound(&zs, n) + 64);
	zs.next_in = (unsigned char *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = (unsigned char *)out->data + out->len;
	zs.avail_out = (uInt)(out->cap - out->len - 1);
	deflate(&zs, Z_FINISH);
	wn_buf_setlen(out, out->len + zs.total_out);
	deflateEnd(&zs);
}

static void record(struct wn_buf *b, const char *type, const char *body, long cl)
{
	wn_buf_addf(b, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:x:%zu>\r\nContent-Length: %ld\r\n\r\n%s\r\n\r\n",
		    type, b->len, cl < 0 ? (long)strlen(body) : cl, body);
}

struct got {
	int n, bad;
	uint64_t off[16];
	int exact[16];
	char body[16][128];
	unsigned repairs[16];
	int too_large[16];
	char err[16][400];
};

static void read_all(const char *path, struct got *g, uint64_t max_block)
{
	char err[256];
	memset(g, 0, sizeof *g);
	struct wn_din *d = wn_din_open(path, err, sizeof err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WARC);
	struct wn_warc *w = wn_warc_new(d);
	if (max_block)
		wn_warc_set_max_block(w, max_block);
	struct wn_warc_rec r;
	wn_warc_rec_init(&r);
	int rc;
	while ((rc = wn_warc_next(w, &r, err, sizeof err)) != 0 && g->n + g->bad < 16) {
		if (rc < 0) {
			snprintf(g->err[g->bad++], sizeof g->err[0], "%llu %s", (unsigned long long)r.offset, err);
			continue;
		}
		int i = g->n++;
		g->off[i] = r.offset;
		g->exact[i] = r.offset_exact;
		g->repairs[i] = r.repairs;
		g->too_large[i] = r.too_large;
		if (r.block)
			snprintf(g->body[i], sizeof g->body[i], "%.*s", (int)r.block_len, r.block);
	}
	wn_warc_rec_release(&r);
	wn_warc_free(w);
	wn_din_free(d);
}

TEST(plain_records_and_offsets)
{
	struct wn_buf b = WN_BUF_INIT;
	record(&b, "warcinfo", "a: b", -1);
	size_t second = b.len;
	record(&b, "response", "HTTP/1.1 200 OK\r\n\r\n<p>x</p>", -1);
	struct got g;
	read_all(tmpfile_with(b.data, b.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.bad, 0);
	CHECK_EQ_INT(g.off[1], second);
	CHECK(g.exact[1]);
	CHECK_EQ_STR(g.body[0], "a: b");
	CHECK_EQ_INT(g.repairs[0] | g.repairs[1], 0);
	wn_buf_release(&b);
}

TEST(per_record_gzip_offsets_are_member_starts)
{
	struct wn_buf rec = WN_BUF_INIT, file = WN_BUF_INIT;
	uint64_t starts[3];
	for (int i = 0; i < 3; i++) {
		wn_buf_reset(&rec);
		record(&rec, "resource", i == 1 ? "second" : "x", -1);
		starts[i] = file.len;
		gz_member(&file, rec.data, rec.len);
	}
	struct got g;
	read_all(tmpfile_with(file.data, file.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(g.off[i], starts[i]);
		CHECK(g.exact[i]);
	}
	CHECK_EQ_STR(g.body[1], "second");
	/* whole-file gzip: one member, offsets are not seekable */
	wn_buf_reset(&rec);
	record(&rec, "resource", "one", -1);
	record(&rec, "resource", "two", -1);
	wn_buf_reset(&file);
	gz_member(&file, rec.data, rec.len);
	read_all(tmpfile_with(file.data, file.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK(g.exact[0]);
	CHECK(!g.exact[1]);
	CHECK_EQ_STR(g.body[1], "two");
	wn_buf_release(&rec);
	wn_buf_release(&file);
}

TEST(zstd_frames)
{
	struct wn_buf rec = WN_BUF_INIT, file = WN_BUF_INIT;
	uint64_t starts[2];
	for (int i = 0; i < 2; i++) {
		wn_buf_reset(&rec);
		record(&rec, "resource", i ? "zz" : "z", -1);
		starts[i] = file.len;
		wn_buf_grow(&file, ZSTD_compressBound(rec.len));
		size_t n = ZSTD_compress(file.data + file.len, file.cap - file.len - 1, rec.data, rec.len, 3);
		wn_buf_setlen(&file, file.len + n);
	}
	struct got g;
	read_all(tmpfile_with(file.data, file.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.off[1], starts[1]);
	CHECK_EQ_STR(g.body[1], "zz");
	wn_buf_release(&rec);
	wn_buf_release(&file);
}

/* WARC-zstd: a skippable frame 0x184D2A5D with the dictionary (raw, or
 * itself zstd-compressed), then one frame per record compressed with it. */
TEST(zstd_dictionary_frame)
{
	const char dict[] = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:x:0>\r\nContent-Length: ";
	for (int compressed = 0; compressed < 2; compressed++) {
		struct wn_buf rec = WN_BUF_INIT, file = WN_BUF_INIT, d = WN_BUF_INIT;
		if (compressed) {
			wn_buf_grow(&d, ZSTD_compressBound(sizeof dict));
			wn_buf_setlen(&d, ZSTD_compress(d.data, d.cap - 1, dict, sizeof dict - 1, 3));
		} else {
			wn_buf_add(&d, dict, sizeof dict - 1);
		}
		unsigned char hdr[8] = { 0x5d, 0x2a, 0x4d, 0x18 };
		hdr[4] = (unsigned char)d.len, hdr[5] = (unsigned char)(d.len >> 8);
		wn_buf_add(&file, hdr, 8);
		wn_buf_add(&file, d.data, d.len);
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		uint64_t second = 0;
		for (int i = 0; i < 2; i++) {
			wn_buf_reset(&rec);
			record(&rec, "resource", i ? "dict two" : "dict one", -1);
			if (i)
				second = file.len;
			wn_buf_grow(&file, ZSTD_compressBound(rec.len));
			size_t n = ZSTD_compress_usingDict(cc, file.data + file.len, file.cap - file.len - 1, rec.data,
							   rec.len, dict, sizeof dict - 1, 3);
			CHECK(!ZSTD_isError(n));
			wn_buf_setlen(&file, file.len + n);
		}
		ZSTD_freeCCtx(cc);
		struct got g;
		read_all(tmpfile_with(file.data, file.len), &g, 0);
		unlink(tmpl);
		CHECK_EQ_INT(g.n, 2);
		CHECK_EQ_INT(g.bad, 0);
		CHECK_EQ_STR(g.body[1], "dict two");
		CHECK_EQ_INT(g.off[1], second);
		wn_buf_release(&rec);
		wn_buf_release(&file);
		wn_buf_release(&d);
	}
}

TEST(garbage_between_records_resyncs)
{
	struct wn_buf b = WN_BUF_INIT;
	record(&b, "resource", "one", -1);
	size_t junk = b.len;
	wn_buf_adds(&b, "junk junk\nWARC without slash\n");
	record(&b, "resource", "two", -1);
	struct got g;
	read_all(tmpfile_with(b.data, b.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.bad, 1);
	CHECK_EQ_STR(g.body[1], "two");
	char want[64];
	snprintf(want, sizeof want, "%zu 29 bytes", junk);
	CHECK(!strncmp(g.err[0], want, strlen(want)));
	wn_buf_release(&b);
}

TEST(content_length_repairs)
{
	struct wn_buf b = WN_BUF_INIT;
	record(&b, "resource", "too large", 40);
	record(&b, "resource", "too small but intact", 5);
	wn_buf_adds(&b, "WARC/1.0\r\nWARC-Type: resource\r\n\r\nno length\r\n\r\n");
	record(&b, "resource", "last", -1);
	struct got g;
	read_all(tmpfile_with(b.data, b.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 4);
	CHECK_EQ_INT(g.bad, 0);
	CHECK_EQ_STR(g.body[0], "too large");
	CHECK(g.repairs[0] & WN_WARC_REPAIR_CL_LONG);
	CHECK_EQ_STR(g.body[1], "too small but intact");
	CHECK(g.repairs[1] & WN_WARC_REPAIR_CL_SHORT);
	CHECK_EQ_STR(g.body[2], "no length");
	CHECK(g.repairs[2] & WN_WARC_REPAIR_CL_MISSING);
	CHECK_EQ_STR(g.body[3], "last");
	wn_buf_release(&b);
}

TEST(truncated_plain_and_gzip)
{
	struct wn_buf b = WN_BUF_INIT, z = WN_BUF_INIT;
	record(&b, "resource", "kept", -1);
	record(&b, "resource", "this record is cut off in the middle", -1);
	struct got g;
	read_all(tmpfile_with(b.data, b.len - 20), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 1);
	CHECK_EQ_INT(g.bad, 1);
	CHECK(strstr(g.err[0], "truncated") != NULL);
	gz_member(&z, b.data, b.len);
	read_all(tmpfile_with(z.data, z.len - 12), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 1);
	CHECK_EQ_INT(g.bad, 1);
	CHECK(strstr(g.err[0], "truncated gzip member at offset 0") != NULL);
	wn_buf_release(&b);
	wn_buf_release(&z);
}

TEST(corrupt_member_skipped)
{
	struct wn_buf rec = WN_BUF_INIT, file = WN_BUF_INIT;
	size_t mid = 0, midend = 0;
	for (int i = 0; i < 3; i++) {
		wn_buf_reset(&rec);
		record(&rec, "resource", i == 1 ? "a longer record body that we are going to corrupt on purpose" : "fine", -1);
		if (i == 1)
			mid = file.len;
		gz_member(&file, rec.data, rec.len);
		if (i == 1)
			midend = file.len;
	}
	file.data[(mid + midend) / 2] ^= 0x55;
	file.data[(mid + midend) / 2 + 1] ^= 0x55;
	struct got g;
	read_all(tmpfile_with(file.data, file.len), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.bad, 1);
	CHECK_EQ_STR(g.body[0], "fine");
	CHECK_EQ_STR(g.body[1], "fine");
	CHECK(strstr(g.err[0], "corrupt gzip data") != NULL);
	wn_buf_release(&rec);
	wn_buf_release(&file);
}

TEST(too_large_is_streamed_past)
{
	struct wn_buf b = WN_BUF_INIT;
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	record(&b, "resource", big, -1);
	record(&b, "resource", "small", -1);
	struct got g;
	read_all(tmpfile_with(b.data, b.len), &g, 1000);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK(g.too_large[0]);
	CHECK_EQ_STR(g.body[1], "small");
	wn_buf_release(&b);
}

TEST(bare_lf_and_old_version)
{
	const char *s = "WARC/0.18\nWARC-Type: response\nContent-Length: 3\n\nabc\n\nWARC/0.18\nWARC-Type: response\nContent-Length: 1\n\nd";
	struct got g;
	read_all(tmpfile_with(s, strlen(s)), &g, 0);
	unlink(tmpl);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.bad, 0);
	CHECK_EQ_STR(g.body[0], "abc");
	CHECK_EQ_STR(g.body[1], "d");
	CHECK(g.repairs[0] & WN_WARC_REPAIR_BARE_LF);
}

TEST(sniff_formats)
{
	CHECK_EQ_INT(wn_sniff_format("WARC/1.0\r\n", 10), WN_FMT_WARC);
	CHECK_EQ_INT(wn_sniff_format("\n\r\nWARC/1.1", 11), WN_FMT_WARC);
	CHECK_EQ_INT(wn_sniff_format("<mediawiki xmlns=", 17), WN_FMT_WIKI);
	CHECK_EQ_INT(wn_sniff_format("<?xml version=\"1.0\"?>\n<mediawiki>", 33), WN_FMT_WIKI);
	CHECK_EQ_INT(wn_sniff_format("<?xml version=\"1.0\"?>\n<rss>", 27), WN_FMT_UNKNOWN);
	CHECK_EQ_INT(wn_sniff_format("\xff\xfe<\0m\0e\0d\0i\0a\0w\0i\0k\0i\0", 22), WN_FMT_WIKI);
	CHECK_EQ_INT(wn_sniff_format("  {\"id\":1}", 10), WN_FMT_JSONL);
	CHECK_EQ_INT(wn_sniff_format("PK\3\4xxxx", 8), WN_FMT_ARCHIVE);
	char tar[512] = "name.html";
	memcpy(tar + 257, "ustar", 5);
	CHECK_EQ_INT(wn_sniff_format(tar, sizeof tar), WN_FMT_ARCHIVE);
	CHECK_EQ_INT(wn_sniff_format("hello", 5), WN_FMT_UNKNOWN);
	CHECK_EQ_INT(wn_sniff_format("", 0), WN_FMT_UNKNOWN);
	enum wn_fmt f;
	CHECK(wn_fmt_parse("wiki", &f) == 0 && f == WN_FMT_WIKI);
	CHECK(wn_fmt_parse("auto", &f) == 0 && f == WN_FMT_UNKNOWN);
	CHECK(wn_fmt_parse("pdf", &f) < 0);
}

TEST(sniff_rewinds_compressed_input)
{
	struct wn_buf rec = WN_BUF_INIT, z = WN_BUF_INIT;
	record(&rec, "resource", "x", -1);
	gz_member(&z, rec.data, rec.len);
	char err[128];
	struct wn_din *d = wn_din_open(tmpfile_with(z.data, z.len), err, sizeof err);
	CHECK(d && wn_din_codec(d) == WN_CODEC_GZIP);
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WARC);
	size_t a = wn_din_fill(d, rec.len + 10);
	CHECK_EQ_MEM(wn_din_ptr(d), a, rec.data, rec.len);
	wn_din_free(d);
	unlink(tmpl);
	wn_buf_release(&rec);
	wn_buf_release(&z);
}

/* bzip2 yields nothing until a whole block (up to 900 KB) is in: sniffing
 * must read that far even when the text hardly compresses. */
TEST(sniff_bzip2_incompressible)
{
	struct wn_buf b = WN_BUF_INIT;
	char body[1200001];
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < sizeof body - 1; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		body[i] = (char)('!' + x % 90);
	}
	body[sizeof body - 1] = '\0';
	record(&b, "resource", body, -1);
	unsigned int zn = (unsigned int)(b.len + b.len / 50 + 1000);
	char *z = malloc(zn);
	CHECK(BZ2_bzBuffToBuffCompress(z, &zn, b.data, (unsigned int)b.len, 9, 0, 0) == BZ_OK);
	CHECK(zn > 256 * 1024);
	char err[128];
	struct wn_din *d = wn_din_open(tmpfile_with(z, zn), err, sizeof err);
	CHECK_EQ_INT(wn_din_codec(d), WN_CODEC_BZIP2);
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WARC);
	CHECK_EQ_INT(wn_din_fill(d, b.len + 1), b.len);
	wn_din_free(d);
	unlink(tmpl);
	free(z);
	wn_buf_release(&b);
}

TEST(digests)
{
	CHECK_EQ_INT(wn_warc_digest_check("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", 37, "", 0), 1);
	CHECK_EQ_INT(wn_warc_digest_check("sha1:3i42h3s6nnfq2msvx7xzkyayscx5qbyj", 37, "", 0), 1);
	CHECK_EQ_INT(wn_warc_digest_check("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", 37, "x", 1), 0);
	CHECK_EQ_INT(wn_warc_digest_check("sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", 45, "", 0), 1);
	CHECK_EQ_INT(wn_warc_digest_check("sha1:2jmj7l5rSw0yVb/vlWAYkK/YBwk=", 33, "", 0), 1);
	/* sha1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d */
	CHECK_EQ_INT(wn_warc_digest_check("sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5", 37, "abc", 3), 1);
	CHECK_EQ_INT(wn_warc_digest_check("sha256:abc", 10, "", 0), -1);
}

TEST(real_file_counts)
{
	const char *p = tap_data("warc/resiliparse-warcfile.warc.gz");
	if (!p)
		return;
	char err[256];
	struct wn_din *d = wn_din_open(p, err, sizeof err);
	struct wn_warc *w = wn_warc_new(d);
	struct wn_warc_rec r;
	wn_warc_rec_init(&r);
	int rc, n = 0, responses = 0;
	while ((rc = wn_warc_next(w, &r, err, sizeof err)) > 0) {
		n++;
		responses += wn_warc_is(&r, "WARC-Type", "response");
		CHECK(r.offset_exact);
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(n, 50);
	CHECK_EQ_INT(responses, 16);
	wn_warc_rec_release(&r);
	wn_warc_free(w);
	wn_din_free(d);
}

int main(void)
{
	RUN(plain_records_and_offsets);
	RUN(per_record_gzip_offsets_are_member_starts);
	RUN(zstd_frames);
	RUN(zstd_dictionary_frame);
	RUN(garbage_between_records_resyncs);
	RUN(content_length_repairs);
	RUN(truncated_plain_and_gzip);
	RUN(corrupt_member_skipped);
	RUN(too_large_is_streamed_past);
	RUN(bare_lf_and_old_version);
	RUN(sniff_formats);
	RUN(sniff_rewinds_compressed_input);
	RUN(sniff_bzip2_incompressible);
	RUN(digests);
	RUN(real_file_counts);
	return tap_done();
}
