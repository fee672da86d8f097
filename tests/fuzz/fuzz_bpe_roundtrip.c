/* fuzz_bpe_roundtrip.c -- libFuzzer target: decode(encode(x)) == x for
 * every valid UTF-8 x, with a byte-level model of 256 bytes plus merges
 * chosen so that long and short pieces, whole-token lookups and the cache
 * are all exercised; invalid UTF-8 is an error, not a crash. With
 * WINNOW_DATA set (or ../shared/data present) OLMo 2's real tokenizer.json
 * is used as a second model. */
#include "bpe.h"
#include "json.h"
#include "tokjson.h"

#include <stdlib.h>
#include <string.h>

static struct wn_bpe *synthetic(unsigned flags)
{
	char err[256];
	struct wn_bpe *b = wn_bpe_new(flags);
	for (int i = 0; i < 256; i++) {
		char c = (char)i;
		wn_bpe_add_token(b, (uint32_t)i, &c, 1, err, sizeof err);
	}
	/* merges over common bytes, then merges of merges */
	static const char *toks[] = { "  ", "    ", "th", "the", " the", "in", "ing", "aa", "aaaa", "\r\n", "\r\n\r\n",
				      "\xc3\xa9", "00", "000", "e\xcc\x81" };
	uint32_t id = 256;
	for (size_t i = 0; i < sizeof toks / sizeof *toks; i++)
		wn_bpe_add_token(b, id++, toks[i], strlen(toks[i]), err, sizeof err);
	wn_bpe_derive_merges(b);
	wn_bpe_set_pretok(b, wn_pretok_new("cl100k", err, sizeof err));
	if (wn_bpe_finish(b, err, sizeof err) < 0)
		abort();
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wn_bpe *m[3];
	static struct wn_bpe_state *s[3];
	static int nm;
	char err[512];
	if (!nm) {
		m[nm++] = synthetic(0);
		m[nm++] = synthetic(WN_BPE_WHOLE_LOOKUP);
		const char *root = getenv("WINNOW_DATA");
		char path[4096];
		snprintf(path, sizeof path, "%s/tokenizers/olmo2-dolma2-tokenizer.json", root ? root : "../shared/data");
		struct wn_bpe *real = wn_tokjson_load(path, err, sizeof err);
		if (real)
			m[nm++] = real;
		for (int i = 0; i < nm; i++)
			s[i] = wn_bpe_state_new(m[i]);
	}
	int valid = wn_utf8_valid_prefix((const char *)data, size) == size;
	struct wn_u32vec ids = { 0 };
	struct wn_buf back = WN_BUF_INIT;
	for (int i = 0; i < nm; i++) {
		ids.n = 0;
		wn_buf_reset(&back);
		int rc = wn_bpe_encode(s[i], (const char *)data, size, &ids, err, sizeof err);
		if (!valid) {
			if (rc != -1)
				abort();
			continue;
		}
		if (rc != 0 || wn_bpe_decode(m[i], ids.v, ids.n, &back, err, sizeof err) != 0 || back.len != size ||
		    memcmp(back.data, data, size))
			abort();
	}
	wn_u32vec_release(&ids);
	wn_buf_release(&back);
	return 0;
}
