/* test_wikitext.c -- lib/wikitext: markup removal, links, tables, hostile
 * input in linear time, and the real enwiki sample. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "wikitext.h"

static struct wn_buf out = WN_BUF_INIT;

static const char *conv_t(const char *src, enum wn_wiki_tables t)
{
	struct wn_wikitext *w = wn_wikitext_new(t);
	wn_wikitext_to_text(w, src, strlen(src), &out);
	wn_wikitext_free(w);
	return out.data;
}

static const char *conv(const char *src)
{
	return conv_t(src, WN_WIKI_TABLES_DROP);
}

TEST(links)
{
	CHECK_EQ_STR(conv("a [[Paris]] b"), "a Paris b");
	CHECK_EQ_STR(conv("a [[Paris, France|the capital]] b"), "a the capital b");
	CHECK_EQ_STR(conv("[[apple]]s and [[Mars (planet)|]]"), "apples and Mars");
	CHECK_EQ_STR(conv("x [[File:A.jpg|thumb|left|A [[caption]] here]] y"), "x y");
	CHECK_EQ_STR(conv("x [[Image:B.png]] [[Category:Things]] [[de:Ding]] y"), "x y");
	CHECK_EQ_STR(conv("see [[:Category:Things]] and [[wikt:anarchism|anarchism]]"),
		     "see Category:Things and anarchism");
	CHECK_EQ_STR(conv("[http://example.org Example site] and [https://x.y/z] ok"), "Example site and ok");
	CHECK_EQ_STR(conv("not a link [sic] here"), "not a link [sic] here");
}

TEST(templates_refs_comments)
{
	CHECK_EQ_STR(conv("{{Infobox person\n| name = X\n| birth = {{birth date|1900|1|1}}\n}}\n'''X''' was a man."),
		     "X was a man.");
	CHECK_EQ_STR(conv("Fact.<ref>{{cite web|url=http://a|title=T}}</ref> More.<ref name=\"n\" /> End."),
		     "Fact. More. End.");
	CHECK_EQ_STR(conv("A<ref name=x>note [[with link]]</REF> B"), "A B");
	CHECK_EQ_STR(conv("A <!-- hidden {{ [[ --> B"), "A B");
	CHECK_EQ_STR(conv("__NOTOC__\nText"), "Text");
	CHECK_EQ_STR(conv("x <math>E=mc^2</math> y <gallery>\nA.jpg\n</gallery> z"), "x y z");
	CHECK_EQ_STR(conv("Anarchism ({{IPA|x}}) is"), "Anarchism is");
	CHECK_EQ_STR(conv("Achilles ({{IPA|a}}; {{lang|grc|b}}, Akhilleus, ) was"), "Achilles (Akhilleus) was");
	CHECK_EQ_STR(conv("temperature ({{convert|1|C}}) and (a, b) and (x"), "temperature and (a, b) and (x");
}

TEST(formatting_headings_lists_entities)
{
	CHECK_EQ_STR(conv("'''bold''' and ''italic'' and '''''both'''''"), "bold and italic and both");
	CHECK_EQ_STR(conv("Intro.\n\n== History ==\nOld.\n=== Early ===\nOlder."), "Intro.\n\nHistory\n\nOld.\n\nEarly\n\nOlder.");
	CHECK_EQ_STR(conv("* one\n* two\n# three\n: four"), "one\ntwo\nthree\nfour");
	CHECK_EQ_STR(conv("A &amp; B &mdash; &lt;c&gt; &#233;&#x263A; &nbsp;&bogus; & x"), "A & B — <c> é☺ &bogus; & x");
	CHECK_EQ_STR(conv("line<br/>break and <span style=\"x\">kept</span> text"), "line\nbreak and kept text");
	CHECK_EQ_STR(conv("a\n\n\n\n\nb"), "a\n\nb");
	CHECK_EQ_STR(conv("----\nafter rule"), "after rule");
}

TEST(tables)
{
	const char *t = "Before.\n{| class=\"wikitable\"\n|+ Caption\n|-\n! Year !! Team\n|-\n| 1990 || [[Ajax]]\n|-\n"
			"| style=\"x\" | 1991 || {{flag|NL}} PSV\n|}\nAfter.";
	CHECK_EQ_STR(conv(t), "Before.\n\nAfter.");
	CHECK_EQ_STR(conv_t(t, WN_WIKI_TABLES_FLATTEN), "Before.\n\nCaption\nYear\tTeam\n1990\tAjax\n1991\tPSV\n\nAfter.");
	/* a table inside a template inside a table */
	CHECK_EQ_STR(conv("A\n{|\n| {{x|\n{|\n| in\n|}\n}}\n|}\nB"), "A\n\nB");
}

TEST(unbalanced_markup)
{
	CHECK_EQ_STR(conv("a {{ b"), "a b");
	CHECK_EQ_STR(conv("a }} b ]] c"), "a }} b ]] c");
	CHECK_EQ_STR(conv("a [[b c"), "a b c");
	CHECK_EQ_STR(conv("a <!-- never closed"), "a");
	CHECK_EQ_STR(conv("a <ref>never closed b"), "a never closed b");
	CHECK_EQ_STR(conv("{{a|[[b}}c]]"), "c]]"); /* "}}" closes the template; the link opener is unbalanced */
	CHECK_EQ_STR(conv(""), "");
}

/* Hostile inputs must stay linear: 4x the input may cost at most ~8x the
 * time (quadratic would be 16x), and 4 MB never more than 5 s, even under
 * sanitizers on a loaded machine. */
static double time_unit(struct wn_wikitext *w, struct wn_buf *src, const char *unit, size_t size)
{
	wn_buf_reset(src);
	while (src->len < size)
		wn_buf_adds(src, unit);
	double t0 = wn_now();
	wn_wikitext_to_text(w, src->data, src->len, &out);
	return wn_now() - t0;
}

TEST(hostile_input_is_linear)
{
	static const char *const units[] = { "{{", "[[", "{{[[", "<ref>", "<!--", "<math>", "{{a|", "[[a|",
					     "\n{|", "[http://x ", "&#", "''", "<b", "}}{{", "]][[", "(", "(aaaa" };
	struct wn_buf src = WN_BUF_INIT;
	struct wn_wikitext *w = wn_wikitext_new(WN_WIKI_TABLES_FLATTEN);
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
		double t1 = time_unit(w, &src, units[u], 1u << 20);
		double t4 = time_unit(w, &src, units[u], 4u << 20);
		if (t4 > 8 * WN_MAX(t1, 0.05) || t4 > 5.0)
			printf("#   unit '%s': 1 MB %.3f s, 4 MB %.3f s\n", units[u], t1, t4);
		CHECK(t4 <= 8 * WN_MAX(t1, 0.05));
		CHECK(t4 < 5.0);
	}
/* deeply nested balanced templates and links */
	wn_buf_reset(&src);
	for (int i = 0; i < 200000; i++)
		wn_buf_adds(&src, "[[a|");
	for (int i = 0; i < 200000; i++)
		wn_buf_adds(&src, "]]");
	double t0 = wn_now();
	wn_wikitext_to_text(w, src.data, src.len, &out);
	CHECK(wn_now() - t0 < 5.0);
	wn_wikitext_free(w);
	wn_buf_release(&src);
}

/* The real enwiki sample: every article converts, and no markup survives
 * in the text of the Anarchism article. */
TEST(real_enwiki_sample)
{
	const char *path = tap_data("wikipedia/enwiki-2016-206pages.xml.bz2");
	if (!path)
		return;
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "bzcat '%s'", path);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	struct wn_buf xml = WN_BUF_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		wn_buf_add(&xml, buf, n);
	pclose(p);
	/* <text ...>...</text> of the second page (Anarchism), XML-unescaped */
	const char *t = strstr(xml.data, "<title>Anarchism</title>");
	CHECK(t != NULL);
	if (!t)
		goto done;
	t = strstr(t, "<text");
	t = t ? strchr(t, '>') : NULL;
	const char *e = t ? strstr(t, "</text>") : NULL;
	CHECK(e != NULL);
	if (!e)
		goto done;
	struct wn_buf src = WN_BUF_INIT;
	for (const char *q = t + 1; q < e; q++) {
		if (!strncmp(q, "&lt;", 4)) { wn_buf_addc(&src, '<'); q += 3; }
		else if (!strncmp(q, "&gt;", 4)) { wn_buf_addc(&src, '>'); q += 3; }
		else if (!strncmp(q, "&quot;", 6)) { wn_buf_addc(&src, '"'); q += 5; }
		else if (!strncmp(q, "&amp;", 5)) { wn_buf_addc(&src, '&'); q += 4; }
		else wn_buf_addc(&src, *q);
	}
	conv(src.data);
	CHECK(out.len > 20000);
	CHECK(strstr(out.data, "Anarchism is a political philosophy that advocates self-governed societies") == out.data);
	CHECK(strstr(out.data, "\n\nEtymology and terminology\n\n") != NULL);
	CHECK(strstr(out.data, "{{") == NULL);
	CHECK(strstr(out.data, "}}") == NULL);
	CHECK(strstr(out.data, "[[") == NULL);
	CHECK(strstr(out.data, "<ref") == NULL);
	CHECK(strstr(out.data, "'''") == NULL);
	CHECK(strstr(out.data, "thumb|") == NULL);
	wn_buf_release(&src);
done:
	wn_buf_release(&xml);
}

int main(void)
{
	RUN(links);
	RUN(templates_refs_comments);
	RUN(formatting_headings_lists_entities);
	RUN(tables);
	RUN(unbalanced_markup);
	RUN(hostile_input_is_linear);
	RUN(real_enwiki_sample);
	wn_buf_release(&out);
	return tap_done();
}
