/* fuzz_pretok.c -- libFuzzer target: every built-in pattern splits any valid
 * UTF-8 input into non-empty pieces that concatenate to it, and reports
 * invalid UTF-8 as an error, never crashing. */
#include "pretok.h"
#include "buf.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

static int collect(const char *p, size_t n, void *arg)
{
	if (n == 0)
		abort();
	wn_buf_add(arg, p, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wn_pretok *pt[4];
	static struct wn_pretok_state *st[4];
	static const char *names[4] = { "gpt2", "cl100k", "cl100k-py", "o200k" };
	char err[256];
	if (!pt[0])
		for (int i = 0; i < 4; i++) {
			pt[i] = wn_pretok_new(names[i], err, sizeof err);
			st[i] = wn_pretok_state_new(pt[i]);
		}
	int valid = wn_utf8_valid_prefix((const char *)data, size) == size;
	struct wn_buf out = WN_BUF_INIT;
	for (int i = 0; i < 4; i++) {
		wn_buf_reset(&out);
		int rc = wn_pretok_split(st[i], (const char *)data, size, collect, &out, err, sizeof err);
		if (valid && (rc != 0 || out.len != size || memcmp(out.data, data, size)))
			abort();
		if (!valid && rc != -1)
			abort();
	}
	wn_buf_release(&out);
	return 0;
}
