/*
 * record.h -- one JSONL document: a parsed view (wn_rec) and a builder for
 * the output line (wn_recout).
 *
 * A wn_rec is a validated top-level object whose members are raw spans into
 * the input line (see json.h). Stages read the fields they need
 * (wn_rec_get_str) and build their output with wn_recout, which copies every
 * member they did not touch verbatim (compacted), in the original order,
 * then appends new members. Fields under "metadata" are set with
 * wn_recout_meta_*: existing metadata members are kept in order, a member
 * with the same key is replaced in place, new ones are appended.
 *
 * Ownership: a wn_rec borrows its line; a wn_recout owns its buffer and the
 * copies of the values given to it; both are reused across records
 * (wn_rec_parse / wn_recout_begin reset them) and freed with _release.
 */
#ifndef WN_RECORD_H
#define WN_RECORD_H

#include "json.h"

struct wn_rec {
	const char *line;
	size_t len;
	struct wn_jmember *m; /* top-level members, in order */
	size_t nm, mcap;
};

void wn_rec_init(struct wn_rec *r);
void wn_rec_release(struct wn_rec *r);

/* Parse and validate a line as one JSON object. Returns 0, or -1 with a
 * message in err ("invalid JSON at byte 17: ...", "not an object"). */
int wn_rec_parse(struct wn_rec *r, const char *line, size_t len, char *err, size_t errlen);

/* The last member named key, or NULL (last wins, as in jansson/Python). */
const struct wn_jmember *wn_rec_get(const struct wn_rec *r, const char *key);

/* Decode the string member `key` into out (reset first). Returns 1 when
 * present and a string, 0 when absent or null, -1 when of another type. */
int wn_rec_get_str(const struct wn_rec *r, const char *key, struct wn_buf *out);

/* A member of the "metadata" object, or NULL. `tmp` holds the parse. */
const struct wn_jmember *wn_rec_get_meta(const struct wn_rec *r, const char *key,
					 struct wn_jmember **tmp, size_t *tmpcap);

/* ---- output builder ---- */

struct wn_recout_field {
	char *key;     /* owned, plain key */
	size_t vstart; /* span of the raw value in `vals` */
	size_t vlen;
	int deleted;
};

struct wn_recout {
	struct wn_buf line;   /* the finished line, '\n'-terminated, after _finish */
	struct wn_buf vals;   /* raw JSON values of the pending fields */
	struct wn_recout_field *top, *meta;
	size_t ntop, topcap, nmeta, metacap;
	const struct wn_rec *from;
	struct wn_jmember *mm; /* scratch: members of from's metadata */
	size_t mmcap;
};

void wn_recout_init(struct wn_recout *o);
void wn_recout_release(struct wn_recout *o);
/* Start a record; `from` (may be NULL) is the input record whose members are
 * copied; it must stay valid until wn_recout_finish. */
void wn_recout_begin(struct wn_recout *o, const struct wn_rec *from);
/* Set top-level `key` to a raw JSON value (must be valid JSON), a string
 * (any bytes; invalid UTF-8 becomes U+FFFD), an integer or a double. */
void wn_recout_set_raw(struct wn_recout *o, const char *key, const char *raw, size_t n);
void wn_recout_set_str(struct wn_recout *o, const char *key, const char *s, size_t n);
void wn_recout_set_int(struct wn_recout *o, const char *key, int64_t v);
void wn_recout_del(struct wn_recout *o, const char *key);
/* The same under "metadata" (created when absent; a non-object metadata
 * value is replaced by an object). */
void wn_recout_meta_raw(struct wn_recout *o, const char *key, const char *raw, size_t n);
void wn_recout_meta_str(struct wn_recout *o, const char *key, const char *s, size_t n);
void wn_recout_meta_int(struct wn_recout *o, const char *key, int64_t v);
void wn_recout_meta_double(struct wn_recout *o, const char *key, double v);
/* Build the line into o->line (ends with '\n'). Returns o->line.data. */
const char *wn_recout_finish(struct wn_recout *o);

#endif
