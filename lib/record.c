/* record.c -- parsed JSONL records and the output builder; see record.h. */
#include "record.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void wn_rec_init(struct wn_rec *r)
{
	memset(r, 0, sizeof *r);
}

void wn_rec_release(struct wn_rec *r)
{
	free(r->m);
	wn_rec_init(r);
}

int wn_rec_parse(struct wn_rec *r, const char *line, size_t len, char *err, size_t errlen)
{
	r->line = line;
	r->len = len;
	r->nm = 0;
	int n = wn_json_object_members(line, len, &r->m, &r->mcap, err, errlen);
	if (n < 0)
		return -1;
	r->nm = (size_t)n;
	return 0;
}

const struct wn_jmember *wn_rec_get(const struct wn_rec *r, const char *key)
{
	for (size_t i = r->nm; i-- > 0;)
		if (wn_jmember_is(&r->m[i], key))
			return &r->m[i];
	return NULL;
}

int wn_rec_get_str(const struct wn_rec *r, const char *key, struct wn_buf *out)
{
	wn_buf_reset(out);
	const struct wn_jmember *m = wn_rec_get(r, key);
	if (!m || m->type == WN_J_NULL)
		return 0;
	if (m->type != WN_J_STRING)
		return -1;
	wn_json_str_decode(m->val, m->vlen, out);
	return 1;
}

const struct wn_jmember *wn_rec_get_meta(const struct wn_rec *r, const char *key, struct wn_jmember **tmp,
					 size_t *tmpcap)
{
	const struct wn_jmember *md = wn_rec_get(r, "metadata");
	if (!md || md->type != WN_J_OBJECT)
		return NULL;
	int n = wn_json_object_members(md->val, md->vlen, tmp, tmpcap, NULL, 0);
	for (int i = n - 1; i >= 0; i--)
		if (wn_jmember_is(&(*tmp)[i], key))
			return &(*tmp)[i];
	return NULL;
}

/* ---- builder ---- */

void wn_recout_init(struct wn_recout *o)
{
	memset(o, 0, sizeof *o);
	wn_buf_init(&o->line);
	wn_buf_init(&o->vals);
}

static void clear_fields(struct wn_recout_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].key);
}

void wn_recout_release(struct wn_recout *o)
{
	clear_fields(o->top, o->ntop);
	clear_fields(o->meta, o->nmeta);
	free(o->top);
	free(o->meta);
	free(o->mm);
	wn_buf_release(&o->line);
	wn_buf_release(&o->vals);
	wn_recout_init(o);
}

void wn_recout_begin(struct wn_recout *o, const struct wn_rec *from)
{
	clear_fields(o->top, o->ntop);
	clear_fields(o->meta, o->nmeta);
	o->ntop = o->nmeta = 0;
	wn_buf_reset(&o->vals);
	wn_buf_reset(&o->line);
	o->from = from;
}

/* Find or add a pending field named key in (*f, *n). */
static struct wn_recout_field *field(struct wn_recout_field **f, size_t *n, size_t *cap, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*f)[i].key, key))
			return &(*f)[i];
	WN_GROW(*f, *cap, *n + 1);
	struct wn_recout_field *x = &(*f)[(*n)++];
	x->key = wn_xstrdup(key);
	x->deleted = 0;
	return x;
}

/* The pending field `key` at the top level or under metadata; the value
 * that follows is appended to o->vals by the caller between begin_val and
 * end_val. */
static struct wn_recout_field *begin_val(struct wn_recout *o, int meta, const char *key, size_t *start)
{
	*start = o->vals.len;
	return meta ? field(&o->meta, &o->nmeta, &o->metacap, key) : field(&o->top, &o->ntop, &o->topcap, key);
}

static void end_val(struct wn_recout *o, struct wn_recout_field *x, size_t start)
{
	x->vstart = start;
	x->vlen = o->vals.len - start;
	x->deleted = 0;
}

static void put_raw(struct wn_recout *o, int meta, const char *key, const char *raw, size_t n)
{
	size_t s;
	struct wn_recout_field *x = begin_val(o, meta, key, &s);
	wn_buf_add(&o->vals, raw, n);
	end_val(o, x, s);
}

static void put_str(struct wn_recout *o, int meta, const char *key, const char *str, size_t n)
{
	size_t s;
	struct wn_recout_field *x = begin_val(o, meta, key, &s);
	wn_json_str_encode(&o->vals, str, n);
	end_val(o, x, s);
}

static void put_int(struct wn_recout *o, int meta, const char *key, int64_t v)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%" PRId64, v);
	put_raw(o, meta, key, t, (size_t)n);
}

void wn_recout_set_raw(struct wn_recout *o, const char *key, const char *raw, size_t n) { put_raw(o, 0, key, raw, n); }
void wn_recout_set_str(struct wn_recout *o, const char *key, const char *str, size_t n) { put_str(o, 0, key, str, n); }
void wn_recout_set_int(struct wn_recout *o, const char *key, int64_t v) { put_int(o, 0, key, v); }
void wn_recout_meta_raw(struct wn_recout *o, const char *key, const char *raw, size_t n) { put_raw(o, 1, key, raw, n); }
void wn_recout_meta_str(struct wn_recout *o, const char *key, const char *str, size_t n) { put_str(o, 1, key, str, n); }
void wn_recout_meta_int(struct wn_recout *o, const char *key, int64_t v) { put_int(o, 1, key, v); }

void wn_recout_del(struct wn_recout *o, const char *key)
{
	field(&o->top, &o->ntop, &o->topcap, key)->deleted = 1;
}

void wn_recout_meta_double(struct wn_recout *o, const char *key, double v)
{
	char t[40];
	int n = snprintf(t, sizeof t, "%.17g", v);
	if (strspn(t, "-0123456789") == (size_t)n) /* keep it a JSON number that reads back as a double */
		n += snprintf(t + n, sizeof t - (size_t)n, ".0");
	put_raw(o, 1, key, t, (size_t)n);
}

static struct wn_recout_field *pending(struct wn_recout_field *f, size_t n, const struct wn_jmember *m,
				       char *used)
{
	for (size_t i = 0; i < n; i++)
		if (wn_jmember_is(m, f[i].key)) {
			used[i] = 1;
			return &f[i];
		}
	return NULL;
}

static void put_key(struct wn_buf *b, const char *key)
{
	wn_json_str_encode(b, key, strlen(key));
	wn_buf_addc(b, ':');
}

/* Emit the members of an object `src` (may be NULL) with the pending fields
 * f[0..n) applied: replaced in place, deleted, or appended in order. */
static void emit_object(struct wn_recout *o, const struct wn_jmember *src, size_t nsrc, struct wn_recout_field *f,
			size_t n, int is_top)
{
	struct wn_buf *b = &o->line;
	char usedbuf[64];
	char *used = n <= sizeof usedbuf ? usedbuf : wn_xcalloc(n, 1);
	memset(used, 0, n);
	int first = 1;
	wn_buf_addc(b, '{');
	for (size_t i = 0; i < nsrc; i++) {
		const struct wn_jmember *m = &src[i];
		struct wn_recout_field *x = pending(f, n, m, used);
		int is_meta = is_top && o->nmeta && wn_jmember_is(m, "metadata");
		if (x && x->deleted)
			continue;
		if (!first)
			wn_buf_addc(b, ',');
		first = 0;
		wn_buf_add(b, m->key, m->klen);
		wn_buf_addc(b, ':');
		if (x) {
			wn_buf_add(b, o->vals.data + x->vstart, x->vlen);
		} else if (is_meta) {
			int k = m->type == WN_J_OBJECT
					? wn_json_object_members(m->val, m->vlen, &o->mm, &o->mmcap, NULL, 0)
					: 0;
			/* o->mm may be reused by nothing else while we emit */
			emit_object(o, o->mm, k > 0 ? (size_t)k : 0, o->meta, o->nmeta, 0);
			o->nmeta = 0; /* emitted */
		} else {
			wn_json_compact(b, m->val, m->vlen);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (used[i] || f[i].deleted)
			continue;
		if (!first)
			wn_buf_addc(b, ',');
		first = 0;
		put_key(b, f[i].key);
		wn_buf_add(b, o->vals.data + f[i].vstart, f[i].vlen);
	}
	if (is_top && o->nmeta) { /* metadata not in the input: a new object */
		if (!first)
			wn_buf_addc(b, ',');
		put_key(b, "metadata");
		emit_object(o, NULL, 0, o->meta, o->nmeta, 0);
	}
	wn_buf_addc(b, '}');
	if (used != usedbuf)
		free(used);
}

const char *wn_recout_finish(struct wn_recout *o)
{
	wn_buf_reset(&o->line);
	/* A pending top-level "metadata" replacement wins over meta fields. */
	for (size_t i = 0; i < o->ntop; i++)
		if (!strcmp(o->top[i].key, "metadata")) {
			if (o->nmeta) {
				BUG("wn_recout: both metadata and metadata.* set");
			}
		}
	size_t nmeta_saved = o->nmeta;
	emit_object(o, o->from ? o->from->m : NULL, o->from ? o->from->nm : 0, o->top, o->ntop, 1);
	o->nmeta = nmeta_saved;
	wn_buf_addc(&o->line, '\n');
	return o->line.data;
}
