/* fuzz_tokstream.c -- libFuzzer target for what winnow-pack reads: the token
 * stream reader on arbitrary bytes, and the packers on whatever documents it
 * yields. Properties checked on every input:
 *  - never crash, never read out of bounds, no absurd allocation (ASan/UBSan);
 *  - a stream that ends cleanly has a trailer whose counts match;
 *  - best-fit and concat rows hold exactly the tokens that went in, padding
 *    aside, and best-fit never cuts a document of at most seq_len tokens.
 * The first input byte picks seq_len (1..64) so rows of every shape occur. */
#include "pack.h"
#include "tokstream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pack_all(enum wn_pack_kind kind, uint32_t L, uint32_t **docs, size_t *lens, size_t nd)
{
	struct wn_packer p;
	struct wn_pack_opts o = { .kind = kind, .seq_len = L, .esize = 4, .pad_id = 0xFFFFFFFFu, .buffer_tokens = 97,
				  .seed = 1 };
	if (wn_packer_init(&p, &o, NULL, 0) < 0)
		abort();
	uint64_t in = 0, out = 0, sum_in = 0, sum_out = 0;
	uint32_t *row = malloc(L * 4);
	uint16_t *seg = malloc(L * 2);
	for (size_t d = 0; d <= nd; d++) {
		int full = d < nd ? wn_packer_add(&p, docs[d], lens[d]) : 0;
		if (d < nd) {
			in += lens[d];
			for (size_t i = 0; i < lens[d]; i++)
				sum_in += docs[d][i];
		}
		if (!full && d < nd)
			continue;
		wn_packer_pack(&p, d == nd);
		for (size_t r = 0; r < wn_packer_nrows(&p); r++) {
			size_t used = wn_packer_row(&p, r, row, seg);
			out += used;
			for (size_t i = 0; i < L; i++) {
				if ((i < used) != (seg[i] != 0))
					abort();
				if (i < used)
					sum_out += row[i];
				else if (row[i] != 0xFFFFFFFFu)
					abort();
			}
		}
		wn_packer_reset(&p);
	}
	if (in != out || sum_in != sum_out || p.st.tokens != in)
		abort();
	if (kind == WN_PACK_BESTFIT) {
		uint64_t cut = 0;
		for (size_t d = 0; d < nd; d++)
			cut += lens[d] > L;
		if (p.st.docs_cut != cut)
			abort();
	}
	free(row);
	free(seg);
	wn_packer_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t L = 1 + data[0] % 64;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	char err[256];
	struct wn_reader *r = wn_reader_fdopen(fd, "fuzz", 1, err, sizeof err);
	if (!r) {
		close(fd);
		return 0;
	}
	struct wn_tokreader tr;
	struct wn_tokdoc d;
	wn_tokdoc_init(&d);
	uint32_t **docs = NULL;
	size_t *lens = NULL, nd = 0, cap = 0, cap2 = 0;
	if (wn_tokreader_open(&tr, r, err, sizeof err) == 0) {
		int rc;
		while ((rc = wn_tokreader_next(&tr, &d, err, sizeof err)) > 0 && nd < 4096) {
			WN_GROW(docs, cap, nd + 1);
			WN_GROW(lens, cap2, nd + 1);
			docs[nd] = wn_xmalloc(d.ntokens * 4 + 1);
			memcpy(docs[nd], d.tokens, d.ntokens * 4);
			lens[nd++] = d.ntokens;
		}
		if (rc == 0 && !tr.ended)
			abort();
	}
	wn_tokreader_release(&tr);
	wn_tokdoc_release(&d);
	wn_reader_free(r);
	pack_all(WN_PACK_BESTFIT, L, docs, lens, nd);
	pack_all(WN_PACK_CONCAT, L, docs, lens, nd);
	for (size_t i = 0; i < nd; i++)
		free(docs[i]);
	free(docs);
	free(lens);
	return 0;
}
