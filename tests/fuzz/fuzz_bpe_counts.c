/* fuzz_bpe_counts.c -- the count file reader (and the k-way merge over two
 * copies of the input) on arbitrary bytes: never crash, never accept a file
 * whose entries are out of order or whose trailer disagrees. The input is
 * compressed with zstd first half of the time so the fuzzer also reaches the
 * entry parser, not only the decompressor. */
#include "bpe_counts.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

static int write_fd(const uint8_t *p, size_t n)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		abort();
	if (n && write(fd, p, n) != (ssize_t)n)
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = NULL;
	size_t n = size;
	const uint8_t *p = data;
	if (size && (data[0] & 1)) {
		/* a plausible file: magic + version, then the fuzzer's bytes, compressed */
		size_t rawn = 12 + size - 1;
		uint8_t *raw = malloc(rawn);
		memcpy(raw, WN_BPE_COUNTS_MAGIC, 8);
		raw[8] = 1, raw[9] = raw[10] = raw[11] = 0;
		memcpy(raw + 12, data + 1, size - 1);
		size_t cap = ZSTD_compressBound(rawn);
		buf = malloc(cap);
		n = ZSTD_compress(buf, cap, raw, rawn, 1);
		free(raw);
		if (ZSTD_isError(n)) {
			free(buf);
			return 0;
		}
		p = buf;
	}
	int fd = write_fd(p, n);
	char err[256];
	struct wn_bpe_creader *r = wn_bpe_creader_fdopen(fd, "fuzz", err, sizeof err);
	if (r) {
		const char *piece, *prev = NULL;
		size_t len, prevlen = 0;
		uint64_t c;
		char *keep = NULL;
		while (wn_bpe_creader_next(r, &piece, &len, &c, err, sizeof err) == 1) {
			if (c == 0 || len == 0)
				abort(); /* the reader must refuse these */
			if (prev && wn_bpe_piece_cmp(prev, prevlen, piece, len) >= 0)
				abort();
			free(keep);
			keep = malloc(len);
			memcpy(keep, piece, len);
			prev = keep;
			prevlen = len;
		}
		free(keep);
		wn_bpe_creader_free(r);
	}
	close(fd);
	free(buf);
	return 0;
}
