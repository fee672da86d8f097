/*
 * winnow-extract -- HTML and wikitext records to clean main text.
 *
 * A record with `text` passes through byte for byte. A record with `html`
 * gets the page's main text (lib/html_extract.h) in `text`, plus
 * metadata.title and metadata.html_lang; one with `wikitext` gets its plain
 * text (lib/wikitext.h). The markup field is removed; every other field is
 * kept. Documents over --max-bytes / --max-seconds are rejected as
 * "too-large" / "timeout", those without text as "empty".
 *
 * Encoding: a JSON string is Unicode, so the `html` value reaches us as
 * UTF-8 whatever the page declared; we tell libxml2 so (a <meta charset>
 * naming the page's original encoding would otherwise garble it).
 * metadata.charset is left as it is (it describes the original bytes).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "html_extract.h"
#include "stage.h"
#include "wikitext.h"

struct ctx {
	struct wn_html_opts opts;
	enum wn_wiki_tables tables;
};

enum { OPT_MODE = 0x2000, OPT_MAX_BYTES, OPT_MAX_SECONDS, OPT_WIKI_TABLES };

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-seconds", required_argument, NULL, OPT_MAX_SECONDS },
	{ "wiki-tables", required_argument, NULL, OPT_WIKI_TABLES },
	{ 0 },
};

/* Index of arg in a NULL-terminated list of names, or -1. */
static int pick(const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

static int on_option(struct wn_stage *st, int c, const char *arg)
{
	static const char *const modes[] = { "balanced", "precision", "recall", NULL }; /* enum order */
	static const char *const tables[] = { "drop", "flatten", NULL };
	struct ctx *cx = st->ctx;
	char *end = NULL;
	int i = 0;
	switch (c) {
	case OPT_MODE:
		cx->opts.mode = (enum wn_html_mode)(i = pick(arg, modes));
		break;
	case OPT_WIKI_TABLES:
		cx->tables = (enum wn_wiki_tables)(i = pick(arg, tables));
		break;
	case OPT_MAX_BYTES:
		cx->opts.max_bytes = (size_t)strtoull(arg, &end, 10);
		i = end == arg || *end || arg[0] == '-' ? -1 : 0;
		break;
	case OPT_MAX_SECONDS:
		cx->opts.max_seconds = strtod(arg, &end);
		i = end == arg || *end || !(cx->opts.max_seconds >= 0) ? -1 : 0;
		break;
	}
	if (i < 0)
		fprintf(stderr, "winnow-extract: invalid value '%s' for option\n", arg);
	return i < 0 ? -1 : 0;
}

static const struct wn_stage_def def = {
	.name = "extract",
	.summary = "Turn `html` records into their main text (boilerplate removed) and `wikitext`\n"
		   "records into plain text; records with `text` pass through unchanged.",
	.usage = "[OPTIONS] [FILE...]",
	.options_help =
		"      --mode M          balanced (default), precision (drop doubtful blocks) or\n"
		"                        recall (keep more of the main container)\n"
		"      --max-bytes N     reject larger documents as too-large (default 10000000; 0: none)\n"
		"      --max-seconds S   reject a page whose extraction runs longer as timeout\n"
		"                        (default 0: no limit)\n"
		"      --wiki-tables T   drop (default) or flatten wikitext tables\n",
	.longopts = longopts,
	.on_option = on_option,
	.has_threads = 1,
};

/* One record in flight. The worker fills `act` and `out`; the main thread
 * then emits, rejects or reports it, in input order. */
enum act { A_PASS, A_EMIT, A_REJECT, A_BAD };

struct job {
	struct wn_buf line; /* a copy of the input line (the reader reuses its own) */
	struct wn_rec rec;
	struct wn_recout out;
	uint64_t lineno;
	enum act act;
	const char *why;    /* reject rule, or the bad field's name */
	int html, wiki;
	size_t bytes;
};

struct worker {
	const struct ctx *cx;
	struct wn_html_extractor *hx;
	struct wn_wikitext *wx;
	struct wn_html_result res;
	struct wn_buf markup;
	struct job *jobs;
	size_t njobs;
	size_t *next; /* shared job counter (atomic) */
	pthread_t tid;
};

static void convert(struct worker *w, struct job *j)
{
	const struct wn_jmember *t = wn_rec_get(&j->rec, "text");
	j->html = j->wiki = 0;
	j->bytes = 0;
	if (t && t->type == WN_J_STRING) {
		j->act = A_PASS;
		return;
	}
	const char *field = "html";
	int h = wn_rec_get_str(&j->rec, field, &w->markup);
	if (h == 0)
		h = wn_rec_get_str(&j->rec, field = "wikitext", &w->markup);
	j->act = A_REJECT;
	if (h < 0 || (t && t->type != WN_J_NULL)) {
		j->act = A_BAD;
		j->why = h < 0 ? field : "text";
		return;
	}
	if (h == 0) {
		j->why = "no-content";
		return;
	}
	j->bytes = w->markup.len;
	struct wn_html_result *r = &w->res;
	if (field[0] == 'h') {
		char err[256];
		j->html = 1;
		int x = wn_html_extract(w->hx, w->markup.data, w->markup.len, "UTF-8", r, err, sizeof err);
		if (x < 0) {
			j->why = wn_html_reason(x);
			return;
		}
	} else {
		j->wiki = 1;
		if (w->cx->opts.max_bytes && w->markup.len > w->cx->opts.max_bytes) {
			j->why = "too-large";
			return;
		}
		wn_wikitext_to_text(w->wx, w->markup.data, w->markup.len, &r->text);
		wn_buf_reset(&r->title);
		wn_buf_reset(&r->lang);
		if (r->text.len == 0) {
			j->why = "empty";
			return;
		}
	}
	wn_recout_begin(&j->out, &j->rec);
	wn_recout_del(&j->out, field);
	wn_recout_set_str(&j->out, "text", r->text.data, r->text.len);
	if (r->title.len)
		wn_recout_meta_str(&j->out, "title", r->title.data, r->title.len);
	if (r->lang.len)
		wn_recout_meta_str(&j->out, "html_lang", r->lang.data, r->lang.len);
	wn_recout_finish(&j->out);
	j->act = A_EMIT;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t i;
	while ((i = __atomic_fetch_add(w->next, 1, __ATOMIC_RELAXED)) < w->njobs)
		convert(w, &w->jobs[i]);
	return NULL;
}

/* Point a copy of the parsed record at the copied line (the members are
 * spans into it), instead of validating the line a second time. */
static void rebase(struct wn_rec *dst, const struct wn_rec *src, const char *line)
{
	WN_GROW(dst->m, dst->mcap, src->nm ? src->nm : 1);
	dst->line = line;
	dst->len = src->len;
	dst->nm = src->nm;
	for (size_t i = 0; i < src->nm; i++) {
		dst->m[i] = src->m[i];
		dst->m[i].key = line + (src->m[i].key - src->line);
		dst->m[i].val = line + (src->m[i].val - src->line);
	}
}

/* -j N: records are converted in batches of BATCH_PER_THREAD * N by N
 * threads and written in input order after each batch. */
#define BATCH_PER_THREAD 16

int main(int argc, char **argv)
{
	struct ctx cx = { .opts = { .mode = WN_HTML_BALANCED, .max_bytes = 10000000 } };
	struct wn_stage st;
	int rc = wn_stage_start(&st, &def, &cx, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	xmlInitParser(); /* before any thread touches libxml2 */
	int nw = st.threads > 0 ? st.threads : 1;
	size_t batch = nw > 1 ? (size_t)nw * BATCH_PER_THREAD : 1;
	struct worker *ws = wn_xcalloc((size_t)nw, sizeof *ws);
	struct job *jobs = wn_xcalloc(batch, sizeof *jobs);
	size_t next = 0;
	for (int k = 0; k < nw; k++) {
		ws[k].cx = &cx;
		ws[k].hx = wn_html_extractor_new(&cx.opts);
		ws[k].wx = wn_wikitext_new(cx.tables);
		wn_html_result_init(&ws[k].res);
		wn_buf_init(&ws[k].markup);
		ws[k].jobs = jobs;
		ws[k].next = &next;
	}
	for (size_t i = 0; i < batch; i++) {
		wn_buf_init(&jobs[i].line);
		wn_rec_init(&jobs[i].rec);
		wn_recout_init(&jobs[i].out);
	}
	struct wn_rec rec;
	uint64_t html_docs = 0, html_bytes = 0, wiki_docs = 0;
	int more = 1, stop = 0;
	wn_rec_init(&rec);
	while (more && !stop) {
		size_t n = 0;
		while (n < batch && (more = wn_stage_next(&st, &rec) > 0)) {
			struct job *j = &jobs[n++];
			wn_buf_reset(&j->line);
			wn_buf_add(&j->line, rec.line, rec.len);
			j->lineno = st.cur_line;
			rebase(&j->rec, &rec, j->line.data);
		}
		next = 0;
		for (int k = 0; k < nw; k++)
			ws[k].njobs = n;
		if (nw == 1) {
			work(&ws[0]);
		} else {
			for (int k = 0; k < nw; k++)
				if (pthread_create(&ws[k].tid, NULL, work, &ws[k]))
					BUG("pthread_create failed");
			for (int k = 0; k < nw; k++)
				pthread_join(ws[k].tid, NULL);
		}
		for (size_t i = 0; i < n && !stop; i++) {
			struct job *j = &jobs[i];
			html_docs += j->html;
			wiki_docs += j->wiki;
			html_bytes += j->html ? j->bytes : 0;
			char where[64];
			switch (j->act) {
			case A_PASS: /* byte for byte */
				wn_buf_addc(&j->line, '\n');
				wn_stage_emit(&st, j->line.data, j->line.len);
				break;
			case A_EMIT:
				wn_stage_emit(&st, j->out.line.data, j->out.line.len);
				break;
			case A_REJECT:
				wn_stage_reject(&st, &j->rec, j->why);
				break;
			case A_BAD:
				snprintf(where, sizeof where, "line %llu", (unsigned long long)j->lineno);
				if (wn_stage_bad(&st, where, j->line.data, j->line.len, "field '%s' is not a string", j->why) < 0)
					stop = 1;
				break;
			}
			wn_stage_tick(&st);
		}
	}
	wn_stage_stat_int(&st, "html_docs", (int64_t)html_docs);
	wn_stage_stat_int(&st, "html_bytes", (int64_t)html_bytes);
	wn_stage_stat_int(&st, "wikitext_docs", (int64_t)wiki_docs);
	for (int k = 0; k < nw; k++) {
		wn_html_extractor_free(ws[k].hx);
		wn_wikitext_free(ws[k].wx);
		wn_html_result_release(&ws[k].res);
		wn_buf_release(&ws[k].markup);
	}
	for (size_t i = 0; i < batch; i++) {
		wn_buf_release(&jobs[i].line);
		wn_rec_release(&jobs[i].rec);
		wn_recout_release(&jobs[i].out);
	}
	free(ws);
	free(jobs);
	wn_rec_release(&rec);
	return wn_stage_finish(&st);
}
