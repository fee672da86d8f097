/* test_pretok.c -- pre-tokenizer splits (expected pieces checked by hand
 * against the npm tiktoken peer; the e2e tests compare whole corpora) and
 * the GPT-2 byte-level table. */
#include "tap.h"
#include "pretok.h"
#include "bytelevel.h"
#include "buf.h"

/* Pieces joined with '|' into a buffer. */
static int collect(const char *p, size_t n, void *arg)
{
	struct wn_buf *b = arg;
	if (b->len)
		wn_buf_addc(b, '|');
	wn_buf_add(b, p, n);
	return 0;
}

static const char *split(const char *pat, const char *text)
{
	static struct wn_buf out = WN_BUF_INIT;
	static char err[256];
	wn_buf_reset(&out);
	struct wn_pretok *pt = wn_pretok_new(pat, err, sizeof err);
	if (!pt)
		return err;
	struct wn_pretok_state *s = wn_pretok_state_new(pt);
	if (wn_pretok_split(s, text, strlen(text), collect, &out, err, sizeof err) < 0)
		wn_buf_adds(&out, "ERROR");
	wn_pretok_state_free(s);
	wn_pretok_free(pt);
	return out.data;
}

TEST(cl100k_basic)
{
	CHECK_EQ_STR(split("cl100k", "Hello world, it's 12345 OK!"), "Hello| world|,| it|'s| |123|45| OK|!");
	CHECK_EQ_STR(split("cl100k", "I'LL go"), "I|'LL| go");
	CHECK_EQ_STR(split("cl100k", "a\r\n\r\nb"), "a|\r\n\r\n|b");
	CHECK_EQ_STR(split("cl100k", "x   y"), "x|  | y");
	CHECK_EQ_STR(split("cl100k", "end  "), "end|  ");
	CHECK_EQ_STR(split("cl100k", "a\n  "), "a|\n|  ");
	CHECK_EQ_STR(split("cl100k-py", "a\n  "), "a|\n  ");
	CHECK_EQ_STR(split("cl100k", ""), "");
}

TEST(unicode_space_semantics)
{
	/* U+00A0 and U+2028 are White_Space; U+180E and U+FEFF are not */
	CHECK_EQ_STR(split("cl100k", "a\xc2\xa0\xc2\xa0" "b"), "a|\xc2\xa0|\xc2\xa0" "b");
	CHECK_EQ_STR(split("cl100k", "a\xe1\xa0\x8e" "b"), "a|\xe1\xa0\x8e" "b");
	CHECK_EQ_STR(split("cl100k", "a \xef\xbb\xbf" "b"), "a| \xef\xbb\xbf|b");
	/* '$' is end of text only: trailing "\n" after spaces */
	CHECK_EQ_STR(split("cl100k-py", "a  \n"), "a|  \n");
	CHECK_EQ_STR(split("gpt2", "a  \n"), "a|  \n");
}

TEST(o200k_case_classes)
{
	CHECK_EQ_STR(split("o200k", "HelloWorld's CamelCASE"), "Hello|World's| Camel|CASE");
	CHECK_EQ_STR(split("o200k", "path/to\n/x"), "path|/to|\n|/x");
	/* long-s folds to 's' under (?i) */
	CHECK_EQ_STR(split("cl100k", "x'\xc5\xbf"), "x|'\xc5\xbf");
}

TEST(custom_regex_and_gaps)
{
	CHECK_EQ_STR(split("[a-z]+", "ab12cd"), "ab|12|cd");
	CHECK_EQ_STR(split("x*", "abx"), "ab|x");
	char err[256];
	CHECK(wn_pretok_new("(", err, sizeof err) == NULL);
	struct wn_pretok *pt = wn_pretok_new_flags("[a-z]+", WN_PRETOK_DROP_GAPS, err, sizeof err);
	struct wn_pretok_state *s = wn_pretok_state_new(pt);
	struct wn_buf b = WN_BUF_INIT;
	CHECK_EQ_INT(wn_pretok_split(s, "ab12cd", 6, collect, &b, err, sizeof err), 0);
	CHECK_EQ_STR(b.data, "ab|cd");
	wn_buf_release(&b);
	CHECK_EQ_STR(wn_pretok_pattern(pt), "[a-z]+");
	wn_pretok_state_free(s);
	wn_pretok_free(pt);
}

TEST(invalid_utf8_is_error)
{
	CHECK_EQ_STR(split("cl100k", "ab\xff" "cd"), "ERROR");
	CHECK_EQ_STR(split("cl100k", "\xc0\x80"), "ERROR");
}

TEST(long_runs)
{
	size_t n = 1 << 20;
	char *t = malloc(n + 2);
	memset(t, ' ', n);
	t[n] = 'a';
	t[n + 1] = 0;
	const char *r = split("cl100k", t);
	CHECK(strlen(r) == n + 2);   /* "<n-1 spaces>| a" */
	CHECK(r[n - 1] == '|');
	free(t);
}

TEST(bytelevel_table)
{
	char c[3];
	wn_bytelevel_encode(' ', c);
	CHECK_EQ_STR(c, "\xc4\xa0"); /* U+0120 */
	wn_bytelevel_encode('\n', c);
	CHECK_EQ_STR(c, "\xc4\x8a"); /* U+010A */
	wn_bytelevel_encode('A', c);
	CHECK_EQ_STR(c, "A");
	CHECK_EQ_INT(wn_bytelevel_codepoint(0xAD), 0x143);
	CHECK_EQ_INT(wn_bytelevel_codepoint(0x7F), 0x121);
	int seen[0x144] = { 0 }, ok = 1;
	for (int b = 0; b < 256; b++) {
		uint32_t cp = wn_bytelevel_codepoint((unsigned char)b);
		if (cp >= 0x144 || seen[cp]++ || wn_bytelevel_byte(cp) != b)
			ok = 0;
	}
	CHECK(ok);
	struct wn_buf raw = WN_BUF_INIT, enc = WN_BUF_INIT, back = WN_BUF_INIT;
	for (int b = 0; b < 256; b++)
		wn_buf_addc(&raw, (char)b);
	wn_bytelevel_encode_str(raw.data, raw.len, &enc);
	CHECK_EQ_INT(wn_bytelevel_decode(enc.data, enc.len, &back), 256);
	CHECK_EQ_MEM(back.data, back.len, raw.data, raw.len);
	wn_buf_reset(&back);
	CHECK_EQ_INT(wn_bytelevel_decode("\xe4\xb8\x80", 3, &back), -1);
	CHECK_EQ_INT(wn_bytelevel_decode("\xc1\x81", 2, &back), -1);
	wn_buf_release(&raw);
	wn_buf_release(&enc);
	wn_buf_release(&back);
}

int main(void)
{
	RUN(cl100k_basic);
	RUN(unicode_space_semantics);
	RUN(o200k_case_classes);
	RUN(custom_regex_and_gaps);
	RUN(invalid_utf8_is_error);
	RUN(long_runs);
	RUN(bytelevel_table);
	return tap_done();
}
