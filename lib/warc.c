/* warc.c -- streaming WARC record reader; see warc.h. */
#include "warc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hash.h"
#include "http.h"

#define MAX_HEADER (1024 * 1024)

/* A field as offsets from the record start: the window may move while the
 * block is read, so pointers are made only at the end. */
struct fld_off {
	size_t n, nlen, v, vlen;
};

struct wn_warc {
	struct wn_din *d;
	size_t pending;    /* bytes of the last record still to consume */
	uint64_t max_block;
	struct fld_off *fo;
	size_t nfo, focap;
	struct wn_buf hdr; /* header copy for too_large records; ARC headers as WARC fields */
	int arc;           /* the file is an ARC (filedesc:// first) */
};

struct wn_warc *wn_warc_new(struct wn_din *d)
{
	struct wn_warc *w = wn_xcalloc(1, sizeof *w);
	w->d = d;
	w->max_block = 256u << 20;
	wn_buf_init(&w->hdr);
	return w;
}

void wn_warc_free(struct wn_warc *w)
{
	if (!w)
		return;
	free(w->fo);
	wn_buf_release(&w->hdr);
	free(w);
}

void wn_warc_set_max_block(struct wn_warc *w, uint64_t n) { w->max_block = n; }

void wn_warc_rec_init(struct wn_warc_rec *r)
{
	memset(r, 0, sizeof *r);
}

void wn_warc_rec_release(struct wn_warc_rec *r)
{
	free(r->f);
	wn_warc_rec_init(r);
}

const char *wn_warc_get(const struct wn_warc_rec *r, const char *name, size_t *len)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].nlen == n && !strncasecmp(r->f[i].name, name, n)) {
			*len = r->f[i].vlen;
			return r->f[i].val;
		}
	return NULL;
}

int wn_warc_is(const struct wn_warc_rec *r, const char *name, const char *val)
{
	size_t n;
	const char *v = wn_warc_get(r, name, &n);
	return v && n == strlen(val) && !strncasecmp(v, val, n);
}

/* Does p[0..n) start a WARC header line ("WARC/" and a digit)? Missing
 * bytes at the end of input count as a match only when all present match. */
static int is_warc_start(const char *p, size_t n)
{
	static const char m[] = "WARC/";
	for (size_t i = 0; i < 5; i++)
		if (i >= n || p[i] != m[i])
			return 0;
	return n > 5 && p[5] >= '0' && p[5] <= '9';
}

/* First "\nWARC/<digit>" in p[from..n): offset of the 'W', or -1. */
static int64_t find_warc_line(const char *p, size_t from, size_t n)
{
	size_t i = from;
	while (i + 7 <= n) {
		const char *q = memmem(p + i, n - i, "\nWARC/", 6);
		if (!q)
			return -1;
		size_t at = (size_t)(q - p) + 1;
		if (at + 5 < n && p[at + 5] >= '0' && p[at + 5] <= '9')
			return (int64_t)at;
		i = at;
	}
	return -1;
}

static size_t trim_crlf(const char *p, size_t start, size_t end)
{
	size_t k = 0;
	while (end > start && k < 4 && (p[end - 1] == '\n' || p[end - 1] == '\r'))
		end--, k++;
	return end;
}

/* Skip garbage up to the next WARC header line, consuming as it goes so a
 * long run of garbage does not grow the window. Returns bytes skipped. */
static uint64_t skip_garbage(struct wn_din *d)
{
	uint64_t skipped = 0;
	for (;;) {
		size_t a = wn_din_fill(d, 64 * 1024);
		const char *p = wn_din_ptr(d);
		if (a == 0)
			return skipped;
		int64_t at = find_warc_line(p, 0, a);
		if (at >= 0) {
			wn_din_consume(d, (size_t)at);
			return skipped + (uint64_t)at;
		}
		if (a < 64 * 1024 && wn_din_fill(d, a + 1) == a) { /* end of input */
			wn_din_consume(d, a);
			return skipped + a;
		}
		size_t keep = a > 7 ? 7 : a; /* "\nWARC/1" may straddle */
		wn_din_consume(d, a - keep);
		skipped += a - keep;
	}
}

/* Parse the header p[0..hlen) (version line, fields, blank line) into w->fo. */
static void parse_header(struct wn_warc *w, struct wn_warc_rec *r, const char *p, size_t hlen, size_t *vlen)
{
	w->nfo = 0;
	const char *e = p + hlen;
	const char *nl = memchr(p, '\n', hlen);
	size_t l = (size_t)(nl - p);
	if (l > 0 && p[l - 1] == '\r')
		l--;
	else
		r->repairs |= WN_WARC_REPAIR_BARE_LF;
	*vlen = l;
	const char *s = nl + 1;
	while (s < e) {
		nl = memchr(s, '\n', (size_t)(e - s));
		if (!nl)
			nl = e;
		const char *le = nl;
		if (le > s && le[-1] == '\r')
			le--;
		else if (le > s)
			r->repairs |= WN_WARC_REPAIR_BARE_LF;
		if (le == s)
			break; /* the blank line */
		if ((*s == ' ' || *s == '\t') && w->nfo) {
			/* folded continuation: extend the previous value */
			struct fld_off *f = &w->fo[w->nfo - 1];
			f->vlen = (size_t)(le - p) - f->v;
		} else {
			const char *c = memchr(s, ':', (size_t)(le - s));
			if (!c) {
				r->repairs |= WN_WARC_REPAIR_BAD_LINE;
			} else {
				const char *ne = c;
				while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
					ne--;
				const char *v = c + 1;
				while (v < le && (*v == ' ' || *v == '\t'))
					v++;
				const char *ve = le;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
					ve--;
				WN_GROW(w->fo, w->focap, w->nfo + 1);
				struct fld_off *f = &w->fo[w->nfo++];
				f->n = (size_t)(s - p);
				f->nlen = (size_t)(ne - s);
				f->v = (size_t)(v - p);
				f->vlen = (size_t)(ve - v);
			}
		}
		s = nl + 1;
	}
}

static void make_fields(struct wn_warc *w, struct wn_warc_rec *r, const char *base)
{
	WN_GROW(r->f, r->fcap, w->nfo + 1);
	for (size_t i = 0; i < w->nfo; i++) {
		r->f[i].name = base + w->fo[i].n;
		r->f[i].nlen = w->fo[i].nlen;
		r->f[i].val = base + w->fo[i].v;
		r->f[i].vlen = w->fo[i].vlen;
	}
	r->nf = w->nfo;
	r->version = base;
}

static int64_t content_length(struct wn_warc *w, const char *p)
{
	for (size_t i = 0; i < w->nfo; i++) {
		const struct fld_off *f = &w->fo[i];
		if (f->nlen == 14 && !strncasecmp(p + f->n, "Content-Length", 14)) {
			if (f->vlen == 0 || f->vlen > 18)
				return -1;
			int64_t v = 0;
			for (size_t k = 0; k < f->vlen; k++) {
				char c = p[f->v + k];
				if (c < '0' || c > '9')
					return -1;
				v = v * 10 + (c - '0');
			}
			return v;
		}
	}
	return -1;
}

/* Find the end of the header: the first empty line (CRLF or bare LF).
 * Returns its length including the blank line, 0 when not found in n. */
static size_t header_end(const char *p, size_t n)
{
	const char *q = p, *e = p + n;
	while ((q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
		q++;
		if (q < e && *q == '\n')
			return (size_t)(q + 1 - p);
		if (q + 1 < e && q[0] == '\r' && q[1] == '\n')
			return (size_t)(q + 2 - p);
	}
	return 0;
}

static int damage(struct wn_warc_rec *r, char *err, size_t errlen, const char *fmt, ...) WN_PRINTF(4, 5);
static int damage(struct wn_warc_rec *r, char *err, size_t errlen, const char *fmt, ...)
{
	WN_UNUSED(r);
	va_list ap;
	va_start(ap, fmt);
	char msg[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return wn_err(err, errlen, "%s", msg);
}

/* ARC (the Internet Archive's format before WARC): each record is one line
 * "URL IP DATE MIME [v2 fields...] LENGTH" then LENGTH bytes and a newline;
 * the first, filedesc://, describes the file. The line becomes WARC fields
 * (response / warcinfo, Target-URI, Date, Content-Type) so the rest of
 * ingest sees WARC records. */
static int arc_next(struct wn_warc *w, struct wn_warc_rec *r, uint64_t start, char *err, size_t errlen)
{
	struct wn_din *d = w->d;
	size_t a = wn_din_fill(d, 4096);
	const char *p = wn_din_ptr(d);
	const char *nl = memchr(p, '\n', a);
	if (!nl) {
		wn_din_consume(d, a);
		return damage(r, err, errlen, "ARC record header without an end of line");
	}
	size_t ll = (size_t)(nl - p), nt = 0;
	const char *tok[16];
	size_t tl[16];
	for (size_t i = 0; i < ll && nt < 16;) {
		while (i < ll && (p[i] == ' ' || p[i] == '\r'))
			i++;
		if (i >= ll)
			break;
		tok[nt] = p + i;
		while (i < ll && p[i] != ' ' && p[i] != '\r')
			i++;
		tl[nt] = (size_t)(p + i - tok[nt]);
		nt++;
	}
	int64_t len = nt >= 5 ? 0 : -1;
	for (size_t k = 0; len >= 0 && nt >= 5 && k < tl[nt - 1]; k++)
		len = tok[nt - 1][k] >= '0' && tok[nt - 1][k] <= '9' && k < 18 ? len * 10 + (tok[nt - 1][k] - '0') : -1;
	if (len < 0) {
		wn_din_consume(d, ll + 1);
		return damage(r, err, errlen, "not an ARC record header (%zu bytes skipped)", ll + 1);
	}
	if ((uint64_t)len > w->max_block) {
		wn_din_consume(d, ll + 1);
		return damage(r, err, errlen, "ARC record of %lld bytes is over the size limit", (long long)len);
	}
	int desc = tl[0] >= 11 && !memcmp(tok[0], "filedesc://", 11);
	wn_buf_reset(&w->hdr);
	wn_buf_addf(&w->hdr, "ARC/1\r\nWARC-Type: %s\r\nWARC-Target-URI: %.*s\r\nWARC-Date: %.*s\r\n",
		    desc ? "warcinfo" : "response", (int)tl[0], tok[0], (int)tl[2], tok[2]);
	size_t hl = ll + 1;
	a = wn_din_fill(d, hl + (size_t)len + 1);
	p = wn_din_ptr(d);
	int http = a >= hl + 5 && !memcmp(p + hl, "HTTP/", 5);
	wn_buf_addf(&w->hdr, "Content-Type: %.*s\r\nContent-Length: %lld\r\n\r\n", http ? 16 : (int)tl[3],
		    http ? "application/http" : tok[3], (long long)len);
	if (a < hl + (size_t)len || wn_din_gap_in(d, start, start + hl + (size_t)len, NULL) >= 0) {
		const char *gap = NULL;
		int64_t g = wn_din_gap_in(d, start, start + hl + (size_t)len, &gap);
		if (g >= 0) {
			wn_din_take_gap(d, (uint64_t)g, NULL);
			wn_din_consume(d, (size_t)((uint64_t)g - start));
			return damage(r, err, errlen, "ARC record cut short: %s", gap);
		}
		wn_din_consume(d, a);
		return damage(r, err, errlen, "ARC record truncated: length %lld but only %zu bytes before the end",
			      (long long)len, a - hl);
	}
	size_t vlen;
	r->repairs = 0;
	parse_header(w, r, w->hdr.data, w->hdr.len, &vlen);
	r->version_len = vlen;
	make_fields(w, r, w->hdr.data);
	r->declared_len = len;
	r->block = p + hl;
	r->block_len = (size_t)len;
	w->pending = hl + (size_t)len;
	return 1;
}

int wn_warc_next(struct wn_warc *w, struct wn_warc_rec *r, char *err, size_t errlen)
{
	struct wn_din *d = w->d;
	if (w->pending) {
		wn_din_consume(d, w->pending);
		w->pending = 0;
	}
	r->nf = 0;
	r->block = NULL;
	r->block_len = 0;
	r->repairs = 0;
	r->too_large = 0;
	r->declared_len = -1;
	/* the blank lines that end the previous record (any number, liberally) */
	for (;;) {
		size_t a = wn_din_fill(d, 1);
		const char *p = wn_din_ptr(d);
		size_t k = 0;
		while (k < a && (p[k] == '\r' || p[k] == '\n'))
			k++;
		wn_din_consume(d, k);
		if (k < a || a == 0)
			break;
	}
	uint64_t start = wn_din_pos(d);
	r->uoffset = start;
	r->offset = wn_din_member_offset(d, start, &r->offset_exact);
	wn_din_forget(d, start);
	const char *gap = wn_din_take_gap(d, start, &r->offset);
	if (gap)
		return wn_err(err, errlen, "%s", gap);
	size_t a = wn_din_fill(d, 8);
	/* decoding may have found damage just before this record */
	if ((gap = wn_din_take_gap(d, start, &r->offset)) != NULL)
		return wn_err(err, errlen, "%s", gap);
	if (a == 0)
		return 0;
	if (a >= 11 && !memcmp(wn_din_ptr(d), "filedesc://", 11))
		w->arc = 1;
	if (w->arc && !is_warc_start(wn_din_ptr(d), a))
		return arc_next(w, r, start, err, errlen);
	if (!is_warc_start(wn_din_ptr(d), a)) {
		uint64_t n = skip_garbage(d);
		gap = wn_din_take_gap(d, wn_din_pos(d), NULL);
		if (gap)
			return damage(r, err, errlen, "%llu bytes that are not a WARC record skipped (%s)",
				      (unsigned long long)n, gap);
		return damage(r, err, errlen, "%llu bytes that are not a WARC record skipped%s",
			      (unsigned long long)n, wn_din_avail(d) ? "" : " (to the end of the input)");
	}
	/* header */
	size_t hlen = 0;
	for (size_t want = 4096;; want *= 2) {
		a = wn_din_fill(d, want);
		hlen = header_end(wn_din_ptr(d), a);
		if (hlen || a < want)
			break;
		if (want >= MAX_HEADER) {
			wn_din_consume(d, 5);
			return damage(r, err, errlen, "record header longer than %d bytes", MAX_HEADER);
		}
	}
	if (!hlen) {
		int64_t g = wn_din_gap_in(d, start, start + a + 1, &gap);
		wn_din_consume(d, a);
		if (g >= 0)
			wn_din_take_gap(d, (uint64_t)g, NULL);
		return damage(r, err, errlen, "record header cut short%s%s", g >= 0 ? ": " : " by the end of the input",
			      g >= 0 ? gap : "");
	}
	size_t vlen;
	parse_header(w, r, wn_din_ptr(d), hlen, &vlen);
	r->version_len = vlen;
	int64_t cl = content_length(w, wn_din_ptr(d));
	r->declared_len = cl;
	int64_t g = wn_din_gap_in(d, start, start + hlen, &gap);
	if (g >= 0) {
		wn_din_take_gap(d, (uint64_t)g, NULL);
		wn_din_consume(d, (size_t)((uint64_t)g - start));
		return damage(r, err, errlen, "record header damaged: %s", gap);
	}
	if (cl >= 0 && (uint64_t)cl > w->max_block) {
		/* stream past it: keep a copy of the header for the fields */
		wn_buf_reset(&w->hdr);
		wn_buf_add(&w->hdr, wn_din_ptr(d), hlen);
		wn_din_consume(d, hlen);
		uint64_t left = (uint64_t)cl;
		while (left) {
			size_t n = wn_din_fill(d, 1);
			if (!n)
				break;
			if (n > left)
				n = (size_t)left;
			wn_din_consume(d, n);
			left -= n;
		}
		make_fields(w, r, w->hdr.data);
		r->too_large = 1;
		g = wn_din_gap_in(d, start, wn_din_pos(d) + 1, &gap);
		if (left || g >= 0) {
			if (g >= 0)
				wn_din_take_gap(d, (uint64_t)g, NULL);
			return damage(r, err, errlen, "oversized record cut short%s%s", g >= 0 ? ": " : "", g >= 0 ? gap : "");
		}
		return 1;
	}
	/* block, then check that what follows is the trailer and a new record */
	size_t end = 0, next = 0;
	if (cl >= 0) {
		size_t want = hlen + (size_t)cl + 16;
		a = wn_din_fill(d, want);
		const char *p = wn_din_ptr(d);
		size_t be = hlen + (size_t)cl;
		if (a >= be) {
			size_t t = be, k = 0;
			while (t < a && k < 4 && (p[t] == '\r' || p[t] == '\n'))
				t++, k++;
			if (t == a || is_warc_start(p + t, a - t) || (a - t < 6 && !memcmp(p + t, "WARC/", a - t))) {
				if (k != 4 || memcmp(p + be, "\r\n\r\n", 4))
					if (!(t == a && k == 0 && a < want)) /* no trailer at all at the very end: fine */
						r->repairs |= WN_WARC_REPAIR_TRAILER;
				end = be;
				next = be;
			}
		}
		if (!end && a >= be + 4 && !memcmp(p + be, "\r\n\r\n", 4)) {
			/* a proper trailer: the length is right and whatever follows
			 * is garbage between records, reported by the next call */
			end = be;
			next = be;
		}
		if (!end) {
			/* Content-Length disagrees with the data: re-cut at the next record header */
			int64_t at = find_warc_line(p, hlen, WN_MIN(a, be));
			if (at >= 0) {
				r->repairs |= WN_WARC_REPAIR_CL_LONG;
				end = trim_crlf(p, hlen, (size_t)at);
				next = (size_t)at;
			} else if (a < be) {
				g = wn_din_gap_in(d, start, start + a + 1, &gap);
				wn_din_consume(d, a);
				if (g >= 0) {
					wn_din_take_gap(d, (uint64_t)g, NULL);
					return damage(r, err, errlen, "record cut short after %zu of %lld block bytes: %s",
						      a - hlen, (long long)cl, gap);
				}
				return damage(r, err, errlen,
					      "record truncated: Content-Length %lld but only %zu bytes before the end of the input",
					      (long long)cl, a - hlen);
			} else {
				r->repairs |= WN_WARC_REPAIR_CL_SHORT;
			}
		}
	} else {
		r->repairs |= WN_WARC_REPAIR_CL_MISSING;
	}
	if (!end) {
		/* search forward from the declared end (or the header) for the next record */
		size_t from = cl >= 0 ? hlen + (size_t)cl : hlen;
		for (size_t want = from + 64 * 1024;; want *= 2) {
			a = wn_din_fill(d, want);
			int64_t at = find_warc_line(wn_din_ptr(d), from > 0 ? from - 1 : 0, a);
			if (at >= 0) {
				end = trim_crlf(wn_din_ptr(d), hlen, (size_t)at);
				next = (size_t)at;
				break;
			}
			if (a < want || a - hlen > w->max_block) {
				end = trim_crlf(wn_din_ptr(d), hlen, a);
				next = a;
				break;
			}
			from = a > 8 ? a - 8 : 0;
		}
	}
	g = wn_din_gap_in(d, start, start + end, &gap);
	if (g >= 0) {
		wn_din_take_gap(d, (uint64_t)g, NULL);
		wn_din_consume(d, (size_t)((uint64_t)g - start));
		return damage(r, err, errlen, "record cut short after %llu of %lld block bytes: %s",
			      (unsigned long long)((uint64_t)g - start) - WN_MIN(hlen, (size_t)((uint64_t)g - start)),
			      (long long)cl, gap);
	}
	const char *base = wn_din_ptr(d);
	make_fields(w, r, base);
	r->block = base + hlen;
	r->block_len = end - hlen;
	w->pending = next;
	return 1;
}

/* ---- digests ---- */

int wn_warc_digest_check(const char *digest, size_t n, const void *p, size_t len)
{
	if (n < 6 || strncasecmp(digest, "sha1:", 5))
		return -1;
	digest += 5, n -= 5;
	unsigned char h[20];
	wn_sha1_raw(p, len, h);
	if (n == 40) { /* some writers use hex */
		static const char hx[] = "0123456789abcdef";
		for (size_t i = 0; i < 20; i++)
			if (tolower((unsigned char)digest[2 * i]) != hx[h[i] >> 4] ||
			    tolower((unsigned char)digest[2 * i + 1]) != hx[h[i] & 15])
				return 0;
		return 1;
	}
	if (n == 28 || n == 27) { /* base64, as some tools write it */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned char got[21];
		size_t k = 0;
		uint32_t acc = 0;
		int bits = 0;
		for (size_t i = 0; i < n && digest[i] != '='; i++) {
			const char *c = memchr(b64, digest[i], 64);
			if (!c)
				return 0;
			acc = acc << 6 | (uint32_t)(c - b64);
			bits += 6;
			if (bits >= 8 && k < sizeof got) {
				bits -= 8;
				got[k++] = (unsigned char)(acc >> bits);
			}
		}
		return k == 20 && !memcmp(got, h, 20);
	}
	if (n != 32)
		return 0;
	/* base32 (RFC 4648): 160 bits in 32 characters of 5 bits */
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	for (size_t i = 0; i < 32; i++) {
		size_t bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = (unsigned)h[byte] << 8 | (byte + 1 < 20 ? h[byte + 1] : 0);
		unsigned c = (v >> (11 - sh)) & 31;
		if (toupper((unsigned char)digest[i]) != b32[c])
			return 0;
	}
	return 1;
}

/* ---- the document in a record ---- */

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

static void reject(struct wn_warc_doc *doc, const char *reason)
{
	doc->kind = WN_DOC_REJECT;
	doc->reason = reason;
}

void wn_warc_doc(const struct wn_warc_rec *r, struct wn_buf *t1, struct wn_buf *t2, size_t max_out,
		 struct wn_warc_doc *doc)
{
	memset(doc, 0, sizeof *doc);
	size_t tn, ctn;
	const char *t = wn_warc_get(r, "WARC-Type", &tn);
	const char *ct = wn_warc_get(r, "Content-Type", &ctn);
	snprintf(doc->type, sizeof doc->type, "%.*s", t ? (int)WN_MIN(tn, sizeof doc->type - 1) : 0, t ? t : "");
	for (char *c = doc->type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	int response = !strcmp(doc->type, "response"), conversion = !strcmp(doc->type, "conversion");
	doc->has_page = response || conversion || !strcmp(doc->type, "resource");
	if (!doc->has_page) {
		static const char *known[] = { "warcinfo", "request", "metadata", "revisit", "continuation" };
		for (size_t i = 0; i < WN_ARRAY_SIZE(known); i++)
			if (!strcmp(doc->type, known[i]))
				return reject(doc, known[i]);
		return reject(doc, *doc->type ? "unknown-type" : "no-type");
	}
	if (r->too_large)
		return reject(doc, "too-large");
	const char *body = r->block;
	size_t bn = r->block_len;
	struct wn_http h;
	int http = response && ((ct && ctn >= 16 && !strncasecmp(ct, "application/http", 16)) ||
				wn_http_parse(body, bn, &h) == 0);
	if (http && wn_http_parse(body, bn, &h) < 0) {
		/* application/http without a status line: an HTTP/0.9 page is still a page */
		http = 0;
		if (!wn_is_html("", body, bn)) {
			doc->kind = WN_DOC_BAD;
			doc->reason = "malformed HTTP status line";
			return;
		}
		doc->no_status_line = 1;
		snprintf(doc->mime, sizeof doc->mime, "text/html");
	}
	doc->stored = body, doc->stored_len = bn;
	if (http) {
		doc->stored = h.body, doc->stored_len = h.body_len;
		snprintf(doc->mime, sizeof doc->mime, "%s", h.mime);
		snprintf(doc->charset, sizeof doc->charset, "%s", h.charset);
		doc->http_status = h.status;
	} else if (ct && !*doc->mime) {
		/* resource records: the WARC header describes the payload itself */
		wn_content_type(ct, ctn, doc->mime, sizeof doc->mime, doc->charset, sizeof doc->charset);
	}
	if (conversion) {
		doc->stored = NULL;
		doc->payload = body, doc->payload_len = bn;
		snprintf(doc->charset, sizeof doc->charset, "utf-8");
		if (blank(body, bn))
			return reject(doc, "empty");
		doc->kind = WN_DOC_TEXT;
		return;
	}
	if (http && h.status != 200)
		return reject(doc, h.status >= 300 && h.status < 400 ? "redirect" : "http-status");
	const char *p = body;
	size_t pn = bn;
	if (http) {
		int rc = wn_http_body(&h, t1, t2, max_out, &p, &pn);
		doc->http_repairs = h.repairs;
		if (rc < 0)
			return reject(doc, "content-encoding");
	} else if (response && strcmp(doc->mime, "text/html")) {
		return reject(doc, "not-html"); /* dns:, ftp: ... */
	}
	doc->payload = p, doc->payload_len = pn;
	size_t in;
	const char *ident = wn_warc_get(r, "WARC-Identified-Payload-Type", &in);
	char m[96];
	const char *decide = doc->mime;
	if (ident && (!*doc->mime || !strcmp(doc->mime, "application/octet-stream"))) {
		/* Common Crawl's own detection, when the server said nothing useful */
		snprintf(m, sizeof m, "%.*s", (int)WN_MIN(in, sizeof m - 1), ident);
		for (char *c = m; *c; c++)
			*c = *c == ';' ? '\0' : (char)tolower((unsigned char)*c);
		decide = m;
	}
	if (!wn_is_html(decide, p, pn))
		return reject(doc, "not-html");
	if (blank(p, pn))
		return reject(doc, "empty");
	doc->kind = WN_DOC_HTML;
}
