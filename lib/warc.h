/*
 * warc.h -- streaming WARC record reader (WARC/1.0, 1.1 and the older 0.17/
 * 0.18 of ClueWeb) over a wn_din (plain, whole-file gzip, per-record gzip,
 * zstd), liberal in what it accepts.
 *
 * One record at a time is held in memory (its header and block), so memory
 * is bounded by the largest record, and by max_block: a record whose block
 * is larger is streamed past and handed out with too_large set and no block.
 *
 * Liberal reading, each repair flagged in rec->repairs: header lines ending
 * in a bare LF; a wrong Content-Length (the block is re-cut at the next line
 * that starts a WARC record header when the bytes after the declared block
 * are not the CRLF CRLF trailer and a new record); a missing Content-Length.
 * Damage is reported, never fatal: garbage between records, a record cut
 * short by the end of the input or by corrupt compressed data. Then
 * wn_warc_next returns -1 with a message naming the offset, and the next call
 * resynchronises at the next "WARC/" line.
 *
 * Ownership: the reader borrows its wn_din (the caller frees it after
 * wn_warc_free). The pointers in a record (fields, block) point into the
 * reader's window and stay valid until the next wn_warc_next call.
 */
#ifndef WN_WARC_H
#define WN_WARC_H

#include "buf.h"
#include "sniff.h"

struct wn_warc_field {
	const char *name, *val; /* not NUL-terminated */
	size_t nlen, vlen;
};

enum {
	WN_WARC_REPAIR_BARE_LF = 1 << 0,   /* header lines end in LF, not CRLF */
	WN_WARC_REPAIR_CL_LONG = 1 << 1,   /* Content-Length larger than the block */
	WN_WARC_REPAIR_CL_SHORT = 1 << 2,  /* Content-Length smaller than the block */
	WN_WARC_REPAIR_CL_MISSING = 1 << 3, /* no usable Content-Length */
	WN_WARC_REPAIR_TRAILER = 1 << 4,   /* block not followed by CRLF CRLF */
	WN_WARC_REPAIR_BAD_LINE = 1 << 5,  /* a header line without ':' ignored */
};

struct wn_warc_rec {
	uint64_t offset;    /* file offset as stored: the record (plain) or its compressed member */
	int offset_exact;   /* 1 when the record starts at `offset` (plain, or one member per record) */
	uint64_t uoffset;   /* offset in the decompressed stream */
	const char *version; /* "WARC/1.0" (not NUL-terminated) */
	size_t version_len;
	struct wn_warc_field *f;
	size_t nf, fcap;
	const char *block;  /* NULL when too_large */
	size_t block_len;
	int64_t declared_len; /* Content-Length as written, -1 when absent */
	unsigned repairs;   /* WN_WARC_REPAIR_* */
	int too_large;
};

struct wn_warc;

struct wn_warc *wn_warc_new(struct wn_din *d);
void wn_warc_free(struct wn_warc *w);
/* Largest block held in memory (default 256 MiB). */
void wn_warc_set_max_block(struct wn_warc *w, uint64_t n);

void wn_warc_rec_init(struct wn_warc_rec *r);
void wn_warc_rec_release(struct wn_warc_rec *r);

/* Next record. Returns 1 (a record, maybe repaired), 0 at the end, or -1 on
 * damage: err says what, r->offset/uoffset where it was (or, for garbage,
 * where the skipped bytes began);
 * call again to go on. */
int wn_warc_next(struct wn_warc *w, struct wn_warc_rec *r, char *err, size_t errlen);

/* Value of header field `name` (ASCII case-insensitive; the first one), or
 * NULL; *len receives its length. */
const char *wn_warc_get(const struct wn_warc_rec *r, const char *name, size_t *len);
/* Does field `name` equal `val` (case-insensitive)? */
int wn_warc_is(const struct wn_warc_rec *r, const char *name, const char *val);

/* Check a WARC-Block-Digest / WARC-Payload-Digest value ("sha1:" and base32,
 * hex or base64) against p[0..len). Returns 1 match, 0 mismatch, -1 when the
 * algorithm is not sha1 (not checked). */
int wn_warc_digest_check(const char *digest, size_t n, const void *p, size_t len);

/* ---- what document a record holds (winnow-ingest's decision) ---- */

enum wn_warc_kind { WN_DOC_HTML, WN_DOC_TEXT, WN_DOC_REJECT, WN_DOC_BAD };

struct wn_warc_doc {
	enum wn_warc_kind kind;
	const char *reason;   /* REJECT: "request", "not-html", "redirect", ...; BAD: a message */
	int has_page;         /* the record carried a page (response, resource, conversion) */
	char type[32];        /* WARC-Type, lowercased ("" when absent) */
	char mime[96];        /* payload type, lowercased, no parameters ("" unknown) */
	char charset[48];     /* declared charset (HTTP header; "utf-8" for WET), "" when none */
	int http_status;      /* 0 when the record holds no HTTP response */
	unsigned http_repairs; /* WN_HTTP_REPAIR_* */
	int no_status_line;   /* application/http block without one, kept as HTML */
	const char *stored;   /* payload as stored (for WARC-Payload-Digest), NULL if none */
	size_t stored_len;
	const char *payload;  /* HTML / text, decoded (chunking, compression); charset not applied */
	size_t payload_len;
};

/* Decide what record r yields: a page's HTML (response 200 or resource of
 * an HTML type), WET text (conversion), or a rejection with its reason
 * (request, metadata, warcinfo, revisit, ..., redirect for 3xx, http-status,
 * not-html, empty, content-encoding, too-large), or BAD for a response whose
 * HTTP status line is malformed. t1/t2 are scratch buffers the payload may
 * point into; max_out caps decoded bodies. */
void wn_warc_doc(const struct wn_warc_rec *r, struct wn_buf *t1, struct wn_buf *t2, size_t max_out,
		 struct wn_warc_doc *doc);

#endif
