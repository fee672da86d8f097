/*
 * report_html.c -- the run report as one self-contained HTML page: inline
 * CSS, inline SVG charts (svg.c), no script, no external resource. Every
 * number shown in a table carries its exact value and a stable key
 * (data-key="STEP/INDEX/FIELD", data-v="123") so tests and scripts can read
 * the page back and compare it with the stats files; the visible text is
 * formatted for people (1,234,567; 12.3 MiB).
 *
 * Sections whose data the run does not have (no language id stage yet, no
 * dedup, no packing) stay on the page and say "not in this run", so a
 * reader can tell "zero" from "not measured".
 */
#include "report.h"
#include "svg.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- formatting ----------------------------------------------------------- */

void wn_html_escape(struct wn_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': wn_buf_adds(b, "&amp;"); break;
		case '<': wn_buf_adds(b, "&lt;"); break;
		case '>': wn_buf_adds(b, "&gt;"); break;
		case '"': wn_buf_adds(b, "&quot;"); break;
		case '\'': wn_buf_adds(b, "&#39;"); break;
		case '\0': wn_buf_adds(b, "\xEF\xBF\xBD"); break; /* a NUL in a page would end it for some readers */
		default: wn_buf_addc(b, s[i]);
		}
	}
}

static void esc(struct wn_buf *b, const char *s)
{
	if (s)
		wn_html_escape(b, s, strlen(s));
}

void wn_rep_fmt_int(struct wn_buf *b, uint64_t v)
{
	char d[32];
	int n = snprintf(d, sizeof d, "%" PRIu64, v);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			wn_buf_addc(b, ',');
		wn_buf_addc(b, d[i]);
	}
}

void wn_rep_fmt_bytes(struct wn_buf *b, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int k = 0;
	while (v >= 1024 && k < 5)
		v /= 1024, k++;
	if (k == 0)
		wn_buf_addf(b, "%.0f B", v);
	else
		wn_buf_addf(b, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, unit[k]);
}

static void fmt_secs(struct wn_buf *b, double s)
{
	if (s < 60)
		wn_buf_addf(b, "%.2f s", s);
	else if (s < 3600)
		wn_buf_addf(b, "%dm %02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		wn_buf_addf(b, "%dh %02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* Power-of-two bucket label: 0 -> "0-1 B", 10 -> "1 KiB". */
static void bucket_label(char *out, size_t n, int k)
{
	static const char *const unit[] = { "B", "K", "M", "G", "T" };
	if (k == 0) {
		snprintf(out, n, "<2B");
		return;
	}
	snprintf(out, n, "%d%s", 1 << (k % 10), unit[k / 10 < 4 ? k / 10 : 4]);
}

/* <td> with the exact value for machines and a formatted one for people. */
enum { F_INT, F_BYTES, F_SECS, F_PCT, F_REAL };
static void td(struct wn_buf *b, const char *key, double v, int fmt)
{
	wn_buf_adds(b, "<td class=\"r\"");
	if (key) {
		wn_buf_adds(b, " data-key=\"");
		esc(b, key);
		if (fmt == F_INT || fmt == F_BYTES)
			wn_buf_addf(b, "\" data-v=\"%.0f\">", v);
		else
			wn_buf_addf(b, "\" data-v=\"%.6g\">", v);
	} else {
		wn_buf_adds(b, ">");
	}
	switch (fmt) {
	case F_INT: wn_rep_fmt_int(b, (uint64_t)v); break;
	case F_BYTES: wn_rep_fmt_bytes(b, v); break;
	case F_SECS: fmt_secs(b, v); break;
	case F_PCT: wn_buf_addf(b, "%.2f%%", 100 * v); break;
	default: wn_buf_addf(b, "%.3g", v);
	}
	wn_buf_adds(b, "</td>");
}

static void td_text(struct wn_buf *b, const char *s)
{
	wn_buf_adds(b, "<td>");
	esc(b, s);
	wn_buf_adds(b, "</td>");
}

static void td_absent(struct wn_buf *b)
{
	wn_buf_adds(b, "<td class=\"r na\">&ndash;</td>");
}

/* Keys: "STEP/INDEX/FIELD"; built in a small reusable buffer. */
static const char *key(struct wn_buf *k, const char *fmt, ...) WN_PRINTF(2, 3);
static const char *key(struct wn_buf *k, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	wn_buf_reset(k);
	wn_buf_adds(k, tmp);
	return k->data;
}

static void section(struct wn_buf *b, const char *id, const char *title, const char *what)
{
	wn_buf_addf(b, "<section id=\"%s\"><h2>%s</h2>", id, title);
	if (what)
		wn_buf_addf(b, "<p class=\"what\">%s</p>", what);
}

static void absent(struct wn_buf *b, const char *why)
{
	wn_buf_adds(b, "<p class=\"absent\">not in this run");
	if (why)
		wn_buf_addf(b, " &mdash; %s", why);
	wn_buf_adds(b, "</p>");
}

/* Palette: blue = kept, orange = rejected, dark red = malformed, grey = before. */
static const char *const C_AFTER = "#2f6fb3", *const C_BEFORE = "#a3b1c2";

/* ---- what the sections share ------------------------------------------------- */

struct stage_ref {
	const struct wn_rep_step *step;
	const struct wn_rep_stage *g;
};

/* Every stage in pipeline order (steps in run.json order, stages in chain order). */
static struct stage_ref *all_stages(const struct wn_report *r, size_t *n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < r->nsteps; i++)
		cnt += r->steps[i].nstages;
	struct stage_ref *v = wn_xcalloc(cnt ? cnt : 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < r->nsteps; i++)
		for (size_t j = 0; j < r->steps[i].nstages; j++)
			v[k++] = (struct stage_ref){ &r->steps[i], &r->steps[i].stages[j] };
	*n = k;
	return v;
}

static void stage_label(struct wn_buf *b, const struct stage_ref *s)
{
	if (!strcmp(s->step->name, s->g->name) || s->step->nstages == 0)
		wn_buf_adds(b, s->g->name);
	else
		wn_buf_addf(b, "%s \xC2\xB7 %s", s->step->name, s->g->name);
}

/* Stages whose records are JSONL documents (not token streams, count
 * files or shards): the "after" length histogram comes from the last one. */
static int is_doc_stage(const struct wn_rep_stage *g)
{
	static const char *const non_doc[] = { "tokenize", "pack", "bpe", "bpe-count", "bpe-train", NULL };
	for (const char *const *p = non_doc; *p; p++)
		if (!strcmp(g->name, *p))
			return 0;
	return g->nhist_out > 0;
}

static int cmp_kv_desc(const void *a, const void *b)
{
	const struct wn_rep_kv *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int cmp_kv_num(const void *a, const void *b)
{
	const struct wn_rep_kv *x = a, *y = b;
	double u = strtod(x->key, NULL), v = strtod(y->key, NULL);
	return u < v ? -1 : u > v ? 1 : strcmp(x->key, y->key);
}

static struct wn_rep_kv *sorted(const struct wn_rep_map *m, int (*cmp)(const void *, const void *))
{
	struct wn_rep_kv *v = wn_xcalloc(m->n ? m->n : 1, sizeof *v);
	if (m->n)
		memcpy(v, m->v, m->n * sizeof *v);
	qsort(v, m->n, sizeof *v, cmp);
	return v;
}

/* Pack manifest members (jansson). */
static const json_t *jpath(const json_t *o, const char *a, const char *b)
{
	const json_t *j = json_object_get(o, a);
	return b ? json_object_get(j, b) : j;
}

static int jnum(const json_t *j, double *v)
{
	if (!json_is_number(j))
		return 0;
	*v = json_number_value(j);
	return 1;
}

/* ---- header and summary -------------------------------------------------------- */

static void head(struct wn_buf *b, const struct wn_report *r)
{
	wn_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		       "<meta name=\"generator\" content=\"winnow-report " WN_VERSION "\"><title>winnow run report");
	if (r->name) {
		wn_buf_adds(b, ": ");
		esc(b, r->name);
	}
	wn_buf_adds(b,
		    "</title>\n<style>\n"
		    "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",\"Liberation Sans\",sans-serif;"
		    "color:#1f2933;background:#f3f5f8;margin:0}\n"
		    "main{max-width:1120px;margin:0 auto;padding:20px 24px 40px}\n"
		    "h1{font-size:24px;margin:0 0 2px}h2{font-size:18px;margin:0 0 6px}h3{font-size:14px;margin:14px 0 4px}\n"
		    ".meta{color:#52606d;margin:0 0 12px}.meta b{color:#1f2933;font-weight:600}\n"
		    "nav{margin:10px 0 4px;font-size:13px}nav a{color:#2f6fb3;margin-right:12px;text-decoration:none}\n"
		    "section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:14px 20px 16px;margin:14px 0}\n"
		    ".what{color:#52606d;margin:0 0 8px;font-size:13px}\n"
		    ".absent{color:#7b8794;font-style:italic;margin:6px 0}\n"
		    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}\n"
		    ".card{flex:1 1 0;min-width:130px;background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:10px 14px}\n"
		    ".card .l{color:#52606d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
		    ".card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}\n"
		    ".card.bad .v{color:#9b2c2c}\n"
		    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px;margin:6px 0}\n"
		    "th,td{padding:4px 8px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}\n"
		    "th{background:#f7f9fb;font-weight:600;color:#3e4c59}\n"
		    "td.r,th.r{text-align:right}td.na{color:#9aa5b1}\n"
		    "table.kv{width:auto;min-width:440px}table.kv th{width:260px;background:none;font-weight:500}\n"
		    "tr.sub td{color:#52606d}\n"
		    "code{font-family:ui-monospace,\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;font-size:12px;word-break:break-all}\n"
		    "details{margin:6px 0}summary{cursor:pointer;color:#2f6fb3;font-size:13px}\n"
		    ".warn li{color:#8a4b08}\n"
		    ".ok{color:#3c8d6e}.fail{color:#9b2c2c;font-weight:600}\n"
		    "svg.chart{width:100%;height:auto;display:block;margin:6px 0}\n"
		    "svg text{font-size:12px;fill:#323f4b}svg text.nt{fill:#52606d}svg text.in{fill:#fff;font-weight:600}\n"
		    "svg text.tk{font-size:11px;fill:#616e7c}svg text.axl{font-size:12px;fill:#52606d}\n"
		    "svg .zebra{fill:#f7f9fb}svg .ax{stroke:#9aa5b1}svg .grid{stroke:#eceff3}\n"
		    ".two{display:grid;grid-template-columns:1fr 1fr;gap:16px}\n"
		    "footer{color:#7b8794;font-size:12px;margin-top:20px}\n"
		    "</style></head><body><main>\n");
}

static uint64_t total_unrecovered(const struct wn_report *r)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->nfails; i++)
		n += !r->fails[i].recovered;
	return n;
}

static void card(struct wn_buf *b, const char *label, const char *value, int bad)
{
	wn_buf_addf(b, "<div class=\"card%s\"><div class=\"l\">%s</div><div class=\"v\">", bad ? " bad" : "", label);
	wn_buf_adds(b, value);
	wn_buf_adds(b, "</div></div>");
}

static void summary(struct wn_buf *b, const struct wn_report *r, const struct stage_ref *st, size_t n)
{
	wn_buf_adds(b, "<h1>winnow run report");
	if (r->name) {
		wn_buf_adds(b, ": ");
		esc(b, r->name);
	}
	wn_buf_adds(b, "</h1><p class=\"meta\">");
	const struct {
		const char *label, *value;
	} meta[] = { { "pipeline", r->yaml },     { "executor", r->executor }, { "status", r->status },
		     { "started", r->started }, { "ended", r->ended } };
	for (size_t i = 0; i < WN_ARRAY_SIZE(meta); i++) {
		if (!meta[i].value)
			continue;
		wn_buf_addf(b, "%s <b>", meta[i].label);
		esc(b, meta[i].value);
		wn_buf_adds(b, "</b> &middot; ");
	}
	wn_buf_adds(b, "work directory <code>");
	esc(b, r->workdir);
	wn_buf_adds(b, "</code>");
	if (!r->has_run)
		wn_buf_adds(b, " &middot; no readable run.json: steps are the directories holding markers, in name order");
	wn_buf_adds(b, "</p>\n<div class=\"cards\">");
	struct wn_buf v = WN_BUF_INIT;
	const struct wn_rep_stage *first = NULL, *lastdoc = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!first && st[i].g->tasks)
			first = st[i].g;
		if (is_doc_stage(st[i].g))
			lastdoc = st[i].g;
	}
	if (first) {
		wn_rep_fmt_int(&v, first->docs_in);
		card(b, "records in", v.data, 0);
	}
	if (lastdoc) {
		wn_buf_reset(&v);
		wn_rep_fmt_int(&v, lastdoc->docs_out);
		card(b, "documents out", v.data, 0);
		wn_buf_reset(&v);
		wn_rep_fmt_bytes(&v, (double)lastdoc->bytes_out);
		card(b, "bytes out", v.data, 0);
	}
	double tokens = -1;
	for (size_t i = 0; i < r->npacks; i++) {
		double t;
		if (jnum(json_object_get(jpath(r->packs[i].json, "counts", "train"), "tokens"), &t))
			tokens = (tokens < 0 ? 0 : tokens) + t;
	}
	for (size_t i = 0; tokens < 0 && i < n; i++)
		if (st[i].g->has_tokens)
			tokens = (double)st[i].g->tokens;
	if (tokens >= 0) {
		wn_buf_reset(&v);
		wn_rep_fmt_int(&v, (uint64_t)tokens);
		card(b, r->npacks ? "tokens packed" : "tokens", v.data, 0);
	}
	if (r->started_t >= 0 && r->ended_t >= r->started_t) {
		wn_buf_reset(&v);
		fmt_secs(&v, r->ended_t - r->started_t);
		card(b, "wall time", v.data, 0);
	}
	uint64_t nf = total_unrecovered(r);
	wn_buf_reset(&v);
	wn_rep_fmt_int(&v, nf);
	card(b, "failed tasks", v.data, nf > 0);
	wn_buf_release(&v);
	wn_buf_adds(b, "</div>\n<nav><a href=\"#funnel\">funnel</a><a href=\"#rejections\">rejections</a>"
		       "<a href=\"#lengths\">lengths</a><a href=\"#languages\">languages</a><a href=\"#duplicates\">duplicates</a>"
		       "<a href=\"#tokenizer\">tokenizer</a><a href=\"#packing\">packing</a><a href=\"#timings\">timings</a>"
		       "<a href=\"#failures\">failures</a></nav>\n");
}

/* ---- funnel ----------------------------------------------------------------------- */

static void funnel(struct wn_buf *b, const struct stage_ref *st, size_t n)
{
	section(b, "funnel", "Funnel",
		"Documents, bytes and tokens through every stage, summed over the tasks of its step, in pipeline order. "
		"Each bar is the stage's input: what it passed on, rejected, or found malformed.");
	if (!n) {
		absent(b, "no completed task has stats yet");
		wn_buf_adds(b, "</section>\n");
		return;
	}
	struct wn_svg_row *rows = wn_xcalloc(n, sizeof *rows);
	struct wn_buf *labels = wn_xcalloc(n, sizeof *labels), *notes = wn_xcalloc(n, sizeof *notes);
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		stage_label(&labels[i], &st[i]);
		wn_rep_fmt_int(&notes[i], g->docs_in);
		wn_buf_adds(&notes[i], " \xE2\x86\x92 ");
		wn_rep_fmt_int(&notes[i], g->docs_out);
		if (g->docs_in)
			wn_buf_addf(&notes[i], " (%.1f%%)", 100.0 * (double)g->docs_out / (double)g->docs_in);
		rows[i] = (struct wn_svg_row){ labels[i].data, notes[i].data,
					       { (double)g->docs_out, (double)g->docs_rejected, (double)g->docs_bad } };
	}
	static const struct wn_svg_series docs[] = { { "passed on", "#2f6fb3" }, { "rejected", "#e8864f" },
						     { "malformed", "#9b2c2c" } };
	wn_buf_adds(b, "<h3>Documents</h3>");
	wn_svg_hbars(b, "documents per stage", rows, n, docs, 3, 1, 0);
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		wn_buf_reset(&notes[i]);
		wn_rep_fmt_bytes(&notes[i], (double)g->bytes_in);
		wn_buf_adds(&notes[i], " \xE2\x86\x92 ");
		wn_rep_fmt_bytes(&notes[i], (double)g->bytes_out);
		rows[i].note = notes[i].data;
		rows[i].seg[0] = (double)g->bytes_in;
		rows[i].seg[1] = (double)g->bytes_out;
		rows[i].seg[2] = 0;
	}
	static const struct wn_svg_series bytes[] = { { "bytes in", "#b9cde5" }, { "bytes out", "#2f6fb3" } };
	wn_buf_adds(b, "<h3>Bytes</h3>");
	wn_svg_hbars(b, "bytes per stage", rows, n, bytes, 2, 0, 0);
	size_t ntok = 0;
	for (size_t i = 0; i < n; i++) {
		if (!st[i].g->has_tokens)
			continue;
		wn_buf_reset(&notes[i]);
		wn_rep_fmt_int(&notes[i], st[i].g->tokens);
		rows[ntok] = (struct wn_svg_row){ labels[i].data, notes[i].data, { (double)st[i].g->tokens } };
		ntok++;
	}
	wn_buf_adds(b, "<h3>Tokens</h3>");
	if (ntok) {
		static const struct wn_svg_series toks[] = { { "tokens", "#3c8d6e" } };
		wn_svg_hbars(b, "tokens per stage", rows, ntok, toks, 1, 1, 0);
	} else {
		absent(b, "no stage reported a token count (\"tokens_out\" or \"tokens\" in its stats)");
	}
	for (size_t i = 0; i < n; i++) {
		wn_buf_release(&labels[i]);
		wn_buf_release(&notes[i]);
	}
	free(labels);
	free(notes);
	free(rows);

	struct wn_buf k = WN_BUF_INIT;
	wn_buf_adds(b, "<table><tr><th>step</th><th>stage</th><th class=\"r\">tasks</th><th class=\"r\">docs in</th>"
		       "<th class=\"r\">out</th><th class=\"r\">rejected</th><th class=\"r\">bad</th>"
		       "<th class=\"r\">bytes in</th><th class=\"r\">bytes out</th><th class=\"r\">tokens</th>"
		       "<th class=\"r\">input errors</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		const char *sn = st[i].step->name;
		wn_buf_adds(b, "<tr>");
		td_text(b, sn);
		td_text(b, g->name);
		td(b, key(&k, "%s/%d/tasks", sn, g->index), (double)g->tasks, F_INT);
		td(b, key(&k, "%s/%d/docs_in", sn, g->index), (double)g->docs_in, F_INT);
		td(b, key(&k, "%s/%d/docs_out", sn, g->index), (double)g->docs_out, F_INT);
		td(b, key(&k, "%s/%d/docs_rejected", sn, g->index), (double)g->docs_rejected, F_INT);
		td(b, key(&k, "%s/%d/docs_bad", sn, g->index), (double)g->docs_bad, F_INT);
		td(b, key(&k, "%s/%d/bytes_in", sn, g->index), (double)g->bytes_in, F_BYTES);
		td(b, key(&k, "%s/%d/bytes_out", sn, g->index), (double)g->bytes_out, F_BYTES);
		if (g->has_tokens)
			td(b, key(&k, "%s/%d/tokens", sn, g->index), (double)g->tokens, F_INT);
		else
			td_absent(b);
		td(b, key(&k, "%s/%d/input_errors", sn, g->index), (double)g->input_errors, F_INT);
		wn_buf_adds(b, "</tr>\n");
	}
	wn_buf_adds(b, "</table></section>\n");
	wn_buf_release(&k);
}

/* ---- rejections ----------------------------------------------------------------------- */

#define TOP_RULES 20

static void rejections(struct wn_buf *b, const struct stage_ref *st, size_t n)
{
	section(b, "rejections", "Rejections per rule",
		"Every reason a stage counted (rejections and other counted events), per stage, largest first, and the "
		"malformed records it skipped.");
	struct wn_buf k = WN_BUF_INIT, lab = WN_BUF_INIT;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		if (!g->reasons.n && !g->docs_bad)
			continue;
		any = 1;
		wn_buf_reset(&lab);
		stage_label(&lab, &st[i]);
		wn_buf_adds(b, "<h3>");
		esc(b, lab.data);
		wn_buf_adds(b, "</h3>");
		struct wn_rep_kv *v = sorted(&g->reasons, cmp_kv_desc);
		size_t shown = g->reasons.n > TOP_RULES ? TOP_RULES : g->reasons.n;
		struct wn_svg_row *rows = wn_xcalloc(shown + 2, sizeof *rows);
		struct wn_buf *notes = wn_xcalloc(shown + 2, sizeof *notes);
		uint64_t rest = 0;
		for (size_t j = shown; j < g->reasons.n; j++)
			rest += v[j].n;
		for (size_t j = 0; j < shown; j++) {
			wn_rep_fmt_int(&notes[j], v[j].n);
			if (g->docs_in)
				wn_buf_addf(&notes[j], " (%.2f%% of input)", 100.0 * (double)v[j].n / (double)g->docs_in);
			rows[j] = (struct wn_svg_row){ v[j].key, notes[j].data, { (double)v[j].n } };
		}
		if (rest) {
			wn_buf_addf(&notes[shown], "%zu more rules: ", g->reasons.n - shown);
			wn_rep_fmt_int(&notes[shown], rest);
			rows[shown] = (struct wn_svg_row){ "(other rules)", notes[shown].data, { (double)rest } };
		}
		size_t nrows = shown + (rest > 0);
		/* malformed input is not a rule, but it is lost too: show it beside them */
		if (g->docs_bad) {
			wn_rep_fmt_int(&notes[shown + 1], g->docs_bad);
			wn_buf_adds(&notes[shown + 1], " malformed");
			if (g->docs_in)
				wn_buf_addf(&notes[shown + 1], " (%.2f%% of input)",
					    100.0 * (double)g->docs_bad / (double)g->docs_in);
			rows[nrows++] = (struct wn_svg_row){ "(malformed records)", notes[shown + 1].data,
							     { 0, (double)g->docs_bad } };
		}
		static const struct wn_svg_series s[] = { { "rejected", "#e8864f" }, { "malformed", "#9b2c2c" } };
		wn_svg_hbars(b, lab.data, rows, nrows, s, g->docs_bad ? 2 : 1, 1, 0);
		wn_buf_adds(b, "<details><summary>table</summary><table><tr><th>rule</th><th class=\"r\">count</th>"
			       "<th class=\"r\">share of input</th></tr>");
		for (size_t j = 0; j < g->reasons.n; j++) {
			wn_buf_adds(b, "<tr>");
			td_text(b, v[j].key);
			td(b, key(&k, "%s/%d/reason/%s", st[i].step->name, g->index, v[j].key), (double)v[j].n, F_INT);
			if (g->docs_in)
				td(b, NULL, (double)v[j].n / (double)g->docs_in, F_PCT);
			else
				td_absent(b);
			wn_buf_adds(b, "</tr>");
		}
		wn_buf_adds(b, "</table></details>\n");
		for (size_t j = 0; j < shown + 2; j++)
			wn_buf_release(&notes[j]);
		free(notes);
		free(rows);
		free(v);
	}
	if (!any)
		absent(b, "no stage counted a rejection or a malformed record");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
	wn_buf_release(&lab);
}

/* ---- lengths ------------------------------------------------------------------------- */

static void lengths(struct wn_buf *b, const struct stage_ref *st, size_t n)
{
	section(b, "lengths", "Document lengths",
		"Records per size class (powers of two, in bytes of the JSONL line): entering the first stage, and "
		"leaving the last stage that writes documents.");
	const struct stage_ref *before = NULL, *after = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!before && st[i].g->nhist_in)
			before = &st[i];
		if (is_doc_stage(st[i].g))
			after = &st[i];
	}
	if (!before && !after) {
		absent(b, "no stage wrote length histograms (hist_bytes_in / hist_bytes_out)");
		wn_buf_adds(b, "</section>\n");
		return;
	}
	int nb = 0;
	if (before)
		nb = before->g->nhist_in;
	if (after && after->g->nhist_out > nb)
		nb = after->g->nhist_out;
	int lo = 0;
	while (lo < nb - 1 && !(before && before->g->hist_in[lo]) && !(after && after->g->hist_out[lo]))
		lo++;
	size_t nbk = (size_t)(nb - lo);
	double *vals = wn_xcalloc(nbk * 2, sizeof *vals);
	char(*lbl)[16] = wn_xcalloc(nbk, sizeof *lbl);
	const char **labels = wn_xcalloc(nbk, sizeof *labels);
	for (size_t i = 0; i < nbk; i++) {
		vals[2 * i] = before ? (double)before->g->hist_in[lo + (int)i] : 0;
		vals[2 * i + 1] = after ? (double)after->g->hist_out[lo + (int)i] : 0;
		bucket_label(lbl[i], sizeof lbl[i], lo + (int)i);
		labels[i] = lbl[i];
	}
	struct wn_buf nb1 = WN_BUF_INIT, nb2 = WN_BUF_INIT;
	wn_buf_adds(&nb1, "before: into ");
	if (before)
		stage_label(&nb1, before);
	wn_buf_adds(&nb2, "after: out of ");
	if (after)
		stage_label(&nb2, after);
	const struct wn_svg_series s[] = { { nb1.data, C_BEFORE }, { nb2.data, C_AFTER } };
	wn_svg_columns(b, "document length histogram", labels, nbk, vals, s, 2, 0, "record size (bytes, log2 classes)",
		       "records");
	if (!after)
		absent(b, "no document stage wrote hist_bytes_out, so there is no \"after\"");
	struct wn_buf k = WN_BUF_INIT;
	wn_buf_adds(b, "<details><summary>table</summary><table><tr><th>size class</th>");
	wn_buf_adds(b, "<th class=\"r\">");
	esc(b, nb1.data);
	wn_buf_adds(b, "</th><th class=\"r\">");
	esc(b, nb2.data);
	wn_buf_adds(b, "</th></tr>");
	for (size_t i = 0; i < nbk; i++) {
		int bk = lo + (int)i;
		wn_buf_addf(b, "<tr><td>[2<sup>%d</sup>, 2<sup>%d</sup>) B</td>", bk, bk + 1);
		td(b, key(&k, "hist/before/%d", bk), vals[2 * i], F_INT);
		td(b, key(&k, "hist/after/%d", bk), vals[2 * i + 1], F_INT);
		wn_buf_adds(b, "</tr>");
	}
	wn_buf_adds(b, "</table></details></section>\n");
	wn_buf_release(&k);
	wn_buf_release(&nb1);
	wn_buf_release(&nb2);
	free(vals);
	free(lbl);
	free(labels);
}

/* ---- languages ------------------------------------------------------------------------ */

#define TOP_LANGS 20

static void languages(struct wn_buf *b, const struct stage_ref *st, size_t n)
{
	section(b, "languages", "Language distribution", "Documents per language as the language-id stage counted them.");
	struct wn_buf k = WN_BUF_INIT, lab = WN_BUF_INIT;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		if (!g->has_langs)
			continue;
		any = 1;
		wn_buf_reset(&lab);
		stage_label(&lab, &st[i]);
		wn_buf_adds(b, "<h3>");
		esc(b, lab.data);
		wn_buf_adds(b, "</h3>");
		struct wn_rep_kv *v = sorted(&g->langs, cmp_kv_desc);
		uint64_t total = 0, rest = 0;
		for (size_t j = 0; j < g->langs.n; j++)
			total += v[j].n;
		size_t shown = g->langs.n > TOP_LANGS ? TOP_LANGS : g->langs.n;
		for (size_t j = shown; j < g->langs.n; j++)
			rest += v[j].n;
		struct wn_svg_row *rows = wn_xcalloc(shown + 1, sizeof *rows);
		struct wn_buf *notes = wn_xcalloc(shown + 1, sizeof *notes);
		for (size_t j = 0; j < shown; j++) {
			wn_rep_fmt_int(&notes[j], v[j].n);
			wn_buf_addf(&notes[j], " (%.1f%%)", total ? 100.0 * (double)v[j].n / (double)total : 0);
			rows[j] = (struct wn_svg_row){ v[j].key, notes[j].data, { (double)v[j].n } };
		}
		if (rest) {
			wn_buf_addf(&notes[shown], "%zu more: ", g->langs.n - shown);
			wn_rep_fmt_int(&notes[shown], rest);
			rows[shown] = (struct wn_svg_row){ "(other languages)", notes[shown].data, { (double)rest } };
		}
		if (total) {
			static const struct wn_svg_series s[] = { { "documents", "#3c8d6e" } };
			wn_svg_hbars(b, lab.data, rows, shown + (rest > 0), s, 1, 1, 0);
		} else {
			absent(b, "the stage reported no language counts");
		}
		wn_buf_adds(b, "<details><summary>table</summary><table><tr><th>language</th><th class=\"r\">documents</th>"
			       "<th class=\"r\">share</th></tr>");
		for (size_t j = 0; j < g->langs.n; j++) {
			wn_buf_adds(b, "<tr>");
			td_text(b, v[j].key);
			td(b, key(&k, "%s/%d/lang/%s", st[i].step->name, g->index, v[j].key), (double)v[j].n, F_INT);
			td(b, NULL, total ? (double)v[j].n / (double)total : 0, F_PCT);
			wn_buf_adds(b, "</tr>");
		}
		wn_buf_adds(b, "</table></details>\n");
		for (size_t j = 0; j <= shown; j++)
			wn_buf_release(&notes[j]);
		free(notes);
		free(rows);
		free(v);
	}
	if (!any)
		absent(b, "no stage reported language counts (\"langs\" in its stats)");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
	wn_buf_release(&lab);
}

/* ---- duplicate clusters ------------------------------------------------------------------- */

static void duplicates(struct wn_buf *b, const struct stage_ref *st, size_t n)
{
	section(b, "duplicates", "Duplicate clusters",
		"How many clusters of near-duplicate documents had each size (documents per cluster).");
	struct wn_buf k = WN_BUF_INIT, lab = WN_BUF_INIT;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		if (!g->has_clusters)
			continue;
		any = 1;
		wn_buf_reset(&lab);
		stage_label(&lab, &st[i]);
		wn_buf_adds(b, "<h3>");
		esc(b, lab.data);
		wn_buf_adds(b, "</h3>");
		struct wn_rep_kv *v = sorted(&g->clusters, cmp_kv_num);
		uint64_t clusters = 0, docs = 0, removed = 0;
		for (size_t j = 0; j < g->clusters.n; j++) {
			uint64_t size = strtoull(v[j].key, NULL, 10);
			clusters += v[j].n;
			docs += size * v[j].n;
			removed += size ? (size - 1) * v[j].n : 0;
		}
		wn_buf_adds(b, "<table class=\"kv\"><tr><th>clusters</th>");
		td(b, key(&k, "%s/%d/clusters", st[i].step->name, g->index), (double)clusters, F_INT);
		wn_buf_adds(b, "</tr><tr><th>documents in them</th>");
		td(b, key(&k, "%s/%d/cluster_docs", st[i].step->name, g->index), (double)docs, F_INT);
		wn_buf_adds(b, "</tr><tr><th>copies beyond the first</th>");
		td(b, key(&k, "%s/%d/cluster_copies", st[i].step->name, g->index), (double)removed, F_INT);
		wn_buf_adds(b, "</tr></table>");
		/* One column per size while they are few; log2 classes beyond. */
		size_t nb;
		double *vals;
		char(*lbl)[24];
		if (g->clusters.n <= 32) {
			nb = g->clusters.n;
			vals = wn_xcalloc(nb ? nb : 1, sizeof *vals);
			lbl = wn_xcalloc(nb ? nb : 1, sizeof *lbl);
			for (size_t j = 0; j < nb; j++) {
				vals[j] = (double)v[j].n;
				snprintf(lbl[j], sizeof lbl[j], "%.20s", v[j].key);
			}
		} else {
			nb = 64;
			vals = wn_xcalloc(nb, sizeof *vals);
			lbl = wn_xcalloc(nb, sizeof *lbl);
			size_t top = 0;
			for (size_t j = 0; j < g->clusters.n; j++) {
				uint64_t size = strtoull(v[j].key, NULL, 10);
				size_t c = 0;
				while (c < 63 && (2ull << c) <= size)
					c++;
				vals[c] += (double)v[j].n;
				if (c + 1 > top)
					top = c + 1;
			}
			for (size_t c = 0; c < top; c++)
				snprintf(lbl[c], sizeof lbl[c], c ? "%llu-%llu" : "1", 1ull << c, (2ull << c) - 1);
			nb = top;
		}
		const char **labels = wn_xcalloc(nb ? nb : 1, sizeof *labels);
		for (size_t j = 0; j < nb; j++)
			labels[j] = lbl[j];
		static const struct wn_svg_series s[] = { { "clusters", "#7b61b3" } };
		if (nb)
			wn_svg_columns(b, lab.data, labels, nb, vals, s, 1, 1, "cluster size (documents)", "clusters (log scale)");
		wn_buf_adds(b, "<details><summary>table</summary><table><tr><th>cluster size</th><th class=\"r\">clusters</th></tr>");
		for (size_t j = 0; j < g->clusters.n; j++) {
			wn_buf_adds(b, "<tr>");
			td_text(b, v[j].key);
			td(b, key(&k, "%s/%d/cluster/%s", st[i].step->name, g->index, v[j].key), (double)v[j].n, F_INT);
			wn_buf_adds(b, "</tr>");
		}
		wn_buf_adds(b, "</table></details>\n");
		free(labels);
		free(lbl);
		free(vals);
		free(v);
	}
	if (!any)
		absent(b, "no dedup stage reported cluster sizes (\"cluster_sizes\" in its stats)");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
	wn_buf_release(&lab);
}

/* A per-file step that leaves a manifest per task would otherwise fill the
 * page; the --json dump keeps them all. */
#define MAX_SIDES 8

static void more_sides(struct wn_buf *b, size_t n, const char *what)
{
	if (n > MAX_SIDES)
		wn_buf_addf(b, "<p class=\"what\">%zu more %s not shown (all are in the --json dump).</p>", n - MAX_SIDES,
			    what);
}

/* ---- tokenizer ---------------------------------------------------------------------------- */

static void row_json(struct wn_buf *b, const char *label, const json_t *j, const char *k, int fmt)
{
	double v;
	wn_buf_adds(b, "<tr><th>");
	wn_buf_adds(b, label);
	wn_buf_adds(b, "</th>");
	if (jnum(j, &v))
		td(b, k, v, fmt);
	else if (json_is_string(j)) {
		wn_buf_adds(b, "<td class=\"r\">");
		esc(b, json_string_value(j));
		wn_buf_adds(b, "</td>");
	}
	else
		td_absent(b);
	wn_buf_adds(b, "</tr>");
}

static void tokenizer(struct wn_buf *b, const struct wn_report *r, const struct stage_ref *st, size_t n)
{
	section(b, "tokenizer", "Tokenizer", "The trained vocabulary and how densely the tokenizer encodes the corpus.");
	struct wn_buf k = WN_BUF_INIT;
	int any = 0;
	for (size_t i = 0; i < r->ntokenizers && i < MAX_SIDES; i++) {
		const json_t *m = r->tokenizers[i].json;
		any = 1;
		wn_buf_adds(b, "<h3>");
		esc(b, r->tokenizers[i].step);
		wn_buf_adds(b, ": <code>");
		esc(b, r->tokenizers[i].path);
		wn_buf_adds(b, "</code></h3><table class=\"kv\">");
		row_json(b, "vocabulary size", json_object_get(m, "vocab_size"), key(&k, "tokenizer/%zu/vocab_size", i), F_INT);
		row_json(b, "vocabulary requested", json_object_get(m, "vocab_size_requested"), NULL, F_INT);
		row_json(b, "merges", json_object_get(m, "merges"), key(&k, "tokenizer/%zu/merges", i), F_INT);
		row_json(b, "pre-tokenizer", json_object_get(m, "pattern_name"), NULL, F_INT);
		const json_t *t = json_object_get(m, "training");
		row_json(b, "training documents", json_object_get(t, "docs"), key(&k, "tokenizer/%zu/training_docs", i), F_INT);
		row_json(b, "training text", json_object_get(t, "bytes"), key(&k, "tokenizer/%zu/training_bytes", i), F_BYTES);
		row_json(b, "distinct pieces", json_object_get(t, "distinct_pieces"), NULL, F_INT);
		row_json(b, "training time", json_object_get(t, "seconds"), NULL, F_SECS);
		row_json(b, "hash", json_object_get(m, "hash"), NULL, F_INT);
		wn_buf_adds(b, "</table>");
	}
	/* vocab from stats (a bpe stage without meta.json found) and density */
	for (size_t i = 0; i < n; i++) {
		const struct wn_rep_stage *g = st[i].g;
		if (!g->has_vocab && !g->has_tokens)
			continue;
		any = 1;
		struct wn_buf lab = WN_BUF_INIT;
		stage_label(&lab, &st[i]);
		wn_buf_adds(b, "<h3>");
		esc(b, lab.data);
		wn_buf_adds(b, "</h3><table class=\"kv\">");
		wn_buf_release(&lab);
		const char *sn = st[i].step->name;
		if (g->has_vocab) {
			wn_buf_adds(b, "<tr><th>vocabulary size (stats)</th>");
			td(b, key(&k, "%s/%d/vocab_size", sn, g->index), (double)g->vocab_size, F_INT);
			wn_buf_adds(b, "</tr>");
		}
		if (g->has_tokens && g->tokens) {
			wn_buf_adds(b, "<tr><th>tokens</th>");
			td(b, NULL, (double)g->tokens, F_INT);
			wn_buf_adds(b, "</tr><tr><th>documents</th>");
			td(b, NULL, (double)g->docs_out, F_INT);
			wn_buf_adds(b, "</tr><tr><th>tokens per document</th>");
			td(b, key(&k, "%s/%d/tokens_per_doc", sn, g->index),
			   g->docs_out ? (double)g->tokens / (double)g->docs_out : 0, F_REAL);
			if (g->has_text_bytes) {
				wn_buf_adds(b, "</tr><tr><th>text bytes per token</th>");
				td(b, key(&k, "%s/%d/bytes_per_token", sn, g->index), (double)g->text_bytes / (double)g->tokens,
				   F_REAL);
			} else {
				wn_buf_adds(b, "</tr><tr><th>input bytes per token<br><small>(JSONL lines: an upper bound; the "
					       "stage reported no text_bytes)</small></th>");
				td(b, key(&k, "%s/%d/jsonl_bytes_per_token", sn, g->index),
				   (double)g->bytes_in / (double)g->tokens, F_REAL);
			}
			wn_buf_adds(b, "</tr>");
		}
		wn_buf_adds(b, "</table>");
	}
	more_sides(b, r->ntokenizers, "tokenizer.meta.json files");
	if (!any)
		absent(b, "no tokenizer.meta.json in a step's output and no stage reported vocab_size or tokens");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
}

/* ---- packing -------------------------------------------------------------------------------- */

static void packing(struct wn_buf *b, const struct wn_report *r)
{
	section(b, "packing", "Packing", "How full the training rows are, and what each source contributed (manifest.json).");
	struct wn_buf k = WN_BUF_INIT;
	for (size_t i = 0; i < r->npacks && i < MAX_SIDES; i++) {
		const json_t *m = r->packs[i].json;
		wn_buf_adds(b, "<h3>");
		esc(b, r->packs[i].step);
		wn_buf_adds(b, ": <code>");
		esc(b, r->packs[i].path);
		wn_buf_adds(b, "</code></h3><p class=\"what\">");
		static const char *const facts[] = { "format", "mode", "pack", "dtype", "seq_len", NULL };
		for (const char *const *f = facts; *f; f++) {
			const json_t *j = json_object_get(m, *f);
			if (json_is_string(j) || json_is_integer(j)) {
				wn_buf_addf(b, "%s <b>", *f);
				if (json_is_string(j))
					esc(b, json_string_value(j));
				else
					wn_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
				wn_buf_adds(b, "</b> &nbsp; ");
			}
		}
		wn_buf_adds(b, "</p>");
		const json_t *counts = json_object_get(m, "counts");
		const char *split;
		const json_t *c;
		double fill;
		const json_t *train = json_object_get(counts, "train");
		if (jnum(json_object_get(train, "fill_rate"), &fill)) {
			double parts[2] = { fill, 1 - fill };
			static const struct wn_svg_series s[] = { { "tokens", "#2f6fb3" }, { "padding", "#d9dee4" } };
			wn_svg_split(b, "fill of the training rows", parts, s, 2);
		}
		wn_buf_adds(b, "<table><tr><th>split</th><th class=\"r\">documents</th><th class=\"r\">tokens</th>"
			       "<th class=\"r\">rows</th><th class=\"r\">padding tokens</th><th class=\"r\">fill rate</th>"
			       "<th class=\"r\">documents cut</th><th class=\"r\">tokens cut</th><th class=\"r\">shards</th></tr>");
		json_object_foreach((json_t *)counts, split, c) {
			static const char *const cols[] = { "documents", "tokens", "rows", "padding_tokens", "fill_rate",
							    "documents_cut", "tokens_cut", "shards" };
			wn_buf_adds(b, "<tr>");
			td_text(b, split);
			for (size_t j = 0; j < WN_ARRAY_SIZE(cols); j++) {
				double v;
				if (jnum(json_object_get(c, cols[j]), &v))
					td(b, key(&k, "pack/%zu/%s/%s", i, split, cols[j]), v, j == 4 ? F_PCT : F_INT);
				else
					td_absent(b);
			}
			wn_buf_adds(b, "</tr>");
		}
		wn_buf_adds(b, "</table>");
		const json_t *sources = json_object_get(m, "sources"), *sv;
		const char *sname;
		size_t ns = json_object_size(sources);
		if (ns) {
			struct wn_svg_row *rows = wn_xcalloc(ns, sizeof *rows);
			struct wn_buf *notes = wn_xcalloc(ns, sizeof *notes);
			size_t j = 0;
			wn_buf_adds(b, "<h3>Sources</h3>");
			struct wn_buf tab = WN_BUF_INIT;
			wn_buf_adds(&tab, "<table><tr><th>source</th><th class=\"r\">documents in</th><th class=\"r\">tokens in</th>"
					  "<th class=\"r\">documents out</th><th class=\"r\">tokens out</th><th class=\"r\">share out</th></tr>");
			json_object_foreach((json_t *)sources, sname, sv) {
				double din = 0, tin = 0, dout = 0, tout = 0, share = 0;
				int h1 = jnum(json_object_get(sv, "documents_in"), &din), h2 = jnum(json_object_get(sv, "tokens_in"), &tin);
				int h3 = jnum(json_object_get(sv, "documents_out"), &dout), h4 = jnum(json_object_get(sv, "tokens_out"), &tout);
				int h5 = jnum(json_object_get(sv, "share_out"), &share);
				wn_buf_adds(&tab, "<tr>");
				td_text(&tab, sname);
				if (h1) td(&tab, key(&k, "pack/%zu/source/%s/documents_in", i, sname), din, F_INT); else td_absent(&tab);
				if (h2) td(&tab, key(&k, "pack/%zu/source/%s/tokens_in", i, sname), tin, F_INT); else td_absent(&tab);
				if (h3) td(&tab, key(&k, "pack/%zu/source/%s/documents_out", i, sname), dout, F_INT); else td_absent(&tab);
				if (h4) td(&tab, key(&k, "pack/%zu/source/%s/tokens_out", i, sname), tout, F_INT); else td_absent(&tab);
				if (h5) td(&tab, NULL, share, F_PCT); else td_absent(&tab);
				wn_buf_adds(&tab, "</tr>");
				wn_rep_fmt_int(&notes[j], (uint64_t)tout);
				wn_buf_adds(&notes[j], " tokens");
				if (h5)
					wn_buf_addf(&notes[j], " (%.1f%%)", 100 * share);
				rows[j] = (struct wn_svg_row){ sname, notes[j].data, { tout } };
				j++;
			}
			wn_buf_adds(&tab, "</table>");
			static const struct wn_svg_series s[] = { { "tokens out", "#2f6fb3" } };
			wn_svg_hbars(b, "tokens per source", rows, j, s, 1, 1, 0);
			wn_buf_add(b, tab.data, tab.len);
			wn_buf_release(&tab);
			for (size_t q = 0; q < ns; q++)
				wn_buf_release(&notes[q]);
			free(notes);
			free(rows);
		}
	}
	more_sides(b, r->npacks, "manifest.json files");
	if (!r->npacks)
		absent(b, "no manifest.json in a step's output");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
}

/* ---- timings ---------------------------------------------------------------------------------- */

static void timings(struct wn_buf *b, const struct wn_report *r, const struct stage_ref *st, size_t n)
{
	section(b, "timings", "Timings per step",
		"Task-seconds summed over a step's completed tasks, the slowest task, the step's wall time (first task "
		"start to last task end; shorter than the task-seconds when tasks ran in parallel), and the stages' own time.");
	if (!r->nsteps) {
		absent(b, "no steps");
		wn_buf_adds(b, "</section>\n");
		return;
	}
	struct wn_svg_row *rows = wn_xcalloc(r->nsteps, sizeof *rows);
	struct wn_buf *notes = wn_xcalloc(r->nsteps, sizeof *notes);
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct wn_rep_step *s = &r->steps[i];
		double wall = s->last_finish >= 0 ? s->last_finish - s->first_start : 0;
		fmt_secs(&notes[i], s->seconds);
		wn_buf_adds(&notes[i], " of tasks");
		if (s->last_finish >= 0) {
			wn_buf_adds(&notes[i], " in ");
			fmt_secs(&notes[i], wall);
			wn_buf_adds(&notes[i], " wall");
		}
		rows[i] = (struct wn_svg_row){ s->name, notes[i].data, { s->seconds, wall } };
	}
	static const struct wn_svg_series ser[] = { { "task-seconds", "#3c8d6e" }, { "wall time", "#a3b1c2" } };
	wn_svg_hbars(b, "task-seconds and wall time per step", rows, r->nsteps, ser, 2, 0, 0);
	for (size_t i = 0; i < r->nsteps; i++)
		wn_buf_release(&notes[i]);
	free(notes);
	free(rows);
	struct wn_buf k = WN_BUF_INIT;
	wn_buf_adds(b, "<table><tr><th>step</th><th>kind</th><th class=\"r\">tasks</th><th class=\"r\">done</th>"
		       "<th class=\"r\">failed</th><th class=\"r\">task-seconds</th><th class=\"r\">slowest task</th>"
		       "<th class=\"r\">wall time</th></tr>");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct wn_rep_step *s = &r->steps[i];
		wn_buf_adds(b, "<tr>");
		td_text(b, s->name);
		td_text(b, s->barrier ? "barrier" : "per file");
		if (s->tasks >= 0) td(b, key(&k, "%s/tasks", s->name), (double)s->tasks, F_INT); else td_absent(b);
		td(b, key(&k, "%s/done", s->name), s->done >= 0 ? (double)s->done : (double)s->done_files, F_INT);
		td(b, key(&k, "%s/failed", s->name), s->failed >= 0 ? (double)s->failed : (double)s->failed_files, F_INT);
		td(b, key(&k, "%s/seconds", s->name), s->seconds, F_SECS);
		td(b, key(&k, "%s/seconds_max", s->name), s->seconds_max, F_SECS);
		if (s->last_finish >= 0)
			td(b, key(&k, "%s/wall_seconds", s->name), s->last_finish - s->first_start, F_SECS);
		else
			td_absent(b);
		wn_buf_adds(b, "</tr>");
		for (size_t j = 0; j < n; j++) {
			if (st[j].step != s)
				continue;
			wn_buf_adds(b, "<tr class=\"sub\"><td></td><td>stage ");
			esc(b, st[j].g->name);
			wn_buf_adds(b, "</td><td></td><td></td><td></td>");
			td(b, key(&k, "%s/%d/seconds", s->name, st[j].g->index), st[j].g->seconds, F_SECS);
			wn_buf_adds(b, "<td></td><td></td></tr>");
		}
	}
	wn_buf_adds(b, "</table>");
	/* stragglers: per-file steps only, where one slow input holds up the step */
	int any = 0;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct wn_rep_step *s = &r->steps[i];
		if (s->barrier || s->done_files < 2)
			continue;
		if (!any)
			wn_buf_adds(b, "<h3>Slowest tasks</h3><table><tr><th>step</th><th class=\"r\">task</th>"
				       "<th class=\"r\">seconds</th><th class=\"r\">&times; step mean</th><th>input</th></tr>");
		any = 1;
		double mean = s->seconds / (double)s->done_files;
		for (int t = 0; t < s->nslow && t < 3; t++) {
			wn_buf_adds(b, "<tr>");
			td_text(b, s->name);
			wn_buf_addf(b, "<td class=\"r\">%ld</td>", s->slow[t].task);
			td(b, NULL, s->slow[t].seconds, F_SECS);
			td(b, NULL, mean > 0 ? s->slow[t].seconds / mean : 0, F_REAL);
			wn_buf_adds(b, "<td><code>");
			esc(b, s->slow[t].input ? s->slow[t].input : "");
			wn_buf_adds(b, "</code></td></tr>");
		}
	}
	if (any)
		wn_buf_adds(b, "</table>");
	wn_buf_adds(b, "</section>\n");
	wn_buf_release(&k);
}

/* ---- failures and warnings ------------------------------------------------------------------------ */

static void failures(struct wn_buf *b, const struct wn_report *r)
{
	section(b, "failures", "Failed tasks",
		"Every failed attempt with its exit codes and log file; a task that later completed is marked recovered.");
	if (!r->nfails) {
		wn_buf_adds(b, "<p class=\"ok\">No task failed.</p>");
	} else {
		wn_buf_adds(b, "<table><tr><th>step</th><th class=\"r\">task</th><th class=\"r\">attempt</th><th>status</th>"
			       "<th>exit codes</th><th>error</th><th>log</th></tr>");
		for (size_t i = 0; i < r->nfails; i++) {
			const struct wn_rep_fail *f = &r->fails[i];
			wn_buf_adds(b, "<tr data-fail=\"");
			esc(b, f->step);
			wn_buf_addf(b, "/%ld/%s\">", f->task, f->recovered ? "recovered" : "failed");
			td_text(b, f->step);
			wn_buf_addf(b, "<td class=\"r\">%ld</td>", f->task);
			if (f->attempt >= 0)
				wn_buf_addf(b, "<td class=\"r\">%ld</td>", f->attempt);
			else
				td_absent(b);
			wn_buf_adds(b, f->recovered ? "<td class=\"ok\">recovered</td>" : "<td class=\"fail\">failed</td>");
			td_text(b, f->exits ? f->exits : "");
			td_text(b, f->error ? f->error : "");
			wn_buf_adds(b, "<td><code>");
			esc(b, f->log ? f->log : f->file);
			wn_buf_adds(b, "</code></td></tr>");
		}
		wn_buf_adds(b, "</table>");
	}
	wn_buf_adds(b, "</section>\n");
	if (r->nwarnings) {
		section(b, "warnings", "Files that could not be read", NULL);
		wn_buf_adds(b, "<ul class=\"warn\">");
		for (size_t i = 0; i < r->nwarnings; i++) {
			wn_buf_adds(b, "<li><code>");
			esc(b, r->warnings[i]);
			wn_buf_adds(b, "</code></li>");
		}
		wn_buf_adds(b, "</ul></section>\n");
	}
}

void wn_report_html(const struct wn_report *r, struct wn_buf *b)
{
	size_t n;
	struct stage_ref *st = all_stages(r, &n);
	head(b, r);
	summary(b, r, st, n);
	funnel(b, st, n);
	rejections(b, st, n);
	lengths(b, st, n);
	languages(b, st, n);
	duplicates(b, st, n);
	tokenizer(b, r, st, n);
	packing(b, r);
	timings(b, r, st, n);
	failures(b, r);
	wn_buf_adds(b, "<footer>winnow-report " WN_VERSION " &middot; numbers summed from the completion markers under "
		       "the work directory; hover a bar for its exact value.</footer>\n</main></body></html>\n");
	free(st);
}
