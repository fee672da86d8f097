/* fuzz_html_extract.c -- libFuzzer target for lib/html_extract: any bytes,
 * with and without an outside charset, in every mode. The first byte picks
 * the mode and the charset. */
#include <stdint.h>
#include <string.h>

#include "html_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wn_html_extractor *x[3];
	static struct wn_html_result res;
	static int init;
	if (!init) {
		for (int m = 0; m < 3; m++) {
			struct wn_html_opts o = { .mode = (enum wn_html_mode)m, .max_bytes = 1 << 20 };
			x[m] = wn_html_extractor_new(&o);
		}
		wn_html_result_init(&res);
		init = 1;
	}
	if (size == 0)
		return 0;
	static const char *const cs[] = { NULL, "UTF-8", "windows-1252", "Shift_JIS" };
	unsigned sel = data[0];
	char err[128];
	int rc = wn_html_extract(x[sel % 3], (const char *)data + 1, size - 1, cs[(sel / 3) % 4], &res, err, sizeof err);
	if (rc == WN_HTML_OK && (res.text.len == 0 || res.text.data[res.text.len] != '\0'))
		__builtin_trap();
	if (rc != WN_HTML_OK && res.text.len != 0)
		__builtin_trap();
	return 0;
}
