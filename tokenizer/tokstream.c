/* tokstream.c -- the token stream framing; see tokstream.h. */
#include "tokstream.h"
#include "json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds that keep a corrupt length field from asking for absurd
 * allocations: a header is small; an id or source tag is a short string. */
#define MAX_HEADER_JSON (1u << 20)
#define MAX_TAG (1u << 20)

void wn_tokstream_header_init(struct wn_tokstream_header *h)
{
	memset(h, 0, sizeof *h);
	h->eos_id = h->bos_id = h->pad_id = -1;
	wn_buf_init(&h->json);
}

void wn_tokstream_header_release(struct wn_tokstream_header *h)
{
	wn_buf_release(&h->json);
	wn_tokstream_header_init(h);
}

int wn_tokwriter_start(struct wn_tokwriter *tw, struct wn_writer *w, const struct wn_tokstream_header *h,
		       const char *extra_json, char *err, size_t errlen)
{
	tw->w = w;
	tw->ndocs = tw->ntokens = 0;
	struct wn_buf j = WN_BUF_INIT;
	wn_buf_addf(&j, "{\"vocab_size\":%" PRIu32 ",\"tokenizer_hash\":", h->vocab_size);
	wn_json_str_encode(&j, h->tokenizer_hash, strlen(h->tokenizer_hash));
	wn_buf_addf(&j, ",\"eos_id\":%" PRId64 ",\"bos_id\":%" PRId64 ",\"pad_id\":%" PRId64, h->eos_id, h->bos_id,
		    h->pad_id);
	if (extra_json && *extra_json) {
		wn_buf_addc(&j, ',');
		wn_buf_adds(&j, extra_json);
	}
	wn_buf_addc(&j, '}');
	if (wn_json_validate(j.data, j.len, err, errlen) < 0) {
		wn_buf_release(&j);
		return -1;
	}
	unsigned char len[4];
	wn_put_le32(len, (uint32_t)j.len);
	int rc = 0;
	if (wn_writer_write(w, WN_TOKSTREAM_MAGIC, 8) < 0 || wn_writer_write(w, len, 4) < 0 ||
	    wn_writer_write(w, j.data, j.len) < 0)
		rc = wn_err(err, errlen, "%s", wn_writer_error(w));
	wn_buf_release(&j);
	return rc;
}

int wn_tokwriter_doc(struct wn_tokwriter *tw, const uint32_t *tok, size_t n, const char *src, size_t srclen,
		     const char *id, size_t idlen)
{
	if (n >= WN_TOKSTREAM_END || srclen > MAX_TAG || idlen > MAX_TAG)
		return -1;
	unsigned char h[12];
	wn_put_le32(h, (uint32_t)n);
	wn_put_le32(h + 4, (uint32_t)srclen);
	wn_put_le32(h + 8, (uint32_t)idlen);
	if (wn_writer_write(tw->w, h, 12) < 0 || wn_writer_write(tw->w, src, srclen) < 0 ||
	    wn_writer_write(tw->w, id, idlen) < 0)
		return -1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (wn_writer_write(tw->w, tok, n * 4) < 0)
		return -1;
#else
	for (size_t i = 0; i < n; i++) {
		unsigned char b[4];
		wn_put_le32(b, tok[i]);
		if (wn_writer_write(tw->w, b, 4) < 0)
			return -1;
	}
#endif
	tw->ndocs++;
	tw->ntokens += n;
	return 0;
}

int wn_tokwriter_end(struct wn_tokwriter *tw)
{
	unsigned char t[20];
	wn_put_le32(t, WN_TOKSTREAM_END);
	wn_put_le64(t + 4, tw->ndocs);
	wn_put_le64(t + 12, tw->ntokens);
	return wn_writer_write(tw->w, t, 20);
}

void wn_tokdoc_init(struct wn_tokdoc *d)
{
	memset(d, 0, sizeof *d);
	wn_buf_init(&d->source);
	wn_buf_init(&d->id);
}

void wn_tokdoc_release(struct wn_tokdoc *d)
{
	free(d->tokens);
	wn_buf_release(&d->source);
	wn_buf_release(&d->id);
	wn_tokdoc_init(d);
}

/* Read exactly n bytes; returns 0, or -1 with err (short read = truncated). */
static int read_exact(struct wn_tokreader *tr, void *p, size_t n, const char *what, char *err, size_t errlen)
{
	ssize_t k = wn_reader_read(tr->r, p, n);
	if (k < 0)
		return wn_err(err, errlen, "%s", wn_reader_error(tr->r));
	if ((size_t)k != n)
		return wn_err(err, errlen, "%s: truncated token stream (in %s after %" PRIu64 " documents)",
			      wn_reader_name(tr->r), what, tr->ndocs);
	return 0;
}

static int read_tag(struct wn_tokreader *tr, struct wn_buf *b, uint32_t n, const char *what, char *err,
		    size_t errlen)
{
	wn_buf_reset(b);
	if (n > MAX_TAG)
		return wn_err(err, errlen, "%s: corrupt token stream (%s of %" PRIu32 " bytes)", wn_reader_name(tr->r),
			      what, n);
	wn_buf_grow(b, n);
	if (read_exact(tr, b->data, n, what, err, errlen) < 0)
		return -1;
	wn_buf_setlen(b, n);
	return 0;
}

static int header_int(const struct wn_jmember *m, int nm, const char *key, int64_t *out)
{
	for (int i = 0; i < nm; i++)
		if (wn_jmember_is(&m[i], key))
			return m[i].type == WN_J_NUMBER ? wn_json_int(m[i].val, m[i].vlen, out) : -1;
	return -1;
}

int wn_tokreader_open(struct wn_tokreader *tr, struct wn_reader *r, char *err, size_t errlen)
{
	memset(tr, 0, sizeof *tr);
	tr->r = r;
	wn_tokstream_header_init(&tr->h);
	unsigned char head[12];
	ssize_t k = wn_reader_read(r, head, 12);
	if (k < 0)
		return wn_err(err, errlen, "%s", wn_reader_error(r));
	if (k < 12 || memcmp(head, WN_TOKSTREAM_MAGIC, 8))
		return wn_err(err, errlen, "%s: not a winnow token stream (bad magic; expected output of winnow-tokenize)",
			      wn_reader_name(r));
	uint32_t hl = wn_get_le32(head + 8);
	if (hl > MAX_HEADER_JSON)
		return wn_err(err, errlen, "%s: corrupt token stream header", wn_reader_name(r));
	if (read_tag(tr, &tr->h.json, hl, "header", err, errlen) < 0)
		return -1;
	struct wn_jmember *m = NULL;
	size_t cap = 0;
	char jerr[128];
	int nm = wn_json_object_members(tr->h.json.data, tr->h.json.len, &m, &cap, jerr, sizeof jerr);
	int64_t vocab = -1;
	int rc = 0;
	if (nm < 0) {
		rc = wn_err(err, errlen, "%s: token stream header: %s", wn_reader_name(r), jerr);
	} else if (header_int(m, nm, "vocab_size", &vocab) < 0 || vocab <= 0 || vocab > UINT32_MAX) {
		rc = wn_err(err, errlen, "%s: token stream header lacks a valid vocab_size", wn_reader_name(r));
	} else {
		tr->h.vocab_size = (uint32_t)vocab;
		header_int(m, nm, "eos_id", &tr->h.eos_id);
		header_int(m, nm, "bos_id", &tr->h.bos_id);
		header_int(m, nm, "pad_id", &tr->h.pad_id);
		for (int i = 0; i < nm; i++)
			if (wn_jmember_is(&m[i], "tokenizer_hash") && m[i].type == WN_J_STRING) {
				struct wn_buf b = WN_BUF_INIT;
				wn_json_str_decode(m[i].val, m[i].vlen, &b);
				snprintf(tr->h.tokenizer_hash, sizeof tr->h.tokenizer_hash, "%s", b.data);
				wn_buf_release(&b);
			}
	}
	free(m);
	return rc;
}

int wn_tokreader_next(struct wn_tokreader *tr, struct wn_tokdoc *d, char *err, size_t errlen)
{
	if (tr->ended)
		return 0;
	unsigned char h[12];
	ssize_t k = wn_reader_read(tr->r, h, 4);
	if (k < 0)
		return wn_err(err, errlen, "%s", wn_reader_error(tr->r));
	if (k != 4)
		return wn_err(err, errlen, "%s: truncated token stream (no trailer after %" PRIu64 " documents)",
			      wn_reader_name(tr->r), tr->ndocs);
	uint32_t n = wn_get_le32(h);
	if (n == WN_TOKSTREAM_END) {
		unsigned char t[16];
		if (read_exact(tr, t, 16, "trailer", err, errlen) < 0)
			return -1;
		uint64_t nd = wn_get_le64(t), nt = wn_get_le64(t + 8);
		if (nd != tr->ndocs || nt != tr->ntokens)
			return wn_err(err, errlen,
				      "%s: token stream trailer says %" PRIu64 " documents / %" PRIu64
				      " tokens, read %" PRIu64 " / %" PRIu64,
				      wn_reader_name(tr->r), nd, nt, tr->ndocs, tr->ntokens);
		tr->ended = 1;
		return 0;
	}
	if (read_exact(tr, h + 4, 8, "document header", err, errlen) < 0)
		return -1;
	if (read_tag(tr, &d->source, wn_get_le32(h + 4), "source tag", err, errlen) < 0 ||
	    read_tag(tr, &d->id, wn_get_le32(h + 8), "document id", err, errlen) < 0)
		return -1;
	/* grow in steps while reading, so a corrupt count cannot make us
	 * allocate gigabytes before the stream runs out */
	d->ntokens = 0;
	size_t want = n;
	while (d->ntokens < want) {
		size_t chunk = WN_MIN(want - d->ntokens, (size_t)1 << 20);
		WN_GROW(d->tokens, d->cap, d->ntokens + chunk);
		if (read_exact(tr, d->tokens + d->ntokens, chunk * 4, "tokens", err, errlen) < 0)
			return -1;
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
		for (size_t i = d->ntokens; i < d->ntokens + chunk; i++)
			d->tokens[i] = wn_get_le32((unsigned char *)&d->tokens[i]);
#endif
		d->ntokens += chunk;
	}
	tr->ndocs++;
	tr->ntokens += n;
	return 1;
}

void wn_tokreader_release(struct wn_tokreader *tr)
{
	wn_tokstream_header_release(&tr->h);
}
