/* fuzz_http.c -- libFuzzer target: arbitrary bytes as an HTTP response
 * (status line, headers, chunking, content encodings), then HTML detection
 * and charset conversion. The first byte picks a declared charset. */
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *charsets[] = { "", "utf-8", "iso-8859-1", "windows-1251", "shift_jis", "utf-16",
					  "gb2312", "koi8-r", "x-unknown", "euc-jp", "big5", "utf-16le" };
	static struct wn_utf8conv *uc;
	if (!uc)
		uc = wn_utf8conv_new();
	if (size < 1)
		return 0;
	const char *cs = charsets[data[0] % (sizeof charsets / sizeof charsets[0])];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct wn_buf t1 = WN_BUF_INIT, t2 = WN_BUF_INIT, conv = WN_BUF_INIT;
	struct wn_http h;
	const char *body = p, *u;
	size_t bn = n, un;
	char used[48];
	unsigned rep = 0;
	if (wn_http_parse(p, n, &h) == 0 && wn_http_body(&h, &t1, &t2, 1 << 20, &body, &bn) < 0)
		body = p, bn = n;
	wn_is_html(h.mime, body, bn);
	wn_to_utf8(uc, body, bn, *cs ? cs : NULL, 1, &conv, &u, &un, used, sizeof used, &rep);
	wn_utf8_prefix(u, un);
	wn_buf_release(&t1);
	wn_buf_release(&t2);
	wn_buf_release(&conv);
	return 0;
}
