/*
 * test_report.c -- lib/report (aggregation of a work directory, JSON dump,
 * HTML page) and lib/svg: sums over tasks and stages, defensive reading of
 * members of the wrong type, escaping, formatting, time parsing.
 */
#include "report.h"
#include "svg.h"
#include "tap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpl[] = "/tmp/test_report.XXXXXX";
static const char *root;

static void put(const char *rel, const char *text)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *p)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", p);
}

static const struct wn_rep_stage *find(const struct wn_report *r, const char *step, int index)
{
	for (size_t i = 0; i < r->nsteps; i++)
		if (!strcmp(r->steps[i].name, step))
			for (size_t k = 0; k < r->steps[i].nstages; k++)
				if (r->steps[i].stages[k].index == index)
					return &r->steps[i].stages[k];
	return NULL;
}

TEST(map_adds_and_gets)
{
	struct wn_rep_map m = { 0 };
	wn_rep_map_add(&m, "a", 2);
	wn_rep_map_add(&m, "b", 5);
	wn_rep_map_add(&m, "a", 3);
	CHECK_EQ_INT(m.n, 2);
	CHECK_EQ_INT(wn_rep_map_get(&m, "a"), 5);
	CHECK_EQ_INT(wn_rep_map_get(&m, "b"), 5);
	CHECK_EQ_INT(wn_rep_map_get(&m, "c"), 0);
	CHECK_EQ_STR(m.v[0].key, "a"); /* first-seen order */
	wn_rep_map_release(&m);
	CHECK_EQ_INT(m.n, 0);
}

TEST(formats_numbers)
{
	struct wn_buf b = WN_BUF_INIT;
	wn_rep_fmt_int(&b, 0);
	CHECK_EQ_STR(b.data, "0");
	wn_buf_reset(&b);
	wn_rep_fmt_int(&b, 999);
	CHECK_EQ_STR(b.data, "999");
	wn_buf_reset(&b);
	wn_rep_fmt_int(&b, 1000);
	CHECK_EQ_STR(b.data, "1,000");
	wn_buf_reset(&b);
	wn_rep_fmt_int(&b, 18446744073709551615ull);
	CHECK_EQ_STR(b.data, "18,446,744,073,709,551,615");
	wn_buf_reset(&b);
	wn_rep_fmt_bytes(&b, 512);
	CHECK_EQ_STR(b.data, "512 B");
	wn_buf_reset(&b);
	wn_rep_fmt_bytes(&b, 1536);
	CHECK_EQ_STR(b.data, "1.50 KiB");
	wn_buf_reset(&b);
	wn_rep_fmt_bytes(&b, 52.7 * 1024 * 1024);
	CHECK_EQ_STR(b.data, "52.7 MiB");
	wn_buf_release(&b);
}

TEST(escapes_html)
{
	struct wn_buf b = WN_BUF_INIT;
	const char s[] = "<a href=\"x\">'&'</a>\0z";
	wn_html_escape(&b, s, sizeof s - 1);
	CHECK_EQ_STR(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\xEF\xBF\xBDz");
	wn_buf_reset(&b);
	wn_svg_text(&b, "1<2 & 3>2");
	CHECK_EQ_STR(b.data, "1&lt;2 &amp; 3&gt;2");
	wn_buf_release(&b);
}

TEST(parses_times)
{
	CHECK(wn_rep_parse_time("1970-01-01T00:00:00Z") == 0);
	CHECK(wn_rep_parse_time("2026-11-29T04:28:36Z") == 1795926516.0 /* date -u -d ... +%s */);
	CHECK(wn_rep_parse_time("2026-11-29 05:28:36+01:00") == 1795926516.0);
	CHECK(wn_rep_parse_time("2024-02-29T12:00:00.5Z") == 1709208000.5);
	CHECK(wn_rep_parse_time("yesterday") < 0);
	CHECK(wn_rep_parse_time("2026-13-01T00:00:00Z") < 0);
	CHECK(wn_rep_parse_time(NULL) < 0);
}

/* Two steps, three tasks, two stages in a chain; one failed attempt that
 * was retried; members of the wrong type are ignored, not fatal. */
TEST(sums_a_work_directory)
{
	put("run.json", "{\"name\":\"t\",\"started\":\"2026-01-01T00:00:00Z\",\"ended\":\"2026-01-01T00:01:40Z\","
			"\"steps\":[{\"name\":\"b\",\"barrier\":false,\"tasks\":2,\"done\":2,\"failed\":0},"
			"{\"name\":\"a\",\"barrier\":true,\"tasks\":1,\"done\":1,\"failed\":0}]}");
	put("b/00000.done.json",
	    "{\"task\":0,\"seconds\":1.5,\"output\":\"o\",\"stages\":["
	    "{\"argv\":[\"/bin/winnow-extract\"],\"exit\":0,\"stats\":{\"stage\":\"extract\",\"docs_in\":10,\"docs_out\":7,"
	    "\"docs_rejected\":2,\"docs_bad\":1,\"bytes_in\":1000,\"bytes_out\":700,\"reasons\":{\"empty\":2},"
	    "\"seconds\":0.5,\"hist_bytes_in\":[0,1,9],\"hist_bytes_out\":[0,7]}},"
	    "{\"argv\":[\"winnow-filter\"],\"exit\":0,\"stats\":{\"docs_in\":7,\"docs_out\":5,\"docs_rejected\":2,"
	    "\"docs_bad\":0,\"bytes_in\":700,\"bytes_out\":500,\"reasons\":{\"lang\":2},\"langs\":{\"en\":4,\"de\":1}}}]}");
	put("b/00001.done.json",
	    "{\"task\":1,\"seconds\":2.5,\"stages\":["
	    "{\"argv\":[\"winnow-extract\"],\"stats\":{\"stage\":\"extract\",\"docs_in\":5,\"docs_out\":5,"
	    "\"docs_rejected\":0,\"docs_bad\":0,\"bytes_in\":\"many\",\"bytes_out\":-3,\"reasons\":{\"empty\":0,\"x\":\"y\"},"
	    "\"hist_bytes_in\":[2,0,3],\"hist_bytes_out\":\"no\"}},"
	    "{\"argv\":[\"winnow-filter\"],\"stats\":{\"docs_in\":5,\"docs_out\":4,\"docs_rejected\":1,\"reasons\":{\"lang\":1},"
	    "\"langs\":{\"en\":3,\"fr\":1},\"tokens_out\":40}}]}");
	put("b/00001.failed.json", "{\"task\":1,\"attempt\":1,\"log\":\"logs/b-1.log\",\"stages\":[{\"argv\":[\"winnow-extract\"],\"exit\":1}]}");
	put("a/00000.done.json", "{\"task\":0,\"seconds\":3,\"stages\":[{\"argv\":[\"winnow-dedup\"],"
				  "\"stats\":{\"docs_in\":9,\"docs_out\":6,\"cluster_sizes\":{\"2\":1,\"3\":1}}}]}");
	put("a/00007.failed.json", "not json");
	char err[256];
	struct wn_report *r = wn_report_load(root, err, sizeof err);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_EQ_INT(r->nsteps, 2);
	CHECK_EQ_STR(r->steps[0].name, "b"); /* run.json order, not name order */
	CHECK(r->ended_t - r->started_t == 100);
	const struct wn_rep_stage *ex = find(r, "b", 0), *fl = find(r, "b", 1), *dd = find(r, "a", 0);
	CHECK(ex && fl && dd);
	if (!ex || !fl || !dd)
		goto out;
	CHECK_EQ_STR(ex->name, "extract");
	CHECK_EQ_STR(fl->name, "filter"); /* from argv[0] without "winnow-" */
	CHECK_EQ_STR(dd->name, "dedup");
	CHECK_EQ_INT(ex->tasks, 2);
	CHECK_EQ_INT(ex->docs_in, 15);
	CHECK_EQ_INT(ex->docs_out, 12);
	CHECK_EQ_INT(ex->docs_bad, 1);
	CHECK_EQ_INT(ex->bytes_in, 1000); /* "many" ignored */
	CHECK_EQ_INT(ex->bytes_out, 700); /* -3 ignored */
	CHECK_EQ_INT(wn_rep_map_get(&ex->reasons, "empty"), 2);
	CHECK_EQ_INT(wn_rep_map_get(&ex->reasons, "x"), 0);
	CHECK_EQ_INT(ex->nhist_in, 3);
	CHECK_EQ_INT(ex->hist_in[0], 2);
	CHECK_EQ_INT(ex->hist_in[2], 12);
	CHECK_EQ_INT(ex->nhist_out, 2);
	CHECK_EQ_INT(ex->hist_out[1], 7);
	CHECK_EQ_INT(fl->docs_in, 12);
	CHECK_EQ_INT(wn_rep_map_get(&fl->reasons, "lang"), 3);
	CHECK(fl->has_langs);
	CHECK_EQ_INT(wn_rep_map_get(&fl->langs, "en"), 7);
	CHECK_EQ_INT(wn_rep_map_get(&fl->langs, "fr"), 1);
	CHECK(fl->has_tokens);
	CHECK_EQ_INT(fl->tokens, 40);
	CHECK(!ex->has_tokens && !ex->has_langs);
	CHECK(dd->has_clusters);
	CHECK_EQ_INT(wn_rep_map_get(&dd->clusters, "3"), 1);
	CHECK(r->steps[0].seconds == 4.0);
	CHECK(r->steps[0].seconds_max == 2.5);
	CHECK_EQ_INT(r->steps[0].nslow, 2);
	CHECK_EQ_INT(r->steps[0].slow[0].task, 1); /* slowest first */
	CHECK(r->steps[0].slow[1].seconds == 1.5);
	CHECK_EQ_INT(r->nfails, 2);
	CHECK_EQ_STR(r->fails[0].step, "b"); /* steps are read in run.json order */
	CHECK_EQ_STR(r->fails[1].step, "a");
	CHECK_EQ_INT(r->fails[1].task, 7); /* from the file name: the marker is unreadable */
	CHECK(!r->fails[1].recovered);
	CHECK_EQ_INT(r->nwarnings, 1); /* the unparsable failed marker */
	{
		int found = 0;
		for (size_t i = 0; i < r->nfails; i++)
			if (!strcmp(r->fails[i].step, "b")) {
				found = 1;
				CHECK_EQ_INT(r->fails[i].task, 1);
				CHECK(r->fails[i].recovered);
				CHECK_EQ_STR(r->fails[i].log, "logs/b-1.log");
				CHECK_EQ_STR(r->fails[i].exits, "winnow-extract=1");
			}
		CHECK(found);
	}

	/* the JSON dump carries the same sums */
	struct wn_buf b = WN_BUF_INIT;
	wn_report_json(r, &b);
	json_error_t je;
	json_t *j = json_loads(b.data, 0, &je);
	CHECK(j != NULL);
	json_t *g = json_array_get(json_object_get(json_array_get(json_object_get(j, "steps"), 0), "stages"), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(g, "docs_in")), 15);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(g, "reasons"), "empty")), 2);
	CHECK(json_is_null(json_object_get(g, "tokens")));
	CHECK(json_real_value(json_object_get(json_object_get(j, "run"), "seconds")) == 100);
	json_decref(j);

	/* the page: sections, keyed numbers, no script */
	wn_buf_reset(&b);
	wn_report_html(r, &b);
	CHECK(strstr(b.data, "<!DOCTYPE html>") == b.data);
	CHECK(strstr(b.data, "data-key=\"b/0/docs_in\" data-v=\"15\">15</td>") != NULL);
	CHECK(strstr(b.data, "data-key=\"b/1/lang/en\" data-v=\"7\"") != NULL);
	CHECK(strstr(b.data, "data-key=\"a/0/cluster_copies\" data-v=\"3\"") != NULL);
	CHECK(strstr(b.data, "data-key=\"hist/before/0\" data-v=\"2\"") != NULL);
	CHECK(strstr(b.data, "<script") == NULL);
	CHECK(strstr(b.data, "id=\"packing\"") != NULL);
	CHECK(strstr(b.data, "not in this run") != NULL); /* packing, tokenizer meta */
	CHECK(strstr(b.data, "<svg") != NULL);
	wn_buf_release(&b);
out:
	wn_report_free(r);
}

TEST(missing_directory_is_an_error)
{
	char err[256] = "";
	struct wn_report *r = wn_report_load("/nonexistent/winnow/work", err, sizeof err);
	CHECK(r == NULL);
	CHECK(strstr(err, "/nonexistent/winnow/work") != NULL);
	wn_report_free(NULL);
}

TEST(charts_scale_and_escape)
{
	struct wn_buf b = WN_BUF_INIT;
	struct wn_svg_row rows[2] = { { "a<b", "n&", { 10, 5 } }, { "c", NULL, { 0, 0 } } };
	struct wn_svg_series s[2] = { { "x", "#000" }, { "y", "#111" } };
	wn_svg_hbars(&b, "t", rows, 2, s, 2, 1, 0);
	CHECK(strstr(b.data, "a&lt;b") != NULL);
	CHECK(strstr(b.data, "n&amp;") != NULL);
	CHECK(strstr(b.data, "width=\"470.0\"") == NULL); /* 10 of 15 is not the full width */
	CHECK(strstr(b.data, "width=\"313.3\"") != NULL);
	wn_buf_reset(&b);
	const char *labels[2] = { "1", "2" };
	double v[2] = { 0, 1000 };
	wn_svg_columns(&b, "t", labels, 2, v, s, 1, 1, "x", "y");
	CHECK(strstr(b.data, ">1k</text>") != NULL); /* log axis tick at 10^3 */
	wn_buf_reset(&b);
	double parts[2] = { 0.75, 0.25 };
	wn_svg_split(&b, "t", parts, s, 2);
	CHECK(strstr(b.data, "75.0%") != NULL);
	wn_buf_release(&b);
}

int main(void)
{
	root = mkdtemp(tmpl);
	if (!root)
		return 1;
	RUN(map_adds_and_gets);
	RUN(formats_numbers);
	RUN(escapes_html);
	RUN(parses_times);
	RUN(sums_a_work_directory);
	RUN(missing_directory_is_an_error);
	RUN(charts_scale_and_escape);
	rm_rf(root);
	return tap_done();
}
