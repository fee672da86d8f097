/* test_bpe.c -- the BPE encoder (merge order, short and long pieces against
 * a naive reference), the .tiktoken and tokenizer.json loaders (including
 * what they refuse), and decode(encode(x)) == x on random UTF-8. The
 * whole-corpus comparisons with tiktoken and HF are in tests/e2e. */
#include "tap.h"
#include "bpe.h"
#include "bytelevel.h"
#include "tiktoken_io.h"
#include "tokjson.h"

#include <time.h>


static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* ---- a random model over the alphabet 'a'..'d' ---- */

struct rule {
	uint32_t l, r, m;
};
static struct rule rules[200];
static size_t nrules;

/* All 256 bytes are tokens 0..255; then random merges of existing tokens
 * (id 256 + k, rank k). */
static struct wn_bpe *random_model(void)
{
	char err[256];
	struct wn_bpe *b = wn_bpe_new(0);
	struct wn_buf tok[456];
	for (int i = 0; i < 256; i++) {
		char c = (char)i;
		wn_buf_init(&tok[i]);
		wn_buf_add(&tok[i], &c, 1);
		wn_bpe_add_token(b, (uint32_t)i, &c, 1, err, sizeof err);
	}
	uint32_t next = 256;
	nrules = 0;
	while (nrules < 200) {
		uint32_t l = rnd(8) < 4 ? 'a' + rnd(4) : 256 + rnd(next - 255 > 1 ? next - 256 : 1);
		uint32_t r = rnd(8) < 4 ? 'a' + rnd(4) : 256 + rnd(next - 255 > 1 ? next - 256 : 1);
		if (l >= next || r >= next)
			continue;
		struct wn_buf cat = WN_BUF_INIT;
		wn_buf_add(&cat, tok[l].data, tok[l].len);
		wn_buf_add(&cat, tok[r].data, tok[r].len);
		if (wn_bpe_lookup(b, cat.data, cat.len) != WN_BPE_NONE || cat.len > 12) {
			wn_buf_release(&cat);
			continue;
		}
		tok[next] = cat;
		CHECK_EQ_INT(wn_bpe_add_token(b, next, cat.data, cat.len, err, sizeof err), 0);
		CHECK_EQ_INT(wn_bpe_add_merge(b, (uint32_t)nrules, l, r, err, sizeof err), 0);
		rules[nrules++] = (struct rule){ l, r, next };
		next++;
	}
	for (uint32_t i = 0; i < next; i++)
		wn_buf_release(&tok[i]);
	wn_bpe_set_pretok(b, wn_pretok_new("(?s).+", err, sizeof err));
	CHECK_EQ_INT(wn_bpe_finish(b, err, sizeof err), 0);
	return b;
}

/* The textbook loop: find the lowest-ranked adjacent pair, leftmost. */
static size_t naive(const char *s, size_t n, uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i];
	for (;;) {
		size_t best = nrules, at = 0;
		for (size_t i = 0; i + 1 < n; i++)
			for (size_t k = 0; k < best; k++)
				if (rules[k].l == out[i] && rules[k].r == out[i + 1]) {
					best = k;
					at = i;
					break;
				}
		if (best == nrules)
			return n;
		out[at] = rules[best].m;
		memmove(out + at + 1, out + at + 2, (n - at - 2) * sizeof *out);
		n--;
	}
}

TEST(merge_order_matches_naive)
{
	struct wn_bpe *b = random_model();
	struct wn_bpe_state *s = wn_bpe_state_new(b);
	char err[256], text[600];
	uint32_t ref[600];
	struct wn_u32vec out = { 0 };
	int bad = 0;
	for (int iter = 0; iter < 400; iter++) {
		size_t n = 1 + rnd(iter < 200 ? 40 : 590); /* both the array and the heap path */
		for (size_t i = 0; i < n; i++)
			text[i] = (char)('a' + rnd(rnd(3) ? 2 : 4));
		out.n = 0;
		CHECK_EQ_INT(wn_bpe_encode_piece(s, text, n, &out, err, sizeof err), 0);
		size_t m = naive(text, n, ref);
		if (m != out.n || memcmp(ref, out.v, m * sizeof *ref))
			bad++;
		/* again: served from the cache this time (short pieces) */
		out.n = 0;
		wn_bpe_encode_piece(s, text, n, &out, err, sizeof err);
		if (m != out.n || memcmp(ref, out.v, m * sizeof *ref))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	wn_u32vec_release(&out);
	wn_bpe_state_free(s);
	wn_bpe_free(b);
}

static const char ranks[] = "YQ== 0\nYg== 1\nYw== 2\nYWI= 3\nYmM= 4\nYWJj 5\n";

static const char *enc(struct wn_bpe_state *s, const char *text)
{
	static char res[512];
	char err[256];
	struct wn_u32vec out = { 0 };
	if (wn_bpe_encode(s, text, strlen(text), &out, err, sizeof err) < 0) {
		snprintf(res, sizeof res, "ERR %s", err);
	} else {
		res[0] = 0;
		for (size_t i = 0; i < out.n; i++)
			snprintf(res + strlen(res), sizeof res - strlen(res), i ? ",%u" : "%u", out.v[i]);
	}
	wn_u32vec_release(&out);
	return res;
}

TEST(tiktoken_ranks)
{
	char err[256];
	/* a b c ab bc abc: merges are derived from splits of tokens */
	struct wn_bpe *b = wn_tiktoken_parse(ranks, strlen(ranks), "t", "[a-z]+", err, sizeof err);
	CHECK(b != NULL);
	if (!b)
		return;
	struct wn_bpe_state *s = wn_bpe_state_new(b);
	CHECK_EQ_STR(enc(s, "abc"), "5");     /* a whole token */
	CHECK_EQ_STR(enc(s, "bcab"), "4,3");  /* ab (3) first, then bc (4) */
	CHECK_EQ_STR(enc(s, "abcab"), "5,3"); /* ab, ab, then ab+c (5) */
	CHECK_EQ_STR(enc(s, "cab"), "2,3");
	CHECK(!strncmp(enc(s, "abd"), "ERR byte 0x64", 13));
	CHECK_EQ_INT(wn_bpe_special_id(b, "<|endoftext|>"), WN_BPE_NONE);
	CHECK_EQ_INT(wn_bpe_add_special_list(b, "<|endoftext|>,<|pad|>=9,<|endoftext|>,a=b", err, sizeof err), 0);
	CHECK_EQ_INT(wn_bpe_special_id(b, "<|endoftext|>"), 6);
	CHECK_EQ_INT(wn_bpe_special_id(b, "<|pad|>"), 9);
	CHECK_EQ_INT(wn_bpe_special_id(b, "a=b"), 10);
	CHECK_EQ_INT(wn_bpe_vocab_size(b), 11);
	CHECK_EQ_INT(wn_bpe_add_special_list(b, "<|x|>=3", err, sizeof err), -1);
	CHECK_EQ_STR(enc(s, "abc"), "5"); /* specials are never produced from text */
	uint32_t ids[] = { 4, 3, 5 };
	struct wn_buf d = WN_BUF_INIT;
	CHECK_EQ_INT(wn_bpe_decode(b, ids, 3, &d, err, sizeof err), 0);
	CHECK_EQ_STR(d.data, "bcababc");
	ids[1] = 7; /* a gap between ids */
	CHECK_EQ_INT(wn_bpe_decode(b, ids, 3, &d, err, sizeof err), -1);
	wn_buf_release(&d);
	wn_bpe_state_free(s);
	wn_bpe_free(b);
	CHECK(wn_tiktoken_parse("YQ== 0\nYQ== 1\n", 14, "t", "gpt2", err, sizeof err) == NULL);
	CHECK(strstr(err, "same bytes") != NULL);
	CHECK(wn_tiktoken_parse("Y!== 0\n", 7, "t", "gpt2", err, sizeof err) == NULL);
	CHECK(strstr(err, "t:1:") != NULL);
	CHECK(wn_tiktoken_parse("YQ== x\n", 7, "t", "gpt2", err, sizeof err) == NULL);
	CHECK(wn_tiktoken_parse("YQ== 0\n", 7, "t", "(", err, sizeof err) == NULL);
}

/* A minimal byte-level tokenizer.json around a vocab and merges. */
static struct wn_bpe *tj(const char *model_extra, const char *top_extra, char *err, size_t errlen)
{
	struct wn_buf j = WN_BUF_INIT;
	wn_buf_adds(&j, "{\"added_tokens\":[{\"id\":300,\"content\":\"<|endoftext|>\",\"special\":true}],");
	wn_buf_adds(&j, top_extra ? top_extra : "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
		    "{\"type\":\"Split\",\"pattern\":{\"Regex\":\" ?\\\\S+|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"
		    "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},\"decoder\":{\"type\":\"ByteLevel\"}");
	wn_buf_adds(&j, ",\"model\":{\"type\":\"BPE\",\"dropout\":null,");
	if (model_extra)
		wn_buf_adds(&j, model_extra);
	wn_buf_adds(&j, "\"vocab\":{");
	for (int i = 0; i < 256; i++) {
		char c[3];
		wn_bytelevel_encode((unsigned char)i, c);
		wn_buf_addf(&j, "%s\"%s%s\":%d", i ? "," : "", c[0] == '"' || c[0] == '\\' ? "\\" : "", c, i);
	}
	wn_buf_adds(&j, ",\"\xc4\xa0t\":256,\"he\":257,\"\xc4\xa0the\":258,\"<|endoftext|>\":300},"
		    "\"merges\":[\"\xc4\xa0 t\",[\"h\",\"e\"],\"\xc4\xa0t he\"]}}");
	struct wn_bpe *b = wn_tokjson_parse(j.data, j.len, "tok.json", err, errlen);
	wn_buf_release(&j);
	return b;
}

TEST(tokenizer_json)
{
	char err[512];
	struct wn_bpe *b = tj(NULL, NULL, err, sizeof err);
	CHECK(b != NULL);
	if (!b) {
		printf("# %s\n", err);
		return;
	}
	struct wn_bpe_state *s = wn_bpe_state_new(b);
	CHECK_EQ_STR(enc(s, " the"), "258");
	CHECK_EQ_STR(enc(s, "the the"), "116,257,258");
	CHECK_EQ_STR(enc(s, "<|endoftext|>"), "60,124,101,110,100,111,102,116,101,120,116,124,62");
	CHECK_EQ_INT(wn_bpe_special_id(b, "<|endoftext|>"), 300);
	CHECK_EQ_INT(wn_bpe_vocab_size(b), 301);
	CHECK_EQ_INT(strlen(wn_bpe_hash(b)), 64);
	wn_bpe_state_free(s);
	wn_bpe_free(b);
}

TEST(tokenizer_json_refusals)
{
	char err[512];
	struct {
		const char *model, *top, *msg;
	} cases[] = {
		{ "\"continuing_subword_prefix\":\"##\",", NULL, "subword prefix" },
		{ "\"byte_fallback\":true,", NULL, "byte_fallback" },
		{ NULL, "\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false}",
		  "normalizer 'NFC'" },
		{ NULL, "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true}", "add_prefix_space" },
		{ NULL, "\"pre_tokenizer\":{\"type\":\"Metaspace\"}", "Metaspace" },
		{ NULL, "\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"decoder\":{\"type\":\"WordPiece\"}", "decoder" },
		{ NULL, "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":"
			"{\"Regex\":\"x\"},\"behavior\":\"MergedWithPrevious\",\"invert\":false},{\"type\":\"ByteLevel\","
			"\"use_regex\":false}]}", "behavior" },
	};
	for (size_t i = 0; i < WN_ARRAY_SIZE(cases); i++) {
		struct wn_bpe *b = tj(cases[i].model, cases[i].top, err, sizeof err);
		CHECK(b == NULL);
		if (!strstr(err, cases[i].msg)) {
			printf("# case %zu: '%s'\n", i, err);
			CHECK(0);
		}
		wn_bpe_free(b);
	}
	const char *wp = "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":null}";
	CHECK(wn_tokjson_parse(wp, strlen(wp), "wp.json", err, sizeof err) == NULL);
	CHECK(strstr(err, "WordPiece") != NULL);
	const char *sp = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\xe2\x96\x81the\":0},\"merges\":[]},"
			 "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false}}";
	CHECK(wn_tokjson_parse(sp, strlen(sp), "sp.json", err, sizeof err) == NULL);
	CHECK(strstr(err, "not a byte-level") != NULL);
	CHECK(wn_tokjson_parse("{", 1, "x.json", err, sizeof err) == NULL);
	CHECK(wn_tokjson_load("/nonexistent/tok.json", err, sizeof err) == NULL);
}

/* Random valid UTF-8: ASCII, white space of every kind, marks, CJK, emoji. */
static size_t random_utf8(char *out, size_t max)
{
	static const uint32_t pool[] = { ' ', '\n', '\r', '\t', 0xA0, 0x85, 0x2028, 0xFEFF, 0x180E, 0x301, 0x4E2D,
					 0x1F44D, 0x200D, 0x17F, 0x212A, 0x3000, '\'', 's', '0', '9', 'a', 'Z', '.' };
	size_t n = 0;
	while (n + 4 < max) {
		uint32_t cp = rnd(3) ? pool[rnd(WN_ARRAY_SIZE(pool))] : 1 + rnd(0x10FFFF);
		if (cp >= 0xD800 && cp < 0xE000)
			continue;
		if (rnd(50) == 0)
			break;
		if (cp < 0x80) {
			out[n++] = (char)cp;
		} else if (cp < 0x800) {
			out[n++] = (char)(0xC0 | cp >> 6);
			out[n++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[n++] = (char)(0xE0 | cp >> 12);
			out[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[n++] = (char)(0x80 | (cp & 0x3F));
		} else {
			out[n++] = (char)(0xF0 | cp >> 18);
			out[n++] = (char)(0x80 | (cp >> 12 & 0x3F));
			out[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[n++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	return n;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(roundtrip_real_tokenizer)
{
	const char *path = tap_data("tokenizers/olmo2-dolma2-tokenizer.json");
	if (!path)
		return;
	char err[512];
	struct wn_bpe *b = wn_tokjson_load(path, err, sizeof err);
	CHECK(b != NULL);
	if (!b) {
		printf("# %s\n", err);
		return;
	}
	CHECK_EQ_INT(wn_bpe_special_id(b, "<|endoftext|>"), 100257);
	struct wn_bpe_state *s = wn_bpe_state_new(b);
	CHECK_EQ_STR(enc(s, "Hello world"), "9906,1917");
	struct wn_u32vec ids = { 0 };
	struct wn_buf back = WN_BUF_INIT;
	char text[400];
	int bad = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = random_utf8(text, sizeof text);
		ids.n = 0;
		wn_buf_reset(&back);
		if (wn_bpe_encode(s, text, n, &ids, err, sizeof err) < 0 ||
		    wn_bpe_decode(b, ids.v, ids.n, &back, err, sizeof err) < 0 || back.len != n ||
		    memcmp(back.data, text, n))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* a megabyte of one character / of spaces is one piece: the heap
	 * path must stay near-linear (tiktoken 1.0.22 takes minutes here).
	 * Time 256 KiB and 1 MiB: quadratic would be 16x, n log n ~4.5x. */
	size_t n = 1 << 20;
	char *big = malloc(n);
	const char fill[] = { 'a', ' ', '7' };
	for (size_t f = 0; f < WN_ARRAY_SIZE(fill); f++) {
		double dt[2];
		for (int k = 0; k < 2; k++) {
			size_t len = k ? n : n / 4;
			memset(big, fill[f], len);
			ids.n = 0;
			wn_buf_reset(&back);
			dt[k] = 1e9;
			for (int rep = 0; rep < 2; rep++) { /* best of 2, CPU time: the machine is shared */
				ids.n = 0;
				double t0 = cpu_now();
				CHECK_EQ_INT(wn_bpe_encode(s, big, len, &ids, err, sizeof err), 0);
				dt[k] = WN_MIN(dt[k], cpu_now() - t0);
			}
			CHECK_EQ_INT(wn_bpe_decode(b, ids.v, ids.n, &back, err, sizeof err), 0);
			CHECK_EQ_MEM(back.data, back.len, big, len);
		}
		printf("# '%c': 256 KiB in %.3f s, 1 MiB in %.3f s (%zu tokens)\n", fill[f], dt[0], dt[1], ids.n);
		CHECK(dt[1] < 12 * dt[0] + 0.05);
	}
	free(big);
	wn_u32vec_release(&ids);
	wn_buf_release(&back);
	wn_bpe_state_free(s);
	wn_bpe_free(b);
}

int main(void)
{
	RUN(merge_order_matches_naive);
	RUN(tiktoken_ranks);
	RUN(tokenizer_json);
	RUN(tokenizer_json_refusals);
	RUN(roundtrip_real_tokenizer);
	return tap_done();
}
