/*
 * bpe_counts.h -- pre-token counts for BPE training: a hash table from piece
 * bytes to a 64-bit count, and the binary count file that the map/reduce
 * form of training (`winnow-bpe count` / `train --counts`) exchanges.
 *
 * Counts are 64-bit on purpose: Hugging Face tokenizers and rustbpe keep
 * pair counts in 32 bits, which overflow on corpora of a few hundred GB.
 *
 * Count file (docs/bpe.md has the full description): a zstd stream holding
 *   "WNBPEC\r\n"  8-byte magic
 *   u32 version (1), u32 P, P bytes of the pre-tokenizer pattern text
 *   entries, sorted by piece bytes (memcmp order, a prefix first):
 *     u32 n (1 .. 2^31), n piece bytes, u64 count (>= 1)
 *   trailer: u32 0xFFFFFFFF, u64 number of entries, u64 sum of counts,
 *            u64 documents, u64 text bytes (corpus stats for meta.json)
 * All integers little-endian. A file without its trailer, with unsorted or
 * duplicate pieces, or whose trailer disagrees is refused ("truncated" /
 * "corrupt"), so a killed `count` job is never merged silently.
 *
 * Ownership: a wn_bpe_counts owns its arena and entries; pointers returned
 * by wn_bpe_counts_piece() stay valid until the next add or free. Readers own
 * their wn_reader and buffers.
 */
#ifndef WN_BPE_COUNTS_H
#define WN_BPE_COUNTS_H

#include "buf.h"

#define WN_BPE_INLINE 16
struct wn_bpe_centry {
	uint64_t count;
	uint32_t len;
	uint32_t tag; /* high half of the piece's 64-bit hash */
	union {
		char inl[WN_BPE_INLINE]; /* len <= WN_BPE_INLINE: the bytes themselves */
		size_t off;              /* longer: offset in the arena */
	} u;
};

struct wn_bpe_counts {
	struct wn_bpe_centry *e; /* entries, in insertion order (or sorted) */
	size_t n, cap;
	uint64_t *slot; /* open addressing: tag << 32 | (entry index + 1); 0 = empty */
	size_t nslot;   /* power of two */
	char *arena; /* bytes of pieces longer than WN_BPE_INLINE */
	size_t alen, acap;
	/* corpus statistics carried along (for meta.json and count files) */
	uint64_t docs, bytes;
	/* kept up by every insertion, for training (so it need not scan the
	 * pieces again): the bytes that occur, and the bytes of pieces of two
	 * or more bytes */
	uint64_t byteset[4];
	uint64_t nsym;
};

struct wn_bpe_counts *wn_bpe_counts_new(void);
void wn_bpe_counts_free(struct wn_bpe_counts *c);

/* Add `count` occurrences of piece p[0..n). n must be < 2^31. */
void wn_bpe_counts_add(struct wn_bpe_counts *c, const char *p, size_t n, uint64_t count);
/* Add every entry of src into dst (and its docs/bytes). */
void wn_bpe_counts_merge(struct wn_bpe_counts *dst, const struct wn_bpe_counts *src);
/* Sort entries by piece bytes (the table stays usable). */
void wn_bpe_counts_sort(struct wn_bpe_counts *c);

static inline const char *wn_bpe_counts_piece(const struct wn_bpe_counts *c, size_t i)
{
	const struct wn_bpe_centry *e = &c->e[i];
	return e->len <= WN_BPE_INLINE ? e->u.inl : c->arena + e->u.off;
}

/* Order of pieces in count files: memcmp, then the shorter first. */
int wn_bpe_piece_cmp(const char *a, size_t an, const char *b, size_t bn);

/* Allocate a large array that is read at random on 2 MB pages where the
 * kernel offers them (transparent huge pages in "madvise" mode): with 4 KB
 * pages nearly every random access is also a TLB miss. Free with free().
 * Not zeroed. */
void *wn_bpe_big_alloc(size_t n);

/* ---- counting documents ---- */

/* A pre-token counter: documents go in (copied, batched), worker threads
 * split them with the pre-tokenizer (each with its own regex state and
 * table), and finish() merges the tables. With threads == 1 the caller's
 * thread does the work. Pieces longer than max_piece_bytes (0: no limit)
 * are not counted (they are pathological: runs of one character, base64
 * blobs) and are reported by finish(). */
struct wn_pretok;
struct wn_bpe_counter;

struct wn_bpe_counter *wn_bpe_counter_new(const struct wn_pretok *pt, int threads, size_t max_piece_bytes);
/* Count one document; text must be valid UTF-8. */
void wn_bpe_counter_add(struct wn_bpe_counter *k, const char *text, size_t n);
/* Wait for the workers, merge, free the counter. Returns the table (docs
 * and bytes set); *skipped gets the number of pieces over the limit. */
struct wn_bpe_counts *wn_bpe_counter_finish(struct wn_bpe_counter *k, uint64_t *skipped);

/* ---- count files ---- */

#define WN_BPE_COUNTS_MAGIC "WNBPEC\r\n"
#define WN_BPE_COUNTS_VERSION 1

/* Write c (sorted here) with `pattern` to path, zstd-compressed, atomically.
 * Returns 0 or -1 (err filled). */
int wn_bpe_counts_write(struct wn_bpe_counts *c, const char *pattern, const char *path, char *err, size_t errlen);

struct wn_bpe_creader;

/* Open a count file and read its header. NULL + err on error. */
struct wn_bpe_creader *wn_bpe_creader_open(const char *path, char *err, size_t errlen);
/* Same over an open descriptor (for the fuzz target); fd is not closed. */
struct wn_bpe_creader *wn_bpe_creader_fdopen(int fd, const char *name, char *err, size_t errlen);
const char *wn_bpe_creader_pattern(const struct wn_bpe_creader *r);
/* Next entry: *p (valid until the next call), *n, *count. Returns 1, 0 at
 * the verified trailer, -1 on error (err filled, naming file and offset). */
int wn_bpe_creader_next(struct wn_bpe_creader *r, const char **p, size_t *n, uint64_t *count, char *err,
			size_t errlen);
/* Trailer statistics, valid after next() returned 0. */
void wn_bpe_creader_stats(const struct wn_bpe_creader *r, uint64_t *docs, uint64_t *bytes);
void wn_bpe_creader_free(struct wn_bpe_creader *r);

/* K-way merge of count files into one table: pieces equal across files are
 * summed. Only one entry per file is in memory besides the result, so the
 * inputs together may be larger than memory; the merged table must fit.
 * All files must carry the same pattern; it is returned in *pattern
 * (malloc'ed). Returns the table, or NULL + err. */
struct wn_bpe_counts *wn_bpe_counts_merge_files(char *const *paths, int npaths, char **pattern, char *err,
						size_t errlen);

#endif
