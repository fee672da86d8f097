/* http.c -- HTTP response parsing, body decoding, charset to UTF-8; see http.h. */
#include "http.h"

#include <ctype.h>
#include <brotli/decode.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

const char *wn_http_repair_name(int bit)
{
	static const char *names[WN_HTTP_NREPAIRS] = {
		"http-bare-lf", "http-not-chunked", "http-bad-chunked", "http-fake-content-encoding",
		"http-bad-compressed-body", "http-undeclared-gzip", "http-no-body-separator", "invalid-bytes-replaced",
	};
	return bit >= 0 && bit < WN_HTTP_NREPAIRS ? names[bit] : "?";
}

/* Copy a header value into dst, lowercased, stopping at ';' when `param`. */
static void lower_copy(char *dst, size_t cap, const char *s, size_t n, int stop_semicolon)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		char c = s[i];
		if (stop_semicolon && c == ';')
			break;
		dst[k++] = (char)tolower((unsigned char)c);
	}
	while (k > 0 && (dst[k - 1] == ' ' || dst[k - 1] == '\t' || dst[k - 1] == '\r'))
		k--;
	dst[k] = '\0';
}

void wn_content_type(const char *v, size_t n, char *mime, size_t mimecap, char *charset, size_t cscap)
{
	lower_copy(mime, mimecap, v, n, 1);
	charset[0] = '\0';
	/* charset=... anywhere in the parameters, quotes optional */
	for (size_t i = 0; i + 8 <= n; i++) {
		if (strncasecmp(v + i, "charset", 7))
			continue;
		size_t j = i + 7;
		while (j < n && v[j] == ' ')
			j++;
		if (j >= n || v[j] != '=')
			continue;
		j++;
		while (j < n && (v[j] == ' ' || v[j] == '"' || v[j] == '\''))
			j++;
		size_t s = j;
		while (j < n && v[j] != ';' && v[j] != '"' && v[j] != '\'' && v[j] != ' ' && v[j] != ',')
			j++;
		lower_copy(charset, cscap, v + s, j - s, 0);
		break;
	}
}

int wn_http_parse(const char *p, size_t n, struct wn_http *h)
{
	memset(h, 0, sizeof *h);
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (n - i < 12 || memcmp(p + i, "HTTP/", 5))
		return -1;
	i += 5;
	while (i < n && p[i] != ' ' && p[i] != '\n')
		i++;
	while (i < n && p[i] == ' ')
		i++;
	if (i + 3 > n || !isdigit((unsigned char)p[i]) || !isdigit((unsigned char)p[i + 1]) ||
	    !isdigit((unsigned char)p[i + 2]))
		return -1;
	h->status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
	const char *s = memchr(p + i, '\n', n - i);
	const char *e = p + n;
	if (!s) {
		h->repairs |= WN_HTTP_REPAIR_NO_BODY_SEP;
		h->body = e;
		return 0;
	}
	if (s == p || s[-1] != '\r')
		h->repairs |= WN_HTTP_REPAIR_BARE_LF;
	s++;
	for (;;) {
		if (s >= e) {
			h->repairs |= WN_HTTP_REPAIR_NO_BODY_SEP;
			h->body = e;
			return 0;
		}
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *le = nl ? nl : e;
		if (le > s && le[-1] == '\r')
			le--;
		else if (nl)
			h->repairs |= WN_HTTP_REPAIR_BARE_LF;
		if (le == s) { /* blank line: the body follows */
			h->body = nl ? nl + 1 : e;
			break;
		}
		const char *c = memchr(s, ':', (size_t)(le - s));
		if (c) {
			size_t nl_ = (size_t)(c - s);
			while (nl_ > 0 && s[nl_ - 1] == ' ')
				nl_--;
			const char *v = c + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			size_t vl = (size_t)(le - v);
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
				vl--;
			if (nl_ == 12 && !strncasecmp(s, "Content-Type", 12))
				wn_content_type(v, vl, h->mime, sizeof h->mime, h->charset, sizeof h->charset);
			else if (nl_ == 17 && !strncasecmp(s, "Transfer-Encoding", 17))
				h->chunked = memmem(v, vl, "chunked", 7) != NULL || memmem(v, vl, "Chunked", 7) != NULL;
			else if (nl_ == 16 && !strncasecmp(s, "Content-Encoding", 16))
				lower_copy(h->encoding, sizeof h->encoding, v, vl, 0);
			else if (nl_ == 8 && !strncasecmp(s, "Location", 8)) {
				h->location = v;
				h->location_len = vl;
			}
		}
		if (!nl) {
			h->repairs |= WN_HTTP_REPAIR_NO_BODY_SEP;
			h->body = e;
			break;
		}
		s = nl + 1;
	}
	h->body_len = (size_t)(e - h->body);
	return 0;
}

/* ---- body ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse a chunk-size line at p (hex digits, optional extension, CRLF or LF).
 * Returns the bytes of the line, 0 when it is not one. */
static size_t chunk_line(const char *p, const char *e, uint64_t *size)
{
	const char *q = p;
	uint64_t v = 0;
	int digits = 0;
	while (q < e && hexval(*q) >= 0) {
		if (++digits > 15)
			return 0;
		v = v * 16 + (uint64_t)hexval(*q++);
	}
	if (!digits)
		return 0;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q < e && *q == ';') { /* chunk extension */
		const char *nl = memchr(q, '\n', (size_t)(e - q));
		if (!nl || nl - q > 1024)
			return 0;
		q = nl;
	}
	if (q < e && *q == '\r')
		q++;
	if (q >= e || *q != '\n')
		return 0;
	*size = v;
	return (size_t)(q + 1 - p);
}

static void dechunk(struct wn_http *h, const char *p, size_t n, struct wn_buf *out)
{
	const char *q = p, *e = p + n;
	wn_buf_reset(out);
	for (;;) {
		uint64_t sz;
		size_t l = chunk_line(q, e, &sz);
		if (!l) {
			/* framing broke off: keep the rest as it is, unless it is only
			 * white space after the last chunk */
			const char *t = q;
			while (t < e && (*t == '\r' || *t == '\n' || *t == ' '))
				t++;
			if (t < e) {
				h->repairs |= WN_HTTP_REPAIR_BAD_CHUNKED;
				wn_buf_add(out, q, (size_t)(e - q));
			}
			return;
		}
		q += l;
		if (sz == 0)
			return; /* last chunk; trailers are ignored */
		if (sz > (uint64_t)(e - q)) {
			h->repairs |= WN_HTTP_REPAIR_BAD_CHUNKED;
			wn_buf_add(out, q, (size_t)(e - q));
			return;
		}
		wn_buf_add(out, q, (size_t)sz);
		q += sz;
		if (q < e && *q == '\r')
			q++;
		if (q < e && *q == '\n')
			q++;
		else if (q < e)
			h->repairs |= WN_HTTP_REPAIR_BAD_CHUNKED;
	}
}

/* Inflate p[0..n) with zlib windowBits wbits into out. Returns 1 when the
 * stream ended cleanly, 0 when it was cut short or corrupt after producing
 * output, -1 when nothing could be decoded. */
static int inflate_into(const char *p, size_t n, int wbits, size_t max_out, struct wn_buf *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, wbits) != Z_OK)
		return -1;
	wn_buf_reset(out);
	zs.next_in = (unsigned char *)p;
	zs.avail_in = (uInt)WN_MIN(n, (size_t)UINT32_MAX);
	int ret;
	for (;;) {
		wn_buf_grow(out, n * 3 + 4096 < (1u << 20) ? n * 3 + 4096 : (1u << 20));
		zs.next_out = (unsigned char *)out->data + out->len;
		zs.avail_out = (uInt)WN_MIN(out->cap - out->len - 1, (size_t)UINT32_MAX);
		size_t before = zs.avail_out;
		ret = inflate(&zs, Z_NO_FLUSH);
		wn_buf_setlen(out, out->len + (before - zs.avail_out));
		if (ret == Z_STREAM_END) {
			/* concatenated gzip members: go on with the next one */
			if (wbits > 15 && zs.avail_in >= 3 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			break;
		}
		if (ret != Z_OK || out->len >= max_out)
			break;
		if (zs.avail_in == 0) {
			ret = Z_BUF_ERROR;
			break;
		}
	}
	inflateEnd(&zs);
	if (out->len > max_out)
		wn_buf_setlen(out, max_out);
	if (ret == Z_STREAM_END)
		return 1;
	return out->len ? 0 : -1;
}

/* Brotli (Content-Encoding: br, common in browser-made WARCs) through
 * Debian's libbrotlidec. */
/* Same contract as inflate_into: 1 clean, 0 cut short after output, -1 nothing. */
static int unbrotli_into(const char *p, size_t n, size_t max_out, struct wn_buf *out)
{
	BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	if (!st)
		return -1;
	wn_buf_reset(out);
	const uint8_t *in = (const uint8_t *)p;
	size_t inleft = n;
	BrotliDecoderResult r;
	do {
		wn_buf_grow(out, n * 4 + 4096 < (1u << 20) ? n * 4 + 4096 : (1u << 20));
		uint8_t *o = (uint8_t *)out->data + out->len;
		size_t oleft = out->cap - out->len - 1, o0 = oleft;
		r = BrotliDecoderDecompressStream(st, &inleft, &in, &oleft, &o, NULL);
		wn_buf_setlen(out, out->len + (o0 - oleft));
	} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && out->len < max_out);
	BrotliDecoderDestroyInstance(st);
	if (out->len > max_out)
		wn_buf_setlen(out, max_out);
	if (r == BROTLI_DECODER_RESULT_SUCCESS)
		return 1;
	return out->len ? 0 : -1;
}

/* Plain text or markup rather than compressed bytes? Looks at the start. */
static int looks_textual(const char *p, size_t n)
{
	size_t m = WN_MIN(n, (size_t)512), bad = 0;
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f)
			bad++;
	}
	return m == 0 || bad * 20 < m;
}

int wn_http_body(struct wn_http *h, struct wn_buf *tmp, struct wn_buf *tmp2, size_t max_out,
		 const char **out, size_t *outlen)
{
	const char *p = h->body;
	size_t n = h->body_len;
	if (h->chunked) {
		uint64_t sz;
		if (chunk_line(p, p + n, &sz)) {
			dechunk(h, p, n, tmp);
			p = tmp->data;
			n = tmp->len;
		} else if (n) {
			h->repairs |= WN_HTTP_REPAIR_NOT_CHUNKED;
		}
	}
	int gz = n >= 3 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b && p[2] == 8;
	const char *enc = h->encoding;
	int declared = *enc && strcmp(enc, "identity") && strcmp(enc, "none");
	if (declared && !strcmp(enc, "br") && !gz && !looks_textual(p, n)) {
		struct wn_buf *dst = p == tmp->data ? tmp2 : tmp;
		int r = unbrotli_into(p, n, max_out, dst);
		if (r < 0)
			return -1;
		if (r == 0)
			h->repairs |= WN_HTTP_REPAIR_BAD_COMPRESSED;
		p = dst->data;
		n = dst->len;
	} else if (declared && !strstr(enc, "gzip") && !strstr(enc, "deflate") && !gz) {
		/* compress, zstd ...: undecodable here unless it is really plain */
		if (!looks_textual(p, n))
			return -1;
		h->repairs |= WN_HTTP_REPAIR_FAKE_ENCODING;
	} else if (gz) {
		struct wn_buf *dst = p == tmp->data ? tmp2 : tmp;
		int r = inflate_into(p, n, 16 + 15, max_out, dst);
		if (r >= 0) {
			if (r == 0)
				h->repairs |= WN_HTTP_REPAIR_BAD_COMPRESSED;
			if (!declared)
				h->repairs |= WN_HTTP_REPAIR_UNDECLARED_GZIP;
			p = dst->data;
			n = dst->len;
		} else if (declared) {
			h->repairs |= WN_HTTP_REPAIR_BAD_COMPRESSED;
		}
	} else if (declared && strstr(enc, "deflate") && n) {
		struct wn_buf *dst = p == tmp->data ? tmp2 : tmp;
		/* "deflate" is zlib-wrapped by the RFC, raw deflate in practice */
		int r = inflate_into(p, n, 15, max_out, dst);
		if (r < 0)
			r = inflate_into(p, n, -15, max_out, dst);
		if (r >= 0 && !(r == 0 && looks_textual(p, n))) {
			if (r == 0)
				h->repairs |= WN_HTTP_REPAIR_BAD_COMPRESSED;
			p = dst->data;
			n = dst->len;
		} else {
			h->repairs |= WN_HTTP_REPAIR_FAKE_ENCODING;
		}
	} else if (declared && n) {
		h->repairs |= WN_HTTP_REPAIR_FAKE_ENCODING; /* gzip declared, bytes are not */
	}
	if (n > max_out) {
		n = max_out;
		h->repairs |= WN_HTTP_REPAIR_BAD_COMPRESSED;
	}
	*out = p;
	*outlen = n;
	return 0;
}

/* ---- HTML detection ---- */

static int ci_prefix(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(e - p) >= n && !strncasecmp(p, s, n);
}

int wn_is_html(const char *mime, const char *body, size_t n)
{
	/* servers label anything text/html: a PDF or an image is not a page */
	static const char *magic[] = { "%PDF-", "\x89PNG", "GIF8", "\xff\xd8\xff", "PK\x03\x04", "\x1f\x8b" };
	for (size_t i = 0; i < WN_ARRAY_SIZE(magic); i++)
		if (n >= strlen(magic[i]) && !memcmp(body, magic[i], strlen(magic[i])))
			return 0;
	if (!strcmp(mime, "text/html") || !strcmp(mime, "application/xhtml+xml") ||
	    !strcmp(mime, "application/xhtml") || !strcmp(mime, "text/xhtml") || !strcmp(mime, "application/html"))
		return 1;
	if (*mime && strcmp(mime, "application/octet-stream") && strcmp(mime, "unknown/unknown") &&
	    strcmp(mime, "application/unknown") && strcmp(mime, "*/*") && strcmp(mime, "binary/octet-stream"))
		return 0;
	/* generic or missing type: sniff like a browser would (markup at the start) */
	const char *p = body, *e = body + WN_MIN(n, (size_t)1024);
	if (e - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < e && isspace((unsigned char)*p))
		p++;
	if (ci_prefix(p, e, "<?xml")) {
		const char *q = memchr(p, '>', (size_t)(e - p));
		if (!q)
			return 0;
		for (p = q + 1; p < e && isspace((unsigned char)*p);)
			p++;
	}
	while (ci_prefix(p, e, "<!--")) {
		const char *q = memmem(p, (size_t)(e - p), "-->", 3);
		if (!q)
			return 0;
		for (p = q + 3; p < e && isspace((unsigned char)*p);)
			p++;
	}
	return ci_prefix(p, e, "<!doctype html") || ci_prefix(p, e, "<html") || ci_prefix(p, e, "<head") ||
	       ci_prefix(p, e, "<body") || ci_prefix(p, e, "<title");
}

/* ---- UTF-8 ---- */

size_t wn_utf8_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		/* ASCII runs 8 bytes at a time: most pages are mostly ASCII */
		while (i + 8 <= n) {
			uint64_t v;
			memcpy(&v, p + i, 8);
			if (v & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned min;
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, min = 0x10000;
		else
			return i;
		if (i + len > n)
			return i;
		unsigned cp = c & (0xff >> (len + 1));
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += len;
	}
	return n;
}

#define NCONV 8
struct wn_utf8conv {
	struct {
		char name[48];
		iconv_t cd; /* (iconv_t)-1 when unsupported */
	} c[NCONV];
	int n, next;
};

struct wn_utf8conv *wn_utf8conv_new(void)
{
	return wn_xcalloc(1, sizeof(struct wn_utf8conv));
}

void wn_utf8conv_free(struct wn_utf8conv *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		if (c->c[i].cd != (iconv_t)-1)
			iconv_close(c->c[i].cd);
	free(c);
}

static iconv_t conv_get(struct wn_utf8conv *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].name, name)) {
			iconv(c->c[i].cd, NULL, NULL, NULL, NULL);
			return c->c[i].cd;
		}
	int i = c->n < NCONV ? c->n++ : c->next++ % NCONV;
	if (i < c->n && c->c[i].name[0] && c->c[i].cd != (iconv_t)-1)
		iconv_close(c->c[i].cd);
	snprintf(c->c[i].name, sizeof c->c[i].name, "%s", name);
	c->c[i].cd = iconv_open("UTF-8", name);
	return c->c[i].cd;
}

/* WHATWG: these labels all mean windows-1252 in practice. */
static void norm_charset(const char *in, char *out, size_t cap)
{
	char tmp[48];
	size_t k = 0;
	for (; in[k] && k + 1 < sizeof tmp; k++)
		tmp[k] = (char)tolower((unsigned char)in[k]);
	tmp[k] = '\0';
	static const char *w1252[] = { "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii",
				       "cp1252", "x-cp1252", "windows-1252", "iso_8859-1", "cp819", "ibm819" };
	for (size_t i = 0; i < WN_ARRAY_SIZE(w1252); i++)
		if (!strcmp(tmp, w1252[i])) {
			snprintf(out, cap, "windows-1252");
			return;
		}
	if (!strcmp(tmp, "utf8") || !strcmp(tmp, "unicode-1-1-utf-8") || !strcmp(tmp, "x-unicode20utf8"))
		snprintf(out, cap, "utf-8");
	else if (!strcmp(tmp, "gb2312") || !strcmp(tmp, "gbk") || !strcmp(tmp, "x-gbk"))
		snprintf(out, cap, "gb18030"); /* superset, as browsers decode them */
	else if (!strcmp(tmp, "shift-jis") || !strcmp(tmp, "sjis") || !strcmp(tmp, "x-sjis"))
		snprintf(out, cap, "shift_jis");
	else
		snprintf(out, cap, "%s", tmp);
}

/* <meta charset=...> or <meta http-equiv=... content="...charset=..."> in
 * the first 4 KiB. */
static int meta_charset(const char *p, size_t n, char *out, size_t cap)
{
	const char *e = p + WN_MIN(n, (size_t)4096);
	for (const char *q = p; q < e;) {
		const char *m = memchr(q, '<', (size_t)(e - q));
		if (!m)
			return 0;
		q = m + 1;
		if (e - q < 5 || strncasecmp(q, "meta", 4) || !(isspace((unsigned char)q[4]) || q[4] == '/'))
			continue;
		const char *te = memchr(q, '>', (size_t)(e - q));
		if (!te)
			return 0;
		for (const char *c = q; c + 7 < te; c++) {
			if (strncasecmp(c, "charset", 7))
				continue;
			c += 7;
			while (c < te && isspace((unsigned char)*c))
				c++;
			if (c >= te || *c != '=')
				continue;
			c++;
			while (c < te && (isspace((unsigned char)*c) || *c == '"' || *c == '\''))
				c++;
			size_t k = 0;
			while (c < te && k + 1 < cap && (isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.' || *c == ':'))
				out[k++] = *c++;
			out[k] = '\0';
			if (k)
				return 1;
		}
		q = te;
	}
	return 0;
}

static void iconv_all(iconv_t cd, const char *p, size_t n, struct wn_buf *out, unsigned *repairs)
{
	wn_buf_reset(out);
	char *in = (char *)p;
	size_t inleft = n;
	while (inleft) {
		wn_buf_grow(out, inleft * 2 + 16);
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1, o0 = oleft;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		wn_buf_setlen(out, out->len + (o0 - oleft));
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ or EINVAL: one bad byte becomes U+FFFD, then go on */
			wn_buf_add(out, "\xef\xbf\xbd", 3);
			in++;
			inleft--;
			*repairs |= WN_HTTP_REPAIR_BAD_UTF8;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
}

void wn_to_utf8(struct wn_utf8conv *c, const char *p, size_t n, const char *declared, int sniff_meta,
		struct wn_buf *out_buf, const char **out, size_t *outlen, char *used, size_t usedlen,
		unsigned *repairs)
{
	char cs[48] = "";
	const unsigned char *u = (const unsigned char *)p;
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		p += 3, n -= 3;
		snprintf(cs, sizeof cs, "utf-8");
	} else if (n >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		snprintf(cs, sizeof cs, "utf-16le");
		p += 2, n -= 2;
	} else if (n >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		snprintf(cs, sizeof cs, "utf-16be");
		p += 2, n -= 2;
	} else if (declared && *declared) {
		norm_charset(declared, cs, sizeof cs);
	} else if (sniff_meta) {
		char m[48];
		if (meta_charset(p, n, m, sizeof m))
			norm_charset(m, cs, sizeof cs);
	}
	/* a page labelled utf-16 without a BOM is almost always ASCII-compatible */
	if (!strncmp(cs, "utf-16", 6) && !(n >= 2 && (u[0] == 0xff || u[0] == 0xfe)) && p == (const char *)u)
		cs[0] = '\0';
	size_t valid = wn_utf8_prefix(p, n);
	if (!*cs || !strcmp(cs, "utf-8")) {
		if (valid == n || *cs) {
			if (valid != n)
				*repairs |= WN_HTTP_REPAIR_BAD_UTF8; /* the JSON encoder replaces them */
			snprintf(used, usedlen, "utf-8");
			*out = p;
			*outlen = n;
			return;
		}
		snprintf(cs, sizeof cs, "windows-1252");
	}
	/* pure ASCII is the same in every charset we will meet (not UTF-16) */
	if (strncmp(cs, "utf-16", 6)) {
		size_t i = 0;
		while (i < n && !(p[i] & 0x80))
			i++;
		if (i == n) {
			snprintf(used, usedlen, "%s", cs);
			*out = p;
			*outlen = n;
			return;
		}
	}
	iconv_t cd = conv_get(c, cs);
	if (cd == (iconv_t)-1) {
		/* unknown label: UTF-8 if it is, else the web default */
		if (valid == n) {
			snprintf(used, usedlen, "utf-8");
			*out = p;
			*outlen = n;
			return;
		}
		snprintf(cs, sizeof cs, "windows-1252");
		cd = conv_get(c, cs);
		if (cd == (iconv_t)-1) {
			snprintf(used, usedlen, "utf-8");
			*out = p;
			*outlen = n;
			*repairs |= WN_HTTP_REPAIR_BAD_UTF8;
			return;
		}
	}
	iconv_all(cd, p, n, out_buf, repairs);
	snprintf(used, usedlen, "%s", cs);
	*out = out_buf->data;
	*outlen = out_buf->len;
}
