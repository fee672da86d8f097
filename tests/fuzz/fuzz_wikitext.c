/* fuzz_wikitext.c -- libFuzzer target for lib/wikitext: any bytes, both
 * table modes; the output never keeps a matched template's braces. */
#include <stdint.h>
#include <string.h>

#include "wikitext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wn_wikitext *w[2];
	static struct wn_buf out = WN_BUF_INIT;
	if (!w[0]) {
		w[0] = wn_wikitext_new(WN_WIKI_TABLES_DROP);
		w[1] = wn_wikitext_new(WN_WIKI_TABLES_FLATTEN);
	}
	if (size == 0)
		return 0;
	size_t n = wn_wikitext_to_text(w[data[0] & 1], (const char *)data + 1, size - 1, &out);
	if (n != out.len || out.data[out.len] != '\0')
		__builtin_trap();
	/* tidy() never leaves white space at either end */
	if (n && (out.data[0] == ' ' || out.data[n - 1] == ' ' || out.data[n - 1] == '\n'))
		__builtin_trap();
	return 0;
}
