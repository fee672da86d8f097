/*
 * winnow-ingest -- web dump containers to JSONL records: WARC/WET (plain,
 * gzip, zstd), MediaWiki XML exports, JSONL (passed through), tar/zip of
 * HTML/text files. The container is detected from content (--format
 * overrides). HTML pages become {"html": ...} records (converted to UTF-8),
 * WET conversions and .txt members {"text": ...}, wiki articles
 * {"wikitext": ...}. Every container record read is counted; those that
 * yield no document are rejected under their reason. See docs/ingest.md.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive_in.h"
#include "http.h"
#include "stage.h"
#include "warc.h"
#include "wikixml.h"

static const char *warc_repairs[] = { "warc-bare-lf", "warc-content-length-too-large", "warc-content-length-too-small",
				      "warc-content-length-missing", "warc-bad-trailer", "warc-bad-header-line" };

struct ingest {
	enum wn_fmt fmt;
	const char *source_opt, *path;
	char source[256];
	int verify;
	uint64_t max_bytes;
	struct wn_recout o;
	struct wn_buf tmp, tmp2, conv, s;
	struct wn_utf8conv *uc;
	struct wn_din *d;       /* the input being read */
	uint64_t raw_base;      /* raw bytes of the inputs before it */
	uint64_t nwarc_rep[WN_ARRAY_SIZE(warc_repairs)], nhttp_rep[WN_HTTP_NREPAIRS], digests_ok, digests_unchecked, nhttp_status_missing;
};

static int on_option(struct wn_stage *st, int c, const char *arg)
{
	struct ingest *g = st->ctx;
	char *end;
	switch (c) {
	case 'f':
		if (wn_fmt_parse(arg, &g->fmt) == 0)
			return 0;
		fprintf(stderr, "winnow-ingest: unknown --format '%s' (auto|warc|wiki|jsonl|archive)\n", arg);
		return -1;
	case 's': g->source_opt = arg; return 0;
	case 'D': g->verify = 1; return 0;
	case 'M':
		g->max_bytes = strtoull(arg, &end, 10);
		if (*arg && !*end && g->max_bytes)
			return 0;
		fprintf(stderr, "winnow-ingest: --max-record-bytes wants a positive integer, not '%s'\n", arg);
		return -1;
	}
	return -1;
}

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "source", required_argument, NULL, 's' },
	{ "verify-digests", no_argument, NULL, 'D' },
	{ "max-record-bytes", required_argument, NULL, 'M' },
	{ 0 },
};

static const struct wn_stage_def def = {
	.name = "ingest",
	.summary = "Turn WARC/WET, Wikipedia XML, JSONL, tar/zip of HTML into JSONL records (html, text, wikitext).",
	.usage = "[OPTIONS] [FILE...]",
	.options_help = "  --format F             auto (default: from content), warc, wiki, jsonl, archive\n"
			"  --source NAME          value of the source field (default: the file name)\n"
			"  --verify-digests       check WARC-Block-Digest / WARC-Payload-Digest (sha1)\n"
			"  --max-record-bytes N   largest record held in memory (default 268435456)\n",
	.longopts = longopts,
	.on_option = on_option,
	.flags = WN_STAGE_RAW_INPUT,
};

static void begin(struct ingest *g, const char *id, size_t idn, const char *url, size_t urln)
{
	wn_recout_begin(&g->o, NULL);
	wn_recout_set_str(&g->o, "id", id, idn);
	wn_recout_set_str(&g->o, "source", g->source, strlen(g->source));
	if (url)
		wn_recout_set_str(&g->o, "url", url, urln);
}

/* Count one record read, and tell the progress line how far we are. */
static void count_in(struct wn_stage *st, struct ingest *g, uint64_t bytes)
{
	st->done_raw = g->raw_base + wn_din_raw_pos(g->d);
	wn_stage_count_in(st, bytes);
}

static int is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Emit p as `field` after conversion to UTF-8 (html sniffs <meta>). */
static void emit_payload(struct wn_stage *st, struct ingest *g, const char *field, const char *p, size_t n,
			 const char *declared, unsigned *rep)
{
	const char *u;
	size_t un;
	char used[48];
	wn_to_utf8(g->uc, p, n, declared, !strcmp(field, "html"), &g->conv, &u, &un, used, sizeof used, rep);
	wn_recout_set_str(&g->o, field, u, un);
	wn_recout_meta_str(&g->o, "charset", used, strlen(used)); /* of the original bytes */
	wn_stage_emit_rec(st, &g->o);
}

/* One digest field against p[0..n): 0 fine (or absent/unsupported), -1 mismatch. */
static int check_digest(struct ingest *g, const struct wn_warc_rec *r, const char *field, const char *p, size_t n)
{
	size_t vn;
	const char *v = wn_warc_get(r, field, &vn);
	int ok = v ? wn_warc_digest_check(v, vn, p, n) : -1;
	g->digests_ok += ok == 1, g->digests_unchecked += v && ok < 0;
	return ok == 0 ? -1 : 0;
}

static void warc_record(struct wn_stage *st, struct ingest *g, struct wn_warc_rec *r)
{
	size_t idn, un = 0, dn = 0;
	const char *id = wn_warc_get(r, "WARC-Record-ID", &idn);
	const char *url = wn_warc_get(r, "WARC-Target-URI", &un);
	const char *date = wn_warc_get(r, "WARC-Date", &dn);
	char where[48];
	snprintf(where, sizeof where, "offset %llu", (unsigned long long)r->offset);
	if (url && un >= 2 && url[0] == '<' && url[un - 1] == '>') /* wget writes <uri> */
		url++, un -= 2;
	for (size_t i = 0; i < WN_ARRAY_SIZE(warc_repairs); i++)
		g->nwarc_rep[i] += (r->repairs >> i) & 1;
	if (!id) {
		wn_buf_reset(&g->s);
		wn_buf_addf(&g->s, "%s:%llu", g->path, (unsigned long long)r->uoffset);
		id = g->s.data, idn = g->s.len;
	}
	if (g->verify && !r->too_large && check_digest(g, r, "WARC-Block-Digest", r->block, r->block_len) < 0) {
		wn_stage_bad(st, where, NULL, 0, "WARC-Block-Digest mismatch in record %.*s", (int)idn, id);
		return;
	}
	struct wn_warc_doc doc;
	wn_warc_doc(r, &g->tmp, &g->tmp2, g->max_bytes, &doc);
	if (!doc.has_page) {
		wn_stage_reject_rec(st, NULL, doc.reason);
		return;
	}
	if (doc.kind == WN_DOC_BAD) {
		wn_stage_bad(st, where, NULL, 0, "%s in record %.*s", doc.reason, (int)idn, id);
		return;
	}
	if (g->verify && doc.stored && check_digest(g, r, "WARC-Payload-Digest", doc.stored, doc.stored_len) < 0) {
		wn_stage_bad(st, where, NULL, 0, "WARC-Payload-Digest mismatch in record %.*s", (int)idn, id);
		return;
	}
	begin(g, id, idn, url, un);
	if (date)
		wn_recout_meta_str(&g->o, "warc_date", date, dn);
	wn_recout_meta_str(&g->o, "warc_file", g->path, strlen(g->path));
	wn_recout_meta_int(&g->o, "warc_offset", (int64_t)r->offset);
	if (!r->offset_exact)
		wn_recout_meta_int(&g->o, "warc_uncompressed_offset", (int64_t)r->uoffset);
	if (doc.http_status)
		wn_recout_meta_int(&g->o, "http_status", doc.http_status);
	size_t trn;
	const char *tr = wn_warc_get(r, "WARC-Truncated", &trn); /* the crawler cut the payload */
	if (tr)
		wn_recout_meta_str(&g->o, "warc_truncated", tr, trn);
	if (*doc.mime)
		wn_recout_meta_str(&g->o, "content_type", doc.mime, strlen(doc.mime));
	unsigned rep = doc.http_repairs;
	g->nhttp_status_missing += doc.no_status_line;
	if (doc.kind == WN_DOC_REJECT)
		wn_stage_reject_rec(st, &g->o, doc.reason);
	else
		emit_payload(st, g, doc.kind == WN_DOC_HTML ? "html" : "text", doc.payload, doc.payload_len,
			     doc.charset, &rep);
	for (int i = 0; i < WN_HTTP_NREPAIRS; i++)
		g->nhttp_rep[i] += (rep >> i) & 1;
}

static void do_warc(struct wn_stage *st, struct ingest *g, struct wn_din *d)
{
	struct wn_warc *w = wn_warc_new(d);
	struct wn_warc_rec r;
	char err[512], where[48];
	int rc;
	wn_warc_set_max_block(w, g->max_bytes);
	wn_warc_rec_init(&r);
	while (!st->fatal && !st->pipe_closed && (rc = wn_warc_next(w, &r, err, sizeof err)) != 0) {
		count_in(st, g, r.block_len);
		snprintf(where, sizeof where, "offset %llu", (unsigned long long)r.offset);
		if (rc < 0)
			wn_stage_bad(st, where, NULL, 0, "damaged WARC data: %s", err);
		else
			warc_record(st, g, &r);
	}
	wn_warc_rec_release(&r);
	wn_warc_free(w);
}

static void do_wiki(struct wn_stage *st, struct ingest *g, struct wn_din *d)
{
	struct wn_wiki *w = wn_wiki_new(d);
	struct wn_wiki_page *p;
	char err[512], where[48];
	int rc;
	while (!st->fatal && !st->pipe_closed && (rc = wn_wiki_next(w, &p, err, sizeof err)) != 0) {
		if (rc < 0) {
			count_in(st, g, 0);
			int at_end = wn_din_fill(d, 1) == 0; /* libxml2 read everything: cut short */
			wn_stage_bad(st, "xml", NULL, 0, "%s%s (the rest of the file is skipped)", err,
				     at_end ? "; the input ends there (truncated?)" : "");
			break;
		}
		count_in(st, g, p->text.len);
		const char *db = wn_wiki_dbname(w);
		wn_buf_reset(&g->s);
		wn_buf_addf(&g->s, "%s:%s", *db ? db : g->source, p->id.data);
		wn_buf_reset(&g->tmp);
		wn_wiki_url(wn_wiki_base(w), p->title.data, p->title.len, &g->tmp);
		begin(g, g->s.data, g->s.len, g->tmp.data, g->tmp.len);
		wn_recout_meta_str(&g->o, "title", p->title.data, p->title.len);
		int64_t pid = strtoll(p->id.data, NULL, 10);
		wn_recout_meta_int(&g->o, "page_id", pid);
		wn_recout_meta_str(&g->o, "timestamp", p->timestamp.data, p->timestamp.len);
		snprintf(where, sizeof where, "line %llu", (unsigned long long)p->line);
		if (strcmp(p->ns.data, "0")) {
			wn_recout_meta_str(&g->o, "namespace", p->ns.data, p->ns.len);
			wn_stage_reject_rec(st, &g->o, "namespace");
		} else if (p->is_redirect) {
			wn_recout_meta_str(&g->o, "redirect_to", p->redirect.data, p->redirect.len);
			wn_stage_reject_rec(st, &g->o, "redirect");
		} else if (p->text.len > g->max_bytes) {
			wn_stage_reject_rec(st, &g->o, "too-large");
		} else if (is_blank(p->text.data, p->text.len)) {
			wn_stage_reject_rec(st, &g->o, "empty");
		} else {
			wn_recout_set_str(&g->o, "wikitext", p->text.data, p->text.len);
			wn_stage_emit_rec(st, &g->o);
		}
	}
	wn_wiki_free(w);
}

static void do_jsonl(struct wn_stage *st, struct ingest *g, struct wn_din *d)
{
	struct wn_rec rec;
	char err[256], where[48];
	const char *p;
	size_t n;
	uint64_t line = 0;
	wn_rec_init(&rec);
	while (!st->fatal && !st->pipe_closed && wn_din_getline(d, &p, &n) > 0) {
		line++;
		if (is_blank(p, n))
			continue;
		count_in(st, g, n);
		snprintf(where, sizeof where, "line %llu", (unsigned long long)line);
		if (wn_rec_parse(&rec, p, n, err, sizeof err) < 0) {
			wn_stage_bad(st, where, p, n, "%s", err);
		} else if (wn_din_avail(d) > n) { /* the '\n' is there: passed through unchanged */
			wn_stage_emit(st, p, n + 1);
		} else {
			wn_buf_reset(&g->tmp);
			wn_buf_add(&g->tmp, p, n);
			wn_buf_addc(&g->tmp, '\n');
			wn_stage_emit(st, g->tmp.data, g->tmp.len);
		}
	}
	wn_rec_release(&rec);
}

static void do_archive(struct wn_stage *st, struct ingest *g, struct wn_din *d)
{
	char err[512];
	struct wn_ain *a = wn_ain_open(d, g->max_bytes, err, sizeof err);
	if (!a) {
		count_in(st, g, 0);
		wn_stage_bad(st, "offset 0", NULL, 0, "%s", err);
		return;
	}
	const char *base = strrchr(g->path, '/');
	base = base ? base + 1 : !strcmp(g->path, "-") ? "stdin" : g->path;
	struct wn_ain_member m;
	int rc;
	while (!st->fatal && !st->pipe_closed && (rc = wn_ain_next(a, &m, err, sizeof err)) != 0) {
		count_in(st, g, m.len);
		if (rc < 0) {
			wn_stage_bad(st, "archive", NULL, 0, "%s (the rest of the archive is skipped)", err);
			break;
		}
		wn_buf_reset(&g->s);
		wn_buf_addf(&g->s, "%s/%s", base, m.path);
		begin(g, g->s.data, g->s.len, NULL, 0);
		wn_recout_meta_str(&g->o, "archive_file", g->path, strlen(g->path));
		wn_recout_meta_str(&g->o, "archive_member", m.path, strlen(m.path));
		if (m.damaged) {
			wn_stage_bad(st, m.path, NULL, 0, "%s", err);
			continue;
		}
		if (m.too_large) {
			wn_stage_reject_rec(st, &g->o, "too-large");
			continue;
		}
		int kind = wn_ain_member_kind(&m), html = kind == 'h';
		if (!kind) {
			wn_stage_reject_rec(st, &g->o, "not-html");
		} else if (is_blank(m.data, m.len)) {
			wn_stage_reject_rec(st, &g->o, "empty");
		} else {
			wn_recout_meta_str(&g->o, "content_type", html ? "text/html" : "text/plain", html ? 9 : 10);
			unsigned rep = 0;
			emit_payload(st, g, html ? "html" : "text", m.data, m.len, NULL, &rep);
			g->nhttp_rep[7] += (rep >> 7) & 1;
		}
	}
	wn_ain_free(a);
}

static void repairs_stats(struct wn_stage *st, struct ingest *g)
{
	struct wn_buf b = WN_BUF_INIT;
	wn_buf_addc(&b, '{');
	for (size_t i = 0; i < WN_ARRAY_SIZE(warc_repairs) + WN_HTTP_NREPAIRS; i++) {
		int w = i < WN_ARRAY_SIZE(warc_repairs);
		uint64_t n = w ? g->nwarc_rep[i] : g->nhttp_rep[i - WN_ARRAY_SIZE(warc_repairs)];
		if (n)
			wn_buf_addf(&b, "%s\"%s\":%llu", b.len > 1 ? "," : "",
				    w ? warc_repairs[i] : wn_http_repair_name((int)(i - WN_ARRAY_SIZE(warc_repairs))),
				    (unsigned long long)n);
	}
	if (g->nhttp_status_missing)
		wn_buf_addf(&b, "%s\"http-missing-status-line\":%llu", b.len > 1 ? "," : "",
			    (unsigned long long)g->nhttp_status_missing);
	wn_buf_addc(&b, '}');
	wn_stage_stat_raw(st, "repairs", b.data);
	if (g->verify) {
		wn_stage_stat_int(st, "digests_verified", (int64_t)g->digests_ok);
		wn_stage_stat_int(st, "digests_not_checked", (int64_t)g->digests_unchecked);
	}
	wn_buf_release(&b);
}

int main(int argc, char **argv)
{
	struct ingest g = { .max_bytes = 256u << 20 };
	struct wn_stage st;
	int rc = wn_stage_start(&st, &def, &g, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	wn_recout_init(&g.o);
	wn_buf_init(&g.tmp);
	wn_buf_init(&g.tmp2);
	wn_buf_init(&g.conv);
	wn_buf_init(&g.s);
	g.uc = wn_utf8conv_new();
	for (int i = 0; i < st.ninputs && !st.fatal && !st.pipe_closed; i++) {
		char err[512];
		st.cur_input = i;
		g.path = st.inputs[i];
		struct wn_din *d = g.d = wn_din_open(g.path, err, sizeof err);
		if (!d) {
			wn_stage_warn(&st, "%s", err);
			st.input_errors++;
			continue;
		}
		if (g.source_opt)
			snprintf(g.source, sizeof g.source, "%s", g.source_opt);
		else
			wn_source_name(g.path, g.source, sizeof g.source);
		enum wn_fmt f = g.fmt != WN_FMT_UNKNOWN ? g.fmt : wn_din_sniff(d);
		if (f == WN_FMT_WARC)
			do_warc(&st, &g, d);
		else if (f == WN_FMT_WIKI)
			do_wiki(&st, &g, d);
		else if (f == WN_FMT_JSONL)
			do_jsonl(&st, &g, d);
		else if (f == WN_FMT_ARCHIVE)
			do_archive(&st, &g, d);
		else if (wn_din_fill(d, 1)) {
			count_in(&st, &g, 0);
			wn_stage_bad(&st, "offset 0", NULL, 0,
				     "not a container winnow-ingest knows (WARC, MediaWiki XML, JSONL, tar, zip); try --format");
		}
		/* damage the readers did not tie to a record (e.g. after the last one) */
		const char *msg;
		uint64_t off;
		while ((msg = wn_din_take_gap(d, UINT64_MAX, &off)) != NULL) {
			char where[48];
			snprintf(where, sizeof where, "offset %llu", (unsigned long long)off);
			count_in(&st, &g, 0);
			wn_stage_bad(&st, where, NULL, 0, "damaged input: %s", msg);
		}
		g.raw_base += wn_din_raw_pos(d);
		st.done_raw = g.raw_base;
		wn_din_free(d);
	}
	repairs_stats(&st, &g);
	wn_recout_release(&g.o);
	wn_buf_release(&g.tmp);
	wn_buf_release(&g.tmp2);
	wn_buf_release(&g.conv);
	wn_buf_release(&g.s);
	wn_utf8conv_free(g.uc);
	return wn_stage_finish(&st);
}
