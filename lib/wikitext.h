/*
 * wikitext.h -- MediaWiki markup to plain text.
 *
 * What it does: removes templates and infoboxes ({{...}}, nested), tables
 * ({| ... |}; dropped, or flattened to rows of tab-separated cells),
 * <ref>...</ref> and <ref/>, HTML comments, File:/Image:/Category: and
 * interwiki links, magic words (__TOC__); turns [[a|b]] into b, [[a]] into a,
 * [http://x label] into label; keeps headings (== H ==) as lines of their
 * own and list items as lines; removes bold/italic quotes and other HTML
 * tags (keeping their text, except math, gallery, timeline and the like);
 * decodes HTML entities.
 *
 * What it is not: a template expander or a renderer. Text produced by
 * templates ({{convert|5|km}}, {{lang|fr|...}}) is lost by design.
 *
 * Cost: linear in the input, also on hostile input. Brackets are paired in
 * one pass with a stack (a closer looks at most a few entries down), so an
 * unbalanced "{{{{{{..." is never rescanned; searches for "-->" and
 * "</ref>" remember when they failed.
 *
 * Ownership: the converter keeps scratch arrays reused across calls
 * (create one per thread). Input is borrowed; output goes to the caller's
 * buffer (reset first).
 */
#ifndef WN_WIKITEXT_H
#define WN_WIKITEXT_H

#include "buf.h"

enum wn_wiki_tables {
	WN_WIKI_TABLES_DROP = 0,
	WN_WIKI_TABLES_FLATTEN,
};

struct wn_wikitext;

struct wn_wikitext *wn_wikitext_new(enum wn_wiki_tables tables);
void wn_wikitext_free(struct wn_wikitext *w);

/* Convert src[0..len) into out (reset first). Never fails; returns the
 * length of the text. */
size_t wn_wikitext_to_text(struct wn_wikitext *w, const char *src, size_t len, struct wn_buf *out);

#endif
