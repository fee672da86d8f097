/* test_wikixml.c -- lib/wikixml: pages, namespaces, redirects, site base,
 * UTF-16 input, damaged XML, URLs; and the real enwiki sample. */
#include "tap.h"

#include "wikixml.h"

static char tmpl[64];

static const char *tmpfile_with(const void *p, size_t n)
{
	snprintf(tmpl, sizeof tmpl, "/tmp/test_wikixml.XXXXXX");
	int fd = mkstemp(tmpl);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
	return tmpl;
}

static const char *xml =
	"<mediawiki xmlns=\"http://www.mediawiki.org/xml/export-0.10/\">\n"
	"<siteinfo><dbname>dewiki</dbname><base>https://de.wikipedia.org/wiki/Wikipedia:Hauptseite</base></siteinfo>\n"
	"<page><title>A &amp; B</title><ns>0</ns><id>1</id><revision><id>11</id><timestamp>2001-01-01T00:00:00Z</timestamp>"
	"<contributor><id>99</id></contributor><text>first &lt;ref&gt;</text></revision>"
	"<revision><id>12</id><timestamp>2002-02-02T00:00:00Z</timestamp><text><![CDATA[second]]> text</text></revision></page>\n"
	"<page><title>R</title><ns>0</ns><id>2</id><redirect title=\"A &amp; B\"/><revision><text>#REDIRECT</text></revision></page>\n"
	"<page><title>Talk:X</title><ns>1</ns><id>3</id><revision><text/></revision></page>\n"
	"</mediawiki>\n";

TEST(pages)
{
	char err[256];
	struct wn_din *d = wn_din_open(tmpfile_with(xml, strlen(xml)), err, sizeof err);
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WIKI);
	struct wn_wiki *w = wn_wiki_new(d);
	struct wn_wiki_page *p;
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK_EQ_STR(p->title.data, "A & B");
	CHECK_EQ_STR(p->id.data, "1"); /* the page id, not a revision's or contributor's */
	CHECK_EQ_STR(p->ns.data, "0");
	CHECK_EQ_STR(p->text.data, "second text"); /* the last revision */
	CHECK_EQ_STR(p->timestamp.data, "2002-02-02T00:00:00Z");
	CHECK(!p->is_redirect);
	CHECK_EQ_STR(wn_wiki_base(w), "https://de.wikipedia.org/wiki/");
	CHECK_EQ_STR(wn_wiki_dbname(w), "dewiki");
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK(p->is_redirect);
	CHECK_EQ_STR(p->redirect.data, "A & B");
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK_EQ_STR(p->ns.data, "1");
	CHECK_EQ_STR(p->text.data, "");
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 0);
	wn_wiki_free(w);
	wn_din_free(d);
	unlink(tmpl);
}

TEST(utf16_and_damage)
{
	/* UTF-16LE with BOM, built from the ASCII export above */
	size_t n = strlen(xml);
	char *u = malloc(2 + 2 * n);
	u[0] = (char)0xff, u[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++)
		u[2 + 2 * i] = xml[i], u[3 + 2 * i] = 0;
	char err[256];
	struct wn_din *d = wn_din_open(tmpfile_with(u, 2 + 2 * n), err, sizeof err);
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WIKI);
	struct wn_wiki *w = wn_wiki_new(d);
	struct wn_wiki_page *p;
	int pages = 0, rc;
	while ((rc = wn_wiki_next(w, &p, err, sizeof err)) > 0)
		pages++;
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(pages, 3);
	wn_wiki_free(w);
	wn_din_free(d);
	unlink(tmpl);
	free(u);
	/* cut in the middle of the second page: one page, then an error naming a line */
	const char *cut = strstr(xml, "<page><title>R");
	d = wn_din_open(tmpfile_with(xml, (size_t)(cut - xml) + 20), err, sizeof err);
	w = wn_wiki_new(d);
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), -1);
	CHECK(strstr(err, "line ") != NULL);
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 0);
	wn_wiki_free(w);
	wn_din_free(d);
	unlink(tmpl);
}

TEST(old_export_without_ns)
{
	const char *x = "<mediawiki><siteinfo><namespaces><namespace key=\"0\" /><namespace key=\"1\">Talk</namespace>"
			"</namespaces></siteinfo><page><title>Talk:Foo</title><id>1</id></page>"
			"<page><title>Foo: a story</title><id>2</id></page></mediawiki>";
	char err[256];
	struct wn_din *d = wn_din_open(tmpfile_with(x, strlen(x)), err, sizeof err);
	struct wn_wiki *w = wn_wiki_new(d);
	struct wn_wiki_page *p;
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK_EQ_STR(p->ns.data, "1");
	CHECK_EQ_INT(wn_wiki_next(w, &p, err, sizeof err), 1);
	CHECK_EQ_STR(p->ns.data, "0");
	wn_wiki_free(w);
	wn_din_free(d);
	unlink(tmpl);
}

TEST(urls)
{
	struct wn_buf b = WN_BUF_INIT;
	wn_wiki_url("https://en.wikipedia.org/wiki/", "C++ (language)?", 15, &b);
	CHECK_EQ_STR(b.data, "https://en.wikipedia.org/wiki/C++_(language)%3F");
	wn_buf_reset(&b);
	wn_wiki_url("", "Zürich", 7, &b);
	CHECK_EQ_STR(b.data, "https://en.wikipedia.org/wiki/Zürich");
	wn_buf_release(&b);
}

TEST(real_sample)
{
	const char *path = tap_data("wikipedia/enwiki-2016-206pages.xml.bz2");
	if (!path)
		return;
	char err[256];
	struct wn_din *d = wn_din_open(path, err, sizeof err);
	CHECK_EQ_INT(wn_din_codec(d), WN_CODEC_BZIP2);
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_WIKI);
	struct wn_wiki *w = wn_wiki_new(d);
	struct wn_wiki_page *p;
	int pages = 0, redirects = 0, main_ns = 0, rc;
	while ((rc = wn_wiki_next(w, &p, err, sizeof err)) > 0) {
		pages++;
		redirects += p->is_redirect;
		main_ns += !strcmp(p->ns.data, "0");
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(pages, 206);
	CHECK_EQ_INT(redirects, 100);
	CHECK_EQ_INT(main_ns, 205);
	wn_wiki_free(w);
	wn_din_free(d);
}

int main(void)
{
	RUN(pages);
	RUN(utf16_and_damage);
	RUN(old_export_without_ns);
	RUN(urls);
	RUN(real_sample);
	return tap_done();
}
