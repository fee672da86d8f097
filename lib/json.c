/*
 * json.c -- validating JSON scanner; see json.h for why it exists.
 *
 * Hot path: JSONL text is mostly string content, so skip_string() looks at
 * 16 bytes at a time (SSE2; an 8-byte SWAR fallback elsewhere) for the only
 * bytes that need attention: '"', '\\', control characters and non-ASCII
 * (whose UTF-8 must be checked). Everything else is skipped without a
 * branch per byte. Nesting is tracked with an explicit stack, never
 * recursion, so a hostile line cannot exhaust the C stack.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct scan {
	const char *start, *p, *end;
	const char *msg;
};

static int fail_at(struct scan *s, const char *p, const char *msg)
{
	s->p = p;
	s->msg = msg;
	return -1;
}

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Length of the valid UTF-8 sequence at p (non-ASCII lead byte), or 0. */
static inline size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	if (c < 0xC2)
		return 0; /* continuation byte or overlong 2-byte lead */
	if (c < 0xE0) {
		if (end - p < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0; /* UTF-16 surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xF4 && p[1] >= 0x90)
			return 0; /* > U+10FFFF */
		return 4;
	}
	return 0;
}

size_t wn_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t k = utf8_seq(p, end);
		if (!k)
			return (size_t)(p - (const unsigned char *)s);
		p += k;
	}
	return n;
}

static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline int read_hex4(const char *p)
{
	int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
	if ((a | b | c | d) < 0)
		return -1;
	return a << 12 | b << 8 | c << 4 | d;
}

/* Offset of the first byte in p[0..n) that is '"', '\\', < 0x20 or >= 0x80,
 * or n when there is none. */
static inline size_t plain_run(const char *p, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		/* signed compare: bytes >= 0x80 are negative, so also "< 0x20" */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
					 _mm_cmplt_epi8(v, sp));
		int mask = _mm_movemask_epi8(m);
		if (mask)
			return i + (size_t)__builtin_ctz((unsigned)mask);
		i += 16;
	}
#else
	while (i + 8 <= n) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
		uint64_t xq = v ^ (ones * '"'), xb = v ^ (ones * '\\');
		uint64_t m = (v & high) | ((v - ones * 0x20) & ~v & high) | ((xq - ones) & ~xq & high) |
			     ((xb - ones) & ~xb & high);
		if (m)
			break; /* find the exact byte below */
		i += 8;
	}
#endif
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			return i;
		i++;
	}
	return n;
}

/* s->p is at the opening quote. On success s->p is after the closing quote. */
static int skip_string(struct scan *s)
{
	const char *p = s->p + 1, *end = s->end;
	for (;;) {
		p += plain_run(p, (size_t)(end - p));
		if (p >= end)
			return fail_at(s, p, "unterminated string");
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			s->p = p + 1;
			return 0;
		}
		if (c == '\\') {
			if (end - p < 2)
				return fail_at(s, p, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u': {
				if (end - p < 6)
					return fail_at(s, p, "bad \\u escape");
				int u = read_hex4(p + 2);
				if (u < 0)
					return fail_at(s, p, "bad \\u escape");
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail_at(s, p, "lone low surrogate in \\u escape");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
						return fail_at(s, p, "lone high surrogate in \\u escape");
					int lo = read_hex4(p + 8);
					if (lo < 0xDC00 || lo > 0xDFFF)
						return fail_at(s, p, "lone high surrogate in \\u escape");
					p += 12;
				} else {
					p += 6;
				}
				continue;
			}
			default:
				return fail_at(s, p, "invalid escape");
			}
		}
		if (c < 0x20)
			return fail_at(s, p, "control character in string");
		size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
		if (!k)
			return fail_at(s, p, "invalid UTF-8 in string");
		p += k;
	}
}

static int skip_number(struct scan *s)
{
	const char *p = s->p, *end = s->end;
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return fail_at(s, p, "bad number");
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail_at(s, p, "bad number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(s, p, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(s, p, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int skip_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return fail_at(s, s->p, "invalid literal");
	s->p += n;
	return 0;
}

/* Skip one scalar value (not object/array) at s->p. Sets *type. */
static int skip_scalar(struct scan *s, enum wn_jtype *type)
{
	switch (*s->p) {
	case '"': *type = WN_J_STRING; return skip_string(s);
	case 't': *type = WN_J_TRUE; return skip_literal(s, "true", 4);
	case 'f': *type = WN_J_FALSE; return skip_literal(s, "false", 5);
	case 'n': *type = WN_J_NULL; return skip_literal(s, "null", 4);
	default: *type = WN_J_NUMBER; return skip_number(s);
	}
}

/*
 * Skip one complete value at s->p (after white space). `depth` is the
 * nesting depth of the container holding it (0 at top level). Iterative:
 * `stack` records, per open container, whether it is an object.
 */
static int skip_value(struct scan *s, int depth, enum wn_jtype *type)
{
	char stack[WN_JSON_MAX_DEPTH + 1];
	int top = 0; /* number of open containers in this call */
	const char *end = s->end;

	s->p = skip_ws(s->p, end);
	if (s->p >= end)
		return fail_at(s, s->p, "expected a value");
	if (*s->p != '{' && *s->p != '[')
		return skip_scalar(s, type);
	*type = *s->p == '{' ? WN_J_OBJECT : WN_J_ARRAY;

	for (;;) {
		/* here s->p is at the start of a value */
		char c = *s->p;
		if (c == '{' || c == '[') {
			if (depth + top >= WN_JSON_MAX_DEPTH)
				return fail_at(s, s->p, "nesting too deep");
			stack[top++] = c == '{';
			s->p = skip_ws(s->p + 1, end);
			if (s->p >= end)
				return fail_at(s, s->p, "unterminated container");
			if (*s->p == (c == '{' ? '}' : ']')) {
				s->p++;
				top--;
				goto after_value;
			}
			if (c == '{')
				goto member_key;
			continue; /* first array element */
		} else {
			enum wn_jtype t;
			if (skip_scalar(s, &t) < 0)
				return -1;
		}
	after_value:
		for (;;) {
			if (top == 0)
				return 0;
			s->p = skip_ws(s->p, end);
			if (s->p >= end)
				return fail_at(s, s->p, "unterminated container");
			char d = *s->p;
			if (d == ',') {
				s->p = skip_ws(s->p + 1, end);
				if (s->p >= end)
					return fail_at(s, s->p, "expected a value");
				if (stack[top - 1])
					goto member_key;
				break; /* next array element */
			}
			if (d == (stack[top - 1] ? '}' : ']')) {
				s->p++;
				top--;
				continue;
			}
			return fail_at(s, s->p, stack[top - 1] ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		continue;
	member_key:
		if (*s->p != '"')
			return fail_at(s, s->p, "expected a string key");
		if (skip_string(s) < 0)
			return -1;
		s->p = skip_ws(s->p, end);
		if (s->p >= end || *s->p != ':')
			return fail_at(s, s->p, "expected ':'");
		s->p = skip_ws(s->p + 1, end);
		if (s->p >= end)
			return fail_at(s, s->p, "expected a value");
	}
}

static int scan_error(struct scan *s, char *err, size_t errlen)
{
	return wn_err(err, errlen, "invalid JSON at byte %zu: %s", (size_t)(s->p - s->start), s->msg);
}

int wn_json_validate(const char *str, size_t n, char *err, size_t errlen)
{
	struct scan s = { str, str, str + n, NULL };
	enum wn_jtype t;
	if (skip_value(&s, 0, &t) < 0)
		return scan_error(&s, err, errlen);
	s.p = skip_ws(s.p, s.end);
	if (s.p != s.end) {
		s.msg = "trailing characters after the value";
		return scan_error(&s, err, errlen);
	}
	return 0;
}

int wn_json_object_members(const char *str, size_t n, struct wn_jmember **m, size_t *cap, char *err,
			   size_t errlen)
{
	struct scan s = { str, str, str + n, NULL };
	size_t nm = 0;
	s.p = skip_ws(s.p, s.end);
	if (s.p >= s.end || *s.p != '{') {
		if (s.p < s.end && wn_json_validate(str, n, NULL, 0) == 0)
			return wn_err(err, errlen, "not a JSON object");
		if (s.p >= s.end)
			return wn_err(err, errlen, "empty line");
		s.msg = "expected '{'";
		return scan_error(&s, err, errlen);
	}
	s.p = skip_ws(s.p + 1, s.end);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto done;
	}
	for (;;) {
		if (s.p >= s.end || *s.p != '"') {
			s.msg = "expected a string key";
			return scan_error(&s, err, errlen);
		}
		const char *key = s.p;
		if (skip_string(&s) < 0)
			return scan_error(&s, err, errlen);
		size_t klen = (size_t)(s.p - key);
		s.p = skip_ws(s.p, s.end);
		if (s.p >= s.end || *s.p != ':') {
			s.msg = "expected ':'";
			return scan_error(&s, err, errlen);
		}
		s.p = skip_ws(s.p + 1, s.end);
		const char *val = s.p;
		enum wn_jtype t;
		if (skip_value(&s, 1, &t) < 0)
			return scan_error(&s, err, errlen);
		WN_GROW(*m, *cap, nm + 1);
		struct wn_jmember *mm = &(*m)[nm++];
		mm->key = key;
		mm->klen = klen;
		mm->val = val;
		mm->vlen = (size_t)(s.p - val);
		mm->type = t;
		mm->key_plain = memchr(key + 1, '\\', klen - 2) == NULL;
		s.p = skip_ws(s.p, s.end);
		if (s.p < s.end && *s.p == ',') {
			s.p = skip_ws(s.p + 1, s.end);
			continue;
		}
		if (s.p < s.end && *s.p == '}') {
			s.p++;
			break;
		}
		s.msg = "expected ',' or '}'";
		return scan_error(&s, err, errlen);
	}
done:
	s.p = skip_ws(s.p, s.end);
	if (s.p != s.end) {
		s.msg = "trailing characters after the object";
		return scan_error(&s, err, errlen);
	}
	return (int)WN_MIN(nm, (size_t)0x7fffffff);
}

int wn_jmember_is(const struct wn_jmember *m, const char *key)
{
	size_t n = strlen(key);
	if (m->key_plain)
		return m->klen == n + 2 && !memcmp(m->key + 1, key, n);
	struct wn_buf b = WN_BUF_INIT;
	wn_json_str_decode(m->key, m->klen, &b);
	int eq = b.len == n && !memcmp(b.data, key, n);
	wn_buf_release(&b);
	return eq;
}

static void put_utf8(struct wn_buf *out, unsigned cp)
{
	char t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xC0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xE0 | cp >> 12);
		t[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		t[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		t[0] = (char)(0xF0 | cp >> 18);
		t[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		t[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		t[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	wn_buf_add(out, t, n);
}

int wn_json_str_decode(const char *val, size_t vlen, struct wn_buf *out)
{
	if (vlen < 2 || val[0] != '"' || val[vlen - 1] != '"')
		return -1;
	const char *p = val + 1, *end = val + vlen - 1;
	wn_buf_grow(out, vlen);
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs) {
			wn_buf_add(out, p, (size_t)(end - p));
			break;
		}
		wn_buf_add(out, p, (size_t)(bs - p));
		p = bs;
		if (end - p < 2)
			return -1;
		char c = p[1];
		p += 2;
		switch (c) {
		case '"': wn_buf_addc(out, '"'); break;
		case '\\': wn_buf_addc(out, '\\'); break;
		case '/': wn_buf_addc(out, '/'); break;
		case 'b': wn_buf_addc(out, '\b'); break;
		case 'f': wn_buf_addc(out, '\f'); break;
		case 'n': wn_buf_addc(out, '\n'); break;
		case 'r': wn_buf_addc(out, '\r'); break;
		case 't': wn_buf_addc(out, '\t'); break;
		case 'u': {
			if (end - p < 4)
				return -1;
			int u = read_hex4(p);
			if (u < 0)
				return -1;
			p += 4;
			unsigned cp = (unsigned)u;
			if (u >= 0xD800 && u <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				int lo = read_hex4(p + 2);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + (((unsigned)u - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
					p += 6;
				}
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD; /* unvalidated lone surrogate */
			put_utf8(out, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

size_t wn_json_str_encode(struct wn_buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = str, *end = str + n;
	size_t replaced = 0;
	wn_buf_grow(out, n + 2);
	wn_buf_addc(out, '"');
	while (p < end) {
		size_t run = plain_run(p, (size_t)(end - p));
		wn_buf_add(out, p, run);
		p += run;
		if (p >= end)
			break;
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
			if (k) {
				wn_buf_add(out, p, k);
				p += k;
			} else {
				wn_buf_add(out, "\xEF\xBF\xBD", 3);
				replaced++;
				p++;
			}
			continue;
		}
		p++;
		switch (c) {
		case '"': wn_buf_add(out, "\\\"", 2); break;
		case '\\': wn_buf_add(out, "\\\\", 2); break;
		case '\n': wn_buf_add(out, "\\n", 2); break;
		case '\r': wn_buf_add(out, "\\r", 2); break;
		case '\t': wn_buf_add(out, "\\t", 2); break;
		case '\b': wn_buf_add(out, "\\b", 2); break;
		case '\f': wn_buf_add(out, "\\f", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			wn_buf_add(out, e, 6);
		}
		}
	}
	wn_buf_addc(out, '"');
	return replaced;
}

void wn_json_compact(struct wn_buf *out, const char *val, size_t vlen)
{
	const char *p = val, *end = val + vlen;
	if (vlen && *p == '"') { /* the common case: a whole string, verbatim */
		wn_buf_add(out, val, vlen);
		return;
	}
	wn_buf_grow(out, vlen);
	while (p < end) {
		const char *q = p;
		/* copy a run of non-white, non-string bytes */
		while (q < end && *q != '"' && *q != ' ' && *q != '\n' && *q != '\r' && *q != '\t')
			q++;
		wn_buf_add(out, p, (size_t)(q - p));
		p = q;
		if (p >= end)
			break;
		if (*p == '"') {
			struct scan s = { val, p, end, NULL };
			if (skip_string(&s) < 0) { /* not validated: copy the rest */
				wn_buf_add(out, p, (size_t)(end - p));
				return;
			}
			wn_buf_add(out, p, (size_t)(s.p - p));
			p = s.p;
		} else {
			p = skip_ws(p, end);
		}
	}
}

int wn_json_int(const char *val, size_t vlen, int64_t *out)
{
	char tmp[32];
	if (vlen == 0 || vlen >= sizeof tmp)
		return -1;
	memcpy(tmp, val, vlen);
	tmp[vlen] = '\0';
	char *e;
	errno = 0;
	long long v = strtoll(tmp, &e, 10);
	if (errno || *e)
		return -1;
	*out = v;
	return 0;
}

int wn_json_double(const char *val, size_t vlen, double *out)
{
	char tmp[64];
	if (vlen == 0 || vlen >= sizeof tmp)
		return -1;
	memcpy(tmp, val, vlen);
	tmp[vlen] = '\0';
	char *e;
	errno = 0;
	double v = strtod(tmp, &e);
	if (*e || (errno && !isfinite(v)))
		return -1;
	*out = v;
	return 0;
}
