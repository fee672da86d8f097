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
#include <stdlib.h>
#include <string.h>

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

static int on_option(struct wn_stage *st, int c, const char *arg)
{
	struct ctx *cx = st->ctx;
	char *end;
	switch (c) {
	case OPT_MODE:
		if (!strcmp(arg, "balanced"))
			cx->opts.mode = WN_HTML_BALANCED;
		else if (!strcmp(arg, "precision"))
			cx->opts.mode = WN_HTML_PRECISION;
		else if (!strcmp(arg, "recall"))
			cx->opts.mode = WN_HTML_RECALL;
		else
			goto bad;
		return 0;
	case OPT_MAX_BYTES: {
		unsigned long long v = strtoull(arg, &end, 10);
		if (end == arg || *end || arg[0] == '-')
			goto bad;
		cx->opts.max_bytes = (size_t)v;
		return 0;
	}
	case OPT_MAX_SECONDS:
		cx->opts.max_seconds = strtod(arg, &end);
		if (end == arg || *end || cx->opts.max_seconds < 0)
			goto bad;
		return 0;
	case OPT_WIKI_TABLES:
		if (!strcmp(arg, "drop"))
			cx->tables = WN_WIKI_TABLES_DROP;
		else if (!strcmp(arg, "flatten"))
			cx->tables = WN_WIKI_TABLES_FLATTEN;
		else
			goto bad;
		return 0;
	}
bad:
	fprintf(stderr, "winnow-extract: invalid value '%s' for option\n", arg);
	return -1;
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
};

int main(int argc, char **argv)
{
	struct ctx cx = { .opts = { .mode = WN_HTML_BALANCED, .max_bytes = 10000000 } };
	struct wn_stage st;
	int rc = wn_stage_start(&st, &def, &cx, argc, argv);
	if (rc != WN_STAGE_RUN)
		return rc;
	struct wn_html_extractor *hx = wn_html_extractor_new(&cx.opts);
	struct wn_wikitext *wx = wn_wikitext_new(cx.tables);
	struct wn_html_result res;
	struct wn_rec rec;
	struct wn_recout out;
	struct wn_buf markup = WN_BUF_INIT, line = WN_BUF_INIT;
	uint64_t html_docs = 0, html_bytes = 0, wiki_docs = 0;
	char err[256], where[64];
	wn_html_result_init(&res);
	wn_rec_init(&rec);
	wn_recout_init(&out);
	while (wn_stage_next(&st, &rec) > 0) {
		snprintf(where, sizeof where, "line %llu", (unsigned long long)st.cur_line);
		const struct wn_jmember *t = wn_rec_get(&rec, "text");
		if (t && t->type == WN_J_STRING) {
			wn_buf_reset(&line); /* pass through byte for byte */
			wn_buf_add(&line, rec.line, rec.len);
			wn_buf_addc(&line, '\n');
			wn_stage_emit(&st, line.data, line.len);
			continue;
		}
		int h = wn_rec_get_str(&rec, "html", &markup);
		const char *field = "html";
		if (h == 0) {
			h = wn_rec_get_str(&rec, "wikitext", &markup);
			field = "wikitext";
		}
		if (h < 0 || (t && t->type != WN_J_NULL)) {
			if (wn_stage_bad(&st, where, rec.line, rec.len, "field '%s' is not a string",
					 h < 0 ? field : "text") < 0)
				break;
			continue;
		}
		if (h == 0) {
			wn_stage_reject(&st, &rec, "no-content");
			continue;
		}
		wn_recout_begin(&out, &rec);
		wn_recout_del(&out, field);
		if (field[0] == 'h') {
			html_docs++;
			html_bytes += markup.len;
			int x = wn_html_extract(hx, markup.data, markup.len, "UTF-8", &res, err, sizeof err);
			if (x < 0) {
				wn_stage_reject(&st, &rec, wn_html_reason(x));
				continue;
			}
			wn_recout_set_str(&out, "text", res.text.data, res.text.len);
			if (res.title.len)
				wn_recout_meta_str(&out, "title", res.title.data, res.title.len);
			if (res.lang.len)
				wn_recout_meta_str(&out, "html_lang", res.lang.data, res.lang.len);
		} else {
			wiki_docs++;
			if ((cx.opts.max_bytes && markup.len > cx.opts.max_bytes)) {
				wn_stage_reject(&st, &rec, "too-large");
				continue;
			}
			wn_wikitext_to_text(wx, markup.data, markup.len, &res.text);
			if (res.text.len == 0) {
				wn_stage_reject(&st, &rec, "empty");
				continue;
			}
			wn_recout_set_str(&out, "text", res.text.data, res.text.len);
		}
		wn_stage_emit_rec(&st, &out);
		wn_stage_tick(&st);
	}
	wn_stage_stat_int(&st, "html_docs", (int64_t)html_docs);
	wn_stage_stat_int(&st, "html_bytes", (int64_t)html_bytes);
	wn_stage_stat_int(&st, "wikitext_docs", (int64_t)wiki_docs);
	wn_html_extractor_free(hx);
	wn_wikitext_free(wx);
	wn_html_result_release(&res);
	wn_rec_release(&rec);
	wn_recout_release(&out);
	wn_buf_release(&markup);
	wn_buf_release(&line);
	return wn_stage_finish(&st);
}
