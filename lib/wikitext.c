/*
 * wikitext.c -- MediaWiki markup to plain text; see wikitext.h.
 *
 * Two passes. pair() finds, with one stack, the closer of every "{{",
 * "{|" and "[[" (match[i] = index of the closer's first byte + 1, 0 when
 * unmatched); comments are skipped there so that a "}}" inside a comment
 * pairs with nothing. conv() then walks a span and writes text, jumping
 * over matched templates and tables, recursing into link labels and table
 * cells (depth-limited). A last pass tidies white space.
 */
#include "wikitext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#define MAX_DEPTH 40    /* recursion into labels/cells; deeper spans are dropped */
#define STACK_LOOK 8    /* a closer looks this far down the stack for its opener */

enum { O_TPL = 1, O_TABLE, O_LINK };

struct open {
	uint32_t pos;
	unsigned char type;
};

struct wn_wikitext {
	enum wn_wiki_tables tables;
	uint32_t *match;
	size_t matchcap;
	struct open *stack;
	size_t nstack, stackcap;
	struct wn_buf tmp, tmp2;
	const char *s;
	size_t n;
	size_t no_close_from[32];     /* per drop_content_tag() name: no closer at or after */
	size_t no_comment_close_from; /* no "-->" at or after this offset */
	size_t no_bracket_before;     /* external links starting before this offset lack their ']' */
};

struct wn_wikitext *wn_wikitext_new(enum wn_wiki_tables tables)
{
	struct wn_wikitext *w = wn_xcalloc(1, sizeof *w);
	w->tables = tables;
	wn_buf_init(&w->tmp);
	wn_buf_init(&w->tmp2);
	return w;
}

void wn_wikitext_free(struct wn_wikitext *w)
{
	if (!w)
		return;
	free(w->match);
	free(w->stack);
	wn_buf_release(&w->tmp);
	wn_buf_release(&w->tmp2);
	free(w);
}

static int at_line_start(const char *s, size_t i, size_t lo)
{
	while (i > lo && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	return i == lo || s[i - 1] == '\n';
}

/* End of an HTML comment starting at i ("<!--"): the index after "-->",
 * or n when unclosed (remembered, so the next unclosed one costs O(1)). */
static size_t comment_end(struct wn_wikitext *w, size_t i)
{
	if (i >= w->no_comment_close_from)
		return w->n;
	const char *e = memmem(w->s + i + 4, w->n - i - 4, "-->", 3);
	if (!e) {
		w->no_comment_close_from = i;
		return w->n;
	}
	return (size_t)(e - w->s) + 3;
}

static void pair(struct wn_wikitext *w)
{
	const char *s = w->s;
	size_t n = w->n;
	WN_GROW(w->match, w->matchcap, n + 1);
	memset(w->match, 0, (n + 1) * sizeof *w->match);
	w->nstack = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		char c = s[i], d = s[i + 1];
		unsigned char type = 0;
		int close = 0;
		if (c == '<' && d == '!' && i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-') {
			i = comment_end(w, i) - 1;
			continue;
		}
		if (c == '{' && d == '{')
			type = O_TPL;
		else if (c == '{' && d == '|' && at_line_start(s, i, 0))
			type = O_TABLE;
		else if (c == '[' && d == '[')
			type = O_LINK;
		else if (c == '}' && d == '}')
			type = O_TPL, close = 1;
		else if (c == '|' && d == '}' && at_line_start(s, i, 0))
			type = O_TABLE, close = 1;
		else if (c == ']' && d == ']')
			type = O_LINK, close = 1;
		else
			continue;
		if (!close) {
			WN_GROW(w->stack, w->stackcap, w->nstack + 1);
			w->stack[w->nstack].pos = (uint32_t)i;
			w->stack[w->nstack].type = type;
			w->nstack++;
			i++;
			continue;
		}
		/* Look a few entries down for the opener; what lies above it is
		 * unbalanced and stays unmatched. Bounded, so linear overall. */
		size_t k = w->nstack;
		size_t look = 0;
		while (k > 0 && look < STACK_LOOK && w->stack[k - 1].type != type) {
			k--;
			look++;
		}
		if (k > 0 && w->stack[k - 1].type == type) {
			w->match[w->stack[k - 1].pos] = (uint32_t)i + 1;
			w->nstack = k - 1;
			i++;
		}
	}
}

static int starts_ci(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);
	return n >= l && !strncasecmp(s, p, l);
}

/* ---------------------------------------------------------- entities */

static void put_utf8(struct wn_buf *o, unsigned long cp)
{
	char b[4];
	size_t n;
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	wn_buf_add(o, b, n);
}

/* Decode the entity at s[i] ('&'). Returns the bytes consumed (0: not an
 * entity; the '&' is then literal). HTML 4 names via libxml2's table. */
static size_t entity(const char *s, size_t i, size_t end, struct wn_buf *o)
{
	size_t j = i + 1;
	char name[33];
	size_t nl = 0;
	if (j < end && s[j] == '#') {
		unsigned long cp = 0;
		int hex = j + 1 < end && (s[j + 1] == 'x' || s[j + 1] == 'X');
		j += hex ? 2 : 1;
		size_t d0 = j;
		while (j < end && j - d0 < 8 && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j]))) {
			int v = isdigit((unsigned char)s[j]) ? s[j] - '0' : (tolower((unsigned char)s[j]) - 'a' + 10);
			cp = cp * (hex ? 16 : 10) + (unsigned long)v;
			j++;
		}
		if (j == d0 || j >= end || s[j] != ';')
			return 0;
		put_utf8(o, cp == 0xA0 ? ' ' : cp);
		return j + 1 - i;
	}
	while (j < end && nl < sizeof name - 1 && isalnum((unsigned char)s[j]))
		name[nl++] = s[j++];
	if (nl == 0 || j >= end || s[j] != ';')
		return 0;
	name[nl] = '\0';
	const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
	if (!e)
		return 0;
	put_utf8(o, e->value == 0xA0 ? ' ' : e->value);
	return j + 1 - i;
}

/* ---------------------------------------------------------- tags */

/* Elements whose content is not prose. */
static int drop_content_tag(const char *t, size_t n) /* index + 1, or 0 */
{
	static const char *const names[] = { "math", "gallery", "timeline", "imagemap", "score", "graph",
					      "chem", "ce", "hiero", "mapframe", "maplink", "templatedata",
					      "templatestyles", "syntaxhighlight", "source", "inputbox",
					      "categorytree", "references", "ref", "noinclude", "style", "script" };
	for (size_t k = 0; k < WN_ARRAY_SIZE(names); k++)
		if (strlen(names[k]) == n && !strncasecmp(t, names[k], n))
			return (int)k + 1;
	return 0;
}

/* An HTML-like tag at s[i] ('<'). Sets name, nlen, closing and selfclose;
 * returns the index after '>', or 0 when this is not a tag. Tags do not
 * span more than 1000 bytes (bounds the scan). */
static size_t parse_tag(const char *s, size_t i, size_t end, const char **name, size_t *nlen, int *closing,
			int *selfclose)
{
	size_t j = i + 1;
	*closing = 0;
	if (j < end && s[j] == '/') {
		*closing = 1;
		j++;
	}
	if (j >= end || !isalpha((unsigned char)s[j]))
		return 0;
	*name = s + j;
	while (j < end && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == ':'))
		j++;
	*nlen = (size_t)(s + j - *name);
	if (j < end && s[j] != '>' && s[j] != '/' && !isspace((unsigned char)s[j]))
		return 0;
	size_t lim = WN_MIN(end, j + 1000);
	while (j < lim && s[j] != '>' && s[j] != '<')
		j++;
	if (j >= lim || s[j] != '>')
		return 0;
	*selfclose = s[j - 1] == '/';
	return j + 1;
}

/* Index after the closing tag </name> matching an opener that ends at i, or
 * 0 when absent. A failed search to the end of the input is remembered per
 * tag (`which`, from drop_content_tag), so unclosed openers cost O(1) after
 * the first. */
static size_t find_close(struct wn_wikitext *w, size_t i, size_t end, const char *name, size_t nlen, int which)
{
	if (i >= w->no_close_from[which])
		return 0;
	const char *s = w->s;
	for (size_t j = i; j + nlen + 2 < end; j++) {
		const char *p = memchr(s + j, '<', end - j);
		if (!p)
			break;
		j = (size_t)(p - s);
		if (j + nlen + 2 < end && s[j + 1] == '/' && !strncasecmp(s + j + 2, name, nlen)) {
			size_t k = j + 2 + nlen;
			while (k < end && s[k] != '>' && isspace((unsigned char)s[k]))
				k++;
			if (k < end && s[k] == '>')
				return k + 1;
		}
	}
	if (end == w->n)
		w->no_close_from[which] = i;
	return 0;
}

/* ---------------------------------------------------------- links */

static int namespace_dropped(const char *t, size_t n)
{
	static const char *const ns[] = { "file:", "image:", "category:", "media:", "datei:", "bild:",
					  "kategorie:", "fichier:", "catégorie:", "archivo:", "imagen:",
					  "categoría:", "categoria:", "ficheiro:", "immagine:", "categorie:",
					  "bestand:", "afbeelding:", "plik:", "kategoria:", "файл:", "категория:" };
	for (size_t k = 0; k < WN_ARRAY_SIZE(ns); k++)
		if (starts_ci(t, n, ns[k]))
			return 1;
	return 0;
}

/* "de:Foo", "zh-min-nan:Foo", "simple:Foo": an interlanguage link. */
static int interwiki(const char *t, size_t n)
{
	size_t k = 0;
	while (k < n && k < 13 && (islower((unsigned char)t[k]) || t[k] == '-'))
		k++;
	return k >= 2 && k < n && t[k] == ':';
}

static void conv(struct wn_wikitext *w, size_t lo, size_t hi, struct wn_buf *o, int depth);

static void link(struct wn_wikitext *w, size_t i, size_t close, struct wn_buf *o, int depth)
{
	const char *s = w->s;
	size_t a = i + 2, b = close; /* inner span */
	while (a < b && s[a] == ' ')
		a++;
	int colon = a < b && s[a] == ':';
	if (colon)
		a++;
	/* the target ends at the first '|' not inside a nested [[ ]] or {{ }} */
	size_t bar = 0;
	for (size_t j = a; j < b; j++) {
		if (w->match[j] && w->match[j] - 1 <= b) {
			j = w->match[j] - 1 + 1;
			continue;
		}
		if (s[j] == '|') {
			bar = j;
			break;
		}
	}
	size_t tend = bar ? bar : b;
	if (!colon && (namespace_dropped(s + a, tend - a) || (!bar && interwiki(s + a, tend - a))))
		return;
	if (bar) {
		/* the label is after the last top-level '|' (File: options come first) */
		size_t last = bar;
		for (size_t j = bar + 1; j < b; j++) {
			if (w->match[j] && w->match[j] - 1 <= b) {
				j = w->match[j] - 1 + 1;
				continue;
			}
			if (s[j] == '|')
				last = j;
		}
		if (last + 1 < b) {
			conv(w, last + 1, b, o, depth + 1);
			return;
		}
		/* pipe trick [[a (b)|]] shows "a" */
		size_t e = tend;
		for (size_t j = a; j < tend; j++)
			if (s[j] == '(' || s[j] == ',') {
				e = j;
				break;
			}
		while (e > a && s[e - 1] == ' ')
			e--;
		conv(w, a, e, o, depth + 1);
		return;
	}
	/* "[[a#b]]" shows "a#b"; keep it simple: the whole target */
	conv(w, a, tend, o, depth + 1);
}

/* External link "[http://x label]" at s[i]; returns the index after ']'
 * or 0 when this is not one. */
static size_t ext_link(struct wn_wikitext *w, size_t i, size_t hi, struct wn_buf *o, int depth)
{
	const char *s = w->s;
	size_t a = i + 1;
	if (!(starts_ci(s + a, hi - a, "http://") || starts_ci(s + a, hi - a, "https://") ||
	      starts_ci(s + a, hi - a, "ftp://") || starts_ci(s + a, hi - a, "//") ||
	      starts_ci(s + a, hi - a, "mailto:") || starts_ci(s + a, hi - a, "news:")))
		return 0;
	if (a < w->no_bracket_before)
		return 0; /* an earlier scan found no ']' on this line */
	size_t j = a;
	while (j < hi && s[j] != ']' && s[j] != '\n' && s[j] != ' ' && s[j] != '\t')
		j++;
	size_t lab = j;
	while (j < hi && s[j] != ']' && s[j] != '\n')
		j++;
	if (j >= hi || s[j] != ']') {
		if (j >= w->n || s[j] == '\n')
			w->no_bracket_before = j;
		return 0;
	}
	if (lab < j)
		conv(w, lab + 1, j, o, depth + 1);
	return j + 1;
}

/* ---------------------------------------------------------- tables */

/* Flatten a table body: rows become lines, cells are tab-separated, cell
 * attributes ("style=x | text") are dropped. */
static void table(struct wn_wikitext *w, size_t lo, size_t hi, struct wn_buf *o, int depth)
{
	const char *s = w->s;
	size_t i = lo;
	/* skip the "{|" line (table attributes) */
	while (i < hi && s[i] != '\n')
		i++;
	int row_has = 0;
	while (i < hi) {
		i++; /* past '\n' */
		size_t ls = i;
		while (ls < hi && (s[ls] == ' ' || s[ls] == '\t'))
			ls++;
		size_t le = ls;
		/* a line ends at '\n' outside nested templates/links/tables */
		while (le < hi && s[le] != '\n') {
			if (w->match[le] && w->match[le] - 1 < hi)
				le = w->match[le] - 1 + 2;
			else
				le++;
		}
		if (le > hi)
			le = hi;
		i = le;
		if (ls >= le)
			continue;
		char c = s[ls];
		if (c == '|' && ls + 1 < le && s[ls + 1] == '-') {
			if (row_has)
				wn_buf_addc(o, '\n');
			row_has = 0;
			continue;
		}
		if (c != '|' && c != '!') {
			/* continuation of the previous cell */
			wn_buf_addc(o, ' ');
			conv(w, ls, le, o, depth + 1);
			continue;
		}
		size_t cs = ls + 1;
		if (c == '|' && cs < le && s[cs] == '+')
			cs++; /* caption */
		/* cells separated by "||" (or "!!" on header lines) */
		while (cs <= le) {
			size_t ce = cs;
			size_t attr_bar = 0;
			while (ce < le) {
				if (w->match[ce] && w->match[ce] - 1 < le) {
					ce = w->match[ce] - 1 + 2;
					continue;
				}
				if (ce + 1 < le && ((s[ce] == '|' && s[ce + 1] == '|') || (c == '!' && s[ce] == '!' && s[ce + 1] == '!')))
					break;
				if (s[ce] == '|' && !attr_bar)
					attr_bar = ce;
				ce++;
			}
			if (ce > le)
				ce = le;
			size_t ts = attr_bar ? attr_bar + 1 : cs;
			if (row_has)
				wn_buf_addc(o, '\t');
			size_t before = o->len;
			conv(w, ts, ce, o, depth + 1);
			if (o->len > before)
				row_has = 1;
			cs = ce + 2;
		}
	}
	if (row_has)
		wn_buf_addc(o, '\n');
}

/* ---------------------------------------------------------- main walk */

static void conv(struct wn_wikitext *w, size_t lo, size_t hi, struct wn_buf *o, int depth)
{
	const char *s = w->s;
	if (depth > MAX_DEPTH)
		return;
	size_t i = lo;
	while (i < hi) {
		/* line starts: headings, lists, tables, rules */
		if ((i == lo && depth == 0) || (i > lo && s[i - 1] == '\n')) {
			if (s[i] == '=' && depth == 0) {
				size_t e = i;
				while (e < hi && s[e] != '\n')
					e++;
				size_t a = i, b = e;
				while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
					b--;
				size_t lv = 0;
				while (a < b && s[a] == '=')
					a++, lv++;
				size_t rv = 0;
				while (b > a && s[b - 1] == '=' && rv < lv)
					b--, rv++;
				if (lv >= 1 && rv >= 1) {
					wn_buf_adds(o, "\n\n");
					conv(w, a, b, o, depth + 1);
					wn_buf_adds(o, "\n\n");
					i = e;
					continue;
				}
			}
			if (s[i] == '*' || s[i] == '#' || s[i] == ':' || s[i] == ';') {
				while (i < hi && (s[i] == '*' || s[i] == '#' || s[i] == ':' || s[i] == ';'))
					i++;
				continue;
			}
			if (s[i] == '-' && i + 3 < hi && !memcmp(s + i, "----", 4)) {
				while (i < hi && s[i] == '-')
					i++;
				continue;
			}
		}
		char c = s[i];
		uint32_t m = w->match[i];
		if (c == '{' && i + 1 < hi && (s[i + 1] == '{' || s[i + 1] == '|')) {
			if (m && m - 1 < hi) {
				size_t close = m - 1;
				if (s[i + 1] == '|' && w->tables == WN_WIKI_TABLES_FLATTEN) {
					wn_buf_addc(o, '\n');
					table(w, i, close, o, depth);
				}
				i = close + 2;
			} else {
				i += 2; /* unbalanced: drop the braces, keep the text */
			}
			continue;
		}
		if (c == '[' && i + 1 < hi && s[i + 1] == '[') {
			if (m && m - 1 < hi) {
				link(w, i, m - 1, o, depth);
				i = m - 1 + 2;
			} else {
				i += 2;
			}
			continue;
		}
		if (c == '[') {
			size_t e = ext_link(w, i, hi, o, depth);
			if (e) {
				i = e;
				continue;
			}
		}
		if (c == '<') {
			if (i + 3 < hi && !memcmp(s + i, "<!--", 4)) {
				i = WN_MIN(comment_end(w, i), hi);
				continue;
			}
			const char *name;
			size_t nlen;
			int closing, selfclose;
			size_t e = parse_tag(s, i, hi, &name, &nlen, &closing, &selfclose);
			if (e) {
				int which = closing || selfclose ? 0 : drop_content_tag(name, nlen);
				if (which) {
					size_t ce = find_close(w, e, hi, name, nlen, which);
					i = ce ? ce : e;
				} else {
					if (nlen == 2 && !strncasecmp(name, "br", 2))
						wn_buf_addc(o, '\n');
					else if (nlen == 1 && (name[0] == 'p' || name[0] == 'P'))
						wn_buf_addc(o, '\n');
					else if (nlen == 3 && !strncasecmp(name, "div", 3))
						wn_buf_addc(o, '\n');
					i = e;
				}
				continue;
			}
		}
		if (c == '\'' && i + 1 < hi && s[i + 1] == '\'') {
			while (i < hi && s[i] == '\'')
				i++;
			continue;
		}
		if (c == '&') {
			size_t e = entity(s, i, hi, o);
			if (e) {
				i += e;
				continue;
			}
		}
		if (c == '_' && i + 1 < hi && s[i + 1] == '_') {
			size_t j = i + 2;
			while (j < hi && j - i < 40 && isupper((unsigned char)s[j]))
				j++;
			if (j > i + 2 && j + 1 < hi && s[j] == '_' && s[j + 1] == '_') {
				i = j + 2;
				continue;
			}
		}
		if (c == '\n') {
			wn_buf_addc(o, '\n');
			i++;
			continue;
		}
		/* plain run up to the next special byte */
		size_t j = i + 1;
		while (j < hi && s[j] != '{' && s[j] != '[' && s[j] != '<' && s[j] != '\'' && s[j] != '&' &&
		       s[j] != '_' && s[j] != '\n')
			j++;
		wn_buf_add(o, s + i, j - i);
		i = j;
	}
}

/* Tidy: collapse runs of spaces, drop spaces at line ends and starts,
 * remove "()" left by removed templates, at most one blank line. */
static void tidy(const char *s, size_t n, struct wn_buf *o)
{
	wn_buf_reset(o);
	wn_buf_grow(o, n);
	size_t nl = 0;
	int sp = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r')
			continue;
		if (c == ' ' || c == '\t') {
			if (c == '\t' && o->len && o->data[o->len - 1] != '\n' && o->data[o->len - 1] != '\t') {
				wn_buf_addc(o, '\t');
				sp = 0;
			} else if (c == ' ') {
				sp = 1;
			}
			continue;
		}
		if (c == '\n') {
			while (o->len && (o->data[o->len - 1] == ' ' || o->data[o->len - 1] == '\t'))
				o->len--;
			sp = 0;
			nl++;
			continue;
		}
		if (c == '(' && i + 1 < n && (s[i + 1] == ')' || (s[i + 1] == ' ' && i + 2 < n && s[i + 2] == ')'))) {
			i += s[i + 1] == ')' ? 1 : 2;
			continue;
		}
		if (nl && o->len) {
			wn_buf_add(o, "\n\n", nl > 1 ? 2 : 1);
			sp = 0;
		}
		nl = 0;
		if (sp && o->len && o->data[o->len - 1] != '\n' && o->data[o->len - 1] != '\t')
			wn_buf_addc(o, ' ');
		sp = 0;
		wn_buf_addc(o, c);
	}
	while (o->len && (o->data[o->len - 1] == ' ' || o->data[o->len - 1] == '\t' || o->data[o->len - 1] == '\n'))
		o->len--;
	wn_buf_setlen(o, o->len);
}

/* Parentheses emptied by removed templates: "Achilles ({{IPA|..}}; {{lang|grc|..}}, Akhilleus, )"
 * leaves "(; , Akhilleus, )". Trim separators inside, drop what is left
 * empty. A closer is looked for within 300 bytes on the same line, so the
 * pass stays linear. */
static void parens(const char *s, size_t n, struct wn_buf *o)
{
	wn_buf_reset(o);
	wn_buf_grow(o, n);
	for (size_t i = 0; i < n;) {
		const char *p = memchr(s + i, '(', n - i);
		if (!p) {
			wn_buf_add(o, s + i, n - i);
			break;
		}
		size_t a = (size_t)(p - s);
		wn_buf_add(o, s + i, a - i);
		size_t b = a + 1, lim = WN_MIN(n, a + 300);
		while (b < lim && s[b] != ')' && s[b] != '(' && s[b] != '\n')
			b++;
		if (b >= lim || s[b] != ')') {
			wn_buf_addc(o, '(');
			i = a + 1;
			continue;
		}
		size_t x = a + 1, y = b;
		while (x < y && strchr(" ,;:\t", s[x]))
			x++;
		while (y > x && strchr(" ,;:\t", s[y - 1]))
			y--;
		if (x < y) {
			wn_buf_addc(o, '(');
			wn_buf_add(o, s + x, y - x);
			wn_buf_addc(o, ')');
		}
		i = b + 1;
	}
}

size_t wn_wikitext_to_text(struct wn_wikitext *w, const char *src, size_t len, struct wn_buf *out)
{
	w->s = src;
	w->n = len;
	for (size_t k = 0; k < WN_ARRAY_SIZE(w->no_close_from); k++)
		w->no_close_from[k] = SIZE_MAX;
	w->no_comment_close_from = SIZE_MAX;
	w->no_bracket_before = 0;
	if (len > UINT32_MAX - 4)
		len = w->n = UINT32_MAX - 4; /* match[] holds 32-bit offsets */
	pair(w);
	wn_buf_reset(&w->tmp);
	conv(w, 0, len, &w->tmp, 0);
	parens(w->tmp.data, w->tmp.len, &w->tmp2);
	tidy(w->tmp2.data, w->tmp2.len, out);
	return out->len;
}
