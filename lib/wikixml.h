/*
 * wikixml.h -- MediaWiki XML export reader (pages-articles dumps) over a
 * wn_din, with libxml2's streaming xmlTextReader: one <page> at a time,
 * constant memory whatever the dump size. UTF-8 or UTF-16 (with a BOM;
 * libxml2 detects the encoding).
 *
 * Ownership: a wn_wiki borrows its wn_din. The strings of a wn_wiki_page
 * are owned by the reader and valid until the next wn_wiki_next call.
 */
#ifndef WN_WIKIXML_H
#define WN_WIKIXML_H

#include "buf.h"
#include "sniff.h"

struct wn_wiki_page {
	/* ns: <ns>, or for old exports without it, the namespace whose name
	 * prefixes the title ("Talk:X" -> "1"), else "0" */
	struct wn_buf title, ns, id, timestamp, text, redirect;
	int is_redirect;
	uint64_t line; /* line of the <page> element, for messages */
};

struct wn_wiki;

struct wn_wiki *wn_wiki_new(struct wn_din *d);
void wn_wiki_free(struct wn_wiki *w);

/* Next page. Returns 1, 0 at the end, -1 on an XML error (err names the
 * line; the rest of the file cannot be read). */
int wn_wiki_next(struct wn_wiki *w, struct wn_wiki_page **page, char *err, size_t errlen);

/* From <siteinfo>, once seen: "https://en.wikipedia.org/wiki/" ("" when no
 * <base>), and the database name ("enwiki", "" when absent). */
const char *wn_wiki_base(const struct wn_wiki *w);
const char *wn_wiki_dbname(const struct wn_wiki *w);

/* Append the page URL for title to out: base + title with spaces as
 * underscores and URL-unsafe bytes percent-encoded. */
void wn_wiki_url(const char *base, const char *title, size_t n, struct wn_buf *out);

#endif
