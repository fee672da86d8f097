/*
 * html_extract.c -- main text of an HTML page; see html_extract.h.
 *
 * Cost model: parsing (libxml2) dominates. After it we walk the tree once
 * (iteratively, no recursion, so a deep tree cannot blow the stack) and do
 * all per-node work with pointer comparisons and short loops: tag names are
 * classified by a switch on the (lowercase, interned) name, class/id tokens
 * are looked up in a small table, and text is copied once into one buffer
 * that the blocks index into. Scoring and selection then work on two flat
 * arrays (registered elements, text blocks), never on the DOM again except
 * to enumerate siblings of the chosen container.
 */
#include "html_extract.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* ---------------------------------------------------------------- tags */

enum tagkind {
	K_INLINE = 0, /* text flows into the current block */
	K_SKIP,       /* never content: the subtree is ignored */
	K_BLOCK,      /* container: flushes the current block, registered */
	K_PARA,       /* paragraph-like: its text is one block */
	K_HEAD,       /* h1..h6 */
	K_LI,         /* li, dt, dd */
	K_ROW,        /* tr */
	K_CELL,       /* td, th */
	K_BR,
	K_HR,
	K_IMG,
	K_A,
	K_PRE,
	K_TITLE,      /* <title>: feeds result->title */
	K_META,
	K_HEADSEC,    /* <head> */
};

/* Tag identities we need later (scoring weights, cleaning). */
enum tagid {
	T_OTHER = 0, T_DIV, T_P, T_SECTION, T_ARTICLE, T_MAIN, T_BODY, T_HTML, T_FORM,
	T_TD, T_TH, T_PRE, T_BLOCKQUOTE, T_UL, T_OL, T_DL, T_LI, T_TABLE, T_H1, T_H2,
	T_ADDRESS, T_FIGURE, T_FIGCAPTION, T_DD, T_DT, T_TR, T_HEADER,
};

struct taginfo {
	unsigned char kind, id;
};

static struct taginfo classify_tag(const char *n)
{
	struct taginfo t = { K_BLOCK, T_OTHER }; /* unknown (custom) elements: containers */
#define IS(s) (!strcmp(n, s))
	switch (n[0]) {
	case 'a':
		if (IS("a")) t.kind = K_A;
		else if (IS("abbr") || IS("acronym")) t.kind = K_INLINE;
		else if (IS("article")) t.id = T_ARTICLE;
		else if (IS("address")) t.id = T_ADDRESS;
		else if (IS("aside") || IS("audio") || IS("applet") || IS("area")) t.kind = K_SKIP;
		break;
	case 'b':
		if (IS("b") || IS("bdi") || IS("bdo") || IS("big") || IS("blink")) t.kind = K_INLINE;
		else if (IS("br")) t.kind = K_BR;
		else if (IS("body")) t.id = T_BODY;
		else if (IS("blockquote")) t.id = T_BLOCKQUOTE;
		else if (IS("button") || IS("base") || IS("basefont")) t.kind = K_SKIP;
		break;
	case 'c':
		if (IS("cite") || IS("code")) t.kind = K_INLINE;
		else if (IS("caption")) t.kind = K_PARA;
		else if (IS("canvas") || IS("col") || IS("colgroup") || IS("command")) t.kind = K_SKIP;
		break;
	case 'd':
		if (IS("div")) t.id = T_DIV;
		else if (IS("dd")) { t.kind = K_LI; t.id = T_DD; }
		else if (IS("dt")) { t.kind = K_LI; t.id = T_DT; }
		else if (IS("dl")) t.id = T_DL;
		else if (IS("del") || IS("dfn") || IS("data")) t.kind = K_INLINE;
		else if (IS("dialog") || IS("datalist")) t.kind = K_SKIP;
		break;
	case 'e':
		if (IS("em")) t.kind = K_INLINE;
		else if (IS("embed")) t.kind = K_SKIP;
		break;
	case 'f':
		if (IS("font")) t.kind = K_INLINE;
		else if (IS("form")) t.id = T_FORM;
		else if (IS("figure")) t.id = T_FIGURE;
		else if (IS("figcaption")) t.id = T_FIGCAPTION;
		else if (IS("footer") || IS("frame") || IS("frameset")) t.kind = K_SKIP;
		break;
	case 'h':
		if (n[1] >= '1' && n[1] <= '6' && !n[2]) { t.kind = K_HEAD; t.id = n[1] == '1' ? T_H1 : T_H2; }
		else if (IS("hr")) t.kind = K_HR;
		else if (IS("html")) t.id = T_HTML;
		else if (IS("head")) t.kind = K_HEADSEC;
		else if (IS("header")) t.id = T_HEADER;
		break;
	case 'i':
		if (IS("i") || IS("ins")) t.kind = K_INLINE;
		else if (IS("img")) t.kind = K_IMG;
		else if (IS("iframe") || IS("input") || IS("isindex")) t.kind = K_SKIP;
		break;
	case 'k':
		if (IS("kbd")) t.kind = K_INLINE;
		else if (IS("keygen")) t.kind = K_SKIP;
		break;
	case 'l':
		if (IS("li")) { t.kind = K_LI; t.id = T_LI; }
		else if (IS("label")) t.kind = K_INLINE;
		else if (IS("link")) t.kind = K_SKIP;
		break;
	case 'm':
		if (IS("main")) t.id = T_MAIN;
		else if (IS("mark")) t.kind = K_INLINE;
		else if (IS("meta")) t.kind = K_META;
		else if (IS("math") || IS("map") || IS("menu") || IS("marquee")) t.kind = K_SKIP;
		break;
	case 'n':
		if (IS("nav") || IS("noscript") || IS("noframes") || IS("noembed")) t.kind = K_SKIP;
		else if (IS("nobr")) t.kind = K_INLINE;
		break;
	case 'o':
		if (IS("ol")) t.id = T_OL;
		else if (IS("object") || IS("option") || IS("optgroup") || IS("output")) t.kind = K_SKIP;
		break;
	case 'p':
		if (IS("p")) { t.kind = K_PARA; t.id = T_P; }
		else if (IS("pre") || IS("plaintext") || IS("listing")) { t.kind = K_PRE; t.id = T_PRE; }
		else if (IS("picture") || IS("param") || IS("progress")) t.kind = K_SKIP;
		break;
	case 'q':
		if (IS("q")) t.kind = K_INLINE;
		break;
	case 'r':
		if (IS("rp") || IS("rt") || IS("ruby") || IS("rb")) t.kind = K_INLINE;
		break;
	case 's':
		if (IS("span") || IS("strong") || IS("small") || IS("sub") || IS("sup") || IS("s") ||
		    IS("samp") || IS("strike"))
			t.kind = K_INLINE;
		else if (IS("section")) t.id = T_SECTION;
		else if (IS("summary")) t.kind = K_PARA;
		else if (IS("script") || IS("style") || IS("svg") || IS("select") || IS("source") ||
			 IS("slot"))
			t.kind = K_SKIP;
		break;
	case 't':
		if (IS("td")) { t.kind = K_CELL; t.id = T_TD; }
		else if (IS("th")) { t.kind = K_CELL; t.id = T_TH; }
		else if (IS("tr")) { t.kind = K_ROW; t.id = T_TR; }
		else if (IS("table")) t.id = T_TABLE;
		else if (IS("time") || IS("tt")) t.kind = K_INLINE;
		else if (IS("title")) t.kind = K_TITLE;
		else if (IS("template") || IS("textarea") || IS("track")) t.kind = K_SKIP;
		break;
	case 'u':
		if (IS("ul")) t.id = T_UL;
		else if (IS("u")) t.kind = K_INLINE;
		break;
	case 'v':
		if (IS("var")) t.kind = K_INLINE;
		else if (IS("video")) t.kind = K_SKIP;
		break;
	case 'w':
		if (IS("wbr")) t.kind = K_INLINE;
		break;
	case 'x':
		if (IS("xmp")) { t.kind = K_PRE; t.id = T_PRE; }
		break;
	}
#undef IS
	return t;
}

/* ------------------------------------------------------ class/id words */

/* Words in class/id attributes. NEG: boilerplate (the element is dropped
 * unless a MAYBE word is present too; weight -25). POS: content (+25).
 * MAYBE: content-ish words that protect an element from being dropped.
 * The lists follow Readability's and trafilatura's, matched per token
 * (split at non-alphanumerics and camelCase) rather than per substring so
 * that "add" is not "ad" and "download" is not "nav". */
enum { W_NEG = 1, W_POS = 2, W_MAYBE = 4, W_HIDE = 8 };

struct word {
	const char *w;
	unsigned char f;
};

static const struct word class_words[] = {
	{ "ad", W_NEG }, { "adblock", W_NEG }, { "ads", W_NEG }, { "adsense", W_NEG },
	{ "advert", W_NEG }, { "advertisement", W_NEG }, { "advertising", W_NEG },
	{ "agegate", W_NEG }, { "and", W_MAYBE }, { "article", W_POS | W_MAYBE },
	{ "articlebody", W_POS | W_MAYBE }, { "banner", W_NEG }, { "blog", W_POS },
	{ "body", W_POS | W_MAYBE }, { "breadcrumb", W_NEG }, { "breadcrumbs", W_NEG },
	{ "byline", W_NEG }, { "column", W_MAYBE }, { "combx", W_NEG }, { "comment", W_NEG },
	{ "comments", W_NEG }, { "community", W_NEG }, { "consent", W_NEG }, { "content", W_POS | W_MAYBE },
	{ "cookie", W_NEG }, { "cookies", W_NEG }, { "disqus", W_NEG }, { "entry", W_POS },
	{ "extra", W_NEG }, { "footer", W_NEG }, { "footnote", W_NEG }, { "gdpr", W_NEG },
	{ "header", W_NEG }, { "hentry", W_POS }, { "legends", W_NEG },
	{ "main", W_POS | W_MAYBE }, { "masthead", W_NEG }, { "menu", W_NEG }, { "modal", W_NEG },
	{ "nav", W_NEG }, { "navbar", W_NEG }, { "navigation", W_NEG }, { "newsletter", W_NEG },
	{ "outbrain", W_NEG }, { "page", W_POS }, { "pager", W_NEG }, { "pagination", W_NEG },
	{ "popular", W_NEG }, { "popup", W_NEG }, { "post", W_POS },
	{ "promo", W_NEG }, { "recommended", W_NEG }, { "related", W_NEG }, { "remark", W_NEG },
	{ "replies", W_NEG }, { "rss", W_NEG }, { "shadow", W_MAYBE }, { "share", W_NEG },
	{ "sharing", W_NEG }, { "shoutbox", W_NEG }, { "sidebar", W_NEG }, { "skyscraper", W_NEG },
	{ "social", W_NEG }, { "sponsor", W_NEG }, { "sponsored", W_NEG }, { "story", W_POS },
	{ "subscribe", W_NEG }, { "subscription", W_NEG }, { "supplemental", W_NEG },
	{ "taboola", W_NEG }, { "text", W_POS }, { "toolbar", W_NEG }, { "trending", W_NEG },
	{ "widget", W_NEG },
};

static int word_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, ((const struct word *)b)->w);
}

static unsigned lookup_word(const char *w)
{
	const struct word *r = bsearch(w, class_words, WN_ARRAY_SIZE(class_words), sizeof class_words[0], word_cmp);
	return r ? r->f : 0;
}

/* Flags of all tokens of a class or id value. Tokens split at
 * non-alphanumerics and at lower->upper case changes ("shareBar"). */
static unsigned attr_words(const char *s)
{
	unsigned f = 0;
	char tok[32];
	size_t n = 0;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		int alnum = isalnum(c);
		int camel = alnum && n > 0 && isupper(c) && islower((unsigned char)p[-1]);
		if (!alnum || camel) {
			if (n > 0 && n < sizeof tok) {
				tok[n] = '\0';
				f |= lookup_word(tok);
			}
			n = 0;
			if (!c)
				break;
			if (!alnum)
				continue;
		}
		if (n < sizeof tok - 1)
			tok[n] = (char)tolower(c);
		n++;
		if (n >= sizeof tok)
			n = sizeof tok; /* too long to be a word we know */
	}
	return f;
}

/* ------------------------------------------------------------ stop words */

/* Function words of the most common web languages. Their density tells
 * running prose from menus and link lists (jusText's main signal); used
 * only when the page as a whole shows a high density, i.e. when its
 * language is covered here. */
static const char *const stop_words[] = {
	"a", "about", "after", "al", "all", "als", "also", "an", "and", "are", "as", "at", "auf",
	"be", "been", "but", "by", "can", "con", "could", "da", "dans", "das", "de", "dei", "del",
	"della", "dem", "den", "der", "des", "di", "die", "do", "du", "e", "een", "ein", "eine",
	"el", "en", "es", "est", "et", "for", "from", "had", "has", "have", "he", "her", "his",
	"het", "i", "if", "il", "im", "in", "into", "is", "ist", "it", "its", "la", "las", "le",
	"les", "lo", "los", "mit", "more", "no", "não", "not", "of", "on", "one", "or", "os",
	"par", "para", "per", "por", "pour", "que", "qui", "se", "she", "sich", "so", "some",
	"than", "that", "the", "their", "there", "they", "this", "to", "um", "un", "una", "und",
	"une", "van", "was", "we", "were", "what", "when", "which", "who", "will", "with",
	"would", "y", "you", "zu",
};

#define STOP_HASH 512
struct stopset {
	uint32_t h[STOP_HASH]; /* 0 = empty, else index+1 */
};

static uint32_t word_hash(const unsigned char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static void stopset_init(struct stopset *ss)
{
	memset(ss, 0, sizeof *ss);
	for (size_t i = 0; i < WN_ARRAY_SIZE(stop_words); i++) {
		uint32_t h = word_hash((const unsigned char *)stop_words[i], strlen(stop_words[i])) & (STOP_HASH - 1);
		while (ss->h[h])
			h = (h + 1) & (STOP_HASH - 1);
		ss->h[h] = (uint32_t)i + 1;
	}
}

static int is_stop(const struct stopset *ss, const unsigned char *w, size_t n)
{
	uint32_t h = word_hash(w, n) & (STOP_HASH - 1);
	while (ss->h[h]) {
		const char *s = stop_words[ss->h[h] - 1];
		if (strlen(s) == n && !memcmp(s, w, n))
			return 1;
		h = (h + 1) & (STOP_HASH - 1);
	}
	return 0;
}

/* ------------------------------------------------------------ state */

enum { EF_SCORED = 1, EF_SELECTED = 2, EF_DROP = 4, EF_CHECKED = 8 };

/* A registered element: every non-inline element the walk entered. */
struct el {
	xmlNode *node;
	int parent;              /* nearest registered ancestor, -1 at the root */
	uint32_t chars, link_chars, commas; /* visible text of the subtree */
	uint32_t np, nli, nimg, ninput, nblocks, nhead;
	float score;             /* content score, valid with EF_SCORED */
	int16_t weight;          /* class/id weight */
	unsigned char id, kind, flags;
	unsigned char last_char; /* last byte of the last block flushed under it */
};

enum blkkind { B_PARA, B_HEAD, B_LI, B_CELL, B_PRE };

struct blk {
	uint32_t start, len;     /* span in x->txt */
	int owner;               /* innermost registered element */
	uint32_t chars, link_chars, commas, words, stops;
	unsigned char kind, h1;
};

struct wn_html_extractor {
	struct wn_html_opts opts;
	struct stopset stops;
	struct el *els;
	size_t nels, elcap;
	struct blk *blks;
	size_t nblks, blkcap;
	struct wn_buf txt;       /* all block text of the document */
	struct wn_buf src;       /* the document without script/style contents */
	/* walk state */
	int cur;                 /* current registered element */
	uint32_t blk_start, cur_chars, cur_link, cur_commas;
	int in_link, in_pre, in_head, pending_space, h1;
	unsigned char cur_kind;
	int strip_unlikely;
	int no_clean;            /* last resort: keep link-heavy sub-containers */
	double deadline;
	struct wn_html_result *res;
};

struct wn_html_extractor *wn_html_extractor_new(const struct wn_html_opts *opts)
{
	struct wn_html_extractor *x = wn_xcalloc(1, sizeof *x);
	if (opts)
		x->opts = *opts;
	stopset_init(&x->stops);
	wn_buf_init(&x->txt);
	wn_buf_init(&x->src);
	return x;
}

void wn_html_extractor_free(struct wn_html_extractor *x)
{
	if (!x)
		return;
	free(x->els);
	free(x->blks);
	wn_buf_release(&x->txt);
	wn_buf_release(&x->src);
	free(x);
}

void wn_html_result_init(struct wn_html_result *r)
{
	wn_buf_init(&r->text);
	wn_buf_init(&r->title);
	wn_buf_init(&r->lang);
}

void wn_html_result_release(struct wn_html_result *r)
{
	wn_buf_release(&r->text);
	wn_buf_release(&r->title);
	wn_buf_release(&r->lang);
}

const char *wn_html_reason(int rc)
{
	switch (rc) {
	case WN_HTML_TOO_LARGE: return "too-large";
	case WN_HTML_TIMEOUT: return "timeout";
	case WN_HTML_EMPTY: return "empty";
	default: return "parse-error";
	}
}

/* ------------------------------------------------------------ text */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Append visible text, collapsing white space (kept inside <pre>). NBSP
 * (C2 A0) counts as a space. Counts characters (not bytes), link
 * characters and commas for the current block. */
static void add_text(struct wn_html_extractor *x, const unsigned char *s, size_t n)
{
	struct wn_buf *b = &x->txt;
	wn_buf_grow(b, n + 1);
	char *o = b->data + b->len;
	uint32_t chars = 0, commas = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (!x->in_pre && (is_space(c) || (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0))) {
			if (c == 0xC2)
				i++;
			x->pending_space = 1;
			continue;
		}
		if (x->pending_space) {
			if ((size_t)(o - b->data) > x->blk_start && o[-1] != '\n')
				*o++ = ' ';
			x->pending_space = 0;
		}
		*o++ = (char)c;
		chars += (c & 0xC0) != 0x80;
		commas += c == ',';
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	x->cur_chars += chars;
	x->cur_commas += commas;
	if (x->in_link)
		x->cur_link += chars;
}

static void count_words(struct wn_html_extractor *x, struct blk *k)
{
	const unsigned char *s = (const unsigned char *)x->txt.data + k->start;
	unsigned char w[24];
	uint32_t words = 0, stops = 0;
	size_t i = 0, n = k->len;
	while (i < n) {
		while (i < n && !(isalnum(s[i]) || s[i] >= 0x80))
			i++;
		if (i >= n)
			break;
		size_t wl = 0;
		int ascii = 1;
		while (i < n && (isalnum(s[i]) || s[i] >= 0x80)) {
			if (s[i] >= 0x80)
				ascii = 0;
			if (wl < sizeof w)
				w[wl] = (unsigned char)tolower(s[i]);
			wl++;
			i++;
		}
		words++;
		if (wl <= 5 && (ascii || wl <= 4) && is_stop(&x->stops, w, wl))
			stops++;
	}
	k->words = words;
	k->stops = stops;
}

/* End the current block: trim, record it under the current element. */
static void flush(struct wn_html_extractor *x)
{
	struct wn_buf *b = &x->txt;
	while (b->len > x->blk_start && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\n'))
		b->len--;
	b->data[b->len] = '\0';
	x->pending_space = 0;
	if (b->len > x->blk_start && x->cur >= 0) {
		WN_GROW(x->blks, x->blkcap, x->nblks + 1);
		struct blk *k = &x->blks[x->nblks++];
		k->start = x->blk_start;
		k->len = (uint32_t)(b->len - x->blk_start);
		k->owner = x->cur;
		k->chars = x->cur_chars;
		k->link_chars = x->cur_link;
		k->commas = x->cur_commas;
		k->kind = x->cur_kind;
		k->h1 = (unsigned char)x->h1;
		count_words(x, k);
		struct el *e = &x->els[x->cur];
		e->chars += k->chars;
		e->link_chars += k->link_chars;
		e->commas += k->commas;
		e->nblocks++;
		e->last_char = (unsigned char)b->data[b->len - 1];
	} else {
		b->len = x->blk_start;
		b->data[b->len] = '\0';
	}
	x->blk_start = (uint32_t)b->len;
	x->cur_chars = x->cur_link = x->cur_commas = 0;
	x->cur_kind = B_PARA;
}

/* ------------------------------------------------------------ walk */

static const char *attr_val(const xmlAttr *a)
{
	if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
		return (const char *)a->children->content;
	return "";
}

static int has_ci(const char *s, const char *needle)
{
	return strcasestr(s, needle) != NULL;
}

/* Look at an element's attributes: is it hidden or boilerplate by its
 * class/id/role, and what is its class weight? */
static int inspect_attrs(struct wn_html_extractor *x, const xmlNode *n, int16_t *weight, int protect)
{
	unsigned f = 0;
	int skip = 0;
	*weight = 0;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		switch (name[0]) {
		case 'c':
			if (!strcmp(name, "class")) {
				unsigned g = attr_words(attr_val(a));
				f |= g;
				*weight += (g & W_NEG ? -25 : 0) + (g & W_POS ? 25 : 0);
			}
			break;
		case 'i':
			if (!strcmp(name, "id")) {
				unsigned g = attr_words(attr_val(a));
				f |= g;
				*weight += (g & W_NEG ? -25 : 0) + (g & W_POS ? 25 : 0);
			} else if (!strcmp(name, "itemprop")) {
				if (has_ci(attr_val(a), "articleBody"))
					*weight += 25;
			}
			break;
		case 'h':
			if (!strcmp(name, "hidden"))
				skip = 1;
			break;
		case 's':
			if (!strcmp(name, "style")) {
				const char *v = attr_val(a);
				if (strstr(v, "none") && (has_ci(v, "display:none") || has_ci(v, "display: none")))
					skip = 1;
				if (strstr(v, "hidden") && (has_ci(v, "visibility:hidden") || has_ci(v, "visibility: hidden")))
					skip = 1;
			}
			break;
		case 'r':
			if (!strcmp(name, "role")) {
				const char *v = attr_val(a);
				if (!strcmp(v, "navigation") || !strcmp(v, "banner") || !strcmp(v, "contentinfo") ||
				    !strcmp(v, "complementary") || !strcmp(v, "menu") || !strcmp(v, "menubar") ||
				    !strcmp(v, "dialog") || !strcmp(v, "alertdialog") || !strcmp(v, "search"))
					f |= W_NEG;
				else if (!strcmp(v, "main") || !strcmp(v, "article"))
					*weight += 25, f |= W_MAYBE;
			}
			break;
		case 'a':
			if (!strcmp(name, "aria-hidden") && !strcmp(attr_val(a), "true"))
				skip = 1;
			break;
		}
	}
	if (f & W_HIDE)
		skip = 1;
	if (x->strip_unlikely && !protect && (f & W_NEG) && !(f & W_MAYBE))
		skip = 1;
	return skip;
}

static void head_meta(struct wn_html_extractor *x, const xmlNode *n)
{
	const char *prop = NULL, *content = NULL, *equiv = NULL;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		if (!strcmp(name, "property") || !strcmp(name, "name"))
			prop = attr_val(a);
		else if (!strcmp(name, "content"))
			content = attr_val(a);
		else if (!strcmp(name, "http-equiv"))
			equiv = attr_val(a);
	}
	if (!content)
		return;
	if (prop && !strcmp(prop, "og:title") && x->res->title.len == 0) {
		wn_buf_adds(&x->res->title, content);
	} else if (equiv && !strcasecmp(equiv, "content-language") && x->res->lang.len == 0) {
		size_t l = strcspn(content, " ,;");
		wn_buf_add(&x->res->lang, content, l);
	}
}

static void collect_title(struct wn_html_extractor *x, const xmlNode *n)
{
	if (x->res->title.len)
		wn_buf_reset(&x->res->title); /* <title> wins over og:title */
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_TEXT_NODE && c->content)
			wn_buf_adds(&x->res->title, (const char *)c->content);
}

/* Collapse white space in place. */
static void squeeze(struct wn_buf *b)
{
	size_t o = 0;
	int sp = 0;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (is_space(c)) {
			sp = o > 0;
			continue;
		}
		if (sp)
			b->data[o++] = ' ';
		sp = 0;
		b->data[o++] = (char)c;
	}
	wn_buf_setlen(b, o);
}

static int register_el(struct wn_html_extractor *x, xmlNode *n, unsigned char id, int16_t weight)
{
	WN_GROW(x->els, x->elcap, x->nels + 1);
	int i = (int)x->nels++;
	struct el *e = &x->els[i];
	memset(e, 0, sizeof *e);
	e->node = n;
	e->parent = x->cur;
	e->id = id;
	e->weight = weight;
	n->_private = (void *)(intptr_t)(i + 1);
	return i;
}

/* _private markers of unregistered elements whose leaving matters. */
#define MARK_LINK ((intptr_t)-1)
#define MARK_HEAD ((intptr_t)-2)

/* The walk. Returns 0, or WN_HTML_TIMEOUT. */
static int walk(struct wn_html_extractor *x, xmlNode *root)
{
	xmlNode *n = root;
	unsigned long visits = 0;
	while (n) {
		int descend = 0;
		if (WN_UNLIKELY((++visits & 1023) == 0) && x->deadline > 0 && wn_now() > x->deadline)
			return WN_HTML_TIMEOUT;
		n->_private = NULL;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content && x->cur >= 0 && !x->in_head)
				add_text(x, n->content, strlen((const char *)n->content));
		} else if (n->type == XML_ELEMENT_NODE && n->name) {
			struct taginfo t = classify_tag((const char *)n->name);
			int16_t weight = 0;
			switch (t.kind) {
			case K_SKIP:
				break;
			case K_HEADSEC:
				descend = 1; /* for <title> and <meta>; text there is not shown */
				x->in_head++;
				n->_private = (void *)MARK_HEAD;
				break;
			case K_TITLE:
				collect_title(x, n);
				break;
			case K_META:
				head_meta(x, n);
				break;
			case K_BR:
				if (x->in_pre || x->txt.len == x->blk_start)
					break;
				if (x->txt.data[x->txt.len - 1] != '\n') {
					while (x->txt.len > x->blk_start && x->txt.data[x->txt.len - 1] == ' ')
						x->txt.len--;
					wn_buf_addc(&x->txt, '\n');
				}
				x->pending_space = 0;
				break;
			case K_HR:
				flush(x);
				break;
			case K_IMG:
				if (x->cur >= 0)
					x->els[x->cur].nimg++;
				break;
			case K_A:
			case K_INLINE:
				if (n->properties && inspect_attrs(x, n, &weight, 0))
					break;
				descend = 1;
				if (t.kind == K_A) {
					x->in_link++;
					n->_private = (void *)MARK_LINK;
				}
				break;
			default: { /* registered: containers, paragraphs, cells ... */
				int protect = t.id == T_BODY || t.id == T_HTML || t.id == T_ARTICLE || t.id == T_MAIN;
				if (n->properties && inspect_attrs(x, n, &weight, protect))
					break;
				if (t.id == T_HEADER && x->strip_unlikely)
					break;
				/* captions describe pictures we do not keep */
				if (t.id == T_FIGCAPTION && x->opts.mode != WN_HTML_RECALL)
					break;
				if (t.kind == K_CELL) {
					/* cells of a row share its block, separated by a tab */
					if (x->txt.len > x->blk_start)
						wn_buf_addc(&x->txt, '\t');
					x->pending_space = 0;
				} else {
					flush(x);
				}
				x->cur = register_el(x, n, t.id, weight);
				x->els[x->cur].kind = t.kind;
				descend = 1;
				switch (t.kind) {
				case K_HEAD: x->cur_kind = B_HEAD; x->h1 = t.id == T_H1; break;
				case K_LI: x->cur_kind = B_LI; break;
				case K_ROW: x->cur_kind = B_CELL; break;
				case K_CELL: if (x->cur_kind == B_PARA) x->cur_kind = B_CELL; break;
				case K_PRE: x->cur_kind = B_PRE; x->in_pre++; break;
				default: break;
				}
				break;
			}
			}
		}
		if (descend && n->children) {
			n = n->children;
			continue;
		}
		/* leave n and every ancestor whose last child it is */
		for (;;) {
			if (n->type == XML_ELEMENT_NODE) {
				intptr_t idx = (intptr_t)n->_private;
				if (idx > 0) {
					int i = (int)idx - 1;
					struct el *e = &x->els[i];
					struct taginfo t = { e->kind, e->id };
					if (t.kind != K_CELL)
						flush(x);
					if (t.kind == K_PRE)
						x->in_pre--;
					if (t.kind == K_HEAD)
						x->h1 = 0;
					x->cur = e->parent;
					if (e->parent >= 0) {
						struct el *p = &x->els[e->parent];
						p->chars += e->chars;
						p->link_chars += e->link_chars;
						p->commas += e->commas;
						p->np += e->np + (e->id == T_P && e->chars > 0);
						p->nli += e->nli + (e->id == T_LI);
						p->nhead += e->nhead + (t.kind == K_HEAD);
						p->nimg += e->nimg;
						p->ninput += e->ninput;
						p->nblocks += e->nblocks;
						p->last_char = e->last_char ? e->last_char : p->last_char;
					}
				} else if (idx == MARK_LINK) {
					x->in_link--;
				} else if (idx == MARK_HEAD) {
					x->in_head--;
				}
			}
			if (n == root)
				return 0;
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (!n)
				return 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ scoring */

/* Readability's initial score of a container by its tag. */
static float tag_base(unsigned char id)
{
	switch (id) {
	case T_DIV: return 5;
	case T_PRE: case T_TD: case T_BLOCKQUOTE: return 3;
	case T_ADDRESS: case T_OL: case T_UL: case T_DL: case T_DD: case T_DT: case T_LI: case T_FORM: return -3;
	case T_H1: case T_H2: case T_TH: return -5;
	default: return 0;
	}
}

static void touch(struct el *e)
{
	if (!(e->flags & EF_SCORED)) {
		e->score = tag_base(e->id) + e->weight;
		e->flags |= EF_SCORED;
	}
}

static float link_density(const struct el *e)
{
	return e->chars ? (float)e->link_chars / (float)e->chars : 0.0f;
}

static float final_score(const struct el *e)
{
	return e->score * (1.0f - link_density(e));
}

/*
 * Content score (Readability's): every prose block of 25+ characters gives
 * 1 + its commas + one point per 100 characters (at most 3) to its parent
 * container, half to the grandparent, and a third per level above that,
 * five levels up. When the page's language is covered by the stop-word
 * list, blocks with almost no function words (menus, tag clouds, bylines)
 * give nothing: jusText's observation that prose is 30-50% stop words.
 */
static void score_blocks(struct wn_html_extractor *x, int use_stops)
{
	for (size_t b = 0; b < x->nblks; b++) {
		const struct blk *k = &x->blks[b];
		if (k->chars < 25 || k->kind == B_LI || k->kind == B_HEAD)
			continue;
		if (use_stops && k->words >= 6 && k->stops * 20 < k->words)
			continue;
		if (k->link_chars * 2 > k->chars)
			continue;
		float s = 1.0f + (float)k->commas + WN_MIN((float)k->chars / 100.0f, 3.0f);
		int a = x->els[k->owner].parent;
		for (int level = 0; a >= 0 && level < 5; level++, a = x->els[a].parent) {
			struct el *e = &x->els[a];
			touch(e);
			e->score += s / (level == 0 ? 1.0f : level == 1 ? 2.0f : (float)level * 3.0f);
		}
	}
}

/* Readability's conditional cleaning of a container inside the article:
 * link-heavy, image-heavy or nearly empty divs, lists, tables and forms
 * go, unless they hold real prose (10+ commas). */
static int drop_container(const struct wn_html_extractor *x, const struct el *e)
{
	switch (e->id) {
	case T_DIV: case T_SECTION: case T_FORM: case T_TABLE: case T_UL: case T_OTHER: case T_HEADER:
		break;
	default:
		return e->weight < 0;
	}
	if (e->weight + ((e->flags & EF_SCORED) ? e->score : 0) < 0)
		return 1;
	if (e->commas >= 10)
		return 0;
	float ld = link_density(e);
	float maxld = x->opts.mode == WN_HTML_RECALL ? 0.35f : 0.2f;
	if (e->nimg > 1 && (float)e->np / (float)e->nimg < 0.5f && e->id != T_FIGURE)
		return 1;
	if (e->chars < 25 && (e->nimg == 0 || e->nimg > 2) && e->nhead == 0)
		return 1;
	/* a picture with a line under it: a caption without <figcaption> */
	if (x->opts.mode != WN_HTML_RECALL && e->nimg == 1 && e->np == 0 && e->nhead == 0 && e->chars < 150)
		return 1;
	if (e->weight < 25 && ld > maxld)
		return 1;
	if (e->weight >= 25 && ld > 0.5f)
		return 1;
	return 0;
}

static int ends_sentence(unsigned char c)
{
	return c == '.' || c == '!' || c == '?' || c == '"' || c == ':' || c >= 0x80;
}

/* Pick the main container and its related siblings; mark them SELECTED.
 * Returns the number of selected roots. */
static int select_content(struct wn_html_extractor *x)
{
	int top = -1;
	float best = 0;
	for (size_t i = 0; i < x->nels; i++) {
		const struct el *e = &x->els[i];
		if (!(e->flags & EF_SCORED))
			continue;
		float f = final_score(e);
		if (top < 0 || f > best) {
			best = f;
			top = (int)i;
		}
	}
	if (top < 0) {
		/* no prose at all: fall back to <body> (or the root) */
		for (size_t i = 0; i < x->nels; i++)
			if (x->els[i].id == T_BODY) {
				top = (int)i;
				break;
			}
		if (top < 0 && x->nels)
			top = 0;
		if (top < 0)
			return 0;
		x->els[top].flags |= EF_SELECTED;
		return 1;
	}
	/* An article split into several scored children of one wrapper gives
	 * the wrapper more than any child: climb to an ancestor that beats the
	 * top candidate itself, stopping at one that scores under a third of
	 * it. (Readability compares with the last ancestor seen instead, which
	 * lets a weak intermediate level hand the choice to a page-wide
	 * wrapper; comparing with the top candidate is stricter.) */
	float threshold = best / 3.0f;
	for (int p = x->els[top].parent; p >= 0 && x->els[p].id != T_BODY && x->els[p].id != T_HTML;
	     p = x->els[p].parent) {
		if (!(x->els[p].flags & EF_SCORED))
			continue;
		float ps = final_score(&x->els[p]);
		if (ps < threshold)
			break;
		if (ps > best) {
			top = p;
			break;
		}
	}
	best = final_score(&x->els[top]);
#ifdef WN_HTML_DEBUG
	for (size_t i = 0; i < x->nels; i++) {
		const struct el *e = &x->els[i];
		if ((e->flags & EF_SCORED) && final_score(e) > best * 0.3f) {
			const xmlChar *cl = xmlGetProp(e->node, (const xmlChar *)"class");
			fprintf(stderr, "cand %zu%s <%s class=%s> score=%.1f final=%.1f chars=%u ld=%.2f parent=%d\n", i,
				(int)i == top ? "*" : "", e->node->name, cl ? (const char *)cl : "", e->score, final_score(e),
				e->chars, link_density(e), e->parent);
		}
	}
#endif
	int nsel = 0;
	int parent = x->els[top].parent;
	if (parent < 0 || x->els[top].id == T_BODY) {
		x->els[top].flags |= EF_SELECTED;
		return 1;
	}
	float sib_threshold = WN_MAX(10.0f, best * (x->opts.mode == WN_HTML_RECALL ? 0.1f : 0.2f));
	for (xmlNode *c = x->els[parent].node->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		intptr_t idx = (intptr_t)c->_private;
		if (idx <= 0)
			continue;
		struct el *s = &x->els[idx - 1];
		int take = 0;
		if (idx - 1 == top) {
			take = 1;
		} else if (s->chars > 0) {
			float ld = link_density(s);
			float f = (s->flags & EF_SCORED) ? final_score(s) : 0;
			if (f >= sib_threshold)
				take = 1;
			else if (s->id == T_P || s->nblocks == 1) {
				if (s->chars > 80 && ld < 0.25f)
					take = 1;
				else if (s->chars <= 80 && ld == 0 && ends_sentence(s->last_char))
					take = 1;
			}
		}
#ifdef WN_HTML_DEBUG
		fprintf(stderr, "  sib %ld <%s> take=%d chars=%u f=%.1f thr=%.1f\n", (long)(idx - 1), c->name, take, s->chars,
			(s->flags & EF_SCORED) ? final_score(s) : 0, sib_threshold);
#endif
		if (take) {
			s->flags |= EF_SELECTED;
			nsel++;
		}
	}
	/* Articles cut into sections by figures or pull quotes often repeat
	 * the wrapper's class on every section ("post__content"), at a depth
	 * where sibling inclusion cannot reach them: take other candidates of
	 * the same tag and class that score like related siblings. */
	const xmlChar *tcls = xmlHasProp(x->els[top].node, (const xmlChar *)"class") ?
				      xmlHasProp(x->els[top].node, (const xmlChar *)"class")->children ?
				      xmlHasProp(x->els[top].node, (const xmlChar *)"class")->children->content : NULL : NULL;
	if (tcls && *tcls) {
		for (size_t i = 0; i < x->nels; i++) {
			struct el *e = &x->els[i];
			if ((int)i == top || !(e->flags & EF_SCORED) || (e->flags & EF_SELECTED) ||
			    final_score(e) < sib_threshold || strcmp((const char *)e->node->name, (const char *)x->els[top].node->name))
				continue;
			xmlAttr *a = xmlHasProp(e->node, (const xmlChar *)"class");
			if (!a || !a->children || !a->children->content || strcmp((const char *)a->children->content, (const char *)tcls))
				continue;
			int related = 0; /* ancestor or descendant of top: already covered */
			for (int p = e->parent; p >= 0 && !related; p = x->els[p].parent)
				related = p == top;
			for (int p = x->els[top].parent; p >= 0 && !related; p = x->els[p].parent)
				related = p == (int)i;
			if (!related) {
				e->flags |= EF_SELECTED;
				nsel++;
			}
		}
	}
	return nsel;
}

/* Emit the selected blocks into out. */
static void emit(struct wn_html_extractor *x, struct wn_buf *out)
{
	/* Pre-order: a parent's index is below its children's, so one forward
	 * pass propagates "inside the selection" and "dropped" downwards. */
	for (size_t i = 0; i < x->nels; i++) {
		struct el *e = &x->els[i];
		e->flags &= (unsigned char)~(EF_CHECKED | EF_DROP); /* emit may run twice */
		int in = e->flags & EF_SELECTED;
		int par_in = e->parent >= 0 && (x->els[e->parent].flags & EF_CHECKED);
		if (par_in)
			in = 1;
		if (!in)
			continue;
		e->flags |= EF_CHECKED; /* inside the selection */
		if (par_in && (x->els[e->parent].flags & EF_DROP))
			e->flags |= EF_DROP;
		else if (!(e->flags & EF_SELECTED) && !x->no_clean && drop_container(x, e))
			e->flags |= EF_DROP;
	}
	wn_buf_reset(out);
	int prev = -1;
	float maxld = x->opts.mode == WN_HTML_RECALL ? 0.8f : x->opts.mode == WN_HTML_PRECISION ? 0.33f : 0.5f;
	for (size_t b = 0; b < x->nblks; b++) {
		const struct blk *k = &x->blks[b];
		const struct el *e = &x->els[k->owner];
		if ((e->flags & (EF_CHECKED | EF_DROP)) != EF_CHECKED)
			continue;
		/* link-dominated blocks are navigation, unless the text around the
		 * links is a sentence of its own ("... was <a>re-opened after
		 * ...</a>.") */
		if ((float)k->link_chars > maxld * (float)k->chars &&
		    (k->chars - k->link_chars < 50 || k->link_chars * 5 > k->chars * 4 || k->kind != B_PARA))
			continue;
		if (k->h1 && x->opts.mode != WN_HTML_RECALL)
			continue;
		if (x->opts.mode == WN_HTML_PRECISION && k->kind == B_PARA && k->chars < 40 &&
		    !ends_sentence((unsigned char)x->txt.data[k->start + k->len - 1]))
			continue;
		if (out->len) {
			int tight = prev >= 0 && k->kind == x->blks[prev].kind && (k->kind == B_LI || k->kind == B_CELL);
			wn_buf_add(out, "\n\n", tight ? 1 : 2);
		}
		wn_buf_add(out, x->txt.data + k->start, k->len);
		prev = (int)b;
	}
}

static int run(struct wn_html_extractor *x, xmlNode *root, int strip, struct wn_buf *out)
{
	x->nels = x->nblks = 0;
	wn_buf_reset(&x->txt);
	x->cur = -1;
	x->blk_start = x->cur_chars = x->cur_link = x->cur_commas = 0;
	x->in_link = x->in_pre = x->in_head = x->pending_space = x->h1 = 0;
	x->cur_kind = B_PARA;
	x->strip_unlikely = strip;
	int rc = walk(x, root);
	if (rc)
		return rc;
	flush(x);
	uint64_t words = 0, stops = 0;
	for (size_t b = 0; b < x->nblks; b++) {
		words += x->blks[b].words;
		stops += x->blks[b].stops;
	}
	score_blocks(x, words >= 50 && stops * 100 >= words * 15);
	if (select_content(x) > 0)
		emit(x, out);
	else
		wn_buf_reset(out);
	return 0;
}

static void root_lang(const xmlNode *root, struct wn_buf *lang)
{
	for (const xmlAttr *a = root->properties; a; a = a->next) {
		if (!strcmp((const char *)a->name, "lang") || !strcmp((const char *)a->name, "xml:lang")) {
			const char *v = attr_val(a);
			if (*v) {
				wn_buf_reset(lang);
				wn_buf_adds(lang, v);
				return;
			}
		}
	}
}

/*
 * Pre-pass: copy the document keeping only what the walk reads. Dropped:
 * the contents of <script> and <style> elements, comments, and every
 * attribute except the few we look at (class, id, style, hidden, role,
 * itemprop, lang, aria-hidden, and those of <meta>). On news pages script
 * and style contents are ~60% of the bytes and start tags ~75% of the rest
 * (srcset, data-*, inline JSON), and libxml2 spends a malloc or three and
 * a per-character loop on each; dropping them first makes the parse about
 * three times cheaper.
 *
 * The scan follows the HTML tokenizer closely enough to produce the same
 * tree: '<' + letter opens a tag; attribute names end at white space, '/',
 * '=' or '>'; values are quoted ('>' inside quotes does not end the tag) or
 * run to white space or '>'; a raw text element ends at "</name" followed
 * by white space, '/' or '>', as libxml2 ends it. Kept attributes and all
 * other bytes are copied verbatim. It is memchr-driven outside tags.
 */
static int raw_name(const char *s, size_t n, size_t *nlen)
{
	if (n >= 6 && !strncasecmp(s, "script", 6)) {
		*nlen = 6;
	} else if (n >= 5 && !strncasecmp(s, "style", 5)) {
		*nlen = 5;
	} else {
		return 0;
	}
	if (n == *nlen)
		return 1;
	unsigned char c = (unsigned char)s[*nlen];
	return is_space(c) || c == '>' || c == '/';
}

static int keep_attr(const char *a, size_t n)
{
	switch (n) {
	case 2: return !strncasecmp(a, "id", 2);
	case 4: return !strncasecmp(a, "role", 4) || !strncasecmp(a, "lang", 4) || !strncasecmp(a, "name", 4);
	case 5: return !strncasecmp(a, "class", 5) || !strncasecmp(a, "style", 5);
	case 6: return !strncasecmp(a, "hidden", 6);
	case 7: return !strncasecmp(a, "content", 7) || !strncasecmp(a, "charset", 7);
	case 8: return !strncasecmp(a, "itemprop", 8) || !strncasecmp(a, "property", 8) || !strncasecmp(a, "xml:lang", 8);
	case 10: return !strncasecmp(a, "http-equiv", 10);
	case 11: return !strncasecmp(a, "aria-hidden", 11);
	default: return 0;
	}
}

/* Copy the start tag at in[j] ('<' + letter) with its kept attributes.
 * Returns the index after its '>', or n when the tag runs to the end
 * (then the rest is copied verbatim). */
static size_t copy_tag(const char *in, size_t n, size_t j, struct wn_buf *out, int *selfclose)
{
	size_t k = j + 1;
	while (k < n && !is_space((unsigned char)in[k]) && in[k] != '>' && in[k] != '/')
		k++;
	int meta = k - j - 1 == 4 && !strncasecmp(in + j + 1, "meta", 4);
	wn_buf_add(out, in + j, k - j);
	*selfclose = 0;
	for (;;) {
		while (k < n && (is_space((unsigned char)in[k]) || in[k] == '/')) {
			if (in[k] == '/' && k + 1 < n && in[k + 1] == '>')
				*selfclose = 1;
			k++;
		}
		if (k >= n) {
			return n;
		}
		if (in[k] == '>') {
			if (*selfclose)
				wn_buf_addc(out, '/');
			wn_buf_addc(out, '>');
			return k + 1;
		}
		*selfclose = 0;
		size_t a = k;
		while (k < n && !is_space((unsigned char)in[k]) && in[k] != '>' && in[k] != '/' && (in[k] != '=' || k == a))
			k++;
		size_t an = k - a;
		size_t v = k;
		while (v < n && is_space((unsigned char)in[v]))
			v++;
		if (v < n && in[v] == '=') {
			v++;
			while (v < n && is_space((unsigned char)in[v]))
				v++;
			if (v < n && (in[v] == '"' || in[v] == '\'')) {
				const char *q = memchr(in + v + 1, in[v], n - v - 1);
				v = q ? (size_t)(q - in) + 1 : n;
			} else {
				while (v < n && !is_space((unsigned char)in[v]) && in[v] != '>')
					v++;
			}
			k = v;
		}
		if (meta || keep_attr(in + a, an)) {
			wn_buf_addc(out, ' ');
			wn_buf_add(out, in + a, k - a);
		}
	}
}

static void strip_raw(const char *in, size_t n, struct wn_buf *out)
{
	wn_buf_reset(out);
	wn_buf_grow(out, n);
	size_t i = 0;
	while (i < n) {
		const char *p = memchr(in + i, '<', n - i);
		if (!p) {
			wn_buf_add(out, in + i, n - i);
			break;
		}
		size_t j = (size_t)(p - in);
		wn_buf_add(out, in + i, j - i);
		if (j + 3 < n && in[j + 1] == '!' && in[j + 2] == '-' && in[j + 3] == '-') {
			const char *e = memmem(in + j + 4, n - j - 4, "-->", 3);
			if (!e) { /* unclosed: leave it to the parser */
				wn_buf_add(out, in + j, n - j);
				break;
			}
			i = (size_t)(e - in) + 3;
			continue;
		}
		if (j + 1 >= n || !isalpha((unsigned char)in[j + 1])) {
			wn_buf_addc(out, '<');
			i = j + 1;
			continue;
		}
		int selfclose;
		size_t before = out->len;
		size_t k = copy_tag(in, n, j, out, &selfclose);
		if (k >= n) {
			/* a tag that never ends (unclosed quote, say): let the
			 * parser see the rest exactly as it was */
			wn_buf_setlen(out, before);
			wn_buf_add(out, in + j, n - j);
			break;
		}
		size_t nlen;
		if (!selfclose && raw_name(in + j + 1, n - j - 1, &nlen)) {
			/* skip the content up to the end tag (or the end of input) */
			size_t m = k;
			for (;;) {
				const char *q = memchr(in + m, '<', n - m);
				if (!q) {
					m = n;
					break;
				}
				m = (size_t)(q - in);
				size_t l2;
				if (m + 1 < n && in[m + 1] == '/' && raw_name(in + m + 2, n - m - 2, &l2) && l2 == nlen &&
				    !strncasecmp(in + m + 2, in + j + 1, nlen))
					break;
				m++;
			}
			k = m;
		}
		i = k;
	}
}

/* Below this many characters the first attempt probably stripped the
 * article itself (a "comment-body" wrapper, say): retry without the
 * class/id heuristics, then without conditional cleaning, and keep the
 * longest result, as Readability does. */
#define RETRY_CHARS 250

int wn_html_extract(struct wn_html_extractor *x, const char *html, size_t len, const char *charset,
		    struct wn_html_result *res, char *err, size_t errlen)
{
	wn_buf_reset(&res->text);
	wn_buf_reset(&res->title);
	wn_buf_reset(&res->lang);
	if ((x->opts.max_bytes && len > x->opts.max_bytes) || len > INT32_MAX)
		return WN_HTML_TOO_LARGE;
	double t0 = wn_now();
	x->deadline = x->opts.max_seconds > 0 ? t0 + x->opts.max_seconds : 0;
	x->res = res;
	int popts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		    HTML_PARSE_COMPACT | HTML_PARSE_NODEFDTD;
	if (charset && !*charset)
		charset = NULL;
	if (charset) {
		/* an unknown name must not lose the page; the lookup may open an
		 * iconv converter, which must be closed again */
		xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(charset);
		if (h)
			xmlCharEncCloseFunc(h);
		else
			charset = NULL;
	}
	const char *src = html;
	size_t srclen = len;
	if (!x->opts.no_prepass) {
		strip_raw(html, len, &x->src);
		src = x->src.data;
		srclen = x->src.len;
	}
	htmlDocPtr doc = htmlReadMemory(srclen ? src : " ", srclen ? (int)srclen : 1, NULL, charset,
					popts | (charset ? HTML_PARSE_IGNORE_ENC : 0));
	if (!doc)
		return wn_err(err, errlen, "libxml2 could not parse the document");
	int rc = WN_HTML_OK;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (x->deadline > 0 && wn_now() > x->deadline) {
		rc = WN_HTML_TIMEOUT;
	} else if (!root) {
		rc = WN_HTML_EMPTY;
	} else {
		root_lang(root, &res->lang);
		rc = run(x, root, 1, &res->text);
		if (rc == 0 && res->text.len < RETRY_CHARS) {
			struct wn_buf alt = WN_BUF_INIT;
			wn_buf_reset(&res->title);
			rc = run(x, root, 0, &alt);
			if (rc == 0 && alt.len > res->text.len) {
				struct wn_buf t = res->text;
				res->text = alt;
				alt = t;
			}
			if (rc == 0 && res->text.len < RETRY_CHARS) {
				/* the same selection without conditional cleaning */
				x->no_clean = 1;
				emit(x, &alt);
				x->no_clean = 0;
				if (alt.len > res->text.len) {
					struct wn_buf t = res->text;
					res->text = alt;
					alt = t;
				}
			}
			wn_buf_release(&alt);
		}
		if (rc == 0 && res->text.len == 0)
			rc = WN_HTML_EMPTY;
	}
	squeeze(&res->title);
	squeeze(&res->lang);
	if (rc != WN_HTML_OK)
		wn_buf_reset(&res->text);
	xmlFreeDoc(doc);
	return rc;
}
