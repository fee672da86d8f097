/*
 * pretok.c -- regex pre-tokenization over PCRE2 (see pretok.h).
 *
 * The only subtle part is making PCRE2 agree with Rust's regex crate, which
 * is what tiktoken and HF tokenizers' tests are written against:
 *  - `\s` under PCRE2_UCP is \p{Z} + \h + \v, which includes U+180E
 *    (MONGOLIAN VOWEL SEPARATOR, White_Space until Unicode 6.2 only); Rust's
 *    `\s` is exactly \p{White_Space}. We rewrite `\s` (also inside classes)
 *    and `\S` (outside classes) into an explicit White_Space class before
 *    compiling. Inside a class `\S` cannot be rewritten and is left alone.
 *  - `$` without multiline mode is "end of text" in Rust; PCRE2 also
 *    matches before a final newline unless PCRE2_DOLLAR_ENDONLY.
 * Case folding under (?i:) agrees (both fold s/S/U+017F and k/K/U+212A).
 */
#include "pretok.h"
#include "buf.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

/* Unicode White_Space, as Rust's `\s`. */
#define WS_ITEMS "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

struct builtin {
	const char *name, *pattern;
};

static const struct builtin builtins[] = {
	{ "gpt2", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+" },
	{ "cl100k", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
		    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
	{ "cl100k-py", "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|"
		       "\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s" },
	{ "o200k", "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
		   "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
		   "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|"
		   "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
};

struct wn_pretok {
	pcre2_code *re;
	char *pattern;    /* as given / as tiktoken spells it */
	const char *name; /* built-in name or NULL */
	unsigned flags;
	int jit; /* JIT compilation succeeded: pcre2_jit_match may be used */
};

struct wn_pretok_state {
	const struct wn_pretok *pt;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *stack;
};

const char *wn_pretok_builtin(const char *name)
{
	for (size_t i = 0; i < WN_ARRAY_SIZE(builtins); i++)
		if (!strcmp(builtins[i].name, name))
			return builtins[i].pattern;
	return NULL;
}

/* Rewrite \s and \S as described at the top. Tracks character classes
 * (including POSIX [:...:] items and a leading ']' ) and \Q..\E quoting. */
static void rewrite_ws(const char *p, struct wn_buf *out)
{
	int in_class = 0, quoted = 0;
	for (size_t i = 0; p[i]; i++) {
		char c = p[i];
		if (quoted) {
			if (c == '\\' && p[i + 1] == 'E') {
				quoted = 0;
				wn_buf_add(out, p + i, 2);
				i++;
			} else {
				wn_buf_addc(out, c);
			}
			continue;
		}
		if (c == '\\' && p[i + 1]) {
			char d = p[i + 1];
			if (d == 's') {
				wn_buf_adds(out, in_class ? WS_ITEMS : "[" WS_ITEMS "]");
			} else if (d == 'S' && !in_class) {
				wn_buf_adds(out, "[^" WS_ITEMS "]");
			} else {
				if (d == 'Q')
					quoted = 1;
				wn_buf_add(out, p + i, 2);
			}
			i++;
			continue;
		}
		if (!in_class && c == '[') {
			in_class = 1;
			wn_buf_addc(out, c);
			/* a ']' right after '[' or '[^' is a literal */
			if (p[i + 1] == '^') {
				wn_buf_addc(out, '^');
				i++;
			}
			if (p[i + 1] == ']') {
				wn_buf_addc(out, ']');
				i++;
			}
			continue;
		}
		if (in_class && c == '[' && p[i + 1] == ':') {
			const char *e = strstr(p + i + 2, ":]");
			if (e) {
				size_t n = (size_t)(e + 2 - (p + i));
				wn_buf_add(out, p + i, n);
				i += n - 1;
				continue;
			}
		}
		if (in_class && c == ']')
			in_class = 0;
		wn_buf_addc(out, c);
	}
}

struct wn_pretok *wn_pretok_new_flags(const char *name_or_regex, unsigned flags, char *err, size_t errlen)
{
	if (!name_or_regex || !*name_or_regex) {
		wn_err(err, errlen, "empty pre-tokenization pattern");
		return NULL;
	}
	const char *pat = wn_pretok_builtin(name_or_regex);
	const char *name = NULL;
	for (size_t i = 0; i < WN_ARRAY_SIZE(builtins); i++)
		if (!strcmp(builtins[i].name, name_or_regex))
			name = builtins[i].name;
	if (!pat)
		pat = name_or_regex;
	struct wn_buf rx = WN_BUF_INIT;
	rewrite_ws(pat, &rx);
	int ec;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)rx.data, rx.len, PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &ec,
				       &eoff, NULL);
	wn_buf_release(&rx);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		wn_err(err, errlen, "cannot compile pattern '%s': %s", pat, (const char *)msg);
		return NULL;
	}
	/* JIT is a speed-up, not a requirement: without it pcre2_match
	 * interprets (e.g. where the JIT is not supported). */
	int jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	struct wn_pretok *pt = wn_xcalloc(1, sizeof *pt);
	pt->jit = jit;
	pt->re = re;
	pt->pattern = wn_xstrdup(pat);
	pt->name = name;
	pt->flags = flags;
	return pt;
}

struct wn_pretok *wn_pretok_new(const char *name_or_regex, char *err, size_t errlen)
{
	return wn_pretok_new_flags(name_or_regex, 0, err, errlen);
}

void wn_pretok_free(struct wn_pretok *pt)
{
	if (!pt)
		return;
	pcre2_code_free(pt->re);
	free(pt->pattern);
	free(pt);
}

const char *wn_pretok_pattern(const struct wn_pretok *pt)
{
	return pt->pattern;
}

const char *wn_pretok_name(const struct wn_pretok *pt)
{
	return pt->name;
}

struct wn_pretok_state *wn_pretok_state_new(const struct wn_pretok *pt)
{
	struct wn_pretok_state *s = wn_xcalloc(1, sizeof *s);
	s->pt = pt;
	s->md = pcre2_match_data_create_from_pattern(pt->re, NULL);
	if (!s->md)
		BUG("out of memory");
	/* The default 32 KiB JIT stack is enough for the built-in patterns;
	 * custom patterns with nested groups over long pieces may need more. */
	s->mctx = pcre2_match_context_create(NULL);
	s->stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
	if (!s->mctx || !s->stack)
		BUG("out of memory");
	pcre2_jit_stack_assign(s->mctx, NULL, s->stack);
	return s;
}

void wn_pretok_state_free(struct wn_pretok_state *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->stack);
	free(s);
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static int split(struct wn_pretok_state *s, const char *text, size_t len, wn_pretok_fn fn, void *arg, int check,
		 char *err, size_t errlen)
{
	const struct wn_pretok *pt = s->pt;
	int keep_gaps = !(pt->flags & WN_PRETOK_DROP_GAPS);
	size_t pos = 0, emitted = 0; /* search start; end of what was passed on */
	/* The first call checks the whole subject's UTF-8 once; later calls
	 * skip it (PCRE2 would otherwise re-check the subject every time). */
	uint32_t opts = check ? 0 : PCRE2_NO_UTF_CHECK;
	while (pos < len) {
		int rc;
		if (opts == PCRE2_NO_UTF_CHECK && pt->jit)
			rc = pcre2_jit_match(pt->re, (PCRE2_SPTR)text, len, pos, opts, s->md, s->mctx);
		else
			rc = pcre2_match(pt->re, (PCRE2_SPTR)text, len, pos, opts, s->md, s->mctx);
		opts = PCRE2_NO_UTF_CHECK;
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(rc, msg, sizeof msg);
			if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
				return wn_err(err, errlen, "invalid UTF-8 at byte %zu: %s",
					      (size_t)pcre2_get_startchar(s->md), (const char *)msg);
			return wn_err(err, errlen, "pre-tokenization failed at byte %zu: %s", pos, (const char *)msg);
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
		size_t ms = ov[0], me = ov[1];
		if (me == ms) {
			/* An empty match produces no piece; step over one
			 * character, which stays in the gap. */
			pos = ms + utf8_len((unsigned char)text[ms]);
			continue;
		}
		if (ms > emitted && keep_gaps) {
			int r = fn(text + emitted, ms - emitted, arg);
			if (r)
				return r;
		}
		int r = fn(text + ms, me - ms, arg);
		if (r)
			return r;
		pos = emitted = me;
	}
	if (len > emitted && keep_gaps) {
		int r = fn(text + emitted, len - emitted, arg);
		if (r)
			return r;
	}
	return 0;
}

int wn_pretok_split(struct wn_pretok_state *s, const char *text, size_t len, wn_pretok_fn fn, void *arg, char *err,
		    size_t errlen)
{
	return split(s, text, len, fn, arg, 1, err, errlen);
}

int wn_pretok_split_trusted(struct wn_pretok_state *s, const char *text, size_t len, wn_pretok_fn fn, void *arg,
			    char *err, size_t errlen)
{
	return split(s, text, len, fn, arg, 0, err, errlen);
}
