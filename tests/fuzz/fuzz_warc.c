/* fuzz_warc.c -- libFuzzer target: arbitrary bytes as a container file
 * through sniffing, decompression, the WARC reader and the HTTP layer of
 * winnow-ingest. Any crash, hang or sanitizer report is a bug. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http.h"
#include "warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		return 0;
	char path[64], err[512];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct wn_din *d = wn_din_open(path, err, sizeof err);
	close(fd);
	if (!d)
		return 0;
	wn_din_sniff(d);
	struct wn_warc *w = wn_warc_new(d);
	wn_warc_set_max_block(w, 1 << 16);
	struct wn_warc_rec r;
	struct wn_buf t1 = WN_BUF_INIT, t2 = WN_BUF_INIT, conv = WN_BUF_INIT;
	struct wn_utf8conv *uc = wn_utf8conv_new();
	wn_warc_rec_init(&r);
	int rc, n = 0;
	while ((rc = wn_warc_next(w, &r, err, sizeof err)) != 0 && n++ < 1000) {
		if (rc < 0 || !r.block)
			continue;
		size_t l;
		if (wn_warc_get(&r, "WARC-Block-Digest", &l))
			wn_warc_digest_check(wn_warc_get(&r, "WARC-Block-Digest", &l), l, r.block, r.block_len);
		struct wn_http h;
		if (wn_http_parse(r.block, r.block_len, &h) == 0) {
			const char *body, *u;
			size_t bn, un;
			char used[48];
			unsigned rep = 0;
			if (wn_http_body(&h, &t1, &t2, 1 << 20, &body, &bn) == 0 && wn_is_html(h.mime, body, bn))
				wn_to_utf8(uc, body, bn, h.charset, 1, &conv, &u, &un, used, sizeof used, &rep);
		}
	}
	wn_warc_rec_release(&r);
	wn_warc_free(w);
	const char *msg;
	while ((msg = wn_din_take_gap(d, UINT64_MAX, NULL)) != NULL)
		;
	wn_din_free(d);
	wn_buf_release(&t1);
	wn_buf_release(&t2);
	wn_buf_release(&conv);
	wn_utf8conv_free(uc);
	return 0;
}
