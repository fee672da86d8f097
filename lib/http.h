/*
 * http.h -- the HTTP side of a WARC response record: status line and
 * headers, the entity body with transfer and content encodings removed, and
 * the page's charset and conversion to UTF-8.
 *
 * Real crawls lie, so everything here is liberal and reports what it had to
 * repair (WN_HTTP_REPAIR_* bits) instead of failing: headers ending in bare
 * LF; Transfer-Encoding: chunked on a body that is not chunked, or chunking
 * that breaks off (the decoded part and the rest are kept); Content-Encoding
 * gzip/deflate on bytes that are not compressed (decoded only when the bytes
 * really are), a compressed body cut short (the decoded prefix is kept), a
 * gzip body without a Content-Encoding header.
 *
 * Ownership: wn_http_parse fills a view into the caller's bytes (valid as
 * long as they are). wn_http_body and wn_to_utf8 return either the input or
 * the contents of a caller-provided buffer, which they reset and reuse.
 */
#ifndef WN_HTTP_H
#define WN_HTTP_H

#include "buf.h"

enum {
	WN_HTTP_REPAIR_BARE_LF = 1 << 0,     /* header lines end in LF */
	WN_HTTP_REPAIR_NOT_CHUNKED = 1 << 1, /* declared chunked, body was not */
	WN_HTTP_REPAIR_BAD_CHUNKED = 1 << 2, /* chunked framing broke off; rest kept raw */
	WN_HTTP_REPAIR_FAKE_ENCODING = 1 << 3, /* Content-Encoding on plain bytes */
	WN_HTTP_REPAIR_BAD_COMPRESSED = 1 << 4, /* compressed body cut short or corrupt */
	WN_HTTP_REPAIR_UNDECLARED_GZIP = 1 << 5, /* gzip bytes, no Content-Encoding */
	WN_HTTP_REPAIR_NO_BODY_SEP = 1 << 6, /* no blank line after the headers */
	WN_HTTP_REPAIR_BAD_UTF8 = 1 << 7,    /* invalid bytes for the charset (replaced) */
};
#define WN_HTTP_NREPAIRS 8
/* Stats name of repair bit i ("http-bare-lf", ...). */
const char *wn_http_repair_name(int bit);

struct wn_http {
	int status;           /* 100..999 */
	const char *body;     /* raw entity body as stored */
	size_t body_len;
	char mime[96];        /* Content-Type without parameters, lowercased; "" when absent */
	char charset[48];     /* charset parameter, lowercased; "" when absent */
	char encoding[32];    /* Content-Encoding, lowercased; "" when absent */
	int chunked;          /* Transfer-Encoding contains "chunked" */
	const char *location; /* Location header (not NUL-terminated) or NULL */
	size_t location_len;
	unsigned repairs;
};

/* Parse a response: "HTTP/x.y NNN ..." then headers. Returns 0, or -1 when
 * p does not start with an HTTP status line. */
int wn_http_parse(const char *p, size_t n, struct wn_http *h);

/* Split a Content-Type value into its MIME type (lowercased, no
 * parameters) and its charset parameter (lowercased, "" when none). */
void wn_content_type(const char *v, size_t n, char *mime, size_t mimecap, char *charset, size_t cscap);

/* The entity body with chunking and content encoding removed, at most
 * max_out bytes (more is cut, with BAD_COMPRESSED). *out points into the
 * record or into tmp/tmp2. Returns 0, or -1 for a content encoding we cannot
 * decode on a body that does not look like plain text (br, compress). */
int wn_http_body(struct wn_http *h, struct wn_buf *tmp, struct wn_buf *tmp2, size_t max_out,
		 const char **out, size_t *outlen);

/* Does this look like an HTML or XHTML page? mime from the header ("" when
 * unknown or generic); the body is sniffed only when the type is generic. */
int wn_is_html(const char *mime, const char *body, size_t n);

/* Charset conversion to UTF-8, with a cache of iconv handles. */
struct wn_utf8conv;
struct wn_utf8conv *wn_utf8conv_new(void);
void wn_utf8conv_free(struct wn_utf8conv *c);
/* Decide the charset of a page (BOM, then `declared` (may be NULL or ""),
 * then a <meta> charset in the first 4 KiB, then UTF-8 if the bytes are
 * valid, else windows-1252) and convert to UTF-8. *out is p itself (minus a
 * BOM) when no conversion was needed, else out_buf's data. `used` receives
 * the charset applied (lowercased), `*repairs` gets BAD_UTF8 when bytes
 * had to be replaced by U+FFFD. */
void wn_to_utf8(struct wn_utf8conv *c, const char *p, size_t n, const char *declared, int sniff_meta,
		struct wn_buf *out_buf, const char **out, size_t *outlen, char *used, size_t usedlen,
		unsigned *repairs);

/* Length of the longest valid UTF-8 prefix of p[0..n). */
size_t wn_utf8_prefix(const char *p, size_t n);

#endif
