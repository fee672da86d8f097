/* test_json.c -- the JSON scanner against jansson as the oracle. */
#include "json.h"
#include "io.h"
#include "tap.h"

#include <jansson.h>

/* jansson: is s a valid JSON text? (Numbers out of double/int64 range are
 * valid JSON but jansson refuses them; the cases below avoid them.) */
static int oracle_valid(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!j)
		return 0;
	json_decref(j);
	return 1;
}

static const char *const cases[] = {
	"{}", "[]", "{\"a\":1}", " { \"a\" : [1, 2.5e3, -0.1, true, false, null] } ", "\"x\"", "0", "-0", "1.0E+2",
	"{\"a\":\"\\u00e9\\n\\t\\\"\\\\\\/\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"é中😀\"}",
	"{\"\\u0061\":1}", "{\"a\":\"\\u0000\"}", "[[[[[]]]]]", "{\"a\":{\"b\":{\"c\":[{}]}}}",
	/* invalid */
	"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{a:1}", "{'a':1}", "01", "1.",
	".5", "-", "+1", "1e", "1e+", "tru", "nul", "True", "[1 2]", "{\"a\":1 \"b\":2}", "\"abc", "\"a\\x\"",
	"\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\tb\"", "\"a\nb\"",
	"\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc3\"",
	"\"\xe4\xb8\"", "{\"a\":1}x", "[1]]", "{\"a\":1}}", "{\"a\":[}", "NaN", "Infinity", "[1,2", "\"\x80\"",
};

TEST(validity_matches_jansson)
{
	for (size_t i = 0; i < WN_ARRAY_SIZE(cases); i++) {
		const char *s = cases[i];
		size_t n = strlen(s);
		char err[128];
		int ours = wn_json_validate(s, n, err, sizeof err) == 0;
		int theirs = oracle_valid(s, n);
		if (ours != theirs) {
			printf("#   case %zu '%s': ours %d, jansson %d (%s)\n", i, s, ours, theirs, ours ? "" : err);
			tap_cur_failed = 1;
		}
	}
}

TEST(error_names_offset)
{
	char err[128];
	CHECK(wn_json_validate("{\"a\": tru}", 10, err, sizeof err) < 0);
	CHECK(strstr(err, "at byte 6") != NULL);
}

static char *nest(int depth, const char *open, const char *close, const char *inner)
{
	struct wn_buf b = WN_BUF_INIT;
	wn_buf_adds(&b, "{\"a\":");
	for (int i = 0; i < depth; i++)
		wn_buf_adds(&b, open);
	wn_buf_adds(&b, inner);
	for (int i = 0; i < depth; i++)
		wn_buf_adds(&b, close);
	wn_buf_adds(&b, "}");
	return wn_buf_detach(&b, NULL);
}

TEST(depth_is_bounded)
{
	/* the top-level object counts as one level */
	char *ok = nest(WN_JSON_MAX_DEPTH - 1, "[", "]", "1");
	char *deep = nest(WN_JSON_MAX_DEPTH, "[", "]", "1");
	char *mixed = nest(WN_JSON_MAX_DEPTH, "{\"k\":", "}", "1");
	char *huge = nest(200000, "[", "]", "");
	char err[128];
	CHECK(wn_json_validate(ok, strlen(ok), err, sizeof err) == 0);
	CHECK(oracle_valid(ok, strlen(ok)));
	CHECK(wn_json_validate(deep, strlen(deep), err, sizeof err) < 0);
	CHECK(strstr(err, "too deep") != NULL);
	CHECK(wn_json_validate(mixed, strlen(mixed), err, sizeof err) < 0);
	CHECK(wn_json_validate(huge, strlen(huge), err, sizeof err) < 0); /* no stack overflow */
	free(ok);
	free(deep);
	free(mixed);
	free(huge);
}

TEST(members_spans_and_keys)
{
	const char *s = "{ \"id\" : \"x1\", \"n\":[1, {\"a\":2}], \"t\\u0065xt\":\"hi\\n\", \"id\":7 }";
	struct wn_jmember *m = NULL;
	size_t cap = 0;
	int n = wn_json_object_members(s, strlen(s), &m, &cap, NULL, 0);
	CHECK_EQ_INT(n, 4);
	CHECK(wn_jmember_is(&m[0], "id"));
	CHECK_EQ_MEM(m[0].val, m[0].vlen, "\"x1\"", 4);
	CHECK_EQ_INT(m[1].type, WN_J_ARRAY);
	CHECK_EQ_MEM(m[1].val, m[1].vlen, "[1, {\"a\":2}]", 12);
	CHECK(!m[2].key_plain);
	CHECK(wn_jmember_is(&m[2], "text"));
	CHECK_EQ_INT(m[3].type, WN_J_NUMBER);
	CHECK(wn_json_object_members("[1]", 3, &m, &cap, NULL, 0) < 0);
	free(m);
}

TEST(string_encode_decode_roundtrip)
{
	const char raw[] = "a\"b\\c\n\t\x01 é 😀 \xff end\x7f";
	struct wn_buf enc = WN_BUF_INIT, dec = WN_BUF_INIT;
	size_t repl = wn_json_str_encode(&enc, raw, sizeof raw - 1);
	CHECK_EQ_INT(repl, 1);
	CHECK(wn_json_validate(enc.data, enc.len, NULL, 0) == 0);
	json_error_t e;
	json_t *j = json_loadb(enc.data, enc.len, JSON_DECODE_ANY, &e);
	CHECK(j && json_is_string(j));
	CHECK(wn_json_str_decode(enc.data, enc.len, &dec) == 0);
	if (j) {
		CHECK_EQ_MEM(dec.data, dec.len, json_string_value(j), json_string_length(j));
		json_decref(j);
	}
	/* the invalid byte became U+FFFD, the rest is intact */
	CHECK(strstr(dec.data, "\xef\xbf\xbd end\x7f") != NULL);
	wn_buf_release(&enc);
	wn_buf_release(&dec);
}

/* Mutate real records and compare validity, decoded text and the compacted
 * value with jansson. */
static uint64_t rng = 88172645463325252ull;
static uint64_t xrand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void compare_one(const char *s, size_t n, int *mismatch)
{
	char err[128];
	int ours = wn_json_validate(s, n, err, sizeof err) == 0;
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	/* RFC 8259 allows numbers beyond double/int64 range; jansson refuses
	 * them. That is the one known, intended difference. */
	if (!j && (strstr(e.text, "overflow") || strstr(e.text, "too big")))
		return;
	if (ours != (j != NULL)) {
		if (*mismatch < 5)
			printf("#   validity differs (ours %d): %.120s\n", ours, s);
		(*mismatch)++;
	}
	if (ours && j) {
		struct wn_buf c = WN_BUF_INIT;
		wn_json_compact(&c, s, n);
		json_t *k = json_loadb(c.data, c.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (!k || !json_equal(j, k)) {
			if (*mismatch < 5)
				printf("#   compact changes the value: %.120s\n", s);
			(*mismatch)++;
		}
		json_decref(k);
		if (json_is_object(j) && json_is_string(json_object_get(j, "text"))) {
			struct wn_jmember *m = NULL;
			size_t cap = 0;
			int nm = wn_json_object_members(s, n, &m, &cap, NULL, 0);
			struct wn_buf t = WN_BUF_INIT;
			for (int i = nm - 1; i >= 0; i--)
				if (wn_jmember_is(&m[i], "text")) {
					wn_json_str_decode(m[i].val, m[i].vlen, &t);
					break;
				}
			json_t *jt = json_object_get(j, "text");
			if (t.len != json_string_length(jt) || memcmp(t.data, json_string_value(jt), t.len)) {
				if (*mismatch < 5)
					printf("#   decoded text differs: %.120s\n", s);
				(*mismatch)++;
			}
			wn_buf_release(&t);
			free(m);
		}
		wn_buf_release(&c);
	}
	json_decref(j);
}

TEST(real_records_and_mutations_match_jansson)
{
	const char *path = tap_data("jsonl/cc-2019-30-697docs.jsonl.zst");
	if (!path)
		return;
	struct wn_reader *r = wn_reader_open(path, NULL, 0);
	CHECK(r != NULL);
	if (!r)
		return;
	const char *line;
	size_t len;
	int mismatch = 0, lines = 0;
	char *mut = NULL;
	size_t mcap = 0;
	static const char pokes[] = "\"\\{}[],:0e-.\x01\x80\xff\xc3 tfnu";
	while (wn_reader_getline(r, &line, &len) > 0) {
		lines++;
		compare_one(line, len, &mismatch);
		WN_GROW(mut, mcap, len + 1);
		for (int k = 0; k < 30; k++) {
			memcpy(mut, line, len);
			size_t n = len;
			int edits = 1 + (int)(xrand() % 3);
			for (int e = 0; e < edits && n; e++) {
				size_t at = xrand() % n;
				/* mutate near structure more often than inside long text */
				if (xrand() % 2)
					at = xrand() % WN_MIN(n, (size_t)400);
				switch (xrand() % 3) {
				case 0: mut[at] = pokes[xrand() % (sizeof pokes - 1)]; break;
				case 1: n = at; break; /* truncate */
				default: memmove(mut + at, mut + at + 1, n - at - 1); n--; break;
				}
			}
			compare_one(mut, n, &mismatch);
		}
	}
	free(mut);
	wn_reader_free(r);
	CHECK_EQ_INT(lines, 697);
	CHECK_EQ_INT(mismatch, 0);
}

TEST(numbers)
{
	int64_t v;
	double d;
	CHECK(wn_json_int("-42", 3, &v) == 0 && v == -42);
	CHECK(wn_json_int("1.5", 3, &v) < 0);
	CHECK(wn_json_double("1.5e2", 5, &d) == 0 && d == 150.0);
}

TEST(utf8_prefix)
{
	CHECK_EQ_INT(wn_utf8_valid_prefix("ab\xc3\xa9", 4), 4);
	CHECK_EQ_INT(wn_utf8_valid_prefix("ab\xc3", 3), 2);
	CHECK_EQ_INT(wn_utf8_valid_prefix("\xed\xa0\x80", 3), 0);
}

int main(void)
{
	RUN(validity_matches_jansson);
	RUN(error_names_offset);
	RUN(depth_is_bounded);
	RUN(members_spans_and_keys);
	RUN(string_encode_decode_roundtrip);
	RUN(real_records_and_mutations_match_jansson);
	RUN(numbers);
	RUN(utf8_prefix);
	return tap_done();
}
