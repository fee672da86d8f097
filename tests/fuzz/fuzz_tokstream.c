/* fuzz_tokstream.c -- libFuzzer target for what winnow-pack reads: the token
 * stream reader on arbitrary bytes, and the packers on whatever documents it
 * yields. Properties checked on every input:
 *  - never crash, never read out of bounds, no absurd allocation (ASan/UBSan);
 *  - a stream that ends cleanly has a trailer whose counts match;
 *  - best-fit and concat rows hold exactly the tokens that went in, padding
 *    aside, and best-fit never cuts a document of at most seq_len tokens;
 *  - the mapped reader (wn_tokmap, lib/shardfmt.h) yields the same documents
 *    as the stream reader, and packing every other one by reference (ids
 *    left in the mapping, mostly unaligned) gives the same rows as copying
 *    them all, with 4- and (when the ids fit) 2-byte tokens.
 * The first input byte picks seq_len (1..64) so rows of every shape occur. */
#include "pack.h"
#include "shardfmt.h"
#include "tokstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pack every document (raw: when not NULL, odd documents are added by
 * reference from there) and check the rows; returns a hash of all rows. */
static uint64_t pack_all(enum wn_pack_kind kind, uint32_t L, unsigned es, uint32_t **docs,
			 const unsigned char **raw, size_t *lens, size_t nd)
{
	struct wn_packer p;
	uint32_t pad = es == 2 ? 0xFFFFu : 0xFFFFFFFFu;
	struct wn_pack_opts o = { .kind = kind, .seq_len = L, .esize = es, .pad_id = pad, .buffer_tokens = 97,
				  .seed = 1 };
	if (wn_packer_init(&p, &o, NULL, 0) < 0)
		abort();
	uint64_t in = 0, out = 0, sum_in = 0, sum_out = 0, h = 0;
	unsigned char *row = malloc(L * 4);
	uint16_t *seg = malloc(L * 2);
	for (size_t d = 0; d <= nd; d++) {
		int full = 0;
		if (d < nd) {
			full = raw && d % 2 ? wn_packer_add_ref(&p, raw[d], lens[d]) : wn_packer_add(&p, docs[d], lens[d]);
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
				uint32_t t;
				if (es == 2) {
					uint16_t v;
					memcpy(&v, row + 2 * i, 2);
					t = v;
				} else {
					memcpy(&t, row + 4 * i, 4);
				}
				if ((i < used) != (seg[i] != 0))
					abort();
				if (i < used)
					sum_out += t;
				else if (t != pad)
					abort();
				h = (h ^ t ^ ((uint64_t)seg[i] << 32)) * 0x100000001b3ULL;
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
	return h;
}

/* The same bytes through wn_tokmap (a mapping of a memfd): the same nd
 * documents as the stream reader, in the same order; raw[k]: the ids of
 * document k in the mapping. Returns 1 when every document was mapped. */
static int check_tokmap(const void *map, size_t size, int fd, uint32_t **docs, size_t *lens, size_t nd,
			const unsigned char **raw)
{
	char path[64], err[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct wn_tokmap tm;
	size_t k = 0;
	if (wn_tokmap_open(&tm, path, map, size, err, sizeof err) == 1) {
		const unsigned char *t;
		uint32_t n;
		while (k < nd && wn_tokmap_next(&tm, &n, &t, err, sizeof err) > 0) {
			if (n != lens[k] || (lens[k] && memcmp(t, docs[k], lens[k] * 4)))
				abort();
			if (tm.source < (const char *)map || tm.source + tm.source_len > (const char *)map + size ||
			    tm.id < (const char *)map || tm.id + tm.id_len > (const char *)map + size)
				abort();
			raw[k++] = t;
		}
		if (k < nd) /* the stream reader read a document the mapped one did not */
			abort();
	}
	wn_tokmap_close(&tm);
	return k == nd;
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
	struct wn_reader *r = wn_reader_fdopen(fd, "fuzz", 0, err, sizeof err);
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
			if (d.ntokens)
				memcpy(docs[nd], d.tokens, d.ntokens * 4);
			lens[nd++] = d.ntokens;
		}
		if (rc == 0 && !tr.ended)
			abort();
	}
	wn_tokreader_release(&tr);
	wn_tokdoc_release(&d);
	wn_reader_free(r);
	const unsigned char **raw = wn_xcalloc(nd + 1, sizeof *raw);
	void *map = size > 1 ? mmap(NULL, size - 1, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	int mapped = nd && map != MAP_FAILED && check_tokmap(map, size - 1, fd, docs, lens, nd, raw);
	uint32_t mx = 0;
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < lens[i]; j++)
			mx = docs[i][j] > mx ? docs[i][j] : mx;
	for (int kind = 0; kind < 2; kind++) {
		enum wn_pack_kind k = kind ? WN_PACK_CONCAT : WN_PACK_BESTFIT;
		uint64_t h4 = pack_all(k, L, 4, docs, NULL, lens, nd);
		if (mapped && pack_all(k, L, 4, docs, raw, lens, nd) != h4)
			abort();
		if (mx < 0xFFFFu) {
			uint64_t h2 = pack_all(k, L, 2, docs, NULL, lens, nd);
			if (mapped && pack_all(k, L, 2, docs, raw, lens, nd) != h2)
				abort();
		}
	}
	if (map != MAP_FAILED)
		munmap(map, size - 1);
	close(fd);
	free(raw);
	for (size_t i = 0; i < nd; i++)
		free(docs[i]);
	free(docs);
	free(lens);
	return 0;
}
