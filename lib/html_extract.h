/*
 * html_extract.h -- HTML page to its main text (boilerplate removed).
 *
 * What it is: libxml2's recovering HTML parser, then two passes over the
 * tree. The first pass drops what is never content (script, style, nav,
 * aside, footer, forms' controls, hidden elements, elements whose class/id
 * say "comment", "share", "cookie", "related", ...), and cuts the visible
 * text into blocks (paragraphs, headings, list items, table rows), counting
 * for each block its characters, the characters inside links, commas and
 * stop words. The second pass scores containers by the blocks under them
 * (a Readability-style content score, damped by link density), picks the
 * main container and its related siblings, and emits their blocks, dropping
 * link-heavy blocks and sub-containers that look like navigation. See
 * docs/extract.md for the details and the measured figures.
 *
 * What it is not: a renderer (no CSS, no JavaScript) or a full-page text
 * dumper.
 *
 * Ownership: a wn_html_extractor holds scratch buffers reused across
 * documents (create once per thread, not thread-safe itself). The input is
 * borrowed. The result buffers belong to the caller's wn_html_result and are
 * reset by every call.
 */
#ifndef WN_HTML_EXTRACT_H
#define WN_HTML_EXTRACT_H

#include "buf.h"

enum wn_html_mode {
	WN_HTML_BALANCED = 0, /* default */
	WN_HTML_PRECISION,    /* drop doubtful blocks (short, link-heavy, no sentence) */
	WN_HTML_RECALL,       /* keep doubtful blocks of the main container */
};

struct wn_html_opts {
	enum wn_html_mode mode;
	size_t max_bytes;   /* 0: no limit; larger documents fail with WN_HTML_TOO_LARGE */
	double max_seconds; /* 0: no limit; checked during the tree walks */
	int no_prepass;     /* parse the page as is (tests compare the two; slower) */
};

/* Return codes of wn_html_extract (negative: no text). */
enum {
	WN_HTML_OK = 0,
	WN_HTML_ERROR = -1,     /* parser could not build a document (err filled) */
	WN_HTML_TOO_LARGE = -2, /* "too-large" */
	WN_HTML_TIMEOUT = -3,   /* "timeout" */
	WN_HTML_EMPTY = -4,     /* "empty": no main text found */
};

struct wn_html_result {
	struct wn_buf text;  /* UTF-8 main text; blocks separated by "\n\n", list items and rows by "\n" */
	struct wn_buf title; /* <title> (else og:title), white space collapsed; may be empty */
	struct wn_buf lang;  /* <html lang>, else Content-Language meta; may be empty */
};

struct wn_html_extractor;

struct wn_html_extractor *wn_html_extractor_new(const struct wn_html_opts *opts);
void wn_html_extractor_free(struct wn_html_extractor *x);

void wn_html_result_init(struct wn_html_result *r);
void wn_html_result_release(struct wn_html_result *r);

/*
 * Extract the main text of html[0..len). `charset` (may be NULL) is the
 * encoding announced outside the document (an HTTP header); when NULL the
 * parser uses the BOM or <meta charset>, else guesses. Invalid byte
 * sequences never fail the call. Returns WN_HTML_OK or one of the negative
 * codes above; title and lang are filled even when the text is empty.
 */
int wn_html_extract(struct wn_html_extractor *x, const char *html, size_t len, const char *charset,
		    struct wn_html_result *res, char *err, size_t errlen);

/* The reject reason for a negative code: "too-large", "timeout", "empty",
 * "parse-error". */
const char *wn_html_reason(int rc);

#endif
