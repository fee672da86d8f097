/* test_http.c -- lib/http: status and headers, chunked and content
 * encodings (including the lies real crawls tell), HTML detection, charset
 * decisions and conversion to UTF-8. */
#include "tap.h"

#include <brotli/encode.h>
#include <zlib.h>

#include "http.h"

static void compress_into(struct wn_buf *out, const char *p, size_t n, int wbits)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	wn_buf_reset(out);
	wn_buf_grow(out, deflateBound(&zs, n) + 64);
	zs.next_in = (unsigned char *)p;
	zs.avail_in = (uInt)n;
	zs.next_out = (unsigned char *)out->data;
	zs.avail_out = (uInt)(out->cap - 1);
	deflate(&zs, Z_FINISH);
	wn_buf_setlen(out, zs.total_out);
	deflateEnd(&zs);
}

/* Parse a response and decode its body into got (NUL-terminated copy). */
static int body_of(const char *resp, size_t n, struct wn_http *h, char *got, size_t cap)
{
	struct wn_buf t1 = WN_BUF_INIT, t2 = WN_BUF_INIT;
	const char *out;
	size_t on;
	int rc = wn_http_parse(resp, n, h);
	if (rc == 0)
		rc = wn_http_body(h, &t1, &t2, 1 << 20, &out, &on);
	if (rc == 0)
		snprintf(got, cap, "%.*s", (int)on, out);
	wn_buf_release(&t1);
	wn_buf_release(&t2);
	return rc;
}

TEST(status_and_headers)
{
	struct wn_http h;
	const char *r = "HTTP/1.1 404 Not Found\r\nContent-Type: Text/HTML; Charset=\"ISO-8859-1\"\r\n"
			"Location: /x\r\nContent-Encoding: GZIP\r\n\r\nbody";
	CHECK_EQ_INT(wn_http_parse(r, strlen(r), &h), 0);
	CHECK_EQ_INT(h.status, 404);
	CHECK_EQ_STR(h.mime, "text/html");
	CHECK_EQ_STR(h.charset, "iso-8859-1");
	CHECK_EQ_STR(h.encoding, "gzip");
	CHECK_EQ_MEM(h.location, h.location_len, "/x", 2);
	CHECK_EQ_MEM(h.body, h.body_len, "body", 4);
	CHECK_EQ_INT(h.repairs, 0);
	r = "HTTP/1.0 200\nContent-Type: text/html;charset=utf-8\n\n<p>";
	CHECK_EQ_INT(wn_http_parse(r, strlen(r), &h), 0);
	CHECK_EQ_INT(h.status, 200);
	CHECK_EQ_STR(h.charset, "utf-8");
	CHECK(h.repairs & WN_HTTP_REPAIR_BARE_LF);
	CHECK_EQ_MEM(h.body, h.body_len, "<p>", 3);
	r = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"; /* no blank line */
	CHECK_EQ_INT(wn_http_parse(r, strlen(r), &h), 0);
	CHECK(h.repairs & WN_HTTP_REPAIR_NO_BODY_SEP);
	CHECK_EQ_INT(h.body_len, 0);
	CHECK_EQ_INT(wn_http_parse("GET / HTTP/1.1\r\n\r\n", 18, &h), -1);
	CHECK_EQ_INT(wn_http_parse("HTTP/1.1 2x0 OK\r\n\r\n", 19, &h), -1);
}

TEST(chunked)
{
	struct wn_http h;
	char got[256];
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nHello\r\n7\r\n, world\r\n0\r\n\r\n";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "Hello, world");
	CHECK_EQ_INT(h.repairs, 0);
	/* bare LF framing */
	r = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "abc");
	/* declared but not chunked: the body is kept as is */
	r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<html>plain</html>";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "<html>plain</html>");
	CHECK(h.repairs & WN_HTTP_REPAIR_NOT_CHUNKED);
	/* framing breaks off: decoded part plus the rest */
	r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nrest";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "abczz\r\nrest");
	CHECK(h.repairs & WN_HTTP_REPAIR_BAD_CHUNKED);
	/* a chunk longer than the data left */
	r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nshort";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "short");
	CHECK(h.repairs & WN_HTTP_REPAIR_BAD_CHUNKED);
}

TEST(content_encodings)
{
	struct wn_http h;
	char got[256];
	struct wn_buf z = WN_BUF_INIT, resp = WN_BUF_INIT;
	const char *page = "<html><body>compressed page</body></html>";
	int wbits[] = { 16 + 15, 15, -15 };
	const char *names[] = { "gzip", "deflate", "deflate" };
	for (int i = 0; i < 3; i++) {
		compress_into(&z, page, strlen(page), wbits[i]);
		wn_buf_reset(&resp);
		wn_buf_addf(&resp, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n\r\n", names[i]);
		wn_buf_add(&resp, z.data, z.len);
		CHECK_EQ_INT(body_of(resp.data, resp.len, &h, got, sizeof got), 0);
		CHECK_EQ_STR(got, page);
		CHECK_EQ_INT(h.repairs, 0);
	}
	/* gzip bytes without the header: decoded, and said so */
	compress_into(&z, page, strlen(page), 16 + 15);
	wn_buf_reset(&resp);
	wn_buf_adds(&resp, "HTTP/1.1 200 OK\r\n\r\n");
	wn_buf_add(&resp, z.data, z.len);
	CHECK_EQ_INT(body_of(resp.data, resp.len, &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, page);
	CHECK(h.repairs & WN_HTTP_REPAIR_UNDECLARED_GZIP);
	/* gzip cut short: the decoded prefix is kept */
	wn_buf_reset(&resp);
	wn_buf_adds(&resp, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
	wn_buf_add(&resp, z.data, z.len - 10);
	CHECK_EQ_INT(body_of(resp.data, resp.len, &h, got, sizeof got), 0);
	CHECK(!strncmp(got, "<html><body>compressed", 22));
	CHECK(h.repairs & WN_HTTP_REPAIR_BAD_COMPRESSED);
	/* the header lies: plain bytes stay plain */
	const char *r = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n<html>plain</html>";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, "<html>plain</html>");
	CHECK(h.repairs & WN_HTTP_REPAIR_FAKE_ENCODING);
	r = "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n<html>plain</html>";
	CHECK_EQ_INT(body_of(r, strlen(r), &h, got, sizeof got), 0);
	CHECK(h.repairs & WN_HTTP_REPAIR_FAKE_ENCODING);
	/* brotli we cannot decode */
	const char br[] = "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n\x1b\x03\x00\xf8\x01\x02\x03\x04\x05\x06\x07\x08\x09";
	CHECK_EQ_INT(body_of(br, sizeof br - 1, &h, got, sizeof got), -1);
	/* chunked and gzip together */
	compress_into(&z, page, strlen(page), 16 + 15);
	wn_buf_reset(&resp);
	wn_buf_addf(&resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n%zx\r\n", z.len);
	wn_buf_add(&resp, z.data, z.len);
	wn_buf_adds(&resp, "\r\n0\r\n\r\n");
	CHECK_EQ_INT(body_of(resp.data, resp.len, &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, page);
	wn_buf_release(&z);
	wn_buf_release(&resp);
}

/* Content-Encoding: br, the sample made with libbrotlienc. */
TEST(brotli)
{
	const char *page = "<html><body>a page compressed with brotli, brotli, brotli</body></html>";
	uint8_t z[512];
	size_t zn = sizeof z;
	CHECK(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, strlen(page), (const uint8_t *)page, &zn, z) == BROTLI_TRUE);
	struct wn_buf resp = WN_BUF_INIT;
	wn_buf_adds(&resp, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n");
	wn_buf_add(&resp, z, zn);
	struct wn_http h;
	char got[256];
	CHECK_EQ_INT(body_of(resp.data, resp.len, &h, got, sizeof got), 0);
	CHECK_EQ_STR(got, page);
	CHECK_EQ_INT(h.repairs, 0);
	/* cut short: the decoded prefix, flagged */
	wn_buf_setlen(&resp, resp.len - 4);
	if (body_of(resp.data, resp.len, &h, got, sizeof got) == 0)
		CHECK(h.repairs & WN_HTTP_REPAIR_BAD_COMPRESSED);
	wn_buf_release(&resp);
}

TEST(html_detection)
{
	CHECK(wn_is_html("text/html", "", 0));
	CHECK(wn_is_html("application/xhtml+xml", "", 0));
	CHECK(!wn_is_html("text/css", "<html>", 6));
	CHECK(!wn_is_html("image/png", "\x89PNG", 4));
	CHECK(!wn_is_html("text/plain", "<html>", 6));
	CHECK(wn_is_html("", "\xef\xbb\xbf  <!DOCTYPE html><html>", 26));
	CHECK(wn_is_html("application/octet-stream", "<!-- c --> <html lang=en>", 25));
	CHECK(wn_is_html("", "<?xml version=\"1.0\"?>\n<html xmlns=", 34));
	CHECK(!wn_is_html("", "hello <html>", 12));
	CHECK(!wn_is_html("", "", 0));
	CHECK(!wn_is_html("text/html", "%PDF-1.4\n", 9));
	CHECK(!wn_is_html("text/html", "\x89PNG\r\n", 6));
}

static void conv(struct wn_utf8conv *c, const char *p, size_t n, const char *declared, char *got, size_t cap,
		 char *used, unsigned *rep)
{
	struct wn_buf b = WN_BUF_INIT;
	const char *o;
	size_t on;
	*rep = 0;
	wn_to_utf8(c, p, n, declared, 1, &b, &o, &on, used, 48, rep);
	snprintf(got, cap, "%.*s", (int)on, o);
	wn_buf_release(&b);
}

TEST(charsets)
{
	struct wn_utf8conv *c = wn_utf8conv_new();
	char got[256], used[48];
	unsigned rep;
	conv(c, "caf\xe9", 4, "ISO-8859-1", got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "caf\xc3\xa9");
	CHECK_EQ_STR(used, "windows-1252");
	conv(c, "\x93quoted\x94", 8, "latin1", got, sizeof got, used, &rep); /* WHATWG: latin1 is 1252 */
	CHECK_EQ_STR(got, "\xe2\x80\x9cquoted\xe2\x80\x9d");
	const char cyr[] = "<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>";
	conv(c, cyr, sizeof cyr - 1, NULL, got, sizeof got, used, &rep);
	CHECK(strstr(got, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82") != NULL); /* Привет */
	CHECK_EQ_STR(used, "windows-1251");
	const char meta2[] = "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=koi8-r\">\xf0";
	conv(c, meta2, sizeof meta2 - 1, "", got, sizeof got, used, &rep);
	CHECK_EQ_STR(used, "koi8-r");
	/* the header wins over <meta> */
	conv(c, cyr, sizeof cyr - 1, "koi8-r", got, sizeof got, used, &rep);
	CHECK_EQ_STR(used, "koi8-r");
	/* BOMs */
	conv(c, "\xff\xfeh\0i\0", 6, "iso-8859-1", got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "hi");
	conv(c, "\xef\xbb\xbfok", 5, "windows-1252", got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "ok");
	CHECK_EQ_STR(used, "utf-8");
	/* undeclared: UTF-8 if valid, else windows-1252 */
	conv(c, "\xc3\xa9t\xc3\xa9", 6, NULL, got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "\xc3\xa9t\xc3\xa9");
	CHECK_EQ_STR(used, "utf-8");
	conv(c, "\xe9t\xe9", 3, NULL, got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "\xc3\xa9t\xc3\xa9");
	/* declared UTF-8 with bad bytes: kept, flagged (the JSON encoder replaces them) */
	conv(c, "ok\xff", 3, "utf-8", got, sizeof got, used, &rep);
	CHECK(rep & WN_HTTP_REPAIR_BAD_UTF8);
	/* unknown label */
	conv(c, "\xe9", 1, "x-no-such-charset", got, sizeof got, used, &rep);
	CHECK_EQ_STR(got, "\xc3\xa9");
	/* invalid sequence for the charset: U+FFFD, go on */
	conv(c, "a\x81\x20z", 4, "shift_jis", got, sizeof got, used, &rep);
	CHECK(got[0] == 'a' && got[strlen(got) - 1] == 'z');
	wn_utf8conv_free(c);
}

TEST(utf8_validation)
{
	CHECK_EQ_INT(wn_utf8_prefix("plain ascii text, longer than eight", 35), 35);
	CHECK_EQ_INT(wn_utf8_prefix("\xf0\x9f\x98\x80", 4), 4);
	CHECK_EQ_INT(wn_utf8_prefix("ab\xc0\xaf", 4), 2);      /* overlong */
	CHECK_EQ_INT(wn_utf8_prefix("ab\xed\xa0\x80", 5), 2);  /* surrogate */
	CHECK_EQ_INT(wn_utf8_prefix("abcdefgh\xe2\x82", 10), 8); /* cut */
	CHECK_EQ_INT(wn_utf8_prefix("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
}

int main(void)
{
	RUN(status_and_headers);
	RUN(chunked);
	RUN(content_encodings);
	RUN(brotli);
	RUN(html_detection);
	RUN(charsets);
	RUN(utf8_validation);
	return tap_done();
}
