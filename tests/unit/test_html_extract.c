/* test_html_extract.c -- lib/html_extract: boilerplate removal, structure,
 * encodings, limits, hostile markup. */
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <zlib.h>

#include "html_extract.h"
#include "tap.h"

static struct wn_html_result res;
static char err[256];

static int run_mode(const char *html, size_t len, const char *charset, enum wn_html_mode mode)
{
	struct wn_html_opts o = { .mode = mode };
	struct wn_html_extractor *x = wn_html_extractor_new(&o);
	int rc = wn_html_extract(x, html, len, charset, &res, err, sizeof err);
	wn_html_extractor_free(x);
	return rc;
}

static int run(const char *html)
{
	return run_mode(html, strlen(html), NULL, WN_HTML_BALANCED);
}

static int has(const char *needle)
{
	return strstr(res.text.data, needle) != NULL;
}

#define PROSE1 "The committee met on Tuesday to discuss the budget, which had been delayed for months, and agreed on a plan that satisfies most of the members."
#define PROSE2 "Critics said the plan was too timid, but supporters argued that it was the best compromise available given the constraints of the current year."
#define PROSE3 "A final vote is expected next week, after which the proposal will go to the full council for approval, according to a spokesperson."

static const char *page =
	"<!DOCTYPE html><html lang=\"en-GB\"><head><title>  Budget   deal | News </title>"
	"<meta charset=\"utf-8\"><style>p { color: red }</style>"
	"<script>var x = '<p>not text</p>';</script></head><body>"
	"<header><a href=/>Home</a> <a href=/news>News</a></header>"
	"<nav><ul><li><a href=/a>World</a></li><li><a href=/b>Politics</a></li></ul></nav>"
	"<div class=\"cookie-banner\">We use cookies to improve your experience, accept them please.</div>"
	"<div id=\"main\"><article><h1>Budget deal reached</h1>"
	"<p>" PROSE1 "</p><!-- a comment that must not show -->"
	"<h2>Reaction</h2><p>" PROSE2 "</p>"
	"<ul><li>First point of the plan</li><li>Second point of the plan</li></ul>"
	"<div class=\"share-buttons\"><a href=/s>Share on Facebook</a> <a href=/t>Tweet</a></div>"
	"<p>" PROSE3 "</p></article>"
	"<aside><h3>Related</h3><p>Some other story you might like to read today, with lots of words.</p></aside>"
	"</div><div class=\"comments\"><p>Great article, I totally agree with everything, thanks.</p></div>"
	"<footer><p>Copyright 2019 Example News, all rights reserved, do not copy anything.</p></footer>"
	"</body></html>";

TEST(main_text_without_boilerplate)
{
	CHECK_EQ_INT(run(page), WN_HTML_OK);
	CHECK(has(PROSE1));
	CHECK(has(PROSE2));
	CHECK(has(PROSE3));
	CHECK(has("Reaction"));
	CHECK(has("First point of the plan\nSecond point of the plan"));
	CHECK(!has("Home"));
	CHECK(!has("Politics"));
	CHECK(!has("cookies"));
	CHECK(!has("Share on Facebook"));
	CHECK(!has("other story"));
	CHECK(!has("Great article"));
	CHECK(!has("Copyright"));
	CHECK(!has("not text"));
	CHECK(!has("color"));
	CHECK(!has("comment that"));
	CHECK_EQ_STR(res.title.data, "Budget deal | News");
	CHECK_EQ_STR(res.lang.data, "en-GB");
}

TEST(paragraph_breaks_and_entities)
{
	CHECK_EQ_INT(run("<html><body><div><p>" PROSE1 " Caf&eacute; &amp; bar &#8212; &lt;ok&gt;&nbsp;end.</p>"
			 "<p>" PROSE2 "<br>second   line\n\n  here.</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has("Café & bar — <ok> end."));
	CHECK(has("end.\n\n" PROSE2));
	CHECK(has(PROSE2 "\nsecond line here."));
	CHECK(res.text.data[0] != ' ' && res.text.data[res.text.len - 1] != '\n');
}

TEST(tables_as_text)
{
	CHECK_EQ_INT(run("<html><body><div><p>" PROSE1 "</p><p>" PROSE2 "</p>"
			 "<table><tr><th>Year</th><th>Budget</th></tr><tr><td>2018</td><td>1,200</td></tr>"
			 "<tr><td>2019</td><td>1,350</td></tr></table><p>" PROSE3 "</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has("Year\tBudget\n2018\t1,200\n2019\t1,350"));
}

TEST(hidden_elements_dropped)
{
	CHECK_EQ_INT(run("<html><body><div><p>" PROSE1 "</p><p style=\"display: none\">Hidden one, quite a long sentence here.</p>"
			 "<p hidden>Hidden two, quite a long sentence here as well.</p><p>" PROSE2 "</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has(PROSE1));
	CHECK(!has("Hidden"));
}

TEST(charsets)
{
	/* windows-1252 bytes: "café – “x”" */
	const char body[] = "<html><body><div><p>" PROSE1 " caf\xe9 \x96 \x93x\x94.</p></div></body></html>";
	CHECK_EQ_INT(run_mode(body, strlen(body), "windows-1252", WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(has("café – “x”."));
	/* the same announced by a meta tag */
	const char meta[] = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head>"
			    "<body><div><p>" PROSE1 " caf\xe9.</p></div></body></html>";
	CHECK_EQ_INT(run_mode(meta, strlen(meta), NULL, WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(has("café."));
	/* an outside charset wins over the meta tag (the record is already UTF-8) */
	const char utf[] = "<html><head><meta charset=\"iso-8859-1\"></head><body><div><p>" PROSE1 " caf\xc3\xa9.</p></div></body></html>";
	CHECK_EQ_INT(run_mode(utf, strlen(utf), "UTF-8", WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(has("café."));
	/* an unknown charset name does not lose the page */
	CHECK_EQ_INT(run_mode(utf, strlen(utf), "x-no-such-charset", WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(has(PROSE1));
}

TEST(invalid_bytes_do_not_drop_the_page)
{
	const char bad[] = "<html><body><div><p>" PROSE1 " \xff\xfe\xc3 broken \x80 bytes.</p><p>" PROSE2 "</p></div></body></html>";
	int rc = run_mode(bad, sizeof bad - 1, "UTF-8", WN_HTML_BALANCED);
	CHECK_EQ_INT(rc, WN_HTML_OK);
	CHECK(has(PROSE2));
	const char nul[] = "<html><body><div><p>" PROSE1 "\0 after a NUL byte, still text.</p></div></body></html>";
	CHECK_EQ_INT(run_mode(nul, sizeof nul - 1, NULL, WN_HTML_BALANCED), WN_HTML_OK);
}

TEST(limits_and_empty)
{
	struct wn_html_opts o = { .max_bytes = 100 };
	struct wn_html_extractor *x = wn_html_extractor_new(&o);
	CHECK_EQ_INT(wn_html_extract(x, page, strlen(page), NULL, &res, err, sizeof err), WN_HTML_TOO_LARGE);
	CHECK_EQ_STR(wn_html_reason(WN_HTML_TOO_LARGE), "too-large");
	wn_html_extractor_free(x);

	/* a deadline already past when the parse ends */
	struct wn_html_opts t = { .max_seconds = 1e-9 };
	x = wn_html_extractor_new(&t);
	CHECK_EQ_INT(wn_html_extract(x, page, strlen(page), NULL, &res, err, sizeof err), WN_HTML_TIMEOUT);
	CHECK_EQ_STR(wn_html_reason(WN_HTML_TIMEOUT), "timeout");
	wn_html_extractor_free(x);

	CHECK_EQ_INT(run(""), WN_HTML_EMPTY);
	CHECK_EQ_INT(run("<html><head><title>Only a title</title></head><body></body></html>"), WN_HTML_EMPTY);
	CHECK_EQ_STR(res.title.data, "Only a title");
	CHECK_EQ_INT(run("<html><body><script>var a = 1;</script><style>b{}</style></body></html>"), WN_HTML_EMPTY);
	CHECK_EQ_STR(wn_html_reason(WN_HTML_EMPTY), "empty");
}

TEST(raw_text_prepass)
{
	/* "</p>" and a quoted '>' inside scripts; "</scr"+"ipt>" trick; comment holding a script tag */
	CHECK_EQ_INT(run("<html><body><script src=\"a>b\">if (a<b) x='</p><p>evil words';</script>"
			 "<!-- <script> --><div><p>" PROSE1 "</p>"
			 "<script>document.write('</scr'+'ipt>')</script><p>" PROSE2 "</p>"
			 "<SCRIPT type=text/javascript>var s = \"<div>junk junk junk</div>\";</SCRIPT>"
			 "<style>.x{content:'</p>'}</style><p>" PROSE3 "</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has(PROSE1));
	CHECK(has(PROSE2));
	CHECK(has(PROSE3));
	CHECK(!has("evil"));
	CHECK(!has("junk"));
	CHECK(!has("ipt"));
	/* unclosed script swallows the rest, as in a browser */
	CHECK_EQ_INT(run("<html><body><div><p>" PROSE1 "</p><script>var x = 1; <p>never</p>"), WN_HTML_OK);
	CHECK(has(PROSE1));
	CHECK(!has("never"));
}

TEST(link_heavy_blocks_and_modes)
{
	const char *html = "<html><body><div><p>" PROSE1 "</p><p>" PROSE2 "</p>"
			   "<p>Background reading: <a href=/1>Read more stories about the budget</a> here.</p>"
			   "<p>Short one</p>"
			   "<p>" PROSE3 "</p></div></body></html>";
	CHECK_EQ_INT(run_mode(html, strlen(html), NULL, WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(!has("Read more"));
	CHECK(has("Short one"));
	size_t balanced = res.text.len;
	CHECK_EQ_INT(run_mode(html, strlen(html), NULL, WN_HTML_RECALL), WN_HTML_OK);
	CHECK(has("Read more"));
	CHECK(res.text.len > balanced);
	CHECK_EQ_INT(run_mode(html, strlen(html), NULL, WN_HTML_PRECISION), WN_HTML_OK);
	CHECK(!has("Short one"));
	CHECK(has(PROSE3));
}

TEST(picks_the_article_not_the_link_list)
{
	/* a long link list outside the article and a short article */
	struct wn_buf h = WN_BUF_INIT;
	wn_buf_adds(&h, "<html><body><div class=\"menu\"><ul>");
	for (int i = 0; i < 200; i++)
		wn_buf_addf(&h, "<li><a href=/%d>Another interesting headline number %d, read it now</a></li>", i, i);
	wn_buf_adds(&h, "</ul></div><div class=\"story\"><p>" PROSE1 "</p><p>" PROSE2 "</p></div>"
			"<div class=\"teasers\">");
	for (int i = 0; i < 50; i++)
		wn_buf_addf(&h, "<div><a href=/t%d>Teaser %d with a long title that goes on, and on</a></div>", i, i);
	wn_buf_adds(&h, "</div></body></html>");
	CHECK_EQ_INT(run(h.data), WN_HTML_OK);
	CHECK(has(PROSE1));
	CHECK(has(PROSE2));
	CHECK(!has("headline"));
	CHECK(!has("Teaser"));
	wn_buf_release(&h);
}

TEST(class_words_retry)
{
	/* the only prose sits in an element whose class says "comment": the
	 * first pass strips it, the retry without class heuristics finds it */
	CHECK_EQ_INT(run("<html><body><div class=\"comment-body\"><p>" PROSE1 "</p><p>" PROSE2 "</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has(PROSE1));
	/* "download" is not "nav", "address" is not "ad" */
	CHECK_EQ_INT(run("<html><body><div class=\"download-address\"><p>" PROSE1 "</p><p>" PROSE2 "</p><p>" PROSE3
			 "</p></div></body></html>"),
		     WN_HTML_OK);
	CHECK(has(PROSE3));
}

TEST(deep_and_wide_trees)
{
	struct wn_buf h = WN_BUF_INIT;
	wn_buf_adds(&h, "<html><body>");
	for (int i = 0; i < 100000; i++)
		wn_buf_adds(&h, "<div><span>");
	wn_buf_adds(&h, "<p>" PROSE1 "</p>");
	struct wn_html_opts o = { 0 };
	struct wn_html_extractor *x = wn_html_extractor_new(&o);
	double t0 = wn_now();
	int rc = wn_html_extract(x, h.data, h.len, NULL, &res, err, sizeof err);
	CHECK(rc == WN_HTML_OK || rc == WN_HTML_EMPTY);
	CHECK(wn_now() - t0 < 10.0);
	wn_buf_reset(&h);
	for (int i = 0; i < 100000; i++)
		wn_buf_adds(&h, "<p>a</p><b><i>x");
	rc = wn_html_extract(x, h.data, h.len, NULL, &res, err, sizeof err);
	CHECK(rc == WN_HTML_OK || rc == WN_HTML_EMPTY);
	wn_html_extractor_free(x);
	wn_buf_release(&h);
}

TEST(captions)
{
	const char *html = "<html><body><div><p>" PROSE1 "</p><figure><img src=a.jpg>"
			   "<figcaption>The committee at work on Tuesday. Photo: Agency</figcaption></figure>"
			   "<p>" PROSE2 "</p></div></body></html>";
	CHECK_EQ_INT(run_mode(html, strlen(html), NULL, WN_HTML_BALANCED), WN_HTML_OK);
	CHECK(has(PROSE1 "\n\n" PROSE2));
	CHECK(!has("Photo"));
	CHECK_EQ_INT(run_mode(html, strlen(html), NULL, WN_HTML_RECALL), WN_HTML_OK);
	CHECK(has("Photo: Agency"));
}

TEST(reuse_across_documents)
{
	struct wn_html_opts o = { 0 };
	struct wn_html_extractor *x = wn_html_extractor_new(&o);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(wn_html_extract(x, page, strlen(page), NULL, &res, err, sizeof err), WN_HTML_OK);
		CHECK(has(PROSE3));
		CHECK_EQ_INT(wn_html_extract(x, "<p>x</p>", 8, NULL, &res, err, sizeof err), WN_HTML_OK);
		CHECK_EQ_STR(res.text.data, "x");
	}
	wn_html_extractor_free(x);
}

/* The pre-pass (dropping script/style contents, comments and unread
 * attributes before parsing) must not change the result: same text, title
 * and language as parsing the page as is, on the 60 real dev pages, in
 * every mode. */
TEST(prepass_changes_nothing_on_real_pages)
{
	const char *dir = tap_data("html/dev");
	if (!dir)
		return;
	char dirpath[4096];
	snprintf(dirpath, sizeof dirpath, "%s", dir);
	DIR *d = opendir(dirpath);
	CHECK(d != NULL);
	if (!d)
		return;
	struct wn_html_result a, b;
	wn_html_result_init(&a);
	wn_html_result_init(&b);
	struct wn_buf doc = WN_BUF_INIT;
	struct dirent *de;
	int pages = 0;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".html.gz"))
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
		gzFile g = gzopen(path, "rb");
		CHECK(g != NULL);
		if (!g)
			continue;
		wn_buf_reset(&doc);
		char buf[65536];
		int n;
		while ((n = gzread(g, buf, sizeof buf)) > 0)
			wn_buf_add(&doc, buf, (size_t)n);
		gzclose(g);
		for (int m = 0; m < 3; m++) {
			struct wn_html_opts o1 = { .mode = (enum wn_html_mode)m }, o2 = o1;
			o2.no_prepass = 1;
			struct wn_html_extractor *x1 = wn_html_extractor_new(&o1), *x2 = wn_html_extractor_new(&o2);
			int r1 = wn_html_extract(x1, doc.data, doc.len, NULL, &a, err, sizeof err);
			int r2 = wn_html_extract(x2, doc.data, doc.len, NULL, &b, err, sizeof err);
			CHECK_EQ_INT(r1, r2);
			if (strcmp(a.text.data, b.text.data) || strcmp(a.title.data, b.title.data) ||
			    strcmp(a.lang.data, b.lang.data)) {
				printf("#   %s mode %d: pre-pass changes the result\n", de->d_name, m);
				tap_cur_failed = 1;
			}
			wn_html_extractor_free(x1);
			wn_html_extractor_free(x2);
		}
		pages++;
	}
	closedir(d);
	CHECK_EQ_INT(pages, 60);
	wn_buf_release(&doc);
	wn_html_result_release(&a);
	wn_html_result_release(&b);
}

int main(void)
{
	wn_html_result_init(&res);
	RUN(main_text_without_boilerplate);
	RUN(paragraph_breaks_and_entities);
	RUN(tables_as_text);
	RUN(hidden_elements_dropped);
	RUN(charsets);
	RUN(invalid_bytes_do_not_drop_the_page);
	RUN(limits_and_empty);
	RUN(raw_text_prepass);
	RUN(link_heavy_blocks_and_modes);
	RUN(picks_the_article_not_the_link_list);
	RUN(class_words_retry);
	RUN(deep_and_wide_trees);
	RUN(captions);
	RUN(reuse_across_documents);
	RUN(prepass_changes_nothing_on_real_pages);
	wn_html_result_release(&res);
	return tap_done();
}
