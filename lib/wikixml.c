/* wikixml.c -- streaming MediaWiki XML export reader; see wikixml.h. */
#include "wikixml.h"

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>

struct wn_wiki {
	struct wn_din *d;
	xmlTextReaderPtr r;
	struct wn_wiki_page page;
	struct wn_buf base, dbname;
	struct wn_buf *target; /* leaf element whose text we collect */
	int target_depth;
	int in_siteinfo, in_page, in_revision, done;
	/* <siteinfo><namespaces>: to place pages of old exports without <ns> */
	struct wiki_ns {
		char *name;
		int key;
	} *nss;
	size_t nns, nscap;
	struct wn_buf nsname;
	int nskey;
	char xml_err[300];
};

static int read_cb(void *ctx, char *buf, int len)
{
	struct wn_wiki *w = ctx;
	return (int)wn_din_read(w->d, buf, len > 0 ? (size_t)len : 0);
}

static int close_cb(void *ctx)
{
	WN_UNUSED(ctx);
	return 0;
}

static void err_cb(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
	struct wn_wiki *w = arg;
	if (sev == XML_PARSER_SEVERITY_WARNING || sev == XML_PARSER_SEVERITY_VALIDITY_WARNING || w->xml_err[0])
		return;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	snprintf(w->xml_err, sizeof w->xml_err, "line %d: %.*s", xmlTextReaderLocatorLineNumber(loc), (int)n, msg);
}

struct wn_wiki *wn_wiki_new(struct wn_din *d)
{
	struct wn_wiki *w = wn_xcalloc(1, sizeof *w);
	w->d = d;
	struct wn_buf *bufs[] = { &w->page.title, &w->page.ns, &w->page.id, &w->page.timestamp, &w->page.text,
				  &w->page.redirect, &w->base, &w->dbname, &w->nsname };
	for (size_t i = 0; i < WN_ARRAY_SIZE(bufs); i++)
		wn_buf_init(bufs[i]);
	/* HUGE: single article texts may exceed libxml2's 10 MB text-node guard */
	w->r = xmlReaderForIO(read_cb, close_cb, w, wn_din_name(d), NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
	if (w->r)
		xmlTextReaderSetErrorHandler(w->r, err_cb, w);
	return w;
}

void wn_wiki_free(struct wn_wiki *w)
{
	if (!w)
		return;
	if (w->r)
		xmlFreeTextReader(w->r);
	struct wn_buf *bufs[] = { &w->page.title, &w->page.ns, &w->page.id, &w->page.timestamp, &w->page.text,
				  &w->page.redirect, &w->base, &w->dbname, &w->nsname };
	for (size_t i = 0; i < WN_ARRAY_SIZE(bufs); i++)
		wn_buf_release(bufs[i]);
	for (size_t i = 0; i < w->nns; i++)
		free(w->nss[i].name);
	free(w->nss);
	free(w);
}

const char *wn_wiki_base(const struct wn_wiki *w) { return w->base.data; }
const char *wn_wiki_dbname(const struct wn_wiki *w) { return w->dbname.data; }

static void page_reset(struct wn_wiki_page *p)
{
	wn_buf_reset(&p->title);
	wn_buf_reset(&p->ns);
	wn_buf_reset(&p->id);
	wn_buf_reset(&p->timestamp);
	wn_buf_reset(&p->text);
	wn_buf_reset(&p->redirect);
	p->is_redirect = 0;
}

static void on_start(struct wn_wiki *w, const char *name, int depth)
{
	struct wn_wiki_page *p = &w->page;
	struct wn_buf *t = NULL;
	if (depth == 1) {
		if (!strcmp(name, "siteinfo"))
			w->in_siteinfo = 1;
		else if (!strcmp(name, "page")) {
			w->in_page = 1;
			page_reset(p);
			p->line = (uint64_t)xmlTextReaderGetParserLineNumber(w->r);
		}
	} else if (depth == 2 && w->in_siteinfo) {
		if (!strcmp(name, "base"))
			t = &w->base;
		else if (!strcmp(name, "dbname"))
			t = &w->dbname;
	} else if (depth == 3 && w->in_siteinfo && !strcmp(name, "namespace")) {
		xmlChar *k = xmlTextReaderGetAttribute(w->r, (const xmlChar *)"key");
		w->nskey = k ? atoi((const char *)k) : 0;
		xmlFree(k);
		t = &w->nsname;
	} else if (depth == 2 && w->in_page) {
		if (!strcmp(name, "title"))
			t = &p->title;
		else if (!strcmp(name, "ns"))
			t = &p->ns;
		else if (!strcmp(name, "id"))
			t = &p->id;
		else if (!strcmp(name, "redirect")) {
			p->is_redirect = 1;
			xmlChar *a = xmlTextReaderGetAttribute(w->r, (const xmlChar *)"title");
			if (a) {
				wn_buf_adds(&p->redirect, (const char *)a);
				xmlFree(a);
			}
		} else if (!strcmp(name, "revision")) {
			/* history dumps carry many revisions: keep the last one */
			w->in_revision = 1;
			wn_buf_reset(&p->timestamp);
			wn_buf_reset(&p->text);
		}
	} else if (depth == 3 && w->in_revision) {
		if (!strcmp(name, "timestamp"))
			t = &p->timestamp;
		else if (!strcmp(name, "text"))
			t = &p->text;
	}
	if (t && !xmlTextReaderIsEmptyElement(w->r)) {
		wn_buf_reset(t);
		w->target = t;
		w->target_depth = depth;
	}
}

/* Exports before schema 0.5 have no <ns>: the title's prefix says it. */
static void ns_from_title(struct wn_wiki *w)
{
	const char *t = w->page.title.data, *c = strchr(t, ':');
	int key = 0;
	for (size_t i = 0; c && i < w->nns; i++)
		if (strlen(w->nss[i].name) == (size_t)(c - t) && !strncmp(t, w->nss[i].name, (size_t)(c - t)))
			key = w->nss[i].key;
	wn_buf_addf(&w->page.ns, "%d", key);
}

/* <base> names the main page (".../wiki/Main_Page"); keep its directory. */
static void base_dir(struct wn_buf *b)
{
	char *q = strstr(b->data, "/wiki/");
	if (q) {
		wn_buf_setlen(b, (size_t)(q - b->data) + 6);
		return;
	}
	q = strrchr(b->data, '/');
	if (q && q > b->data && q[-1] != '/')
		wn_buf_setlen(b, (size_t)(q - b->data) + 1);
}

int wn_wiki_next(struct wn_wiki *w, struct wn_wiki_page **page, char *err, size_t errlen)
{
	if (!w->r)
		return wn_err(err, errlen, "cannot create an XML reader");
	if (w->done)
		return 0;
	for (;;) {
		int ret = xmlTextReaderRead(w->r);
		if (ret <= 0) {
			w->done = 1;
			if (ret == 0 && !w->xml_err[0])
				return 0;
			return wn_err(err, errlen, "XML error, %s", w->xml_err[0] ? w->xml_err : "unreadable XML");
		}
		int type = xmlTextReaderNodeType(w->r);
		int depth = xmlTextReaderDepth(w->r);
		if (type == XML_READER_TYPE_ELEMENT) {
			const char *name = (const char *)xmlTextReaderConstLocalName(w->r);
			if (name)
				on_start(w, name, depth);
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
			   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			if (w->target) {
				const char *v = (const char *)xmlTextReaderConstValue(w->r);
				if (v)
					wn_buf_adds(w->target, v);
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (w->target == &w->nsname && depth == w->target_depth && w->nsname.len) {
				WN_GROW(w->nss, w->nscap, w->nns + 1);
				w->nss[w->nns].name = wn_xstrdup(w->nsname.data);
				w->nss[w->nns++].key = w->nskey;
			}
			if (w->target && depth == w->target_depth)
				w->target = NULL;
			if (depth == 1) {
				const char *name = (const char *)xmlTextReaderConstLocalName(w->r);
				if (name && !strcmp(name, "siteinfo")) {
					w->in_siteinfo = 0;
					base_dir(&w->base);
				} else if (name && !strcmp(name, "page") && w->in_page) {
					w->in_page = 0;
					if (!w->page.ns.len)
						ns_from_title(w);
					*page = &w->page;
					return 1;
				}
			} else if (depth == 2 && w->in_revision) {
				w->in_revision = 0;
			}
		}
	}
}

void wn_wiki_url(const char *base, const char *title, size_t n, struct wn_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	wn_buf_adds(out, *base ? base : "https://en.wikipedia.org/wiki/");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)title[i];
		if (c == ' ')
			wn_buf_addc(out, '_');
		else if (c <= 0x20 || c == 0x7f || c == '%' || c == '?' || c == '#' || c == '"' || c == '<' ||
			 c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '|' || c == '\\' ||
			 c == '^' || c == '`') {
			wn_buf_addc(out, '%');
			wn_buf_addc(out, hex[c >> 4]);
			wn_buf_addc(out, hex[c & 15]);
		} else {
			wn_buf_addc(out, (char)c); /* UTF-8 stays as is, as Wikipedia shows it */
		}
	}
}
